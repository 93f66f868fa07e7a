"""Refine Garment in the real bpy: the Wrinkles shape key, re-runs, upsampling into a new
object, errors that leave the scene untouched, and undo."""

from __future__ import annotations

import numpy as np
import pytest
from bpy_helpers import key_delta

bpy = pytest.importorskip("bpy")
pytest.importorskip("onnxruntime")


def test_refine_writes_a_wrinkles_key_at_the_strength_and_replaces_it_on_rerun(garment_obj, scene):
    make, _ = garment_obj
    obj = make("fine")
    scene.garment.refine_strength = 0.7
    assert bpy.ops.garment.refine() == {"FINISHED"}
    keys = obj.data.shape_keys.key_blocks
    assert [k.name for k in keys] == ["Basis", "Wrinkles"] and keys["Wrinkles"].value == pytest.approx(0.7)
    first = key_delta(obj)
    assert np.abs(first).max() > 0
    # a re-run starts from the base, not from the refined shape, and replaces the key
    assert bpy.ops.garment.refine() == {"FINISHED"}
    assert [k.name for k in obj.data.shape_keys.key_blocks] == ["Basis", "Wrinkles"]
    assert np.allclose(key_delta(obj), first, atol=1e-6)
    scene.garment.refine_seed = 5
    bpy.ops.garment.refine()
    assert not np.allclose(key_delta(obj), first, atol=1e-6)


def test_a_coarse_base_becomes_a_new_upsampled_object(garment_obj):
    make, _ = garment_obj
    obj = make("coarse")
    n = len(obj.data.vertices)
    assert bpy.ops.garment.refine() == {"FINISHED"}
    new = bpy.context.active_object
    assert new is not obj and new.name == "garment_coarse refined" and len(new.data.vertices) > 2 * n
    assert [k.name for k in new.data.shape_keys.key_blocks] == ["Basis", "Wrinkles"]
    assert "panel" in new.data.attributes and "pattern" in new.data.uv_layers
    assert obj.data.shape_keys is None  # the base is left as it was
    meshes = len(bpy.data.meshes)
    for o in bpy.context.view_layer.objects:  # the base refined again: its refined object is replaced
        o.select_set(o == obj)
    bpy.context.view_layer.objects.active = obj
    assert bpy.ops.garment.refine(seed=3) == {"FINISHED"}
    again = bpy.context.active_object
    assert again.name == "garment_coarse refined" and len(bpy.data.meshes) == meshes
    assert [o.name for o in bpy.data.objects if o.name.startswith("garment_coarse refined")] == [again.name]


def test_a_mesh_without_charts_is_refused_and_left_untouched(garment_obj, scene):
    _, scene_io = garment_obj
    me = bpy.data.meshes.new("plain")
    me.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = scene_io.link_object("plain", me)
    bpy.context.view_layer.objects.active = obj
    with pytest.raises(RuntimeError, match="neither panel ids"):
        bpy.ops.garment.refine()
    assert obj.data.shape_keys is None and len(bpy.data.objects) == 1


def test_one_undo_step_removes_the_wrinkles(garment_obj):
    make, _ = garment_obj
    win = bpy.context.window_manager.windows[0]
    area = next(a for a in win.screen.areas if a.type == "VIEW_3D")
    with bpy.context.temp_override(window=win, screen=win.screen, area=area):
        bpy.ops.ed.undo_push(message="start")  # the undo stack's first step
        obj = make("fine")
        name, n = obj.name, len(obj.data.vertices)
        bpy.ops.ed.undo_push(message="garment made")
        assert bpy.ops.garment.refine() == {"FINISHED"}
        # the push a button press makes after an UNDO operator (calling it here with
        # ("EXEC_DEFAULT", True) crashes the background bpy module inside the push)
        bpy.ops.ed.undo_push(message="Refine Garment")
        assert bpy.data.objects[name].data.shape_keys is not None
        bpy.ops.ed.undo()
        # one step back: the garment as it was before refining, not an earlier scene
        assert name in bpy.data.objects and bpy.data.objects[name].data.shape_keys is None
        assert len(bpy.data.objects[name].data.vertices) == n


def test_inspection_colours_are_point_colour_attributes(ext, scene):
    """The fit inspection's maps reach Blender through the one colour helper (real bpy)."""
    from importlib import import_module

    from core.garment_fit.inspection import VertexInspection, inspection_colors

    scene_io = import_module(f"{ext.__name__}.operators.scene_io")
    verts = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], np.float64)
    me = scene_io.new_mesh_data("insp", verts, np.array([[0, 1, 2], [1, 3, 2]]))
    obj = bpy.data.objects.new("insp", me)
    scene.collection.objects.link(obj)
    ins = VertexInspection(
        chart=np.array([0, 0, 1, 1]),
        uv=np.zeros((4, 2)),
        collision_levels=np.array([0, 2, 0, 0]),
        error_mm=np.array([0.0, 0.5, 1.0, 2.0]),
        predicted_cm=np.zeros((4, 3)),
    )
    colors = inspection_colors(ins, error_max_mm=1.0)
    scene_io.set_inspection_colors(obj, colors, show="collision")
    attrs = obj.data.color_attributes
    assert {"fit_chart", "fit_collision", "fit_error"} <= set(attrs.keys())
    assert attrs.active_color.name == "fit_collision"
    got = np.empty(16, np.float32)
    attrs["fit_error"].data.foreach_get("color", got)
    got = got.reshape(4, 4)
    assert np.allclose(got, colors["error"], atol=1e-6)
    assert np.allclose(got[2], got[3]) and not np.allclose(got[0], got[2])  # clipped at 1 mm
    attrs["fit_collision"].data.foreach_get("color", got.ravel())
    assert got[1, 0] > 0.9 and got[0, 0] < 0.9  # the colliding vertex is red
    with pytest.raises(scene_io.MeshError, match="colours for 4 vertices"):
        scene_io.set_point_colors(obj, "bad", np.zeros((3, 4)))
