"""Quality checks of a simulated drape: a failing drape is rejected with its reasons."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import trimesh
from scipy.spatial import cKDTree

from .garment_mesh import GarmentMesh
from .pattern import Pattern
from .stitch_check import check_stitches


@dataclass(frozen=True)
class QualityThresholds:
    max_seam_gap_cm: float = 1.0
    max_inside_fraction: float = 0.005  # share of cloth vertices inside the body
    max_self_intersection_fraction: float = 0.02  # share of edges crossing a triangle (no self-collision)
    max_final_speed_cm: float = 0.1  # mean vertex motion per frame at the end (settled)
    max_extent_cm: float = 250.0  # a garment that flew away
    max_drop_cm: float = 20.0  # a garment that slid down the body (its top below where it was sewn)


SEAM_ZONE_EDGES = 2.0
"""Crossings within this many mean edge lengths of a seam are seam allowance-like overlaps
where three panels meet (armpits, crotch), counted apart from cloth passing through cloth."""


@dataclass
class DrapeQuality:
    ok: bool
    reasons: list[str] = field(default_factory=list)
    seam_gap_max_cm: float | None = None
    seam_gap_mean_cm: float | None = None
    inside_body: int = 0
    self_intersections: int = 0  # crossing edges away from the seams (what the check counts)
    self_intersections_at_seams: int = 0  # within SEAM_ZONE_EDGES mesh edges of a seam
    final_speed_cm: float | None = None
    drop_cm: float | None = None  # how far the garment's top fell from its pattern placement
    finite: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


def self_intersecting_edges(vertices: np.ndarray, faces: np.ndarray) -> int:
    """Number of mesh edges that pass through a triangle they do not touch."""
    return len(crossing_edges(vertices, faces)[0])


def crossing_edges(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mesh edges (E, 2) that pass through a triangle they do not touch, and their indices
    into ``edges_unique``: (crossing edges (K, 2), indices (K,)).

    Candidate (edge, triangle) pairs come from a k-d tree on triangle centroids; each pair
    gets an exact segment/triangle test (Moller-Trumbore), all vectorised.
    """
    v = np.asarray(vertices, float)
    edges = trimesh.Trimesh(v, faces, process=False).edges_unique
    tri = v[faces]
    centroids = tri.mean(axis=1)
    tri_radius = np.linalg.norm(tri - centroids[:, None], axis=2).max()
    a, b = v[edges[:, 0]], v[edges[:, 1]]
    mid, half = 0.5 * (a + b), 0.5 * np.linalg.norm(b - a, axis=1)
    tree = cKDTree(centroids)
    cand = tree.query_ball_point(mid, half + tri_radius)
    ei = np.repeat(np.arange(len(edges)), [len(c) for c in cand])
    ti = np.concatenate([np.asarray(c, np.int64) for c in cand]) if len(ei) else np.zeros(0, np.int64)
    f = faces[ti]
    e = edges[ei]
    touch = (f == e[:, :1]).any(axis=1) | (f == e[:, 1:]).any(axis=1)
    ei, ti = ei[~touch], ti[~touch]
    if len(ei) == 0:
        return np.zeros((0, 2), np.int64), np.zeros(0, np.int64)
    p0, d = a[ei], b[ei] - a[ei]
    t0, t1, t2 = tri[ti, 0], tri[ti, 1], tri[ti, 2]
    e1, e2 = t1 - t0, t2 - t0
    h = np.cross(d, e2)
    det = (e1 * h).sum(axis=1)
    ok = np.abs(det) > 1e-12
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    s_ = p0 - t0
    u = (s_ * h).sum(axis=1) * inv
    q = np.cross(s_, e1)
    w = (d * q).sum(axis=1) * inv
    t = (e2 * q).sum(axis=1) * inv
    eps = 1e-9
    hit = ok & (u >= -eps) & (w >= -eps) & (u + w <= 1 + eps) & (t > eps) & (t < 1 - eps)
    which = np.unique(ei[hit])
    return edges[which], which


def seam_gaps(pattern: Pattern, mesh: GarmentMesh) -> np.ndarray:
    """Per seam pair distance (cm) after the drape."""
    if len(mesh.seam_pairs) == 0:
        return np.zeros(0)
    return np.linalg.norm(mesh.vertices[mesh.seam_pairs[:, 0]] - mesh.vertices[mesh.seam_pairs[:, 1]], axis=1)


def garment_drop(placed: np.ndarray, draped: np.ndarray) -> float:
    """How far (cm, +Y up) the garment's top fell from its placement: the difference of the
    99th height percentiles, robust to a few stray vertices. A drape settles a few cm below
    its placement (at most 12 cm over the first 238 planned v2 samples); a garment that slid
    off the hips falls tens of cm."""
    return float(np.percentile(placed[:, 1], 99) - np.percentile(draped[:, 1], 99))


def assess_drape(
    pattern: Pattern,
    draped: GarmentMesh,
    inside_mask: np.ndarray,
    history: np.ndarray | None = None,
    thresholds: QualityThresholds = QualityThresholds(),
    check_self_intersections: bool = True,
    placed: np.ndarray | None = None,
) -> DrapeQuality:
    """Seam gap, body penetration, self-intersection, NaN, settling, extent and (given the
    garment as ``placed`` around the body before the drape, same vertices) slide checks."""
    q = DrapeQuality(ok=True)
    v = draped.vertices
    if not np.isfinite(v).all():
        q.finite = False
        q.ok = False
        q.reasons.append("non-finite vertex positions")
        return q
    gaps = seam_gaps(pattern, draped)
    if len(gaps):
        q.seam_gap_max_cm, q.seam_gap_mean_cm = float(gaps.max()), float(gaps.mean())
    else:
        report = check_stitches(pattern, draped)
        q.seam_gap_max_cm = report.max_gap_cm
    if q.seam_gap_max_cm is not None and q.seam_gap_max_cm > thresholds.max_seam_gap_cm:
        q.reasons.append(f"seam gap {q.seam_gap_max_cm:.2f} cm")
    q.inside_body = int(np.count_nonzero(inside_mask))
    if q.inside_body > thresholds.max_inside_fraction * len(v):
        q.reasons.append(f"{q.inside_body} vertices inside the body")
    if check_self_intersections:
        # on the welded mesh: the two sides of a seam may cross each other's first triangles
        # while the seam is still a few mm open, which is not cloth passing through cloth
        welded_v, welded_f, index = draped.welded()
        crossing, _ = crossing_edges(welded_v, welded_f)
        at_seam = np.zeros(len(crossing), bool)
        seam_vertices = np.bincount(index, minlength=len(welded_v)) > 1
        if len(crossing) and seam_vertices.any():
            mid = welded_v[crossing].mean(axis=1)
            dist, _ = cKDTree(welded_v[seam_vertices]).query(mid)
            at_seam = dist < SEAM_ZONE_EDGES * draped.mean_edge_length()
        q.self_intersections = int(np.count_nonzero(~at_seam))
        q.self_intersections_at_seams = int(np.count_nonzero(at_seam))
        n_edges = 1.5 * len(draped.faces)
        if q.self_intersections > thresholds.max_self_intersection_fraction * n_edges:
            q.reasons.append(f"{q.self_intersections} self-intersecting edges")
    if history is not None and len(history):
        q.final_speed_cm = float(np.mean(history[-3:]))
        if q.final_speed_cm > thresholds.max_final_speed_cm:
            q.reasons.append(f"not settled ({q.final_speed_cm:.3f} cm/frame)")
    if placed is not None:
        q.drop_cm = garment_drop(placed, v)
        if q.drop_cm > thresholds.max_drop_cm:
            q.reasons.append(f"slid down {q.drop_cm:.0f} cm")
    extent = float(np.ptp(v, axis=0).max())
    if extent > thresholds.max_extent_cm:
        q.reasons.append(f"extent {extent:.0f} cm")
    q.ok = not q.reasons
    return q
