"""The garment mesh: a triangle mesh whose vertices remember their panel and 2D pattern point."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from scipy.cluster.hierarchy import DisjointSet
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


@dataclass
class GarmentMesh:
    """Triangles in pattern space (cm, +Y up) with per-vertex panel ids and pattern coordinates.

    ``seam_pairs`` lists vertex pairs that a stitch says must end up at the same place; box
    meshes keep the panels apart, so the pairs are what the drape simulator sews together.
    """

    vertices: np.ndarray  # (V, 3) float64, cm
    faces: np.ndarray  # (F, 3) int64
    panel_ids: np.ndarray  # (V,) int32, index into panel_names
    uv: np.ndarray  # (V, 2) float64, panel-local pattern coordinates in cm
    panel_names: list[str]
    seam_pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))

    def __post_init__(self) -> None:
        self.vertices = np.asarray(self.vertices, np.float64).reshape(-1, 3)
        self.faces = np.asarray(self.faces, np.int64).reshape(-1, 3)
        self.panel_ids = np.asarray(self.panel_ids, np.int32).reshape(-1)
        self.uv = np.asarray(self.uv, np.float64).reshape(-1, 2)
        self.seam_pairs = np.asarray(self.seam_pairs, np.int64).reshape(-1, 2)

    @property
    def n_vertices(self) -> int:
        return len(self.vertices)

    def with_vertices(self, vertices: np.ndarray) -> GarmentMesh:
        """Same topology and pattern data, new positions (e.g. after a drape)."""
        vertices = np.asarray(vertices, np.float64)
        if vertices.shape != self.vertices.shape:
            raise ValueError(f"expected {self.vertices.shape} vertices, got {vertices.shape}")
        return replace(self, vertices=vertices)

    def mean_edge_length(self) -> float:
        e = self.vertices[self.faces] - self.vertices[np.roll(self.faces, 1, axis=1)]
        return float(np.linalg.norm(e, axis=2).mean())

    def seam_groups(self) -> list[np.ndarray]:
        """Vertex groups joined by seams (union-find over ``seam_pairs``), size >= 2."""
        ds = DisjointSet(range(self.n_vertices))
        for a, b in self.seam_pairs:
            ds.merge(int(a), int(b))
        return [np.array(sorted(s)) for s in ds.subsets() if len(s) > 1]

    def welded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Merge every seam group into one vertex at its centroid (:func:`weld_seams`)."""
        return weld_seams(self.vertices, self.faces, self.seam_pairs)


def weld_seams(
    vertices: np.ndarray, faces: np.ndarray, seam_pairs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge the vertex groups that ``seam_pairs`` join (connected components) into one vertex
    at their centroid; faces that collapse are dropped.

    Returns (vertices, faces, index) where ``index[v]`` is the welded vertex of input v, so
    ``welded[index]`` gives the positions back in the input order.
    """
    v = np.asarray(vertices, np.float64).reshape(-1, 3)
    pairs = np.asarray(seam_pairs, np.int64).reshape(-1, 2)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(v), len(v)))
    _, inverse = connected_components(graph, directed=False)
    counts = np.bincount(inverse)[:, None]
    sums = np.zeros((len(counts), 3))
    np.add.at(sums, inverse, v)
    f = inverse[np.asarray(faces, np.int64)]
    ok = (f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2])
    return sums / counts, f[ok], inverse
