"""Every entry point fed mutated real inputs (Hypothesis draws each case's seed; the mutators
draw from ``random.Random(seed)`` as the bench does, so a failure is re-run from its seed):
each case ends in success or a GarmentError naming its file (for CLIs: exit 1 with a
message, or argparse's usage error), never another exception or a hang.
The long run with the issue's counts is ``bench/fuzz.py``."""

from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.runner import run_case
from fuzz.targets import TARGETS, TIME_LIMITS

EXAMPLES = {
    "pattern_json": 120,
    "pattern_svg": 80,
    "mesh": 60,
    "model": 40,
    "refine": 20,
    "cli_refine": 20,
    "cli_check_pattern": 30,
    "cli_batch": 20,
    "cli_evaluate": 5,  # each measures up to three surfaces (~10 s)
    "cli_train": 30,
}
TIME_LIMIT_S = 60.0


def _check(target: str, rng: random.Random, index: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix=f"fuzz_{target}_"))
    try:
        case = TARGETS[target](index, rng, folder)
        outcome = run_case(case, max(TIME_LIMIT_S, TIME_LIMITS.get(target, 0.0)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the folder made above, nothing else
    assert not outcome.failed, (outcome.kind, outcome.site, outcome.detail, outcome.ops)


@pytest.mark.parametrize("target", list(EXAMPLES))
def test_entry_point_survives_mutated_inputs(target):
    counter = iter(range(10**9))

    @settings(
        max_examples=EXAMPLES[target],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.integers(min_value=0, max_value=2**32 - 1))
    def run(seed):
        _check(target, random.Random(seed), next(counter))

    run()


@pytest.mark.parametrize("target", ["pattern_json", "pattern_svg", "mesh", "model"])
def test_a_fair_share_of_cases_gets_past_parsing(target):
    """A fuzzer whose cases all die at the first check proves little: at least 30% of the
    mutated cases reach meshing, charts or inference."""
    past = 0
    n = 40
    folder = Path(tempfile.mkdtemp(prefix=f"fuzz_share_{target}_"))
    try:
        for i in range(n):
            case = TARGETS[target](i, random.Random(1000 + i), folder)
            outcome = run_case(case, TIME_LIMIT_S)
            past += outcome.stage not in ("start", "parse", "load") and not outcome.failed
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert past / n >= 0.3, (target, past, n)
