"""Inspection maps in the real bpy: chart id, wrinkle offset, strain and the error against a
reference drape as point colour attributes, with the readout the panel shows."""

from __future__ import annotations

import numpy as np
import pytest
from bpy_helpers import key_delta

bpy = pytest.importorskip("bpy")
pytest.importorskip("onnxruntime")


def test_the_four_maps_colour_the_garment_with_their_ranges(garment_obj, scene):
    make, scene_io = garment_obj
    obj = make("fine")
    assert bpy.ops.garment.refine() == {"FINISHED"}
    g = scene.garment
    bpy.ops.garment.show_inspection(map="chart")
    n_panels = len(scene_io.object_pattern(obj).panels)
    assert g.inspect_readout == f"{n_panels} charts" and "inspect_chart" in obj.data.color_attributes
    assert obj.data.color_attributes.active_color.name == "inspect_chart"

    bpy.ops.garment.show_inspection(map="residual")
    offsets_mm = 1000.0 * np.linalg.norm(key_delta(obj), axis=1)  # Blender metres -> mm
    assert g.inspect_max == pytest.approx(offsets_mm.max(), rel=1e-3) and g.inspect_min >= 0
    colours = np.empty(len(obj.data.vertices) * 4, np.float32)
    obj.data.color_attributes["inspect_residual"].data.foreach_get("color", colours)
    assert len(np.unique(colours.reshape(-1, 4)[:, :3], axis=0)) > 10  # a ramp, not one colour

    bpy.ops.garment.show_inspection(map="strain")
    assert g.inspect_min < 0 < g.inspect_max  # a drape stretches and compresses its cloth
    assert "inspect_strain" in obj.data.color_attributes

    with pytest.raises(RuntimeError, match="reference"):
        bpy.ops.garment.show_inspection(map="error")
    # the base without its wrinkles as the reference: the error is the wrinkle offset at its strength
    ref = obj.copy()
    ref.data = obj.data.copy()
    scene.collection.objects.link(ref)
    for k in scene_io.wrinkles_keys(ref):
        k.value = 0.0
    g.inspect_reference = ref
    scene_io.current_wrinkles_key(obj).value = 0.5
    bpy.ops.garment.show_inspection(map="error")
    assert g.inspect_max == pytest.approx(0.5 * offsets_mm.max(), rel=1e-3)
