"""A Nuvo fit as the refiner's :class:`~core.refiner.charts.Charts` (source ``"nuvo"``).

- Each face goes to the chart with the largest summed probability over its three vertices,
  so no face interpolates across charts.
- Chart points are the distinct (vertex, chart) pairs of the face corners: a vertex where faces
  of k charts meet is duplicated k times, and its copies share one group (as
  :func:`~core.refiner.charts.charts_from_uv_islands` does for UV seams); stitched vertex pairs
  of a box mesh, when given, join their groups too.
- A point's UV is its chart's 3D->UV map at the vertex, scaled to cm of surface by the ratio of
  the chart's summed 3D edge lengths (cm) to its summed UV edge lengths, and shifted so each
  chart starts at its own origin. The rest shape is not known (the fit sees the draped mesh).
- Charts that own no face are dropped; the others are renumbered in order (names keep the
  fitted chart index, or the panel id of a seeded fit).
"""

from __future__ import annotations

import numpy as np

from ..errors import MeshError
from ..refiner.charts import Charts, _edge_lengths, _groups
from .fit import NuvoFit


def face_charts(vertex_probs: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(F,) chart of each face: argmax of the summed probabilities (V, C) of its corners."""
    return vertex_probs[np.asarray(faces, np.int64)].sum(axis=1).argmax(axis=1)


def charts_from_nuvo(
    fit: NuvoFit,
    vertices: np.ndarray,
    faces: np.ndarray,
    cm_per_unit: float = 1.0,
    seam_pairs: np.ndarray | None = None,
    names: list[str] | None = None,
    source: str = "<mesh>",
) -> Charts:
    """Charts of a mesh (the one fitted; ``vertices`` in units of ``cm_per_unit`` cm) from a
    Nuvo fit. ``names`` (one per fitted chart) default to ``nuvo_k`` or ``panel_<id>``."""
    vertices = np.asarray(vertices, np.float64).reshape(-1, 3) * cm_per_unit
    faces = np.asarray(faces, np.int64).reshape(-1, 3)
    if len(vertices) != len(fit.vertex_probs):
        raise MeshError(f"the fit has {len(fit.vertex_probs)} vertices, the mesh {len(vertices)}", source)
    n_fitted = fit.n_charts
    if names is None:
        if fit.panel_values is not None:
            names = [f"panel_{p}" for p in fit.panel_values.tolist()]
        else:
            names = [f"nuvo_{c}" for c in range(n_fitted)]
    fitted_chart = face_charts(fit.vertex_probs, faces)
    used, face_chart = np.unique(fitted_chart, return_inverse=True)
    n_charts = len(used)
    # chart points: distinct (vertex, chart) corners
    corner_chart = np.repeat(face_chart, 3)
    key = faces.ravel() * n_charts + corner_chart
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    vertex = faces.ravel()[first]
    point_chart = corner_chart[first].astype(np.int32)
    point_faces = inverse.reshape(-1, 3).astype(np.int64)
    unit_uv = fit.vertex_uv[used[point_chart], vertex]  # (P, 2) in [0, 1]
    # cm per UV unit per chart: summed 3D edge lengths over summed UV edge lengths
    len3 = _edge_lengths(vertices, faces)
    len2 = _edge_lengths(unit_uv, point_faces)
    scale = np.zeros(n_charts)
    for c in range(n_charts):
        s2 = len2[face_chart == c].sum()
        if s2 <= 1e-12:
            raise MeshError(f"Nuvo chart {int(used[c])} maps its faces to a point", source=source)
        scale[c] = len3[face_chart == c].sum() / s2
    uv = unit_uv * scale[point_chart][:, None]
    for c in range(n_charts):
        m = point_chart == c
        uv[m] -= uv[m].min(axis=0)
    pairs = np.zeros((0, 2), np.int64) if seam_pairs is None else np.asarray(seam_pairs, np.int64)
    return Charts(
        vertex=vertex.astype(np.int64),
        chart=point_chart,
        uv=uv,
        faces=point_faces,
        group=_groups(len(vertex), vertex, pairs),
        names=[names[int(c)] for c in used],
        source="nuvo",
        rest_known=False,
        cm_per_uv=scale,
    )
