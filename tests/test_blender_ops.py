"""The Garment tab's operators in the real bpy module: what a user's clicks do to the scene."""

from __future__ import annotations

import json

import numpy as np
import pytest
from paths import DATA

from core.boxmesh import build_box_mesh
from core.frames import pattern_to_blender
from core.meshio import save_garment_mesh
from core.pattern import load_pattern, pattern_to_dict, save_pattern
from core.stitch_check import check_stitches

bpy = pytest.importorskip("bpy")

SKIRT = DATA / "gc_flare_skirt_specification.json"


def _scene_state() -> tuple:
    return (
        sorted(o.name for o in bpy.data.objects),
        sorted(m.name for m in bpy.data.meshes),
        sorted(c.name for c in bpy.data.collections),
        sorted(c.name for c in bpy.data.curves),
    )


def _colors(obj) -> np.ndarray:
    attr = obj.data.color_attributes["stitch_check"]
    out = np.empty(len(obj.data.vertices) * 4, np.float32)
    attr.data.foreach_get("color", out)
    return out.reshape(-1, 4)


def _positions(obj) -> np.ndarray:
    co = np.empty(len(obj.data.vertices) * 3, np.float32)
    obj.data.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def _mismatched_pattern(tmp_path):
    """The skirt with its first stitch's first edge made 3 cm longer (one vertex moved)."""
    p = load_pattern(SKIRT)
    side = p.stitches[0].a
    panel = p.panels[side.panel]
    edge = panel.edges[side.edge]
    a, b = panel.vertices[edge.start], panel.vertices[edge.end]
    panel.vertices[edge.end] = b + 3.0 * (b - a) / np.linalg.norm(b - a)
    return save_pattern(p, tmp_path / "skirt_mismatch_specification.json")


def test_load_pattern_builds_box_mesh_with_pattern_data(scene):
    bpy.ops.garment.load_pattern(filepath=str(SKIRT), edge_length=3.0)
    obj = bpy.context.view_layer.objects.active
    pattern = load_pattern(SKIRT)
    mesh = build_box_mesh(pattern, 3.0)
    me = obj.data
    assert len(me.vertices) == mesh.n_vertices and len(me.polygons) == len(mesh.faces)
    np.testing.assert_allclose(_positions(obj), pattern_to_blender(mesh.vertices), atol=1e-5)
    loops = np.empty(len(me.loops) * 2, np.float32)
    me.uv_layers["pattern"].uv.foreach_get("vector", loops)
    np.testing.assert_allclose(loops.reshape(-1, 2), mesh.uv[mesh.faces.ravel()] / 100.0, atol=1e-6)
    panel = np.empty(len(me.vertices), np.int32)
    me.attributes["panel"].data.foreach_get("value", panel)
    np.testing.assert_array_equal(panel, mesh.panel_ids)
    curves = [o for o in bpy.data.objects if o.type == "CURVE"]
    assert len(curves) == len(pattern.panels)
    assert json.loads(obj["garment_pattern"]) == pattern_to_dict(pattern)
    assert bpy.context.scene.garment.report_stitches == len(pattern.stitches)


@pytest.mark.parametrize(
    "text",
    [
        '{"pattern": {"panels": ',
        '{"pattern": {"panels": {"a": {"vertices": [[0, 0], [1, 0]], "edges": []}}}}',
    ],
)
def test_bad_pattern_reports_error_and_leaves_scene(scene, tmp_path, text):
    bpy.ops.mesh.primitive_cube_add()
    before = _scene_state()
    bad = tmp_path / "broken_specification.json"
    bad.write_text(text)
    with pytest.raises(RuntimeError, match=r"broken_specification\.json"):
        bpy.ops.garment.load_pattern(filepath=str(bad))
    assert _scene_state() == before


def test_svg_with_an_open_path_reports_error_and_leaves_scene(scene, tmp_path):
    before = _scene_state()
    svg = tmp_path / "open.svg"
    svg.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="20cm" height="20cm" viewBox="0 0 20 20">'
        '<path id="front" d="M 1 1 L 10 1 L 10 10"/></svg>'
    )
    with pytest.raises(RuntimeError, match="front"):
        bpy.ops.garment.load_pattern(filepath=str(svg))
    assert _scene_state() == before


def test_svg_pattern_loads_as_box_mesh(scene, tmp_path):
    from core.svg_io import load_svg, save_svg

    path = save_svg(load_pattern(SKIRT), tmp_path / "skirt.svg")
    bpy.ops.garment.load_pattern(filepath=str(path), edge_length=4.0)
    obj = bpy.context.view_layer.objects.active
    assert len(obj.data.vertices) == build_box_mesh(load_svg(path), 4.0).n_vertices
    # the SVG round trip keeps the geometry to ~1e-10 cm, the mesh to within a vertex or two
    assert abs(len(obj.data.vertices) - build_box_mesh(load_pattern(SKIRT), 4.0).n_vertices) <= 3
    assert len(json.loads(obj["garment_pattern"])["pattern"]["stitches"]) == len(load_pattern(SKIRT).stitches)


def test_check_stitches_paints_bad_seams_red(scene, tmp_path):
    path = _mismatched_pattern(tmp_path)
    bpy.ops.garment.load_pattern(filepath=str(path), edge_length=3.0)
    obj = bpy.context.view_layer.objects.active
    report_file = tmp_path / "report.json"
    bpy.ops.garment.check_stitches(report_path=str(report_file))
    pattern = load_pattern(path)
    expected = check_stitches(pattern)
    assert expected.bad_stitches, "the edited pattern must have a bad stitch"
    g = bpy.context.scene.garment
    assert len(g.report_lines) == len(expected.bad_stitches)
    assert g.report_accuracy == pytest.approx(100 * expected.stitch_accuracy)
    red = np.all(np.isclose(_colors(obj)[:, :3], (0.95, 0.05, 0.05)), axis=1)
    assert red.sum() > 0
    report = json.loads(report_file.read_text())
    assert report["stitch_accuracy"] == pytest.approx(expected.stitch_accuracy)
    assert {s["index"] for s in report["bad_stitches"]} == {s.index for s in expected.bad_stitches}


def test_check_stitches_measures_3d_gaps_of_a_sewn_shape(scene):
    bpy.ops.garment.load_pattern(filepath=str(SKIRT), edge_length=3.0)
    obj = bpy.context.view_layer.objects.active
    mesh = build_box_mesh(load_pattern(SKIRT), 3.0)
    welded, _, index = mesh.welded()
    sewn = welded[index]
    moved = mesh.seam_pairs[0, 0]
    sewn[moved] += np.array([0.0, 2.0, 0.0])  # 2 cm off its seam partner
    obj.shape_key_add(name="Basis")
    key = obj.shape_key_add(name="sewn")
    key.data.foreach_set("co", pattern_to_blender(sewn).astype(np.float32).ravel())
    key.value = 1.0
    obj["garment_stage"] = "draped"
    bpy.ops.garment.check_stitches()
    g = bpy.context.scene.garment
    assert g.report_max_gap == pytest.approx(2.0, abs=0.05)
    status_red = np.all(np.isclose(_colors(obj)[:, :3], (0.95, 0.05, 0.05)), axis=1)
    assert status_red[moved]
    # without the displacement every seam closes
    sewn[moved] -= np.array([0.0, 2.0, 0.0])
    key.data.foreach_set("co", pattern_to_blender(sewn).astype(np.float32).ravel())
    obj.data.update()
    bpy.ops.garment.check_stitches()
    assert g.report_max_gap < 0.01
    assert len(g.report_lines) == 0
    assert not np.all(np.isclose(_colors(obj)[:, :3], (0.95, 0.05, 0.05)), axis=1).any()


def test_load_base_mesh_keeps_order_and_panel_data(scene, tmp_path):
    mesh = build_box_mesh(load_pattern(SKIRT), 4.0)
    path = save_garment_mesh(mesh, tmp_path / "skirt.ply")
    bpy.ops.garment.load_base_mesh(filepath=str(path))
    obj = bpy.context.view_layer.objects.active
    np.testing.assert_allclose(_positions(obj), pattern_to_blender(mesh.vertices), atol=1e-5)
    panel = np.empty(len(obj.data.vertices), np.int32)
    obj.data.attributes["panel"].data.foreach_get("value", panel)
    np.testing.assert_array_equal(panel, mesh.panel_ids)


def test_load_base_mesh_without_faces_is_refused(scene, tmp_path):
    bpy.ops.mesh.primitive_cube_add()
    before = _scene_state()
    path = tmp_path / "points.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\n")
    with pytest.raises(RuntimeError, match=r"points\.obj"):
        bpy.ops.garment.load_base_mesh(filepath=str(path))
    assert _scene_state() == before


def test_garment_tab_is_registered_and_refine_needs_a_real_model(scene, tmp_path):
    from core.refiner.refine import DEFAULT_MODEL

    main = bpy.types.GARMENT_PT_main
    assert main.bl_category == "Garment" and main.bl_region_type == "UI"
    assert bpy.types.GARMENT_PT_refine.bl_parent_id == "GARMENT_PT_main"
    me = bpy.data.meshes.new("m")
    me.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new("m", me)
    scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    # the button is greyed out, not faked, while no model file is there
    scene.garment.model_path = str(tmp_path / "missing.json")
    assert not bpy.ops.garment.refine.poll()
    scene.garment.model_path = ""
    assert bpy.ops.garment.refine.poll() == DEFAULT_MODEL.is_file()


def test_selected_mesh_becomes_base_mesh_of_the_loaded_pattern(scene, tmp_path):
    bpy.ops.garment.load_pattern(filepath=str(SKIRT), edge_length=4.0)
    mesh = build_box_mesh(load_pattern(SKIRT), 4.0)
    bpy.ops.garment.load_base_mesh(filepath=str(save_garment_mesh(mesh, tmp_path / "drape.ply")))
    obj = bpy.context.view_layer.objects.active
    assert "garment_pattern" in obj  # a panel-carrying mesh picks up the loaded pattern
    del obj["garment_pattern"]
    bpy.ops.garment.assign_pattern()
    assert obj["garment_stage"] == "base" and "garment_pattern" in obj
    bpy.ops.garment.check_stitches()
    assert bpy.context.scene.garment.report_object == obj.name


def test_selected_mesh_without_panel_data_is_refused(scene):
    bpy.ops.garment.load_pattern(filepath=str(SKIRT), edge_length=4.0)
    bpy.ops.mesh.primitive_cube_add()
    cube = bpy.context.active_object
    with pytest.raises(RuntimeError, match="panel ids"):
        bpy.ops.garment.assign_pattern()
    assert "garment_pattern" not in cube
