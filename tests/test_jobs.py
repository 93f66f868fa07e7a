"""The refine off the main thread (core/jobs): the synchronous, thread and subprocess runners
give the same wrinkles as the direct call, report progress, cancel within a second and fail with
the error's message."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from core.dataset import load_arrays
from core.jobs import JobState, RefineRequest, SubprocessRunner, SyncRunner, ThreadRunner
from core.jobs.events import overall_fraction
from core.pattern import load_pattern
from core.refiner.refine import RefineInput, RefineOptions, Refiner


@pytest.fixture(scope="module")
def request_and_direct(v1_sample_folder, tiny_model):
    row = json.loads((v1_sample_folder / "manifest.json").read_text())["samples"][0]
    a = load_arrays(v1_sample_folder, row["id"])
    pattern = load_pattern(v1_sample_folder / "samples" / row["id"] / "pattern.json")
    base = RefineInput(a["coarse_at_fine"], a["fine_faces"], a["fine_panel"], a["fine_uv"], pattern=pattern)
    options = RefineOptions(seed=3, material="stiff", device="cpu")
    direct = Refiner(tiny_model, device="cpu").refine(base, options)
    return RefineRequest.from_input(tiny_model, base, options), direct


def drive(runner, request, timeout: float = 120.0) -> list:
    """Start and poll as a timer would, until the job ends."""
    runner.start(request)
    events, t0 = [], time.perf_counter()
    while not runner.state.finished:
        assert time.perf_counter() - t0 < timeout
        events += runner.poll()
        time.sleep(0.01)
    return events + runner.poll()


@pytest.mark.parametrize("runner_cls", [SyncRunner, ThreadRunner, SubprocessRunner])
def test_every_runner_gives_the_direct_calls_wrinkles_with_progress(runner_cls, request_and_direct):
    request, direct = request_and_direct
    runner = runner_cls()
    events = drive(runner, request)
    assert runner.state is JobState.DONE and runner.error is None
    assert events[-1].kind == "done" and all(e.kind == "progress" for e in events[:-1])
    stages = [e.stage for e in events[:-1]]
    assert {"charts", "raster", "denoise", "sample_back"} <= set(stages)
    steps = [e for e in events if e.stage == "denoise" and e.total > 1]  # one per network call
    assert [e.done for e in steps] == list(range(1, steps[-1].total + 1))
    fractions = [overall_fraction(e.stage, e.done, e.total) for e in events[:-1]]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    out = runner.outcome
    assert np.allclose(out.offsets, direct.offsets, atol=1e-5)
    assert np.array_equal(out.faces, direct.faces) and out.upsampled == direct.upsampled
    assert out.report["seed"] == 3 and out.report["material"] == "stiff"


def test_a_subprocess_cancelled_after_its_first_report_ends_within_a_second(request_and_direct):
    request, _ = request_and_direct
    runner = SubprocessRunner()
    runner.start(request)
    folder = runner._folder
    t0 = time.perf_counter()
    while not any(e.kind == "progress" for e in runner.poll()):
        assert time.perf_counter() - t0 < 60
        time.sleep(0.01)
    t_cancel = time.perf_counter()
    runner.cancel()
    while not runner.state.finished:
        runner.poll()
        time.sleep(0.01)
    assert time.perf_counter() - t_cancel < 1.0
    assert runner.state is JobState.CANCELLED and runner.outcome is None
    assert runner._proc.poll() is not None and not folder.exists()  # the worker and its files gone


def test_a_thread_cancel_stops_at_the_next_report(request_and_direct):
    request, _ = request_and_direct
    runner = ThreadRunner()
    runner.cancel()  # set before the first report: the worker stops at its first progress call
    events = drive(runner, request)
    assert runner.state is JobState.CANCELLED and events[-1].kind == "cancelled" and runner.outcome is None


@pytest.mark.parametrize("runner_cls", [SyncRunner, ThreadRunner, SubprocessRunner])
def test_a_missing_model_fails_with_its_message(runner_cls, request_and_direct, tmp_path):
    request, _ = request_and_direct
    bad = RefineRequest(**{**request.__dict__, "model": str(tmp_path / "none.json")})
    runner = runner_cls()
    events = drive(runner, bad)
    assert runner.state is JobState.FAILED and events[-1].kind == "failed"
    assert "none.json" in runner.error


def test_a_worker_that_dies_is_reported_with_its_exit_code(request_and_direct):
    request, _ = request_and_direct
    runner = SubprocessRunner(python="false")  # a failure double: a "python" that exits 1 at once
    drive(runner, request)
    assert runner.state is JobState.FAILED and "exit code 1" in runner.error
