"""Upsampling a base mesh to the model's edge length: detail needs vertices.

- With a pattern (panel ids + pattern uv): re-tessellate the pattern at the target edge
  (``build_box_mesh``) and place the new vertices on the base surface through (panel, uv);
  the result keeps charts, pattern uv and seam pairs.
- With UV islands only: split every triangle in four (trimesh's ``subdivide``, all faces at
  once: no T-junctions) until the median edge reaches the target, on the corner mesh, so new
  vertices lie on the base's triangles and carry interpolated UVs; corners that land on the
  same point (a UV seam's two sides) become one vertex again.
"""

from __future__ import annotations

import numpy as np
import trimesh

from ..boxmesh import build_box_mesh
from ..correspondence import upsample_drape
from ..garment_mesh import GarmentMesh
from ..pattern import Pattern

UPSAMPLE_FACTOR = 1.3
"""Upsample when the base's median edge exceeds the target edge by this factor."""

BOX_MEDIAN_RATIO = 0.80
"""Median edge of ``build_box_mesh(pattern, e)`` over ``e`` (drapes_v2: 1.20-1.21 cm at e = 1.5):
the mesher's triangles come out smaller than the requested edge."""


def median_edge(vertices: np.ndarray, faces: np.ndarray) -> float:
    v = np.asarray(vertices)
    return float(np.median(np.linalg.norm(v[faces] - v[np.roll(faces, 1, axis=1)], axis=2)))


def needs_upsampling(vertices: np.ndarray, faces: np.ndarray, target_edge: float) -> bool:
    return median_edge(vertices, faces) > UPSAMPLE_FACTOR * target_edge


def upsample_with_pattern(
    base: GarmentMesh, pattern: Pattern, target_edge: float, box_edge: float | None = None
) -> GarmentMesh:
    """The pattern's box mesh with a median edge of about ``target_edge`` (or built at exactly
    ``box_edge``, the training data's own setting), its vertices on the base surface."""
    fine_box = build_box_mesh(pattern, box_edge or target_edge / BOX_MEDIAN_RATIO)
    return fine_box.with_vertices(upsample_drape(base, fine_box, close_seams=False))


def upsample_uv_mesh(
    vertices: np.ndarray, faces: np.ndarray, uv: np.ndarray, uv_faces: np.ndarray, target_edge: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Subdivide until the median edge is at most ``target_edge``: (vertices, faces, uv, uv_faces)."""
    faces = np.asarray(faces, np.int64)
    uv_faces = np.asarray(uv_faces, np.int64)
    key = faces.ravel() * len(uv) + uv_faces.ravel()
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    corner_v = faces.ravel()[first]
    corner_t = uv_faces.ravel()[first]
    tiny = 1e-7  # UVs ride along as extra coordinates without changing edge lengths
    points = np.c_[np.asarray(vertices, np.float64)[corner_v], np.asarray(uv, np.float64)[corner_t] * tiny]
    new_points, new_faces = points, inverse.reshape(-1, 3)
    levels = int(np.ceil(np.log2(max(median_edge(vertices, faces) / target_edge, 1.0))))
    for _ in range(levels):
        new_points, new_faces = trimesh.remesh.subdivide(new_points, new_faces)
    pos, pos_index = np.unique(new_points[:, :3], axis=0, return_inverse=True)
    uv_out, uv_index = np.unique(new_points[:, 3:] / tiny, axis=0, return_inverse=True)
    return pos, pos_index.reshape(-1)[new_faces], uv_out, uv_index.reshape(-1)[new_faces]


DEFACET_ITERATIONS = 10
"""Taubin rounds that take the facets of a linearly upsampled coarse drape away (~4 cm at
1.2 cm edges) while keeping its shape (a tenth of a cm on average)."""


def defacet(vertices: np.ndarray, charts, iterations: int = DEFACET_ITERATIONS) -> np.ndarray:
    """Taubin-smooth an upsampled base on the seam-welded mesh of its charts: the coarse
    triangles' creases go, the drape stays (seams closed as a side effect)."""
    from ..drape_metrics import taubin_smooth

    v = np.asarray(vertices, np.float64)
    g = charts.group
    welded = np.zeros((charts.n_groups, 3))
    np.add.at(welded, g, v[charts.vertex])
    welded /= np.bincount(g, minlength=charts.n_groups)[:, None]
    wf = g[charts.faces]
    keep = (wf[:, 0] != wf[:, 1]) & (wf[:, 1] != wf[:, 2]) & (wf[:, 0] != wf[:, 2])
    smooth = taubin_smooth(welded, wf[keep], iterations)
    return charts.to_vertices(smooth[g], len(v), fallback=v)
