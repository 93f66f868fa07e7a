"""Per-vertex inspection maps of a garment (the Polyscope role, inside Blender): chart id,
residual (wrinkle) magnitude, strain against the pattern and, with a reference drape, the
distance to it — each as values, colours and the range the colours span."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .inspection_colors import chart_colors, diverging_colors, scalar_colors

MAPS = {
    "chart": "Chart id",
    "residual": "Wrinkle offset (mm)",
    "strain": "Strain against the pattern (%)",
    "error": "Distance to the reference (mm)",
}


@dataclass
class InspectionMap:
    name: str
    values: np.ndarray  # (V,)
    colors: np.ndarray  # (V, 4) RGBA
    vmin: float
    vmax: float
    unit: str

    @property
    def readout(self) -> str:
        if self.name == "chart":
            return f"{int(self.vmax) + 1} charts"
        return f"{MAPS[self.name]}: {self.vmin:.3g} to {self.vmax:.3g}"


def chart_map(chart: np.ndarray) -> InspectionMap:
    c = np.asarray(chart, np.int64)
    return InspectionMap("chart", c.astype(np.float64), chart_colors(c), float(c.min()), float(c.max()), "")


def residual_map(offsets_cm: np.ndarray) -> InspectionMap:
    mm = 10.0 * np.linalg.norm(np.asarray(offsets_cm, np.float64), axis=1)
    hi = float(np.percentile(mm, 99)) if len(mm) else 0.0
    return InspectionMap("residual", mm, scalar_colors(mm, 0.0, hi), float(mm.min()), float(mm.max()), "mm")


def vertex_strain(vertices: np.ndarray, rest: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Per vertex, the mean of ``length / rest length - 1`` over its edges (rest: the pattern's
    flat positions, e.g. its UV in cm with z = 0)."""
    f = np.asarray(faces, np.int64)
    e = np.unique(np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1), axis=0)
    v, r = np.asarray(vertices, np.float64), np.asarray(rest, np.float64)
    if r.shape[1] == 2:
        r = np.concatenate([r, np.zeros((len(r), 1))], axis=1)
    strain = (
        np.linalg.norm(v[e[:, 0]] - v[e[:, 1]], axis=1)
        / np.maximum(np.linalg.norm(r[e[:, 0]] - r[e[:, 1]], axis=1), 1e-9)
        - 1.0
    )
    total, count = np.zeros(len(v)), np.zeros(len(v))
    for k in (0, 1):
        np.add.at(total, e[:, k], strain)
        np.add.at(count, e[:, k], 1.0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def strain_map(vertices: np.ndarray, rest_uv_cm: np.ndarray, faces: np.ndarray) -> InspectionMap:
    pct = 100.0 * vertex_strain(vertices, rest_uv_cm, faces)
    finite = pct[np.isfinite(pct)]
    lim = float(np.percentile(np.abs(finite), 99)) if len(finite) else 1.0
    return InspectionMap(
        "strain", pct, diverging_colors(pct, lim), float(np.nanmin(pct)), float(np.nanmax(pct)), "%"
    )


def error_map(vertices_cm: np.ndarray, reference_cm: np.ndarray) -> InspectionMap:
    """Distance (mm) from each vertex to the reference: vertex to vertex when both have the same
    vertices, else to the reference's nearest vertex."""
    v, ref = np.asarray(vertices_cm, np.float64), np.asarray(reference_cm, np.float64)
    if v.shape == ref.shape:
        d = np.linalg.norm(v - ref, axis=1)
    else:
        d, _ = cKDTree(ref).query(v)
    mm = 10.0 * d
    return InspectionMap(
        "error",
        mm,
        scalar_colors(mm, 0.0, float(np.percentile(mm, 99))),
        float(mm.min()),
        float(mm.max()),
        "mm",
    )
