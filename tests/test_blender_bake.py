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
