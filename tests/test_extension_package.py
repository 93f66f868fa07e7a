"""The built extension: Blender's validator, the zip, and a real install into bpy 5.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from paths import DATA, ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from build_extension import build

SKIRT = DATA / "gc_flare_skirt_specification.json"
INSTALL_SCRIPT = r"""
import json, os, sys
import bpy, addon_utils
zip_path, pattern = sys.argv[1], sys.argv[2]
module = "bl_ext.user_default.garment_refiner"
result = bpy.ops.extensions.package_install_files(
    filepath=zip_path, repo="user_default", enable_on_install=True)
out = {"install": sorted(result)}
out["enabled"] = module in bpy.context.preferences.addons
out["loaded"] = bool(addon_utils.check(module)[1])
out["scene_prop"] = hasattr(bpy.types.Scene, "garment")
out["drape_engine"] = module + ".sim.blender_cloth" in sys.modules  # shipped and imported by Drape
prefs = bpy.context.preferences.addons[module].preferences
out["prefs"] = [prefs.device, prefs.runner, prefs.model_path]
out["preferred_model"] = str(sys.modules[module + ".operators.preferences"].preferred_model())
bpy.ops.garment.load_pattern(filepath=pattern, edge_length=4.0)
obj = bpy.context.view_layer.objects.active
out["object"] = obj.name if obj else None
out["vertices"] = len(obj.data.vertices) if obj else 0
bpy.ops.garment.check_stitches()
out["stitches"] = bpy.context.scene.garment.report_stitches
bpy.ops.preferences.addon_disable(module=module)
out["disabled"] = module not in bpy.context.preferences.addons
out["scene_prop_after"] = hasattr(bpy.types.Scene, "garment")
out["operator_after"] = hasattr(bpy.types, "GARMENT_OT_load_pattern")
print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def built_zip(tmp_path_factory) -> Path:
    zips = build(tmp_path_factory.mktemp("ext"))
    assert len(zips) == 1
    return zips[0]


def test_zip_holds_the_extension_and_nothing_else(built_zip):
    names = zipfile.ZipFile(built_zip).namelist()
    assert "blender_manifest.toml" in names and "__init__.py" in names
    assert any(n.startswith("core/") for n in names) and any(n.startswith("operators/") for n in names)
    assert "sim/blender_cloth.py" in names and "presets/quality/Draft.py" in names
    for excluded in (
        "tests/",
        "scripts/",
        ".ci/",
        "bench/",
        "configs/",
        "docs/",
        "data/",
        "sim/generate.py",  # the dataset generator stays out; the Blender cloth engine ships
        "sim/newton_cloth.py",
        ".venv/",
        "runs/",
        ".git/",
    ):
        assert not any(n.startswith(excluded) for n in names), excluded


def run_in_fresh_bpy(script: str, tmp_path: Path, *args: str) -> dict:
    """``script`` in a new Python with the bpy module and its own user resources: the JSON it
    printed after ``RESULT ``."""
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp_path / "user"))
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, env=env, timeout=300
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stdout + done.stderr
    return json.loads(lines[-1][len("RESULT ") :])


def test_zip_installs_enables_runs_and_unregisters(built_zip, tmp_path):
    out = run_in_fresh_bpy(INSTALL_SCRIPT, tmp_path, str(built_zip), str(SKIRT))
    assert out["install"] == ["FINISHED"]
    assert out["enabled"] and out["loaded"] and out["scene_prop"]
    assert out["drape_engine"]
    assert out["prefs"] == ["auto", "subprocess", ""]  # the preferences, at their defaults
    assert out["preferred_model"].endswith("garment_refiner/models/refiner.json")  # the bundled model
    assert out["vertices"] > 100 and out["stitches"] > 0
    assert out["disabled"] and not out["scene_prop_after"] and not out["operator_after"]


REFINE_SCRIPT = r"""
import json, sys


class NoTorch:  # a Blender without torch: any import of it fails
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}")


sys.meta_path.insert(0, NoTorch())
import bpy
zip_path, pattern, model = sys.argv[1], sys.argv[2], sys.argv[3]
module = "bl_ext.user_default.garment_refiner"
bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
bpy.context.scene.garment.model_path = model
bpy.ops.garment.load_pattern(filepath=pattern, edge_length=1.5)
obj = bpy.context.view_layer.objects.active
result = bpy.ops.garment.refine()
keys = obj.data.shape_keys.key_blocks if obj.data.shape_keys else []
jobs = sys.modules[module + ".core.jobs.refine_job"]
out = {"refine": sorted(result), "keys": [k.name for k in keys],
       "runtimes": [r.runtime.name for r in jobs._REFINERS.values()],
       "torch_loaded": "torch" in sys.modules}
# the worker process runs the installed extension's core (no UI here: its poll step by hand)
import time
RefineJob = sys.modules[module + ".operators.refine_job"].RefineJob
job = RefineJob(bpy.context, obj, "subprocess").start()
t0 = time.time()
while not job.step().finished and time.time() - t0 < 120:
    time.sleep(0.02)
out["worker"] = [job.state.value, job.error]
if "Wrinkles" in keys:
    import numpy as np
    n = len(obj.data.vertices)
    a, b = np.empty(3 * n, np.float32), np.empty(3 * n, np.float32)
    keys["Basis"].data.foreach_get("co", a)
    keys["Wrinkles"].data.foreach_get("co", b)
    out["max_offset"] = float(np.abs(b - a).max())
print("RESULT " + json.dumps(out))
"""


def test_the_installed_zip_refines_with_onnxruntime_when_torch_is_missing(built_zip, tiny_model, tmp_path):
    out = run_in_fresh_bpy(REFINE_SCRIPT, tmp_path, str(built_zip), str(SKIRT), str(tiny_model))
    assert out["refine"] == ["FINISHED"] and out["keys"] == ["Basis", "Wrinkles"]
    assert out["runtimes"] == ["onnxruntime"] and not out["torch_loaded"]
    assert out["worker"] == ["done", None]
    assert out["max_offset"] > 1e-4
