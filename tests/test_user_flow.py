"""Issue 10's walk-through in a fresh bpy with the built zip installed, as a new user would:
load an example pattern, drape it, refine it, cancel a refine midway (scene unchanged), refine
again, set the strength, add two variants, switch the inspection maps, bake the maps, render a
teaser. The bundled model; Cycles on the CPU."""

from __future__ import annotations

import pytest
from paths import ROOT
from test_extension_package import built_zip, run_in_fresh_bpy  # noqa: F401 - the zip fixture

pytest.importorskip("bpy")
pytest.importorskip("onnxruntime")

FLOW = r"""
import json, sys, time
import bpy
zip_path, pattern, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
module = "bl_ext.user_default.garment_refiner"
bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
from importlib import import_module
mods = {n: import_module(f"{module}.operators.{n}") for n in ("refine_job", "scene_state", "scene_io")}
out = {}
bpy.ops.garment.load_pattern(filepath=pattern)
out["drape"] = sorted(bpy.ops.garment.drape())
draped = bpy.context.view_layer.objects.active
out["draped"] = [draped.name, "panel" in draped.data.attributes, "pattern" in draped.data.uv_layers]
out["refine"] = sorted(bpy.ops.garment.refine())
garment = bpy.context.view_layer.objects.active
out["refined"] = garment.name
# cancel a refine midway: the worker process started, its first progress report, then Cancel
before = mods["scene_state"].scene_digest()
bpy.context.scene.garment.refine_seed = 7
job = mods["refine_job"].RefineJob(bpy.context, garment, "subprocess").start()
t0 = time.time()
while job.label == "Starting" and time.time() - t0 < 60:
    job.step(); time.sleep(0.01)
job.cancel()
while not job.step().finished:
    time.sleep(0.01)
out["cancel"] = [job.state.value, mods["scene_state"].scene_digest() == before]
out["refine_again"] = sorted(bpy.ops.garment.refine())
bpy.context.scene.garment.refine_strength = 0.6
out["strength"] = mods["scene_io"].current_wrinkles_key(garment).value
bpy.ops.garment.new_variant(); bpy.ops.garment.new_variant()
keys = garment.data.shape_keys.key_blocks
out["keys"] = [(k.name, round(k.value, 3)) for k in keys]
readouts = []
for m in ("chart", "residual", "strain"):
    bpy.ops.garment.show_inspection(map=m)
    readouts.append(bpy.context.scene.garment.inspect_readout)
out["inspection"] = readouts
out["bake"] = sorted(bpy.ops.garment.bake_maps(directory=out_dir + "/maps", resolution=1024))
bpy.context.scene.garment.refine_strength = 1.0
teaser = bpy.ops.garment.render_teaser(directory=out_dir + "/teaser", resolution=128, samples=4)
out["teaser"] = sorted(teaser)
print("RESULT " + json.dumps(out))
"""


def test_a_new_user_walks_through_drape_refine_cancel_variants_maps_bake_and_teaser(built_zip, tmp_path):  # noqa: F811
    pattern = ROOT / "presets" / "patterns" / "skirt.json"
    out = run_in_fresh_bpy(FLOW, tmp_path, str(built_zip), str(pattern), str(tmp_path))
    assert out["drape"] == ["FINISHED"] and out["draped"] == ["skirt draped", True, True]
    assert out["refine"] == ["FINISHED"] and out["refined"] == "skirt draped refined"
    assert out["cancel"] == ["cancelled", True]
    assert out["refine_again"] == ["FINISHED"] and out["strength"] == pytest.approx(0.6)
    assert [k for k, _ in out["keys"]] == ["Basis", "Wrinkles", "Wrinkles seed 8", "Wrinkles seed 9"]
    assert [v for _, v in out["keys"]][1:] == [0.0, 0.0, 0.6]
    assert out["inspection"][0] == "4 charts" and all(out["inspection"])
    assert out["bake"] == ["FINISHED"] and out["teaser"] == ["FINISHED"]
    assert (tmp_path / "teaser" / "before_after.png").is_file()
    assert list((tmp_path / "maps").glob("*_displacement.exr"))
