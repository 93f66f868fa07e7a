"""Fuzzing every entry point: mutators of real inputs, the cases per entry point, and a runner
that sorts each outcome into ok / clear error / crash / hang / memory (tests/fuzz, bench/fuzz.py).

Cases write only inside the folder they are given, and CLIs run with that folder as the
working directory: a fuzzed path argument must never reach the user's files."""
