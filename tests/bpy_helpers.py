"""Small helpers of the bpy tests (import bpy only when called)."""

from __future__ import annotations

import numpy as np


def key_delta(obj, name: str = "Wrinkles") -> np.ndarray:
    """A shape key's offsets from Basis (Blender units)."""
    keys = obj.data.shape_keys.key_blocks
    n = len(obj.data.vertices)
    basis, wr = np.empty(n * 3, np.float32), np.empty(n * 3, np.float32)
    keys["Basis"].data.foreach_get("co", basis)
    keys[name].data.foreach_get("co", wr)
    return (wr - basis).reshape(-1, 3)
