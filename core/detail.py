"""Surface detail measures of drapes: normal dispersion at a radius, and sharp creases.

- **Detail at radius r** (normal dispersion): points sampled uniformly by area at a fixed
  density (:data:`SAMPLES_PER_CM2`), each with the barycentric interpolation of its
  triangle's vertex normals (area-weighted, normalised); ``detail(r)`` is the mean over random
  centres of ``1 - |mean of the unit normals within distance r|``. A flat sheet gives 0, a
  sphere of radius R gives r^2 / (4 R^2) (the mean normal of a spherical cap is
  ``(1 + cos θ) / 2`` along its axis), and a surface folded at wavelength λ gains most
  of its detail between r ≈ λ/4 and r ≈ λ/2. A fixed density, not a fixed count, keeps the
  number independent of the garment's size. The ratio ``detail(0.5) / detail(1)`` tells how
  much of the detail lives at the mesh scale: crumpling scores high, folds that span several
  edges low.
- **Sharp creases**: the share of interior mesh edges whose dihedral angle (between the two
  face normals) exceeds :data:`CREASE_DEG`.

Garment meshes should be measured seam-welded (``GarmentMesh.welded``), so that vertex
normals and dihedral angles run across the seams as on the sewn garment.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import trimesh
from scipy.spatial import cKDTree

SAMPLES_PER_CM2 = 40.0
MIN_SAMPLES = 20_000
CENTRES = 20_000
RADII_CM = (0.5, 1.0, 2.0, 4.0)
CREASE_DEG = 60.0
MIN_NEIGHBOURS = 3
_CHUNK_PAIRS = 4_000_000  # neighbour pairs per query (bounds the pair lists held at once)
MAX_PAIRS = 60_000_000  # in all: a garment at 40 samples/cm^2 needs ~40M at 4 cm; a tiny
# surface, where every sample neighbours every other, gets fewer centres instead of minutes


def sample_normals(
    vertices: np.ndarray,
    faces: np.ndarray,
    density: float = SAMPLES_PER_CM2,
    min_samples: int = MIN_SAMPLES,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform by area (``density`` per unit area, at least ``min_samples``) with the
    unit barycentric interpolation of their triangle's vertex normals: (points, normals)."""
    rng = np.random.default_rng(0) if rng is None else rng
    v = np.asarray(vertices, np.float64)
    f = np.asarray(faces, np.int64)
    mesh = trimesh.Trimesh(v, f, process=False)
    area = mesh.area_faces
    total = float(area.sum())
    if not total > 0:
        raise ValueError("the mesh has no area")
    n = max(round(density * total), int(min_samples))
    face = rng.choice(len(f), size=n, p=area / total)
    # uniform barycentric coordinates (reflect the unit square onto the triangle)
    a, b = rng.random(n), rng.random(n)
    flip = a + b > 1
    a[flip], b[flip] = 1 - a[flip], 1 - b[flip]
    w = np.stack([1 - a - b, a, b], axis=1)
    corners = f[face]
    points = (v[corners] * w[..., None]).sum(axis=1)
    normals = (mesh.vertex_normals[corners] * w[..., None]).sum(axis=1)
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.divide(normals, length, out=np.zeros_like(normals), where=length > 1e-12)
    return points, normals


def expected_neighbours(tree: cKDTree, radius: float, probes: int = 256) -> float:
    """Mean number of the tree's points within ``radius`` of one of them, from a few probes (>= 1)."""
    rng = np.random.default_rng(7)
    probe = tree.data[rng.choice(tree.n, size=min(probes, tree.n), replace=False)]
    counts = tree.query_ball_point(probe, radius, return_length=True)
    return max(1.0, float(np.mean(counts)))


def query_plan(tree: cKDTree, radius: float, centres: int) -> tuple[int, int]:
    """(centres, centres per query) keeping the pairs within ``radius`` under
    :data:`MAX_PAIRS` in all and :data:`_CHUNK_PAIRS` per query."""
    per_centre = expected_neighbours(tree, radius)
    return max(1, min(centres, int(MAX_PAIRS / per_centre))), max(1, int(_CHUNK_PAIRS / per_centre))


def normal_dispersion(
    points: np.ndarray,
    normals: np.ndarray,
    radii: Sequence[float] = RADII_CM,
    centres: int = CENTRES,
    rng: np.random.Generator | None = None,
) -> dict[float, float]:
    """``{r: mean over centres of 1 - |mean unit normal within r|}`` for sampled points
    (centres with fewer than :data:`MIN_NEIGHBOURS` samples in the ball are skipped).

    One neighbour query at the largest radius serves every radius (pairs within r are a
    subset); centres go in chunks so the pair lists stay small.
    """
    rng = np.random.default_rng(1) if rng is None else rng
    radii = [float(r) for r in radii]
    tree = cKDTree(points)
    centres, chunk = query_plan(tree, max(radii), centres)
    pick = rng.choice(len(points), size=min(centres, len(points)), replace=False)
    values: dict[float, list[np.ndarray]] = {r: [] for r in radii}
    for start in range(0, len(pick), chunk):
        idx = pick[start : start + chunk]
        pairs = cKDTree(points[idx]).sparse_distance_matrix(tree, max(radii), output_type="ndarray")
        for r in radii:
            near = pairs["v"] <= r
            i, j = pairs["i"][near], pairs["j"][near]
            counts = np.bincount(i, minlength=len(idx))
            sums = np.stack([np.bincount(i, normals[j, c], len(idx)) for c in range(3)], axis=1)
            mean = np.linalg.norm(sums, axis=1) / np.maximum(counts, 1)
            values[r].append((1.0 - mean)[counts >= MIN_NEIGHBOURS])
    out = {}
    for r in radii:
        v = np.concatenate(values[r])
        out[r] = float(v.mean()) if len(v) else float("nan")
    return out


def detail_at_radii(
    vertices: np.ndarray,
    faces: np.ndarray,
    radii: Sequence[float] = RADII_CM,
    seed: int = 0,
) -> dict[float, float]:
    """Detail (normal dispersion) of a triangle mesh in cm at each radius (cm)."""
    rng = np.random.default_rng(seed)
    points, normals = sample_normals(vertices, faces, rng=rng)
    return normal_dispersion(points, normals, radii, rng=rng)


def sharp_crease_share(vertices: np.ndarray, faces: np.ndarray, threshold_deg: float = CREASE_DEG) -> float:
    """Share of interior edges whose dihedral angle exceeds ``threshold_deg``."""
    mesh = trimesh.Trimesh(np.asarray(vertices, np.float64), np.asarray(faces, np.int64), process=False)
    angles = mesh.face_adjacency_angles
    if len(angles) == 0:
        return 0.0
    return float(np.count_nonzero(angles > np.radians(threshold_deg)) / len(angles))


def dihedral_angles(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Interior edges as (E, 2) face index pairs and their dihedral angles in degrees
    (0: flat, 180: folded flat back)."""
    mesh = trimesh.Trimesh(np.asarray(vertices, np.float64), np.asarray(faces, np.int64), process=False)
    return mesh.face_adjacency, np.degrees(mesh.face_adjacency_angles)


def seam_dihedrals(
    vertices: np.ndarray, faces: np.ndarray, face_panel: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Dihedral angles (deg) across the seams of a welded garment (interior edges between
    faces of different panels) and across all other interior edges."""
    pairs, angles = dihedral_angles(vertices, faces)
    panel = np.asarray(face_panel)
    seam = panel[pairs[:, 0]] != panel[pairs[:, 1]]
    return angles[seam], angles[~seam]


def surface_detail(vertices: np.ndarray, faces: np.ndarray, seed: int = 0) -> dict:
    """The measures of one surface as stored in a sample's meta: ``detail`` at
    :data:`RADII_CM` (keys ``"0.5"``, ``"1"``, ...), ``ratio`` (r0.5 / r1) and
    ``sharp_creases`` (share of edges above :data:`CREASE_DEG`)."""
    d = detail_at_radii(vertices, faces, RADII_CM, seed)
    return {
        "detail": {f"{r:g}": v for r, v in d.items()},
        "ratio": d[0.5] / d[1.0] if d[1.0] > 0 else float("nan"),
        "sharp_creases": sharp_crease_share(vertices, faces),
    }
