"""Correspondence between two meshes of one pattern through (panel id, pattern coordinate).

Two drapes of the same garment at different resolutions share no vertices, but every vertex
knows its panel and its 2D point on that panel: the coarse surface is interpolated at the
fine vertices' pattern points (barycentric, inside the coarse panel triangulation).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from .garment_mesh import GarmentMesh


def _barycentric(p: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    v0, v1, v2 = b - a, c - a, p - a
    d00 = (v0 * v0).sum(-1)
    d01 = (v0 * v1).sum(-1)
    d11 = (v1 * v1).sum(-1)
    d20 = (v2 * v0).sum(-1)
    d21 = (v2 * v1).sum(-1)
    den = np.where(np.abs(d00 * d11 - d01 * d01) < 1e-18, 1e-18, d00 * d11 - d01 * d01)
    v = (d11 * d20 - d01 * d21) / den
    w = (d00 * d21 - d01 * d20) / den
    return np.stack([1 - v - w, v, w], axis=-1)


def locate_in_panels(source: GarmentMesh, panel_ids: np.ndarray, uv: np.ndarray, k: int = 12):
    """For points given by (panel id, uv) find a ``source`` triangle and barycentric weights.

    Returns (face index (N,), weights (N, 3)). Points just outside a panel's triangulation
    (curved boundaries) get the nearest candidate triangle with clamped weights.
    """
    n = len(uv)
    face_idx = np.zeros(n, np.int64)
    weights = np.zeros((n, 3))
    face_panel = source.panel_ids[source.faces[:, 0]]
    for pid in np.unique(panel_ids):
        pts = np.flatnonzero(panel_ids == pid)
        faces = np.flatnonzero(face_panel == pid)
        if len(faces) == 0:
            raise ValueError(f"panel {pid} has no triangles in the source mesh")
        tri_uv = source.uv[source.faces[faces]]  # (T, 3, 2)
        tree = cKDTree(tri_uv.mean(axis=1))
        kk = min(k, len(faces))
        _, cand = tree.query(uv[pts], k=kk)
        cand = cand.reshape(len(pts), kk)
        t = tri_uv[cand]  # (P, kk, 3, 2)
        bary = _barycentric(uv[pts][:, None, :], t[..., 0, :], t[..., 1, :], t[..., 2, :])
        score = bary.min(axis=-1)  # >= 0 inside
        best = score.argmax(axis=1)
        b = bary[np.arange(len(pts)), best]
        b = np.clip(b, 0.0, None)
        weights[pts] = b / b.sum(axis=1, keepdims=True)
        face_idx[pts] = faces[cand[np.arange(len(pts)), best]]
    return face_idx, weights


def interpolate_at(source: GarmentMesh, target: GarmentMesh, values: np.ndarray | None = None) -> np.ndarray:
    """``source`` per-vertex values (default: its positions) at ``target``'s vertices."""
    values = source.vertices if values is None else values
    face_idx, w = locate_in_panels(source, target.panel_ids, target.uv)
    corners = values[source.faces[face_idx]]  # (N, 3, D)
    return (corners * w[..., None]).sum(axis=1)


def upsample_drape(coarse: GarmentMesh, fine_box: GarmentMesh, close_seams: bool = True) -> np.ndarray:
    """Positions for ``fine_box``'s vertices on a coarser drape of the same garment (through
    (panel, uv)): where a finer drape can start. With ``close_seams`` every seam group (the
    vertices a stitch joins) starts at its centroid, so the sewing springs start closed."""
    start = interpolate_at(coarse, fine_box)
    if close_seams:
        for group in fine_box.seam_groups():
            start[group] = start[group].mean(axis=0)
    return start
