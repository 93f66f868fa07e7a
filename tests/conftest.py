"""Shared fixtures: real bpy with user resources in a temp dir, the extension, example files."""

from __future__ import annotations

import json
import os
import sys
import tempfile

import pytest
from paths import ROOT

# Blender must not touch the user's own config: point it at a temp dir before bpy is imported.
os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="garment_bl_user_"))
sys.path.insert(0, str(ROOT / "scripts"))


@pytest.fixture(scope="session")
def ext():
    """The checkout registered as the ``garment_refiner`` extension in the bpy module."""
    from _bootstrap import load_extension

    return load_extension()


@pytest.fixture
def scene(ext):
    """An empty scene (factory homefile without objects) with the extension registered."""
    import bpy

    bpy.ops.wm.read_homefile(use_empty=True)
    return bpy.context.scene


@pytest.fixture(scope="session")
def v1_sample_folder(tmp_path_factory):
    """A dataset folder holding the manifest and the first two ok samples of the shipped
    drapes_v1 archive (one relabelled ``val``): real drape pairs for refiner tests."""
    import json
    import tarfile

    out = tmp_path_factory.mktemp("v1two")
    with tarfile.open(ROOT / "datasets" / "drapes_v1.tar.xz") as tar:
        manifest = json.load(tar.extractfile("drapes_v1/manifest.json"))
        rows = [r for r in manifest["samples"] if r["status"] == "ok"][:2]
        for row in rows:
            prefix = f"drapes_v1/samples/{row['id']}/"
            tar.extractall(
                out, members=[m for m in tar.getmembers() if m.name.startswith(prefix)], filter="data"
            )
    rows[0]["split"], rows[1]["split"] = "train", "val"
    manifest["samples"] = rows
    root = out / "drapes_v1"
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


@pytest.fixture(scope="session")
def tiny_model(v1_sample_folder, tmp_path_factory):
    """A tiny diffusion model trained a few steps on one real drape pair, exported to ONNX."""
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    import json

    import numpy as np

    from core.refiner.export import export_onnx
    from core.refiner.training import TrainConfig, train

    out = tmp_path_factory.mktemp("model")
    cfg = TrainConfig.from_dict(
        dict(
            data=str(v1_sample_folder),
            out=str(out),
            bases=["lowpass"],
            patch=32,
            batch=4,
            steps=8,
            val_garments=0,
            threads=2,
            network={"widths": [16, 32], "mid_blocks": 1},
        )
    )
    path = train(cfg, log=lambda s: None)
    # an untrained head outputs zeros: give it weights so that runtimes and seeds differ visibly
    desc = json.loads(path.read_text())
    from safetensors.numpy import load_file

    from core.refiner.modelfile import save_model

    tensors = load_file(str(path.with_suffix(".safetensors")))
    rng = np.random.default_rng(0)
    for k in [k for k in tensors if k.startswith("head.2")]:
        tensors[k] = rng.normal(0, 0.05, tensors[k].shape).astype(np.float32)
    desc = {k: v for k, v in desc.items() if k not in ("format", "weights", "sha256")}
    path = save_model(path.with_suffix(""), tensors, desc)
    export_onnx(path)
    return path


@pytest.fixture
def garment_obj(scene, ext, v1_sample_folder, tiny_model):
    """make(stage) -> a garment object of the first v1 sample (fine or coarse base, its pattern
    attached, active and selected) in the empty scene; and the scene_io module."""
    from importlib import import_module

    import bpy

    from core.dataset import load_arrays
    from core.garment_mesh import GarmentMesh
    from core.pattern import load_pattern

    scene_io = import_module(f"{ext.__name__}.operators.scene_io")
    row = json.loads((v1_sample_folder / "manifest.json").read_text())["samples"][0]
    a = load_arrays(v1_sample_folder, row["id"])
    pattern = load_pattern(v1_sample_folder / "samples" / row["id"] / "pattern.json")
    scene.garment.model_path = str(tiny_model)

    def make(stage: str = "fine"):
        if stage == "fine":
            mesh = GarmentMesh(
                a["coarse_at_fine"], a["fine_faces"], a["fine_panel"], a["fine_uv"], list(pattern.panels)
            )
        else:
            mesh = GarmentMesh(
                a["coarse_vertices"],
                a["coarse_faces"],
                a["coarse_panel"],
                a["coarse_uv"],
                list(pattern.panels),
            )
        obj = scene_io.garment_to_object(mesh, f"garment_{stage}", pattern, stage="base")
        for o in bpy.context.view_layer.objects:
            o.select_set(False)
        obj.select_set(True)
        bpy.context.view_layer.objects.active = obj
        return obj

    return make, scene_io
