"""Multiresolution hash encoding (Instant-NGP / tiny-cuda-nn) over chart coordinates (chart, u, v)
in torch, and small fields built on it. Training side only (torch); nothing here imports bpy.

Layout: ``encoding`` (the hash grid, its config, collision counts, T_full, distilling resize),
``field`` (hash grid + tiny MLP, and the dense per-chart UV grid baseline).
"""

from .encoding import (
    HASH_PRIMES,
    HashEncoding,
    HashGridConfig,
    LevelCollisions,
    LevelInfo,
    hash_index,
    level_vertex_mask,
    remap_rows,
    resize,
    t_full,
)
from .field import DenseGridConfig, DenseUVGrid, HashField, MLPConfig, build_encoding

__all__ = [
    "HASH_PRIMES",
    "DenseGridConfig",
    "DenseUVGrid",
    "HashEncoding",
    "HashField",
    "HashGridConfig",
    "LevelCollisions",
    "LevelInfo",
    "MLPConfig",
    "build_encoding",
    "hash_index",
    "level_vertex_mask",
    "remap_rows",
    "resize",
    "t_full",
]
