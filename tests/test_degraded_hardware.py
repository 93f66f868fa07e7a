"""Degraded hardware: CUDA out of memory retries in smaller chunks, then falls back to the
CPU with a warning; a missing or broken onnxruntime and torch give the installer's message,
not a traceback. (The failures are doubles: a module that raises torch's own OOM error.)"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from paths import ROOT

torch = pytest.importorskip("torch")

from core.errors import ModelError  # noqa: E402
from core.refiner.runtime import TorchRuntime  # noqa: E402


class Doubler(torch.nn.Module):
    """v = 2 x, and CUDA's out-of-memory error for batches above ``fits``."""

    def __init__(self, fits: int):
        super().__init__()
        self.fits = fits
        self.calls: list[int] = []

    def forward(self, x, cond, t):
        self.calls.append(len(x))
        if len(x) > self.fits:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (double)")
        return 2 * x


def _inputs(n: int):
    g = np.random.default_rng(0)
    return (
        g.standard_normal((n, 3, 8, 8)).astype(np.float32),
        np.zeros((n, 18, 8, 8), np.float32),
        np.zeros(n),
    )


def test_out_of_memory_retries_in_chunks_with_the_same_result():
    x, c, t = _inputs(8)
    module = Doubler(fits=2)
    rt = TorchRuntime(module, "cpu")
    v = rt(x, c, t)
    np.testing.assert_allclose(v, 2 * x)
    assert rt.chunked > 0 and max(module.calls[1:]) <= 4 and not rt.fell_back


def test_out_of_memory_for_one_chart_moves_to_the_cpu_with_a_warning():
    x, c, t = _inputs(2)
    rt = TorchRuntime(Doubler(fits=10), "cpu")
    real_run = rt._run

    def gpu_run(x_t, cond, t_):  # a GPU with no room at all: every call on "cuda" fails
        if rt.device == "cuda":
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (double)")
        return real_run(x_t, cond, t_)

    rt._run, rt.device = gpu_run, "cuda"
    with pytest.warns(RuntimeWarning, match="on the CPU"):
        v = rt(x, c, t)
    np.testing.assert_allclose(v, 2 * x)
    assert rt.fell_back and rt.device == "cpu"


def test_missing_runtimes_give_the_installer_message(monkeypatch):
    from core.refiner.refine import Refiner

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import raises ImportError
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ModelError, match="Install GPU Support") as err:
        Refiner(ROOT / "models" / "refiner.json", device="cpu")
    assert "refiner.json" in str(err.value) and "restart Blender" in str(err.value)


def test_a_refine_past_its_time_budget_stops_with_a_clear_error():
    from paths import PRESETS

    from core.boxmesh import build_box_mesh
    from core.errors import BudgetError
    from core.pattern import load_pattern
    from core.refiner.refine import RefineInput, RefineOptions, Refiner

    pattern = load_pattern(PRESETS / "skirt.json")
    m = build_box_mesh(pattern, 4.0)
    base = RefineInput(m.vertices, m.faces, m.panel_ids, m.uv, pattern=pattern, source="skirt box")
    with pytest.raises(BudgetError, match="time budget of 1e-06 s") as err:
        Refiner(device="cpu").refine(base, RefineOptions(steps=1, time_budget_s=1e-6))
    assert "skirt box" in str(err.value)
