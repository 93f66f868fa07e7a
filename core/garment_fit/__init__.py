"""Per-garment fitting of the residual field (fine drape minus a smoother base, cm) keyed by
chart coordinates (chart, u, v). Training side only (numpy + torch); nothing here imports bpy.

Layout: ``residual`` (a garment's residual at its fine vertices, its keys, area-uniform surface
samples, the fixed held-out set, texel occupancy), ``stores`` (the compared stores: deep MLP,
hash grid + tiny MLP, dense UV grid, per-vertex values), ``fit_store`` (Adam on surface batches
under a wall-time or iteration budget, held-out error curve), ``hash_schedule`` (the hash table's
shrink schedule of the per-garment fit).
"""

from .fit_store import CurvePoint, FitResult, evaluate, fit_store, zero_error
from .residual import BASE_KEYS, GarmentResidual, SurfaceSamples, garment_residual
from .stores import (
    STORE_KINDS,
    DeepMLP,
    DenseGridStore,
    HashStore,
    PerVertexStore,
    Store,
    build_store,
    hash_t_full,
)

__all__ = [
    "BASE_KEYS",
    "STORE_KINDS",
    "CurvePoint",
    "DeepMLP",
    "DenseGridStore",
    "FitResult",
    "GarmentResidual",
    "HashStore",
    "PerVertexStore",
    "Store",
    "SurfaceSamples",
    "build_store",
    "evaluate",
    "fit_store",
    "garment_residual",
    "hash_t_full",
    "zero_error",
]
