"""Blender operators and the scene settings they use."""

from __future__ import annotations

import bpy

from . import (
    bake_ops,
    drape_ops,
    garment_ops,
    gpu_ops,
    inspect_ops,
    preferences,
    presets,
    properties,
    refine_ops,
    teaser_ops,
)

CLASSES = (
    *preferences.CLASSES,
    *properties.CLASSES,
    *presets.CLASSES,
    *garment_ops.CLASSES,
    *drape_ops.CLASSES,
    *refine_ops.CLASSES,
    *teaser_ops.CLASSES,
    *inspect_ops.CLASSES,
    *bake_ops.CLASSES,
    *gpu_ops.CLASSES,
)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    properties.register()
    gpu_ops.add_deps_to_path()


def unregister() -> None:
    properties.unregister()
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
