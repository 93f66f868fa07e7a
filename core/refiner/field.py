"""The residual field: offsets stored as chart images, read back as per-vertex offsets.

Reading back: sample each chart image at its points, turn the (t_u, t_v, n) components into
3D with the base's frames, average over seam groups (seams share offsets, welded seams stay
welded), then over each vertex's points, and cap the length (a refiner adds detail; it
must not move the garment).
"""

from __future__ import annotations

import numpy as np

from .raster import Rasterizer

OFFSET_CAP_SHARE = 0.05
"""Offsets are capped at this share of the garment's bounding-box diagonal."""


def offset_cap(vertices: np.ndarray, share: float = OFFSET_CAP_SHARE) -> float:
    return float(share * np.linalg.norm(np.ptp(np.asarray(vertices), axis=0)))


def world_offsets(
    rasterizer: Rasterizer,
    images: list[np.ndarray],
    frames: np.ndarray,
    n_vertices: int,
    cap: float | None = None,
) -> np.ndarray:
    """(V, 3) offsets from residual images (3, H, W) per chart in the local frames."""
    charts = rasterizer.charts
    local = rasterizer.sample(images)  # (P, 3)
    world = np.einsum("pji,pj->pi", frames, local)
    world = charts.average_over_groups(world)
    out = charts.to_vertices(world, n_vertices)
    if cap is not None:
        length = np.linalg.norm(out, axis=1, keepdims=True)
        out *= np.minimum(1.0, cap / np.maximum(length, 1e-12))
    return out
