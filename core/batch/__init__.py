"""Batches of procedural garment assets (no bpy): the plan (designs x seeds, sharded) and the
manifest (one atomically written entry per variant, assembled into ``manifest.json``). The
Blender side of a variant lives in ``scripts/batch_worker.py``; ``scripts/batch.py`` runs them,
in this process or as Ray tasks."""

from __future__ import annotations

from .manifest import Manifest, write_text_atomic
from .plan import BatchPlan, DesignSpec, VariantSpec, parse_ranges, parse_shard, plan_batch

__all__ = [
    "BatchPlan",
    "DesignSpec",
    "Manifest",
    "VariantSpec",
    "parse_ranges",
    "parse_shard",
    "plan_batch",
    "write_text_atomic",
]
