"""Denoising chart images: the charts of a garment in batches of equal padded size, K sampler steps.

Each chart is padded only up to the network's size multiple, and charts that then share a
size run as one batch (a T-shirt's four sleeve halves, its front and back): padding every
chart to the largest one made the network see twice the pixels. The noise is drawn per chart
at the chart's own size from one seeded generator, so the seed alone decides the wrinkles
(padding and batch order do not). A one-step regression model is
the same call with :func:`regression_plan`: zero input, one step that returns the network's
output as the clean residual.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .runtime import Runtime
from .schedule import SamplerPlan

REGRESSION_TIMESTEP = 999


def regression_plan() -> SamplerPlan:
    """x0 = net(0, cond, 999): the deterministic one-step baseline as a sampler."""
    return SamplerPlan(np.array([REGRESSION_TIMESTEP]), np.array([0.0]), np.array([1.0]))


def pad_batch(images: list[np.ndarray], multiple: int) -> np.ndarray:
    """(C, h_i, w_i) images -> (N, C, H, W) zero padded to a common size divisible by ``multiple``."""
    h = max(i.shape[1] for i in images)
    w = max(i.shape[2] for i in images)
    h, w = -(-h // multiple) * multiple, -(-w // multiple) * multiple
    out = np.zeros((len(images), images[0].shape[0], h, w), np.float32)
    for k, img in enumerate(images):
        out[k, :, : img.shape[1], : img.shape[2]] = img
    return out


def size_groups(shapes: list[tuple[int, int]], multiple: int) -> list[list[int]]:
    """Chart indices grouped by their size rounded up to ``multiple`` (first-seen order)."""
    groups: dict[tuple[int, int], list[int]] = {}
    for k, (h, w) in enumerate(shapes):
        groups.setdefault((-(-h // multiple) * multiple, -(-w // multiple) * multiple), []).append(k)
    return list(groups.values())


def denoise_charts(
    cond: list[np.ndarray],
    runtime: Runtime,
    plan: SamplerPlan,
    seed: int = 0,
    multiple: int = 4,
    stochastic: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> list[np.ndarray]:
    """Normalised residual images (3, h, w) per chart from their condition images.
    ``stochastic=False`` starts from zeros (the regression baseline). ``progress(done, total)``
    after every network evaluation (total = steps x size groups)."""
    rng = np.random.default_rng(seed)
    noise = [
        rng.standard_normal((3, *c.shape[1:])).astype(np.float32)
        if stochastic
        else np.zeros((3, *c.shape[1:]), np.float32)
        for c in cond
    ]
    out: list[np.ndarray | None] = [None] * len(cond)
    groups = size_groups([c.shape[1:] for c in cond], multiple)
    total, done = len(groups) * len(plan.timesteps), 0
    for members in groups:
        x = pad_batch([noise[k] for k in members], multiple)
        c = pad_batch([cond[k] for k in members], multiple)
        for t, a, b in zip(plan.timesteps.tolist(), plan.a.tolist(), plan.b.tolist(), strict=True):
            v = runtime(x, c, np.full(len(x), t, np.int64))
            x = (a * x + b * v).astype(np.float32)
            done += 1
            if progress is not None:
                progress(done, total)
        for j, k in enumerate(members):
            out[k] = x[j, :, : cond[k].shape[1], : cond[k].shape[2]]
    return out  # type: ignore[return-value]
