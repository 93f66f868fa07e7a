"""Fitting a store to a garment's residual field: Adam on random surface batches, MSE loss.

Every iteration draws ``batch`` fresh surface points (``GarmentResidual.sample``: uniform by
area, a new batch from the fit's own generator each time) and takes one Adam step on the mean
squared Euclidean distance between predicted and target residual (cm^2). The loop stops when the
training clock reaches ``seconds`` or after ``iterations`` steps, whichever comes first.

Clock. Only the training steps are timed (sampling, forward, backward, step); evaluations on
the held-out set are left out, so equal budgets mean equal training time whatever the store's
evaluation cost. ``clock="wall"`` (the default) times wall seconds, ``clock="cpu"`` this
process's CPU seconds (fairer on a machine other jobs share; with one torch thread both agree
on an idle machine). Both are recorded.

Curve. The held-out error (mean Euclidean distance of predicted vs target residual, in mm) is
recorded at the start and each time the clock passes ``k / curve_points`` of the budget (of
``seconds`` if given, else of ``iterations``), and at the end. ``FitResult.error_at(t)`` reads
it at the first record at or after ``t`` training seconds.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from .residual import GarmentResidual, SurfaceSamples

ADAM_BETAS = (0.9, 0.99)
ADAM_EPS = 1e-15  # Instant-NGP's; the same optimiser for every store
_EVAL_CHUNK = 8192


@dataclass
class CurvePoint:
    seconds: float  # training clock
    iteration: int
    mean_mm: float


@dataclass
class FitResult:
    """Outcome of one fit. Errors are Euclidean distances of predicted vs target residual (mm)
    over the held-out set (``mean_mm``, ``max_mm``) and the validation set (``val_mean_mm``)."""

    mean_mm: float
    max_mm: float
    val_mean_mm: float
    parameter_count: int
    iterations: int
    seconds: float  # training clock at the end (the clock chosen)
    wall_seconds: float  # training steps only, wall
    cpu_seconds: float  # training steps only, process CPU
    lr: float
    batch: int
    clock: str
    diverged: bool = False
    final_loss_cm2: float = math.nan
    curve: list[CurvePoint] = field(default_factory=list)

    def error_at(self, seconds: float) -> float:
        """Held-out mean error (mm) at the first curve record at or after ``seconds`` of training
        (the last record if none is that late)."""
        for p in self.curve:
            if p.seconds >= seconds * (1 - 1e-9):
                return p.mean_mm
        return self.curve[-1].mean_mm if self.curve else math.nan

    def to_dict(self) -> dict:
        return asdict(self)


def _torch_samples(s: SurfaceSamples, device) -> tuple[torch.Tensor, ...]:
    return tuple(torch.from_numpy(np.ascontiguousarray(a)).to(device) for a in s)


@torch.no_grad()
def evaluate(store: torch.nn.Module, samples: SurfaceSamples, device="cpu") -> tuple[float, float]:
    """(mean, max) Euclidean distance of the store's prediction vs the target at ``samples`` (mm)."""
    was_training = store.training
    store.eval()
    chart, uv, target, face, bary = _torch_samples(samples, device)
    errs = []
    for s in range(0, len(chart), _EVAL_CHUNK):
        sl = slice(s, s + _EVAL_CHUNK)
        pred = store(chart[sl], uv[sl], face[sl], bary[sl])
        errs.append(torch.linalg.norm(pred - target[sl], dim=1))
    store.train(was_training)
    err = torch.cat(errs).double() * 10.0  # cm -> mm
    if not torch.isfinite(err).all():
        return math.inf, math.inf
    return float(err.mean()), float(err.max())


def zero_error(samples: SurfaceSamples) -> tuple[float, float]:
    """(mean, max) error of the zero predictor (the residual's own magnitude) at ``samples`` (mm)."""
    mag = np.linalg.norm(samples.target.astype(np.float64), axis=1) * 10.0
    return float(mag.mean()), float(mag.max())


def fit_store(
    store: torch.nn.Module,
    residual: GarmentResidual,
    seconds: float | None = None,
    iterations: int | None = None,
    lr: float = 1e-2,
    batch: int = 8192,
    seed: int = 0,
    *,
    clock: str = "wall",
    curve_points: int = 8,
    device: str | torch.device = "cpu",
) -> FitResult:
    """Fit ``store`` (in place) to ``residual`` (see the module docstring); at least one of
    ``seconds`` and ``iterations`` must be given."""
    if seconds is None and iterations is None:
        raise ValueError("give a wall-time budget (seconds), an iteration count, or both")
    if clock not in ("wall", "cpu"):
        raise ValueError(f"clock must be 'wall' or 'cpu', not {clock!r}")
    store.to(device)
    store.train()
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(store.parameters(), lr=lr, betas=ADAM_BETAS, eps=ADAM_EPS)
    heldout = residual.heldout
    budget = float(seconds) if seconds is not None else float(iterations)
    marks = [budget * k / curve_points for k in range(1, curve_points + 1)]

    wall = cpu = 0.0
    it = 0
    loss_value = math.nan
    diverged = False
    curve = [CurvePoint(0.0, 0, evaluate(store, heldout, device)[0])]
    next_mark = 0

    def elapsed() -> float:
        return wall if clock == "wall" else cpu

    while True:
        if seconds is not None and elapsed() >= seconds:
            break
        if iterations is not None and it >= iterations:
            break
        t0, c0 = time.perf_counter(), time.process_time()
        chart, uv, target, face, bary = _torch_samples(residual.sample(batch, rng), device)
        pred = store(chart, uv, face, bary)
        loss = ((pred - target) ** 2).sum(dim=1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss_value = float(loss.detach())
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        it += 1
        if not math.isfinite(loss_value):
            diverged = True
            break
        progress = elapsed() if seconds is not None else float(it)
        if next_mark < len(marks) and progress >= marks[next_mark]:
            while next_mark < len(marks) and progress >= marks[next_mark]:
                next_mark += 1
            curve.append(CurvePoint(elapsed(), it, evaluate(store, heldout, device)[0]))

    mean_mm, max_mm = evaluate(store, heldout, device)
    if curve[-1].iteration != it:
        curve.append(CurvePoint(elapsed(), it, mean_mm))
    val_mm, _ = evaluate(store, residual.validation, device)
    return FitResult(
        mean_mm=mean_mm,
        max_mm=max_mm,
        val_mean_mm=val_mm,
        parameter_count=sum(p.numel() for p in store.parameters() if p.requires_grad),
        iterations=it,
        seconds=elapsed(),
        wall_seconds=wall,
        cpu_seconds=cpu,
        lr=float(lr),
        batch=int(batch),
        clock=clock,
        diverged=diverged,
        final_loss_cm2=loss_value,
        curve=curve,
    )
