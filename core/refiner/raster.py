"""Chart images: per-point values rasterised into one grid per chart at a fixed physical pitch,
and images sampled back at the chart points.

A chart's grid covers its (u, v) bounding box plus a margin, pixel centres at
``origin + pitch * (col, row)``. Pixels inside a triangle take the barycentric blend of its
corners' values; pixels outside every triangle (the margin, holes, concave notches) take the
value of the nearest inside pixel, so that a convolution near the boundary sees plausible
values, and a mask channel says which pixels are cloth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..errors import MeshError
from .charts import Charts

DEFAULT_PITCH_CM = 0.5
DEFAULT_MAX_TEXELS = 4_000_000


@dataclass
class ChartGrid:
    """Where one chart's image lies in its (u, v) plane."""

    origin: np.ndarray  # (2,) cm: the centre of pixel (row 0, col 0)
    pitch: float  # cm per pixel
    shape: tuple[int, int]  # (rows, cols); rows run along v, cols along u


@dataclass
class Rasterizer:
    """The triangle coverage of every chart's grid, computed once and reused for every channel."""

    charts: Charts
    grids: list[ChartGrid]
    pixel_chart: np.ndarray  # (N,) covered pixels: chart id
    pixel_rc: np.ndarray  # (N, 2) row, col
    pixel_corners: np.ndarray  # (N, 3) chart points of the covering triangle
    pixel_bary: np.ndarray  # (N, 3) barycentric weights
    masks: list[np.ndarray]  # per chart (rows, cols) bool: inside the cloth
    nearest: list[tuple[np.ndarray, np.ndarray]]  # per chart: nearest inside pixel (rows, cols)

    @property
    def n_texels(self) -> int:
        return sum(g.shape[0] * g.shape[1] for g in self.grids)

    def rasterize(self, values: np.ndarray) -> list[np.ndarray]:
        """Per-point values (P, C) -> one (C, rows, cols) float32 image per chart."""
        values = np.asarray(values, np.float64).reshape(self.charts.n_points, -1)
        blended = np.einsum("nk,nkc->nc", self.pixel_bary, values[self.pixel_corners])
        images = []
        for c, g in enumerate(self.grids):
            img = np.zeros((values.shape[1], *g.shape), np.float32)
            m = self.pixel_chart == c
            r, q = self.pixel_rc[m].T
            img[:, r, q] = blended[m].T
            rows, cols = self.nearest[c]
            images.append(img[:, rows, cols])
        return images

    def sample(self, images: list[np.ndarray]) -> np.ndarray:
        """Images (C, rows, cols) per chart -> (P, C) samples at the chart points: bilinear over
        the cloth pixels among the four around a point (renormalised), so a point on the
        boundary is not pulled towards the filled margin."""
        out = np.zeros((self.charts.n_points, images[0].shape[0]))
        for c, g in enumerate(self.grids):
            pts = np.flatnonzero(self.charts.chart == c)
            if not len(pts):
                continue
            x = (self.charts.uv[pts] - g.origin) / g.pitch  # (col, row) in pixels
            c0 = np.clip(np.floor(x).astype(np.int64), 0, np.array(g.shape[::-1]) - 2)
            f = np.clip(x - c0, 0.0, 1.0)
            mask = self.masks[c]
            total = np.zeros((len(pts), images[c].shape[0]))
            weight = np.zeros(len(pts))
            for dr, dc in ((0, 0), (0, 1), (1, 0), (1, 1)):
                r, q = c0[:, 1] + dr, c0[:, 0] + dc
                w = (f[:, 1] if dr else 1 - f[:, 1]) * (f[:, 0] if dc else 1 - f[:, 0])
                w = w * mask[r, q] + 1e-9 * w  # cloth pixels first; the fill only if none
                total += w[:, None] * images[c][:, r, q].T
                weight += w
            out[pts] = total / np.maximum(weight, 1e-30)[:, None]
        return out


def triangle_coverage(uv: np.ndarray, faces: np.ndarray, grid: ChartGrid):
    """(pixel row-col, face index, barycentrics) of pixel centres inside the chart's triangles."""
    px = (uv - grid.origin) / grid.pitch  # pixel units, x = col, y = row
    tri = px[faces]  # (F, 3, 2)
    lo = np.ceil(tri.min(axis=1) - 1e-9).astype(np.int64)
    hi = np.floor(tri.max(axis=1) + 1e-9).astype(np.int64)
    n = np.maximum(hi - lo + 1, 0)
    count = n[:, 0] * n[:, 1]
    face = np.repeat(np.arange(len(faces)), count)
    local = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    col = lo[face, 0] + local % n[face, 0]
    row = lo[face, 1] + local // n[face, 0]
    a, b, c = tri[face, 0], tri[face, 1], tri[face, 2]
    p = np.stack([col, row], axis=1).astype(np.float64)
    v0, v1, v2 = b - a, c - a, p - a
    den = v0[:, 0] * v1[:, 1] - v1[:, 0] * v0[:, 1]
    ok_den = np.abs(den) > 1e-12
    den = np.where(ok_den, den, 1.0)
    w1 = (v2[:, 0] * v1[:, 1] - v1[:, 0] * v2[:, 1]) / den
    w2 = (v0[:, 0] * v2[:, 1] - v2[:, 0] * v0[:, 1]) / den
    w0 = 1 - w1 - w2
    bary = np.stack([w0, w1, w2], axis=1)
    inside = ok_den & (bary >= -1e-6).all(axis=1)
    inside &= (row >= 0) & (row < grid.shape[0]) & (col >= 0) & (col < grid.shape[1])
    rc = np.stack([row, col], axis=1)[inside]
    # a pixel on a shared edge is covered twice: keep one
    _, first = np.unique(rc[:, 0] * grid.shape[1] + rc[:, 1], return_index=True)
    return rc[first], face[inside][first], np.clip(bary[inside][first], 0, 1)


def build_rasterizer(
    charts: Charts,
    pitch: float = DEFAULT_PITCH_CM,
    margin_px: int = 4,
    max_texels: int = DEFAULT_MAX_TEXELS,
    source: str = "<mesh>",
) -> Rasterizer:
    """Grids for every chart at ``pitch`` cm/px with ``margin_px`` around each; refuses inputs
    whose grids would hold more than ``max_texels`` pixels in all."""
    if pitch <= 0:
        raise ValueError("pitch must be positive")
    grids = []
    for c in range(charts.n_charts):
        uv = charts.uv[charts.chart == c]
        if not len(uv):
            uv = np.zeros((1, 2))
        lo = uv.min(axis=0) - margin_px * pitch
        cols, rows = (np.ceil((uv.max(axis=0) - lo) / pitch).astype(int) + margin_px + 1).tolist()
        grids.append(ChartGrid(lo, pitch, (rows, cols)))
    total = sum(g.shape[0] * g.shape[1] for g in grids)
    if total > max_texels:
        raise MeshError(
            f"the charts need {total:,} texels at {pitch} cm/px, more than the limit of {max_texels:,} "
            "(a garment of several square metres, or UVs far from cm scale): raise the pitch or the limit",
            source=source,
        )
    face_chart = charts.chart[charts.faces[:, 0]]
    parts = {"chart": [], "rc": [], "corners": [], "bary": []}
    masks, nearest = [], []
    for c, g in enumerate(grids):
        faces = charts.faces[face_chart == c]
        rc, face, bary = triangle_coverage(charts.uv, faces, g)
        parts["chart"].append(np.full(len(rc), c, np.int32))
        parts["rc"].append(rc)
        parts["corners"].append(faces[face])
        parts["bary"].append(bary)
        mask = np.zeros(g.shape, bool)
        mask[rc[:, 0], rc[:, 1]] = True
        masks.append(mask)
        if mask.any():
            idx = ndimage.distance_transform_edt(~mask, return_distances=False, return_indices=True)
            nearest.append((idx[0], idx[1]))
        else:
            nearest.append(np.indices(g.shape))
    return Rasterizer(
        charts,
        grids,
        np.concatenate(parts["chart"]),
        np.concatenate(parts["rc"]),
        np.concatenate(parts["corners"]),
        np.concatenate(parts["bary"]),
        masks,
        nearest,
    )
