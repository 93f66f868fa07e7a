"""The command-line scripts, run as a user runs them (subprocesses, real files)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from paths import DATA, ROOT

SKIRT = DATA / "gc_flare_skirt_specification.json"


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=dict(os.environ),
    )


def test_check_pattern_writes_report_and_box_mesh(tmp_path):
    report, box = tmp_path / "r.json", tmp_path / "box.obj"
    done = run("scripts/check_pattern.py", str(SKIRT), "--report", str(report), "--boxmesh", str(box))
    assert done.returncode == 0, done.stderr
    data = json.loads(report.read_text())
    assert data["panels"] and data["stitches"] > 0
    assert 0.0 <= data["stitch_accuracy"] <= 1.0 and isinstance(data["bad_stitches"], list)
    assert "stitch accuracy" in done.stdout
    assert box.read_text().count("\nv ") > 100


def test_check_pattern_rejects_an_invalid_pattern(tmp_path):
    bad = tmp_path / "bad_specification.json"
    spec = json.loads(SKIRT.read_text())
    spec["pattern"]["stitches"].append([{"panel": "nope", "edge": 0}, {"panel": "nope", "edge": 1}])
    bad.write_text(json.dumps(spec))
    done = run("scripts/check_pattern.py", str(bad))
    assert done.returncode == 1
    assert "bad_specification.json" in done.stderr and "nope" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_example_drapes_refines_and_renders_before_and_after(tmp_path, tiny_model):
    done = run(
        "scripts/run_example.py",
        "--pattern",
        str(SKIRT),
        "--out",
        str(tmp_path),
        "--frames",
        "15",
        "--model",
        str(tiny_model),
        "--resolution",
        "64",
        "--samples",
        "4",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    name = "gc_flare_skirt"
    report = json.loads((tmp_path / f"{name}_report.json").read_text())
    assert report["stitches"]["count"] > 0 and report["coarse_drape"]["frames"] >= 15
    refine = report["refine"]
    assert refine["upsampled"] and refine["vertices_out"] > report["coarse_drape"]["vertices"]
    from core.meshio import load_mesh

    refined = load_mesh(tmp_path / f"{name}_refined.ply")
    coarse = load_mesh(tmp_path / f"{name}_coarse.ply")
    assert len(refined.vertices) == report["refine"]["vertices_out"] > len(coarse.vertices)
    assert refined.panel_ids is not None and refined.uv is not None
    bpy = pytest.importorskip("bpy")
    img = bpy.data.images.load(str(tmp_path / f"{name}_before_after.png"))
    px = np.array(img.pixels[:]).reshape(128, 128, 4)[::-1]  # Blender's rows run bottom-up
    assert tuple(img.size) == (128, 128)  # whole garment above, close-up below; before | after
    for rows in (slice(0, 64), slice(64, 128)):
        before, after = px[rows, :64, :3], px[rows, 64:, :3]
        assert before.std() > 0.02 and after.std() > 0.02  # no tile is blank
        assert np.abs(before - after).mean() > 1e-3  # the Wrinkles key changed the render
    assert np.abs(px[:64, :64, :3] - px[64:, :64, :3]).mean() > 1e-2  # the close-up is another view
    bpy.data.images.remove(img)
    assert (tmp_path / f"{name}.blend").stat().st_size > 10_000


def test_bundle_model_copies_exports_and_writes_a_card(tmp_path, tiny_model):
    done = run(
        "scripts/bundle_model.py", "--run", str(tiny_model.parent), "--out", str(tmp_path), "--note", "N"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("refiner.json", "refiner.safetensors", "refiner.onnx", "refiner.md"):
        assert (tmp_path / name).is_file(), name
    text = (tmp_path / "refiner.md").read_text()
    assert "training garments" in text and "ONNX vs torch max difference" in text and "\nN\n" in text
    from core.refiner.refine import Refiner

    refiner = Refiner(tmp_path / "refiner.json", runtime="onnx")
    assert refiner.runtime.name == "onnxruntime" and refiner.desc["record"]["steps_done"] == 8
