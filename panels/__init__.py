"""User interface: the Garment tab of the 3D viewport's sidebar."""

from __future__ import annotations

import bpy

from .garment_panel import CLASSES


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)


def unregister() -> None:
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
