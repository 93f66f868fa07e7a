"""Fast unique integer pairs (mesh edges, seam pairs): ``np.unique(..., axis=0)`` sorts rows as
structured records, ~10x slower than sorting one int64 key per row, which gives the same
rows in the same (lexicographic) order."""

from __future__ import annotations

import numpy as np


def unique_pairs(pairs: np.ndarray, return_counts: bool = False):
    """Unique rows of a (N, 2) array of non-negative ints, sorted; optionally their counts."""
    p = np.asarray(pairs, np.int64).reshape(-1, 2)
    if len(p) == 0:
        empty = np.zeros((0, 2), np.int64)
        return (empty, np.zeros(0, np.int64)) if return_counts else empty
    base = int(p[:, 1].max()) + 1
    keys, counts = np.unique(p[:, 0] * base + p[:, 1], return_counts=True)
    out = np.stack([keys // base, keys % base], axis=1)
    return (out, counts) if return_counts else out


def mesh_edges(faces: np.ndarray, return_counts: bool = False):
    """The undirected edges of a triangle mesh as sorted (i < j) unique pairs; with counts, an
    edge used by one face is a boundary edge."""
    f = np.asarray(faces, np.int64)
    e = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    return unique_pairs(e, return_counts)
