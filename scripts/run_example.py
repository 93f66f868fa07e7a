#!/usr/bin/env python3
"""The main job, headless: pattern -> box mesh -> quick coarse cloth drape -> Refine Garment ->
before/after close-up render, refined mesh and report.

    python scripts/run_example.py [--pattern P.json] [--out DIR] [--material soft|mid|stiff]
    blender -b --factory-startup -P scripts/run_example.py -- [--pattern P.json] [--out DIR]

It presses the Garment tab's buttons (Load Pattern, Check Stitches, Refine Garment) on a
coarse drape made exactly as the training data's (``sim.generate.coarse_drape``: 4 cm edges,
Blender cloth on the default mannequin), and writes to DIR:

- ``<name>_before_after.png``: the coarse drape | the refined drape, grey, raking light; the whole
  garment above, a close-up of its upper part below
- ``<name>_refined.ply`` (the refined mesh with panel ids and pattern uv), ``<name>_coarse.ply``
- ``<name>_report.json``: stitch check, drape and refiner reports (timings, vertex counts)
- ``<name>.blend``: the scene, the refined object's "Wrinkles" shape key included
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bootstrap import ROOT, load_extension, script_args

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_PATTERN = ROOT / "presets" / "patterns" / "tshirt.json"


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pattern", default=str(DEFAULT_PATTERN), help="GarmentCode .json or .svg")
    ap.add_argument("--out", default=str(ROOT / "out" / "example"), help="output folder")
    ap.add_argument("--material", default=None, help="soft, mid or stiff (default: the pattern's, else mid)")
    ap.add_argument("--frames", type=int, default=None, help="coarse drape frames (default: the dataset's)")
    ap.add_argument("--seed", type=int, default=0, help="the refiner's seed (changes the wrinkles)")
    ap.add_argument("--strength", type=float, default=1.0, help="the Wrinkles key's value")
    ap.add_argument("--model", default=None, help="refiner model JSON (default: the bundled one)")
    ap.add_argument("--resolution", type=int, default=384, help="size of each render in pixels")
    ap.add_argument("--samples", type=int, default=16, help="Cycles samples")
    return ap.parse_args(argv)


CLOSEUP_BAND = (0.55, 1.0)  # the upper part of the garment, where the body shapes the cloth


def render_pair(obj, mannequin, out_png: Path, args, render) -> Path:
    """Renders of ``obj`` with its Wrinkles key off and on, side by side, the whole garment above
    and a close-up of its upper part below, in one PNG."""
    import bpy
    import numpy as np

    key = obj.data.shape_keys.key_blocks["Wrinkles"]
    for other in bpy.data.objects:  # the box mesh, the pattern outlines, the unrefined drape
        if other not in (obj, mannequin):
            other.hide_render = True
    rows = []
    for band in (None, CLOSEUP_BAND):  # the whole garment, then its upper part closer
        for obj_ in list(bpy.data.objects):  # each setup adds its own camera and sun
            if obj_.type in ("CAMERA", "LIGHT"):
                bpy.data.objects.remove(obj_)
        render.setup_closeup(obj, [mannequin], resolution=args.resolution, samples=args.samples, band=band)
        tiles = []
        for value in (0.0, args.strength):
            key.value = value
            png = render.render_png(out_png.with_name(f"{out_png.stem}_{'after' if value else 'before'}.png"))
            img = bpy.data.images.load(str(png))
            tiles.append(np.array(img.pixels[:], np.float32).reshape(args.resolution, args.resolution, 4))
            bpy.data.images.remove(img)
            png.unlink()
        rows.append(np.concatenate(tiles, axis=1))
    key.value = args.strength
    pair = np.concatenate(rows[::-1], axis=0)  # Blender's pixels run bottom-up: the close-up last
    image = bpy.data.images.new("before_after", pair.shape[1], pair.shape[0], alpha=True)
    image.pixels.foreach_set(pair.ravel())
    image.filepath_raw = str(out_png.resolve())
    image.file_format = "PNG"
    image.save()
    bpy.data.images.remove(image)
    return out_png


def main(argv: list[str]) -> int:
    args = parse(argv)
    import bpy

    pkg = load_extension().__name__
    scene_io = import_module(f"{pkg}.operators.scene_io")
    render = import_module(f"{pkg}.operators.render")
    meshio = import_module(f"{pkg}.core.meshio")
    body_mod = import_module(f"{pkg}.core.body")
    frames_mod = import_module(f"{pkg}.core.frames")
    from dataclasses import replace

    from sim.generate import GenerationConfig, coarse_drape

    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = GenerationConfig() if args.frames is None else replace(GenerationConfig(), frames=args.frames)
    g = bpy.context.scene.garment
    if args.model:
        g.model_path = str(Path(args.model).resolve())
    refine_ops = import_module(f"{pkg}.operators.refine_ops")
    if not refine_ops.model_path(bpy.context).is_file():
        print(f"error: no refiner model at {refine_ops.model_path(bpy.context)} (--model)", file=sys.stderr)
        return 1
    g.refine_seed, g.refine_strength = args.seed, args.strength
    times = {}
    t = time.perf_counter()
    try:
        bpy.ops.garment.load_pattern(
            filepath=str(Path(args.pattern).resolve()), edge_length=cfg.coarse_edge_cm
        )
        box_obj = bpy.context.view_layer.objects.active
        name = box_obj.name
        stitch_path = out / f"{name}_stitches.json"
        bpy.ops.garment.check_stitches(report_path=str(stitch_path))
    except RuntimeError as err:  # an operator's ERROR report
        print(f"error: {err}", file=sys.stderr)
        return 1
    pattern = scene_io.object_pattern(box_obj)
    material = args.material or pattern.properties.get("material") or "mid"
    times["pattern_s"] = time.perf_counter() - t

    t = time.perf_counter()
    params = body_mod.BodyParams()
    collision_body = body_mod.make_body(params, cfg.body_resolution_cm)
    last = [-1]

    def progress(frame: int, total: int) -> None:
        if frame * 10 // total != last[0]:
            last[0] = frame * 10 // total
            print(f"  coarse drape: frame {frame}/{total}", flush=True)

    _, draped, res = coarse_drape(pattern, collision_body, params, material, cfg, progress)
    times["coarse_drape_s"] = time.perf_counter() - t
    box_obj.hide_set(True)
    base = scene_io.garment_to_object(draped, f"{name} coarse drape", pattern, stage="base")
    meshio.save_garment_mesh(draped, out / f"{name}_coarse.ply")
    for o in bpy.context.view_layer.objects:
        o.select_set(False)
    base.select_set(True)
    bpy.context.view_layer.objects.active = base
    if args.material:
        g.refine_material = args.material

    t = time.perf_counter()
    refine_path = out / f"{name}_refine.json"
    try:
        bpy.ops.garment.refine(report_path=str(refine_path))
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    times["refine_s"] = time.perf_counter() - t
    refined = bpy.context.view_layer.objects.active
    mesh = scene_io.object_to_base_mesh(refined).as_garment(list(pattern.panels))
    meshio.save_garment_mesh(mesh, out / f"{name}_refined.ply")

    t = time.perf_counter()
    mannequin_mesh = body_mod.make_body(params, 1.0)
    me = scene_io.new_mesh_data(
        "Mannequin", frames_mod.pattern_to_blender(mannequin_mesh.vertices), mannequin_mesh.faces
    )
    mannequin = scene_io.link_object("Mannequin", me)
    png = render_pair(refined, mannequin, out / f"{name}_before_after.png", args, render)
    times["render_s"] = time.perf_counter() - t
    bpy.ops.wm.save_as_mainfile(filepath=str((out / f"{name}.blend").resolve()), copy=True)

    report = {
        "pattern": str(Path(args.pattern).resolve()),
        "material": material,
        "stitches": {"count": g.report_stitches, "accuracy_percent": g.report_accuracy},
        "coarse_drape": {
            "vertices": draped.n_vertices,
            "edge_cm": cfg.coarse_edge_cm,
            "frames": res.frames_run,
            "sim_seconds": res.seconds,
        },
        "refine": json.loads(refine_path.read_text()),
        "seconds": times,
    }
    report_path = out / f"{name}_report.json"
    report_path.write_text(json.dumps(report, indent=1))
    refine_path.unlink()
    r = report["refine"]
    print(
        f"{name}: {len(pattern.panels)} panels, {g.report_stitches} stitches "
        f"({g.report_accuracy:.1f}% accurate); "
        f"coarse drape {draped.n_vertices} vertices in {times['coarse_drape_s']:.0f} s; "
        f"refined to {r['vertices_out']} vertices in {times['refine_s']:.1f} s ({r['runtime']}); "
        f"render {times['render_s']:.0f} s"
    )
    print(f"wrote {png}, {out / f'{name}_refined.ply'}, {report_path}, {stitch_path}")
    return 0


if __name__ == "__main__":
    code = main(script_args())
    if code:
        sys.exit(code)
