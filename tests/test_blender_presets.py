"""Quality and material presets through Blender's preset system (real bpy): the bundled ones
listed and applied, a user preset saved, reloaded and removed."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

import pytest

bpy = pytest.importorskip("bpy")


@pytest.fixture
def presets(ext):
    return import_module(f"{ext.__name__}.operators.presets")


def test_the_bundled_presets_are_listed_and_apply(presets, scene):
    quality = presets.preset_files("quality")
    assert {"Draft", "Standard", "High"} <= set(quality)
    assert {"Soft", "Medium", "Stiff"} <= set(presets.preset_files("material"))
    g = scene.garment
    bpy.ops.script.execute_preset(filepath=str(quality["Draft"]), menu_idname="GARMENT_MT_quality_presets")
    assert (g.refine_steps, g.refine_edge_length) == (2, pytest.approx(2.0))
    bpy.ops.script.execute_preset(
        filepath=str(presets.preset_files("material")["Stiff"]), menu_idname="GARMENT_MT_material_presets"
    )
    assert g.refine_material == "stiff"


def test_a_user_preset_round_trips_and_is_removed(presets, scene):
    g = scene.garment
    g.refine_steps, g.refine_edge_length = 7, 1.35
    assert bpy.ops.garment.quality_preset_add(name="My Close-ups") == {"FINISHED"}
    files = presets.preset_files("quality")
    path = files["My_Close-ups"] if "My_Close-ups" in files else files["My Close-ups"]
    assert Path(bpy.utils.user_resource("SCRIPTS")) in path.parents  # Blender's user presets folder
    g.refine_steps, g.refine_edge_length = 1, 4.0
    bpy.ops.script.execute_preset(filepath=str(path), menu_idname="GARMENT_MT_quality_presets")
    assert (g.refine_steps, g.refine_edge_length) == (7, pytest.approx(1.35))
    assert "refine_material" not in path.read_text()  # a quality preset holds only its settings
    bpy.ops.garment.quality_preset_add(name=path.stem, remove_name=True)
    assert not path.exists()
