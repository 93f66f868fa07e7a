"""The Blender side of a batch (``scripts/batch.py``): a design's drape and a variant's refine,
exports and render, through the extension's own operators (Drape, Refine Garment, Render
Teaser). Plain functions of JSON-able arguments, so the same code runs in the batch's process
or as Ray tasks (workers import ``bpy`` as a module). Outputs are written to temp names and
renamed: a killed run leaves whole files or none."""

from __future__ import annotations

import json
import os
import sys
import time
from importlib import import_module
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _bootstrap import ROOT, load_extension  # noqa: E402

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _fresh_scene(settings: dict):
    import bpy

    ext = load_extension()
    bpy.ops.wm.read_homefile(use_empty=True)
    g = bpy.context.scene.garment
    if settings.get("model"):
        g.model_path = str(settings["model"])
    if settings.get("material"):
        g.refine_material = settings["material"]
    return bpy, ext


def _error(err: BaseException) -> str:
    return f"failed: {err}".replace("\n", " ")[:500]


def design_pattern(design: dict):
    """The design's pattern: its file, or a draw of its family (seed, narrowed ranges)."""
    from core.body import BodyParams
    from core.garments import FAMILIES
    from core.garments.base import sample_pattern
    from core.pipeline import read_pattern_file

    if design.get("pattern"):
        return read_pattern_file(design["pattern"]), None
    if design.get("family") not in FAMILIES:
        raise ValueError(f"unknown family {design.get('family')!r}, expected one of {sorted(FAMILIES)}")
    ranges = {k: tuple(v) for k, v in (design.get("ranges") or {}).items()}
    pattern, params = sample_pattern(
        FAMILIES[design["family"]], int(design["seed"]), BodyParams(), ranges=ranges
    )
    pattern.name = design["id"]
    return pattern, params


def drape_design(design: dict, root: str, settings: dict) -> dict:
    """The design's pattern and coarse drape in ROOT/designs/<id>/ (reused when already there)."""
    import numpy as np

    from core.batch import write_text_atomic
    from core.outputs import partial_path
    from core.pattern import pattern_to_dict

    out = Path(root) / "designs" / design["id"]
    pattern_path, drape_path = out / "pattern.json", out / "drape.npz"
    record = {"design": design["id"], "pattern": str(pattern_path), "drape": str(drape_path)}
    if pattern_path.exists() and drape_path.exists():
        return {**record, "status": "ok", "reused": True, "seconds": 0.0}
    t0 = time.perf_counter()
    try:
        pattern, params = design_pattern(design)
        write_text_atomic(pattern_path, json.dumps(pattern_to_dict(pattern)))
        bpy, ext = _fresh_scene(settings)
        bpy.ops.garment.load_pattern(filepath=str(pattern_path))
        bpy.ops.garment.drape(frames=int(settings.get("frames") or 0))
        obj = bpy.context.view_layer.objects.active
        scene_io = import_module(f"{ext.__name__}.operators.scene_io")
        base = scene_io.object_to_base_mesh(obj, evaluated=False)
        tmp = partial_path(drape_path)
        np.savez(tmp, vertices=base.vertices, faces=base.faces, panel_ids=base.panel_ids, uv=base.uv)
        os.replace(tmp, drape_path)
        info = dict(obj["garment_drape"])
    except (
        ValueError,
        RuntimeError,
        OSError,
    ) as err:  # GarmentError is a ValueError; operators raise RuntimeError
        return {**record, "status": _error(err), "seconds": time.perf_counter() - t0}
    return {
        **record,
        "status": "ok",
        "params": params,
        "drape_info": info,
        "seconds": time.perf_counter() - t0,
    }


def _atomic_export(path: Path, write) -> str:
    from core.outputs import partial_path

    tmp = partial_path(path)
    write(str(tmp))
    os.replace(tmp, path)
    return str(path)


def refine_variant(variant: dict, design_result: dict, root: str, settings: dict) -> dict:
    """One variant: the design's drape refined with the variant's seed, saved as .blend and OBJ
    (and GLB, a render with ``settings['render']``); returns its manifest entry."""
    import numpy as np

    entry = {
        "id": variant["id"],
        "design": variant["design"],
        "seed": variant["seed"],
        "inputs": {k: design_result.get(k) for k in ("pattern", "drape")},
        "settings": {
            k: settings.get(k) for k in ("material", "steps", "strength", "model", "frames", "render")
        },
        "outputs": {},
        "timings": {"drape_s": design_result.get("seconds", 0.0)},
    }
    if design_result.get("status") != "ok":
        return {**entry, "status": f"failed: design {variant['design']}: {design_result.get('status')}"}
    out = Path(root) / "variants" / variant["id"]
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        bpy, ext = _fresh_scene(settings)
        from core.garment_mesh import GarmentMesh
        from core.pipeline import read_pattern_file

        scene_io = import_module(f"{ext.__name__}.operators.scene_io")
        pattern = read_pattern_file(design_result["pattern"])
        with np.load(design_result["drape"]) as z:
            mesh = GarmentMesh(z["vertices"], z["faces"], z["panel_ids"], z["uv"], list(pattern.panels))
        obj = scene_io.garment_to_object(mesh, variant["design"], pattern, stage="base")
        bpy.context.view_layer.objects.active = obj
        obj.select_set(True)
        g = bpy.context.scene.garment
        g.refine_seed = int(variant["seed"])
        g.refine_steps = int(settings.get("steps") or 0)
        g.refine_strength = float(settings.get("strength") or 1.0)
        report_path = out / "refine.json"
        bpy.ops.garment.refine(report_path=str(report_path))
        entry["timings"]["refine_s"] = time.perf_counter() - t0
        refined = bpy.context.view_layer.objects.active
        refined.name = variant["id"]
        o = entry["outputs"]
        o["obj"] = _atomic_export(
            out / "refined.obj",
            lambda p: bpy.ops.wm.obj_export(filepath=p, export_selected_objects=True, export_materials=False),
        )
        if settings.get("glb"):
            import addon_utils

            addon_utils.enable("io_scene_gltf2", default_set=False)
            o["glb"] = _atomic_export(
                out / "refined.glb",
                lambda p: bpy.ops.export_scene.gltf(filepath=p, export_format="GLB", use_selection=True),
            )
        if settings.get("render"):
            teaser = import_module(f"{ext.__name__}.operators.teaser")
            rep = teaser.render_teaser(
                refined, out / "render", None, int(settings.get("resolution") or 256), 16
            )
            o["render"] = rep["files"]["teaser"]
            o["before_after"] = rep["files"]["before_after"]
        o["blend"] = _atomic_export(
            out / "refined.blend", lambda p: bpy.ops.wm.save_as_mainfile(filepath=p, copy=True)
        )
        o["report"] = str(report_path)
    except (ValueError, RuntimeError, OSError) as err:
        entry["timings"]["total_s"] = time.perf_counter() - t0
        return {**entry, "status": _error(err)}
    entry["timings"]["total_s"] = time.perf_counter() - t0
    return {**entry, "status": "ok"}
