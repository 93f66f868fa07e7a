#!/usr/bin/env python3
"""The main job, headless: pattern -> box mesh -> stitch report -> Cycles render.

    python scripts/run_example.py [--pattern P.json] [--out DIR]
    blender -b --factory-startup -P scripts/run_example.py -- [--pattern P.json] [--out DIR]

It presses the same operators as the Garment tab's buttons (Load Pattern, Check Stitches)
and writes DIR/<name>_boxmesh.ply, DIR/<name>_report.json, DIR/<name>.png and DIR/<name>.blend.
"""

from __future__ import annotations

import argparse
import sys
import time
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bootstrap import ROOT, load_extension, script_args

DEFAULT_PATTERN = ROOT / "presets" / "patterns" / "tshirt.json"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description="pattern -> box mesh -> stitch report -> render")
    ap.add_argument("--pattern", default=str(DEFAULT_PATTERN), help="GarmentCode .json or .svg")
    ap.add_argument("--out", default=str(ROOT / "out" / "example"), help="output folder")
    ap.add_argument("--edge-length", type=float, default=2.0, help="box mesh edge length (cm)")
    ap.add_argument("--resolution", type=int, default=256, help="render size in pixels")
    ap.add_argument("--samples", type=int, default=16, help="Cycles samples")
    ap.add_argument("--no-body", action="store_true", help="leave the mannequin out of the render")
    args = ap.parse_args(argv)

    import bpy

    pkg = load_extension().__name__
    scene_io = import_module(f"{pkg}.operators.scene_io")
    render = import_module(f"{pkg}.operators.render")
    meshio = import_module(f"{pkg}.core.meshio")
    body = import_module(f"{pkg}.core.body")
    frames = import_module(f"{pkg}.core.frames")

    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        bpy.ops.garment.load_pattern(filepath=str(Path(args.pattern).resolve()), edge_length=args.edge_length)
        obj = bpy.context.view_layer.objects.active
        name = obj.name
        report_path = out / f"{name}_report.json"
        bpy.ops.garment.check_stitches(report_path=str(report_path))
    except RuntimeError as err:  # an operator's ERROR report
        print(f"error: {err}", file=sys.stderr)
        return 1
    t1 = time.perf_counter()
    pattern = scene_io.object_pattern(obj)
    mesh = scene_io.object_to_base_mesh(obj).as_garment(list(pattern.panels))
    meshio.save_garment_mesh(mesh, out / f"{name}_boxmesh.ply")
    shown = [obj]
    if not args.no_body:
        mannequin = body.make_body(body.BodyParams(), 2.0)
        verts = frames.pattern_to_blender(mannequin.vertices)
        me = scene_io.new_mesh_data("Mannequin", verts, mannequin.faces)
        for poly in me.polygons:
            poly.use_smooth = True
        shown.append(scene_io.link_object("Mannequin", me))
    render.setup_preview(shown, resolution=args.resolution, samples=args.samples)
    png = render.render_png(out / f"{name}.png")
    bpy.ops.wm.save_as_mainfile(filepath=str((out / f"{name}.blend").resolve()), copy=True)
    g = bpy.context.scene.garment
    print(
        f"{name}: {len(pattern.panels)} panels, {mesh.n_vertices} vertices, "
        f"{g.report_stitches} stitches, stitch accuracy {g.report_accuracy:.1f}% "
        f"(load+check {t1 - t0:.2f} s, render {time.perf_counter() - t1:.2f} s)"
    )
    for line in g.report_lines:
        print("  bad stitch", line.text)
    print(f"wrote {report_path}, {out / f'{name}_boxmesh.ply'}, {png}")
    return 0


if __name__ == "__main__":
    code = main(script_args())
    if code:
        sys.exit(code)
