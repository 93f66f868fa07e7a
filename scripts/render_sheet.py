#!/usr/bin/env python3
"""Render a contact sheet of dataset drapes on their mannequins (Cycles, CPU).

    python scripts/render_sheet.py --data DIR [--count 12] [--cols 4] [--size 256]
        [--stage fine|coarse|both] [--out sheet.png]

With ``--stage both`` each sample shows coarse (left) and fine (right) side by side.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bootstrap import load_extension, script_args


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="dataset folder (with manifest.json)")
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--cols", type=int, default=4)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--samples", type=int, default=16, help="Cycles samples")
    ap.add_argument("--stage", default="fine", choices=("fine", "coarse", "both"))
    ap.add_argument("--out", default=None, help="PNG path (default DIR/sheet_<stage>.png)")
    args = ap.parse_args(argv)

    import bpy
    import numpy as np

    pkg = load_extension().__name__
    scene_io = import_module(f"{pkg}.operators.scene_io")
    render = import_module(f"{pkg}.operators.render")
    body_mod = import_module(f"{pkg}.core.body")
    frames = import_module(f"{pkg}.core.frames")
    dataset = import_module(f"{pkg}.core.dataset")
    gm = import_module(f"{pkg}.core.garment_mesh")

    root = Path(args.data)
    manifest = json.loads((root / "manifest.json").read_text())
    ok = [s["id"] for s in manifest["samples"] if s["status"] == "ok"][: args.count]
    if not ok:
        print("error: no finished samples in", root, file=sys.stderr)
        return 1
    stages = ["coarse", "fine"] if args.stage == "both" else [args.stage]
    tiles = []
    tmp = Path(tempfile.mkdtemp(prefix="sheet_"))
    for sid in ok:
        meta = dataset.read_meta(root, sid)
        arrays = dataset.load_arrays(root, sid)
        params = body_mod.BodyParams(**meta["body"])
        body = body_mod.make_body(params, 2.0)
        row = []
        for stage in stages:
            bpy.ops.wm.read_homefile(use_empty=True)
            mesh = gm.GarmentMesh(
                arrays[f"{stage}_vertices"],
                arrays[f"{stage}_faces"],
                arrays[f"{stage}_panel"],
                arrays[f"{stage}_uv"],
                [],
            )
            obj = scene_io.garment_to_object(mesh, f"{sid}_{stage}", stage="draped")
            me = scene_io.new_mesh_data("Mannequin", frames.pattern_to_blender(body.vertices), body.faces)
            for poly in me.polygons:
                poly.use_smooth = True
            mannequin = scene_io.link_object("Mannequin", me)
            render.setup_preview([obj, mannequin], resolution=args.size, samples=args.samples)
            png = render.render_png(tmp / f"{sid}_{stage}.png")
            img = bpy.data.images.load(str(png))
            row.append(np.array(img.pixels[:], np.float32).reshape(args.size, args.size, 4))
            bpy.data.images.remove(img)
        tiles.append(np.concatenate(row, axis=1))
        print(f"rendered {sid}")
    th, tw = tiles[0].shape[:2]
    cols = min(args.cols, len(tiles))
    rows = (len(tiles) + cols - 1) // cols
    sheet = np.ones((rows * th, cols * tw, 4), np.float32)
    for k, tile in enumerate(tiles):
        r, c = divmod(k, cols)
        y0 = (rows - 1 - r) * th  # Blender images start at the bottom row
        sheet[y0 : y0 + th, c * tw : (c + 1) * tw] = tile
    out = Path(args.out or root / f"sheet_{args.stage}.png").resolve()
    image = bpy.data.images.new("sheet", cols * tw, rows * th, alpha=True)
    image.pixels.foreach_set(sheet.ravel())
    image.filepath_raw = str(out)
    image.file_format = "PNG"
    image.save()
    print(f"wrote {out} ({len(tiles)} samples)")
    return 0


if __name__ == "__main__":
    code = main(script_args())
    if code:
        sys.exit(code)
