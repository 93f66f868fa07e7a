"""Charts, the refiner's index: per point of the cloth, a chart id and (u, v) in cm of rest cloth.

A chart is a flat 2D domain where the residual field lives as an image (a sewing panel, a UV
island, or later a fitted Nuvo chart). The mesh's vertices map onto *chart points*: one per
vertex and chart it lies in. A vertex on a seam between two UV islands has one point in
each; a box-mesh vertex (panels kept apart, stitched by ``seam_pairs``) has exactly one. Points
that must move together (the same mesh vertex, or stitched vertices) share a *group*;
offsets are averaged over the group, so seams share offsets and welded seams stay welded.

Sources, in the order the refiner tries them:

- :func:`charts_from_panels`: per-vertex panel ids + pattern coordinates (meshes the project
  makes, and Blender cloth sims of them): the rest shape is known, so strain is meaningful.
- :func:`charts_from_uv_islands`: the mesh's own UVs, each island a chart, scaled to cm by
  fitting 3D against UV edge lengths (GarmentCode's OBJ: 8 islands at 120 cm per UV unit;
  Marvelous Designer / CLO exports, any UV-unwrapped garment). The rest shape is only
  approximate (the fit absorbs the drape's mean stretch).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..errors import MeshError

UNIFORM_SCALE_SPREAD = 0.15
"""Islands whose fitted cm-per-UV-unit all lie within this share of their median are taken
to share one exporter scale (GarmentCode, CLO), which is closer to the rest shape than a
per-island fit that absorbs each panel's own stretch."""


@dataclass
class Charts:
    """Chart points of a mesh: which vertex, which chart, where in the chart (cm)."""

    vertex: np.ndarray  # (P,) int64 mesh vertex of each chart point
    chart: np.ndarray  # (P,) int32 chart id of each point
    uv: np.ndarray  # (P, 2) float64 chart coordinates, cm of rest cloth
    faces: np.ndarray  # (F, 3) int64 the mesh's faces as chart-point indices
    group: np.ndarray  # (P,) int64 points that move together share a group id (0..G-1)
    names: list[str]  # chart names
    source: str  # "pattern" | "uv_islands" | "nuvo"
    rest_known: bool  # True when uv is the cloth's true rest shape (strain is meaningful)
    cm_per_uv: np.ndarray | None = None  # (C,) the fitted scale of each UV island

    @property
    def n_points(self) -> int:
        return len(self.vertex)

    @property
    def n_charts(self) -> int:
        return len(self.names)

    @property
    def n_groups(self) -> int:
        return int(self.group.max()) + 1 if len(self.group) else 0

    def average_over_groups(self, values: np.ndarray) -> np.ndarray:
        """Per-point values averaged within each group (seams share offsets)."""
        values = np.asarray(values, np.float64)
        flat = values.reshape(len(values), -1)
        sums = group_sums(self.group, flat, self.n_groups)
        counts = np.bincount(self.group, minlength=self.n_groups)[:, None]
        return (sums / counts)[self.group].reshape(values.shape)

    def close_seams(self, vertices: np.ndarray) -> np.ndarray:
        """(V, 3) positions with every seam group moved to its centroid (a welded mesh is
        unchanged; a sim whose seams gape a little is closed)."""
        v = np.asarray(vertices, np.float64)
        return self.to_vertices(self.average_over_groups(v[self.vertex]), len(v), fallback=v)

    def to_vertices(
        self, values: np.ndarray, n_vertices: int, fallback: np.ndarray | None = None
    ) -> np.ndarray:
        """Per-point values as per-vertex values (the mean over a vertex's points). A vertex no
        face uses (exports keep loose ones) has no point: it takes its ``fallback`` row, or 0
        (an offset that leaves it where it is)."""
        values = np.asarray(values, np.float64)
        flat = values.reshape(len(values), -1)
        sums = np.zeros((n_vertices, flat.shape[1]))
        np.add.at(sums, self.vertex, flat)
        counts = np.bincount(self.vertex, minlength=n_vertices)[:, None]
        out = sums / np.maximum(counts, 1)
        loose = counts[:, 0] == 0
        if loose.any() and fallback is not None:
            out[loose] = np.asarray(fallback, np.float64).reshape(n_vertices, -1)[loose]
        return out.reshape((n_vertices, *values.shape[1:]))


def group_sums(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """(n, C) sums of the rows of (N, C) ``values`` by ``index`` (np.add.at, ~10x faster)."""
    return np.stack([np.bincount(index, values[:, c], minlength=n) for c in range(values.shape[1])], axis=1)


def _groups(n_points: int, vertex: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Connected components of 'same mesh vertex' and the stitched vertex pairs -> group ids
    (numbered by their first point)."""
    vertex = np.asarray(vertex, np.int64)
    uniq, first_point = np.unique(vertex, return_index=True)
    first_of = np.full(int(vertex.max()) + 1 if len(vertex) else 0, -1, np.int64)
    first_of[uniq] = first_point  # the first point of every mesh vertex
    links = [np.stack([np.arange(n_points), first_of[vertex]], axis=1)]
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    if len(pairs):
        links.append(first_of[pairs])
    e = np.concatenate(links)
    graph = sp.coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n_points, n_points))
    _, labels = connected_components(graph, directed=False)
    # renumber by first appearance so that ids follow the points' order
    _, first = np.unique(labels, return_index=True)
    rank = np.empty(len(first), np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    return rank[labels]


def charts_from_panels(
    panel_ids: np.ndarray,
    uv_cm: np.ndarray,
    faces: np.ndarray,
    panel_names: list[str],
    seam_pairs: np.ndarray | None = None,
) -> Charts:
    """Charts from per-vertex panel ids and pattern coordinates: one point per vertex."""
    panel_ids = np.asarray(panel_ids, np.int32).reshape(-1)
    n = len(panel_ids)
    faces = np.asarray(faces, np.int64).reshape(-1, 3)
    vertex = np.arange(n, dtype=np.int64)
    pairs = np.zeros((0, 2), np.int64) if seam_pairs is None else seam_pairs
    return Charts(
        vertex=vertex,
        chart=panel_ids,
        uv=np.asarray(uv_cm, np.float64).reshape(n, 2),
        faces=faces,
        group=_groups(n, vertex, pairs),
        names=list(panel_names),
        source="pattern",
        rest_known=True,
    )


def uv_islands(uv_faces: np.ndarray, n_uv: int) -> np.ndarray:
    """Island id per UV face: faces joined through shared UV edges."""
    uv_faces = np.asarray(uv_faces, np.int64)
    edges = np.concatenate([uv_faces[:, [0, 1]], uv_faces[:, [1, 2]], uv_faces[:, [2, 0]]])
    edges.sort(axis=1)
    face_of = np.tile(np.arange(len(uv_faces)), 3)
    key = edges[:, 0] * n_uv + edges[:, 1]
    order = np.argsort(key, kind="stable")
    same = key[order][1:] == key[order][:-1]
    a, b = face_of[order][:-1][same], face_of[order][1:][same]
    n = len(uv_faces)
    graph = sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _edge_lengths(points: np.ndarray, faces: np.ndarray) -> np.ndarray:
    return np.linalg.norm(points[faces] - points[np.roll(faces, 1, axis=1)], axis=2)


def charts_from_uv_islands(
    vertices: np.ndarray,
    faces: np.ndarray,
    uv: np.ndarray,
    uv_faces: np.ndarray | None = None,
    names: list[str] | None = None,
    source: str = "<mesh>",
) -> Charts:
    """Charts from a mesh's UV islands (OBJ-style: ``uv_faces`` index ``uv`` per corner; without
    it ``uv`` is per vertex). Each island becomes a chart scaled to cm by the ratio of 3D to UV
    edge lengths; chart points are the distinct (vertex, UV) corners."""
    vertices = np.asarray(vertices, np.float64)
    faces = np.asarray(faces, np.int64).reshape(-1, 3)
    uv = np.asarray(uv, np.float64).reshape(-1, 2)
    uv_faces = faces if uv_faces is None else np.asarray(uv_faces, np.int64).reshape(-1, 3)
    if uv_faces.shape != faces.shape:
        raise MeshError("UV faces do not match the mesh faces", source=source)
    if len(uv) == 0 or uv_faces.max() >= len(uv):
        raise MeshError("mesh has no usable UV coordinates", source=source)
    island = uv_islands(uv_faces, len(uv))
    n_charts = int(island.max()) + 1
    # chart points: distinct (vertex, uv index, island) corners; a UV index that two islands
    # share only through a corner (a bow-tie) gives a point in each, welded as a seam
    corner_island = np.repeat(island, 3)
    corner_key = np.stack([faces.ravel(), uv_faces.ravel(), corner_island], axis=1)
    _, first, inverse = np.unique(corner_key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    vertex = faces.ravel()[first]
    point_uv_index = uv_faces.ravel()[first]
    point_faces = inverse.reshape(-1, 3)
    point_chart = corner_island[first].astype(np.int32)
    # metric scale per island: sum of 3D edge lengths over sum of UV edge lengths
    len3 = _edge_lengths(vertices, faces)
    len2 = _edge_lengths(uv, uv_faces)
    scale = np.zeros(n_charts)
    for c in range(n_charts):
        s2 = len2[island == c].sum()
        if s2 <= 1e-12:
            raise MeshError(f"UV island {c} has zero area", source=source)
        scale[c] = len3[island == c].sum() / s2
    median = float(np.median(scale))
    if np.all(np.abs(scale / median - 1) <= UNIFORM_SCALE_SPREAD):
        scale[:] = float(len3.sum() / len2.sum())
    chart_uv = uv[point_uv_index] * scale[point_chart][:, None]
    # each chart's coordinates start at its own origin (islands are packed in one atlas)
    for c in range(n_charts):
        m = point_chart == c
        chart_uv[m] -= chart_uv[m].min(axis=0)
    return Charts(
        vertex=vertex.astype(np.int64),
        chart=point_chart,
        uv=chart_uv,
        faces=point_faces.astype(np.int64),
        group=_groups(len(vertex), vertex, np.zeros((0, 2), np.int64)),
        names=names or [f"island_{c}" for c in range(n_charts)],
        source="uv_islands",
        rest_known=False,
        cm_per_uv=scale,
    )


def island_names_from_segmentation(charts: Charts, labels: list[str]) -> list[str]:
    """Name each island by the most common panel label of its vertices (GarmentCode's
    ``*_segmentation.txt``: one label per vertex, ``stitch_K`` on seams, which are skipped)."""
    names = []
    for c in range(charts.n_charts):
        vs = charts.vertex[charts.chart == c]
        votes = [labels[v] for v in vs.tolist() if not labels[v].startswith("stitch")]
        names.append(max(set(votes), key=votes.count) if votes else f"island_{c}")
    return names
