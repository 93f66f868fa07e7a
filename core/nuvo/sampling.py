"""Samples for a Nuvo fit: the mesh normalised to the unit cube, area-weighted surface points
with their face, barycentrics and a tangent frame, and uniform UV samples per chart (numpy).

Tangent frames: per face, ``t1`` along the first edge, ``n`` the unit normal, ``t2 = n x t1``;
each sample turns the pair ``(t1, t2)`` by its own random angle in the tangent plane, so the
conformal loss (which only sees the two directions it is given) constrains every pair of
orthogonal directions over the iterations, not one fixed pair per face.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Normalisation:
    """``x_unit = (x - center) * scale``: the bounding box centred at 0, its longest side 1."""

    center: np.ndarray  # (3,)
    scale: float

    @classmethod
    def fit(cls, vertices: np.ndarray) -> Normalisation:
        v = np.asarray(vertices, np.float64).reshape(-1, 3)
        lo, hi = v.min(axis=0), v.max(axis=0)
        extent = float((hi - lo).max())
        if not extent > 0:
            raise ValueError("the mesh has no extent")
        return cls(center=(lo + hi) / 2, scale=1.0 / extent)

    def apply(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, np.float64) - self.center) * self.scale

    def invert(self, x_unit: np.ndarray) -> np.ndarray:
        return np.asarray(x_unit, np.float64) / self.scale + self.center


def face_frames(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per face: area (F,), unit normal (F, 3) and unit tangent along the first edge (F, 3).
    Degenerate faces get area 0 (they are never sampled) and an arbitrary frame."""
    tri = np.asarray(vertices, np.float64)[np.asarray(faces, np.int64)]
    e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    cross = np.cross(e1, e2)
    twice_area = np.linalg.norm(cross, axis=1)
    ok = twice_area > 1e-20
    normal = np.tile([0.0, 0.0, 1.0], (len(tri), 1))
    normal[ok] = cross[ok] / twice_area[ok, None]
    tangent = np.tile([1.0, 0.0, 0.0], (len(tri), 1))
    tangent[ok] = e1[ok] / np.linalg.norm(e1[ok], axis=1)[:, None]
    return np.where(ok, twice_area / 2, 0.0), normal, tangent


@dataclass
class SurfaceSamples:
    """Points on a mesh surface and where they come from."""

    points: np.ndarray  # (N, 3)
    face: np.ndarray  # (N,) int64
    bary: np.ndarray  # (N, 3) barycentric weights of the face's corners
    normal: np.ndarray  # (N, 3) unit face normal
    tangent_a: np.ndarray  # (N, 3) unit tangent
    tangent_b: np.ndarray  # (N, 3) unit tangent, normal x tangent_a


class SurfaceSampler:
    """Area-weighted sampling of one mesh (face areas and frames computed once)."""

    def __init__(self, vertices: np.ndarray, faces: np.ndarray):
        self.vertices = np.asarray(vertices, np.float64).reshape(-1, 3)
        self.faces = np.asarray(faces, np.int64).reshape(-1, 3)
        self.area, self.normal, self.tangent = face_frames(self.vertices, self.faces)
        total = self.area.sum()
        if not total > 0:
            raise ValueError("the mesh has no surface area")
        self.cdf = np.cumsum(self.area) / total

    def sample(self, n: int, rng: np.random.Generator, rotate: bool = True) -> SurfaceSamples:
        """``n`` points, faces drawn with probability proportional to area, uniform inside."""
        face = np.minimum(np.searchsorted(self.cdf, rng.random(n), side="right"), len(self.faces) - 1)
        r1, r2 = rng.random(n), rng.random(n)
        s = np.sqrt(r1)
        bary = np.stack([1 - s, s * (1 - r2), s * r2], axis=1)
        points = np.einsum("nk,nkd->nd", bary, self.vertices[self.faces[face]])
        normal, t1 = self.normal[face], self.tangent[face]
        t2 = np.cross(normal, t1)
        if rotate:
            angle = rng.random(n) * 2 * np.pi
            c, s_ = np.cos(angle)[:, None], np.sin(angle)[:, None]
            t1, t2 = c * t1 + s_ * t2, c * t2 - s_ * t1
        return SurfaceSamples(points, face.astype(np.int64), bary, normal, t1, t2)


def sample_uv(n_charts: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n_charts, n, 2) uniform samples of every chart's ``[0, 1]^2``."""
    return rng.random((n_charts, n, 2))
