"""Coordinate frames: pattern space (cm, +Y up, body faces +Z) and Blender (m, +Z up)."""

from __future__ import annotations

import numpy as np

CM_PER_M = 100.0


def pattern_to_blender(points: np.ndarray) -> np.ndarray:
    """(N, 3) pattern-space cm -> Blender metres: (x, y, z) -> (x, -z, y) / 100."""
    p = np.asarray(points, np.float64)
    return np.stack([p[:, 0], -p[:, 2], p[:, 1]], axis=1) / CM_PER_M


def blender_to_pattern(points: np.ndarray) -> np.ndarray:
    """Inverse of :func:`pattern_to_blender`."""
    p = np.asarray(points, np.float64) * CM_PER_M
    return np.stack([p[:, 0], p[:, 2], -p[:, 1]], axis=1)
