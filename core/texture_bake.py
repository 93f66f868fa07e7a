"""Wrinkles as textures (no bpy): a garment's charts packed into one [0, 1]^2 UV layout at a
uniform texel density, per-vertex values rasterised into it (barycentric inside the triangles,
bled a few texels past the chart borders) and sampled back, and the tangent-space normals of a
refined surface over its base — the displacement and normal maps Refine Garment bakes."""

from __future__ import annotations

import numpy as np
import trimesh
from scipy import ndimage

from .refiner.raster import ChartGrid, triangle_coverage

BLEED_TEXELS = 4


def pack_charts(uv_cm: np.ndarray, chart: np.ndarray, margin: float = 0.01) -> tuple[np.ndarray, float]:
    """Per-vertex UVs of every chart (in cm) packed side by side into [0, 1]^2 with one scale
    for all (so every texel covers the same cloth area): shelves of charts sorted by height.
    Returns (uv (V, 2), cm per UV unit)."""
    uv, chart = np.asarray(uv_cm, np.float64), np.asarray(chart, np.int64)
    ids = np.unique(chart)
    lo = np.array([uv[chart == c].min(0) for c in ids])
    size = np.array([uv[chart == c].max(0) for c in ids]) - lo
    order = np.argsort(-size[:, 1])
    total = float(np.sqrt((size[:, 0] * size[:, 1]).sum() * 1.3))  # a square with some slack
    width = max(total, size[:, 0].max())
    gap = margin * width
    place = np.zeros_like(lo)
    x = y = shelf = 0.0
    for k in order:
        if x + size[k, 0] > width and x > 0:
            x, y, shelf = 0.0, y + shelf + gap, 0.0
        place[k] = (x, y)
        x += size[k, 0] + gap
        shelf = max(shelf, size[k, 1])
    extent = max(width, y + shelf) + gap
    out = np.zeros_like(uv)
    for k, c in enumerate(ids):
        m = chart == c
        out[m] = (uv[m] - lo[k] + place[k] + gap / 2) / extent
    return out, extent


def bake_vertex_values(
    uv: np.ndarray, faces: np.ndarray, values: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-vertex ``values`` (V, C) into a (size, size, C) float image over ``uv`` in [0, 1]^2
    (row 0 at v = 0, as Blender stores pixels) and the mask of texels inside a triangle; texels
    within ``BLEED_TEXELS`` of the cloth take the nearest inside texel's value."""
    values = np.asarray(values, np.float64).reshape(len(uv), -1)
    grid = ChartGrid(origin=np.full(2, 0.5 / size), pitch=1.0 / size, shape=(size, size))
    rc, face, bary = triangle_coverage(np.asarray(uv, np.float64), np.asarray(faces, np.int64), grid)
    img = np.zeros((size, size, values.shape[1]), np.float32)
    mask = np.zeros((size, size), bool)
    img[rc[:, 0], rc[:, 1]] = np.einsum("nk,nkc->nc", bary, values[np.asarray(faces)[face]])
    mask[rc[:, 0], rc[:, 1]] = True
    dist, (rows, cols) = ndimage.distance_transform_edt(~mask, return_indices=True)
    bleed = (dist > 0) & (dist <= BLEED_TEXELS)
    img[bleed] = img[rows[bleed], cols[bleed]]
    return img, mask


def sample_image(img: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Bilinear samples (N, C) of a (H, W, C) image at ``uv`` in [0, 1]^2 (texel centres at
    (k + 0.5) / size), as a renderer reads the texture."""
    h, w = img.shape[:2]
    x = np.asarray(uv, np.float64) * [w, h] - 0.5
    c0 = np.clip(np.floor(x).astype(np.int64), 0, [w - 2, h - 2])
    f = np.clip(x - c0, 0.0, 1.0)
    out = 0.0
    for dr, dc in ((0, 0), (0, 1), (1, 0), (1, 1)):
        wgt = (f[:, 1] if dr else 1 - f[:, 1]) * (f[:, 0] if dc else 1 - f[:, 0])
        out = out + wgt[:, None] * img[c0[:, 1] + dr, c0[:, 0] + dc]
    return out


def vertex_tangent_frames(vertices: np.ndarray, faces: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """(V, 3, 3) per-vertex (tangent, bitangent, normal) of the base: tangent along +u,
    bitangent along +v (from each face's UV derivatives, area-weighted), Gram-Schmidt against
    the vertex normal."""
    v, f, t = np.asarray(vertices, np.float64), np.asarray(faces, np.int64), np.asarray(uv, np.float64)
    e1, e2 = v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]
    d1, d2 = t[f[:, 1]] - t[f[:, 0]], t[f[:, 2]] - t[f[:, 0]]
    det = d1[:, 0] * d2[:, 1] - d2[:, 0] * d1[:, 1]
    r = np.where(np.abs(det) > 1e-20, 1.0 / np.where(det == 0, 1, det), 0.0)
    tan = (e1 * d2[:, 1:2] - e2 * d1[:, 1:2]) * r[:, None]
    bit = (e2 * d1[:, 0:1] - e1 * d2[:, 0:1]) * r[:, None]
    T, B = np.zeros_like(v), np.zeros_like(v)
    for k in range(3):
        np.add.at(T, f[:, k], tan)
        np.add.at(B, f[:, k], bit)
    n = trimesh.Trimesh(v, f, process=False).vertex_normals
    T = T - n * (T * n).sum(1, keepdims=True)
    T /= np.maximum(np.linalg.norm(T, axis=1, keepdims=True), 1e-12)
    B = np.cross(n, T) * np.sign((np.cross(n, T) * B).sum(1, keepdims=True) + 1e-30)
    return np.stack([T, B, n], axis=1)


def tangent_space_normals(
    base: np.ndarray, refined: np.ndarray, faces: np.ndarray, uv: np.ndarray
) -> np.ndarray:
    """(V, 3) the refined surface's normals in the base's tangent frames, encoded 0..1 as a
    normal map stores them (0.5, 0.5, 1 = the base's own normal)."""
    frames = vertex_tangent_frames(base, faces, uv)
    n = trimesh.Trimesh(np.asarray(refined, np.float64), np.asarray(faces), process=False).vertex_normals
    ts = np.einsum("vij,vj->vi", frames, n)
    ts /= np.maximum(np.linalg.norm(ts, axis=1, keepdims=True), 1e-12)
    return 0.5 * ts + 0.5
