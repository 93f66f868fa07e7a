"""Unique pairs and mesh edges equal numpy's row-wise unique."""

from __future__ import annotations

import numpy as np

from core.edges import mesh_edges, unique_pairs


def test_unique_pairs_match_numpy_rows_and_counts():
    p = np.random.default_rng(0).integers(0, 50, (2000, 2))
    want, want_counts = np.unique(p, axis=0, return_counts=True)
    got, counts = unique_pairs(p, return_counts=True)
    assert np.array_equal(got, want) and np.array_equal(counts, want_counts)
    assert unique_pairs(np.zeros((0, 2))).shape == (0, 2)


def test_mesh_edges_of_two_triangles():
    edges, counts = mesh_edges(np.array([[0, 1, 2], [2, 1, 3]]), return_counts=True)
    assert edges.tolist() == [[0, 1], [0, 2], [1, 2], [1, 3], [2, 3]]
    assert counts.tolist() == [1, 1, 2, 1, 1]  # the shared edge is interior
