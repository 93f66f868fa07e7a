"""Bake Wrinkle Maps in the real bpy: the displacement map sampled back at the vertices gives
the refined positions within 1 mm (EXR and 16-bit PNG), the normal map is a tangent-space map,
and the material carries the maps with adaptive subdivision."""

from __future__ import annotations

import numpy as np
import pytest
from bpy_helpers import key_delta

bpy = pytest.importorskip("bpy")
pytest.importorskip("onnxruntime")


def _pixels(img) -> np.ndarray:
    w, h = img.size
    px = np.empty(w * h * 4, np.float32)
    img.pixels.foreach_get(px)
    return px.reshape(h, w, 4)


@pytest.mark.parametrize("fmt", ["EXR", "PNG"])
def test_the_displacement_map_gives_back_the_refined_positions(garment_obj, tmp_path, fmt):
    from core.texture_bake import sample_image

    make, scene_io = garment_obj
    obj = make("fine")
    bpy.ops.garment.refine()
    wrinkles_m = key_delta(obj)  # the refined offsets, Blender metres
    assert bpy.ops.garment.bake_maps(directory=str(tmp_path), resolution=2048, file_format=fmt) == {
        "FINISHED"
    }
    info = obj["garment_wrinkle_maps"]
    me = obj.data
    loops = np.empty(len(me.loops), np.int32)
    me.loops.foreach_get("vertex_index", loops)
    corner_uv = np.empty(len(me.loops) * 2, np.float32)
    me.uv_layers["wrinkle_bake"].uv.foreach_get("vector", corner_uv)
    uv = np.zeros((len(me.vertices), 2))
    uv[loops] = corner_uv.reshape(-1, 2)
    assert uv.min() >= 0.0 and uv.max() <= 1.0
    disp = bpy.data.images.load(info["displacement"], check_existing=False)  # the file, read back
    disp.colorspace_settings.name = "Non-Color"
    back = (sample_image(_pixels(disp)[..., :3], uv) - info["midlevel"]) * info["scale"]
    err_mm = 1000.0 * np.linalg.norm(back - wrinkles_m, axis=1)
    assert err_mm.max() < 1.0, (err_mm.max(), np.percentile(err_mm, 99))
    normal_img = bpy.data.images.load(info["normal"], check_existing=False)
    normal_img.colorspace_settings.name = "Non-Color"
    normal = _pixels(normal_img)
    inside = normal[..., 2] > 0.6
    assert (
        inside.mean() > 0.2 and np.abs(normal[inside, :2].mean(0) - 0.5).max() < 0.05
    )  # mostly "straight up"
    mat = me.materials[0]
    nodes = {n.bl_idname for n in mat.node_tree.nodes}
    assert {"ShaderNodeVectorDisplacement", "ShaderNodeNormalMap", "ShaderNodeTexImage"} <= nodes
    assert (
        mat.displacement_method == "DISPLACEMENT" and obj.modifiers["Wrinkle Dicing"].use_adaptive_subdivision
    )
    assert scene_io.current_wrinkles_key(obj).value == 0.0  # not twice


def _position_render(scene, cam, path) -> np.ndarray:
    """(h, w, 3) world positions seen through ``cam`` (an emission of the hit point, 1 sample)."""
    scene.camera = cam
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    img = bpy.data.images.load(str(path), check_existing=False)
    try:
        px = _pixels(img)
    finally:
        bpy.data.images.remove(img)
    return px[..., :3]


def test_cycles_renders_the_baked_displacement_on_the_light_base(garment_obj, tmp_path):
    """The maps, rendered by Cycles on the base with the key at 0, put the surface where the
    Wrinkles key puts it: per-pixel hit positions much closer to the refined surface's than the
    plain base's are (a check on what Cycles does with the maps, not on our own sampler)."""
    from mathutils import Vector

    make, scene_io = garment_obj
    obj = make("fine")
    bpy.ops.garment.refine()
    key = scene_io.current_wrinkles_key(obj)
    bpy.ops.garment.bake_maps(directory=str(tmp_path), resolution=2048, file_format="EXR")
    mat = obj.data.materials[0]
    nt = mat.node_tree
    out = next(n for n in nt.nodes if n.bl_idname == "ShaderNodeOutputMaterial")
    disp_link = next(link for link in nt.links if link.to_socket == out.inputs["Displacement"])
    vdisp = disp_link.from_node
    emit, geo = nt.nodes.new("ShaderNodeEmission"), nt.nodes.new("ShaderNodeNewGeometry")
    nt.links.new(geo.outputs["Position"], emit.inputs["Color"])
    nt.links.new(emit.outputs["Emission"], out.inputs["Surface"])

    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device, scene.cycles.samples = "CPU", 1
    scene.cycles.use_denoising = False
    scene.cycles.filter_width = 0.01  # one ray a pixel, no blending across the silhouette
    scene.cycles.dicing_rate = 0.5
    scene.render.resolution_x = scene.render.resolution_y = 160
    scene.render.image_settings.file_format = "OPEN_EXR"
    scene.render.image_settings.color_depth = "32"
    scene.view_settings.view_transform = "Raw"
    scene.render.film_transparent = True
    verts = np.array([obj.matrix_world @ v.co for v in obj.data.vertices])
    centre = Vector(((verts.min(0) + verts.max(0)) / 2).tolist())
    size = float(np.ptp(verts, axis=0).max())
    errs = []
    for i, direction in enumerate(((0.0, -1.0, 0.15), (1.0, -0.3, 0.3))):  # front and a raking side
        cam = bpy.data.objects.new(f"cam{i}", bpy.data.cameras.new(f"cam{i}"))
        scene.collection.objects.link(cam)
        cam.location = centre + Vector(direction).normalized() * 0.45 * size
        cam.rotation_euler = (centre - cam.location).to_track_quat("-Z", "Y").to_euler()
        cam.data.lens = 35.0  # a close-up: the middle of the garment fills the frame

        key.value = 1.0  # the refined surface, no maps
        nt.links.remove(disp_link)
        refined = _position_render(scene, cam, tmp_path / f"refined{i}.exr")
        key.value = 0.0  # the plain base, no maps
        plain = _position_render(scene, cam, tmp_path / f"plain{i}.exr")
        disp_link = nt.links.new(vdisp.outputs["Displacement"], out.inputs["Displacement"])
        baked = _position_render(scene, cam, tmp_path / f"baked{i}.exr")  # the base with the maps

        hit = (np.abs(refined).sum(-1) > 0) & (np.abs(plain).sum(-1) > 0) & (np.abs(baked).sum(-1) > 0)
        assert hit.mean() > 0.3, hit.mean()
        wrinkles = np.linalg.norm(plain - refined, axis=-1)[hit]
        residual = np.linalg.norm(baked - refined, axis=-1)[hit]
        errs.append((np.median(wrinkles), np.median(residual)))
        assert np.median(wrinkles) > 1e-4, "no visible wrinkles to compare"
        assert np.median(residual) < 0.35 * np.median(wrinkles), errs
