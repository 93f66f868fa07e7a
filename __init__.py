"""Garment Refiner: sewing patterns, box meshes and stitch checks in Blender's N-panel.

Register and unregister only; the logic lives in ``core`` (no bpy), the Blender side in
``operators`` (thin) and ``panels`` (UI).
"""

from __future__ import annotations


def _modules():
    from . import operators, panels

    return (operators, panels)


def register() -> None:
    for module in _modules():
        module.register()


def unregister() -> None:
    for module in reversed(_modules()):
        module.unregister()
