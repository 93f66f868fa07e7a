#!/usr/bin/env python3
"""Teaser renders, headless: a pattern loaded, draped on the mannequin, refined and rendered in
a studio (the Drape, Refine Garment and Render Teaser buttons), or a garment object of a .blend.

    python scripts/render_teaser.py --pattern P.json --out DIR [--seed S] [--turntable N] [--mp4]
    python scripts/render_teaser.py --blend FILE.blend --object NAME --out DIR
    blender -b -P scripts/render_teaser.py -- --pattern P.json --out DIR

Writes DIR/teaser.png, DIR/before_after.png (the wrinkles at 0 | at their strength),
DIR/turntable/NNNN.png (and turntable.mp4) and DIR/teaser.json (files, device, coverage).
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bootstrap import ROOT, load_extension, script_args

DEFAULT_PATTERN = ROOT / "presets" / "patterns" / "skirt.json"


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group()
    src.add_argument(
        "--pattern", default=None, help=f"GarmentCode .json or .svg (default {DEFAULT_PATTERN.name})"
    )
    src.add_argument("--blend", default=None, help="a .blend holding the garment")
    ap.add_argument("--object", default=None, help="the garment object in --blend (default: the active one)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--material", choices=("soft", "mid", "stiff"), default=None)
    ap.add_argument("--model", default=None, help="refiner model JSON (default: the bundled one)")
    ap.add_argument("--resolution", type=int, default=512)
    ap.add_argument("--samples", type=int, default=32)
    ap.add_argument("--turntable", type=int, default=0, help="turntable frames (0: none)")
    ap.add_argument("--mp4", action="store_true", help="also encode the turntable as MP4")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(script_args() if argv is None else argv)
    import bpy

    if args.blend:
        bpy.ops.wm.open_mainfile(filepath=str(Path(args.blend).resolve()))
    ext = load_extension()
    teaser = import_module(f"{ext.__name__}.operators.teaser")
    drape_ops = import_module(f"{ext.__name__}.operators.drape_ops")
    try:
        if args.blend:
            obj = bpy.data.objects.get(args.object) if args.object else bpy.context.view_layer.objects.active
            if obj is None or obj.type != "MESH":
                print(f"error: no garment mesh {args.object or '(active)'} in {args.blend}", file=sys.stderr)
                return 1
        else:
            bpy.ops.wm.read_homefile(use_empty=True)
            g = bpy.context.scene.garment
            if args.model:
                g.model_path = str(Path(args.model).resolve())
            if args.material:
                g.refine_material = args.material
            g.refine_seed = args.seed
            bpy.ops.garment.load_pattern(filepath=str(Path(args.pattern or DEFAULT_PATTERN).resolve()))
            print("draping ...", flush=True)
            bpy.ops.garment.drape()
            print("refining ...", flush=True)
            bpy.ops.garment.refine()
            obj = bpy.context.view_layer.objects.active
    except RuntimeError as err:  # an operator's ERROR report
        print(f"error: {err}", file=sys.stderr)
        return 1
    out = Path(args.out)
    body = bpy.data.objects.get(drape_ops.MANNEQUIN)
    print(f"rendering {obj.name} ...", flush=True)
    report = teaser.render_teaser(
        obj, out, body, args.resolution, args.samples, turntable=args.turntable, mp4=args.mp4
    )
    (out / "teaser.json").write_text(json.dumps({"object": obj.name, **report}, indent=1))
    files = ", ".join(report["files"].values())
    print(f"{obj.name}: {files} ({report['device']}, coverage {report['coverage']:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
