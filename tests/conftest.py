"""Shared fixtures: real bpy with user resources in a temp dir, the extension, example files."""

from __future__ import annotations

import os
import sys
import tempfile

import pytest
from paths import ROOT

# Blender must not touch the user's own config: point it at a temp dir before bpy is imported.
os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="garment_bl_user_"))
sys.path.insert(0, str(ROOT / "scripts"))


@pytest.fixture(scope="session")
def ext():
    """The checkout registered as the ``garment_refiner`` extension in the bpy module."""
    from _bootstrap import load_extension

    return load_extension()


@pytest.fixture
def scene(ext):
    """An empty scene (factory homefile without objects) with the extension registered."""
    import bpy

    bpy.ops.wm.read_homefile(use_empty=True)
    return bpy.context.scene
