"""UV-unwrap a mesh that has none with a Nuvo fit: the refiner's chart source (c).

:func:`nuvo_unwrap` fits Nuvo charts (:func:`~core.nuvo.fit.fit_nuvo`, the CPU preset by
default), exports them as :class:`~core.refiner.charts.Charts` (faces never span charts, seam
vertices duplicated, UVs in cm of surface), by default replaces each chart's learned UVs by
fold-free LSCM flattenings of its pieces (:func:`~core.nuvo.flatten.flatten_charts`: the face
assignment is kept, a chart that is not a disk or flattens badly is split) and packs the charts
side by side into one UV map (per face corner, one uniform scale), so the mesh can be written
with UVs and refined through the same UV-island path as any unwrapped garment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from ..refiner.charts import Charts
from .export import charts_from_nuvo
from .fit import NuvoFit, fit_nuvo
from .flatten import flatten_with_report
from .network import NuvoConfig

UP_AXIS = 1
"""The world's up axis (Y up, the refiner's convention)."""
MIN_SLOPE = 0.2
"""Charts whose height changes less than this many cm per cm of UV (lying flat, e.g. a
shoulder) keep their orientation: their up direction is not defined well enough."""

GAP_CM = 2.0
"""Space between packed charts, cm of surface (keeps raster texels of neighbours apart)."""


@dataclass
class NuvoUnwrap:
    """A mesh's Nuvo charts and their packed UV map."""

    charts: Charts
    uv: np.ndarray  # (P, 2) packed UV coordinates, one uniform scale (cm_per_uv cm per unit)
    uv_faces: np.ndarray  # (F, 3) corners of each face into uv
    cm_per_uv: float
    fit: NuvoFit
    seconds: float
    report: dict = field(default_factory=dict)


def orient_up(charts: Charts, vertices: np.ndarray, up_axis: int = UP_AXIS) -> Charts:
    """Rotate each chart in its plane so that up on the garment is +v, as on a sewing pattern.

    The refiner was trained on pattern charts, whose panels hang with +v up (tilted by at most
    about 55 degrees on sleeves and side panels); a classical flattening puts its charts at any
    angle. Per chart, the height (``vertices[:, up_axis]``) is fitted as a linear function of
    (u, v) by least squares; its gradient is the chart's up direction, turned onto +v."""
    uv = np.asarray(charts.uv, np.float64).copy()
    height = np.asarray(vertices, np.float64)[charts.vertex, up_axis]
    for c in range(charts.n_charts):
        m = charts.chart == c
        if m.sum() < 3:
            continue
        pts = uv[m]
        centre = pts.mean(axis=0)
        design = np.c_[pts - centre, np.ones(len(pts))]
        grad = np.linalg.lstsq(design, height[m], rcond=None)[0][:2]
        slope = float(np.linalg.norm(grad))
        if slope < MIN_SLOPE:
            continue
        angle = np.pi / 2 - np.arctan2(grad[1], grad[0])  # turns grad onto +v
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        turned = (pts - centre) @ rot.T
        uv[m] = turned - turned.min(axis=0)
    return replace(charts, uv=uv)


def pack_charts(charts: Charts, gap_cm: float = GAP_CM) -> tuple[np.ndarray, float]:
    """Shelf-pack the charts' cm layouts into one UV square; returns (uv (P, 2), cm per UV unit)."""
    uv_cm = np.asarray(charts.uv, np.float64)
    lo = np.zeros((charts.n_charts, 2))
    size = np.zeros((charts.n_charts, 2))
    for c in range(charts.n_charts):
        pts = uv_cm[charts.chart == c]
        lo[c] = pts.min(axis=0)
        size[c] = pts.max(axis=0) - lo[c]
    width = max(float(size[:, 0].max()), float(np.sqrt((size + gap_cm).prod(axis=1).sum())))
    offset = np.zeros((charts.n_charts, 2))
    x = y = shelf = 0.0
    for c in np.argsort(-size[:, 1]):  # tallest first
        if x > 0 and x + size[c, 0] > width:
            x, y, shelf = 0.0, y + shelf + gap_cm, 0.0
        offset[c] = (x, y)
        x += size[c, 0] + gap_cm
        shelf = max(shelf, size[c, 1])
    packed = uv_cm - lo[charts.chart] + offset[charts.chart]
    extent = float(packed.max()) or 1.0
    return packed / extent, extent


def nuvo_unwrap(
    vertices: np.ndarray,
    faces: np.ndarray,
    config: NuvoConfig | None = None,
    seed: int = 0,
    progress: Callable[[int, int, dict], None] | None = None,
    device: str = "cpu",
    source: str = "<mesh>",
    flatten: bool = True,
) -> NuvoUnwrap:
    """Fit Nuvo charts to a mesh in cm (no UVs, no panel ids) and pack them into a UV map.
    ``flatten``: re-flatten the charts' UVs (:func:`~core.nuvo.flatten.flatten_charts`) before
    packing; the report then holds the flattening's counts under ``"flatten"`` and
    ``"charts"`` counts the flattened pieces (``"fitted_charts"`` the exported Nuvo charts)."""
    start = time.perf_counter()
    vertices = np.asarray(vertices, np.float64).reshape(-1, 3)
    faces = np.asarray(faces, np.int64).reshape(-1, 3)
    config = config or NuvoConfig.cpu()
    fit = fit_nuvo(vertices, faces, config, seed=seed, progress=progress, device=device)
    charts = charts_from_nuvo(fit, vertices, faces, source=source)
    fitted_charts = charts.n_charts
    flat_report = None
    if flatten:
        charts, flat_report = flatten_with_report(charts, vertices)
    charts = orient_up(charts, vertices)
    uv, cm_per_uv = pack_charts(charts)
    report = {
        "charts": charts.n_charts,
        "fitted_charts": fitted_charts,
        "iterations": config.iterations,
        "fit_seconds": fit.seconds,
        "final_losses": dict(fit.losses),
    }
    if flat_report is not None:
        report["flatten"] = flat_report.to_json()
    return NuvoUnwrap(
        charts=charts,
        uv=uv,
        uv_faces=charts.faces.copy(),
        cm_per_uv=cm_per_uv,
        fit=fit,
        seconds=time.perf_counter() - start,
        report=report,
    )
