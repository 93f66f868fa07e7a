"""Render Teaser in the real bpy (Cycles on the CPU): the garment covers at least 5 % of the
pixels, before differs from after, a turntable, and the user's objects left as they were."""

from __future__ import annotations

from importlib import import_module

import pytest

bpy = pytest.importorskip("bpy")
pytest.importorskip("onnxruntime")


def test_a_teaser_frames_the_garment_and_shows_the_wrinkles(garment_obj, ext, tmp_path):
    make, _ = garment_obj
    scene_state = import_module(f"{ext.__name__}.operators.scene_state")
    obj = make("fine")
    assert bpy.ops.garment.refine() == {"FINISHED"}
    before = scene_state.scene_digest()
    bpy.ops.garment.render_teaser(
        directory=str(tmp_path), resolution=96, samples=4, turntable=2, with_body=False
    )
    teaser = import_module(f"{ext.__name__}.operators.teaser")
    report = teaser.render_teaser(obj, tmp_path / "direct", None, 96, 4, turntable=2)
    assert report["coverage"] >= 0.05 and report["device"] in ("CPU", "CUDA", "OPTIX")
    assert report["before_after_difference"] > 0.0
    for name in ("teaser.png", "before_after.png", "turntable/0000.png", "turntable/0001.png"):
        assert (tmp_path / name).is_file() and (tmp_path / "direct" / name).is_file()
    pair = teaser.read_png(tmp_path / "before_after.png")
    assert pair.shape[0] == 96 and pair.shape[1] > 2 * 96  # side by side
    after = scene_state.scene_digest()
    # the user's objects and meshes are as they were (the studio holds copies in its own scene)
    assert {k: after["objects"][k] for k in before["objects"]} == before["objects"]
    assert {k: after["meshes"][k] for k in before["meshes"]} == before["meshes"]
    assert bpy.context.scene.name != teaser.TEASER_SCENE and teaser.TEASER_SCENE in bpy.data.scenes
