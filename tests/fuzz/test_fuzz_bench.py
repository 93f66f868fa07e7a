"""bench/fuzz.py's harness: a child stuck inside a C loop (where the case's own alarm cannot
fire) is killed and counted as a hang, and a short run writes its table's JSON."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("fuzz_bench", ROOT / "bench" / "fuzz.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_silent_child_is_reported_as_stuck():
    bench = _bench()
    code = "import time; print('one', flush=True); time.sleep(30)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        got = list(bench._lines_or_stuck(proc, 2.0))
    finally:
        proc.kill()
        proc.wait()
    assert got == ["one\n", None]


def test_a_child_that_finishes_ends_the_lines():
    bench = _bench()
    proc = subprocess.Popen(
        [sys.executable, "-c", "print('a'); print('b')"], stdout=subprocess.PIPE, text=True
    )
    assert list(bench._lines_or_stuck(proc, 10.0)) == ["a\n", "b\n"]
    proc.wait()


def test_a_short_run_writes_every_case(tmp_path):
    out = tmp_path / "fuzz.json"
    cmd = [sys.executable, str(ROOT / "bench" / "fuzz.py"), "--targets", "pattern_svg", "--cases"]
    cmd += ["pattern_svg=12", "--out", str(out)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 1), done.stderr
    (row,) = json.loads(out.read_text())["targets"]
    assert row["target"] == "pattern_svg" and row["cases"] == 12
    assert sum(row["outcomes"].values()) == 12
