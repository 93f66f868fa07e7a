#!/usr/bin/env python3
"""Render a contact sheet of drapes on their mannequins (Cycles, CPU).

    python scripts/render_sheet.py --data DIR [--count 12] [--ids ID,...] [--first-test-per-cell]
        [--cols 4] [--size 256] [--stage fine|coarse|coarse_sim|both] [--closeup] [--out sheet.png]
    python scripts/render_sheet.py --npz a.npz b.npz ... [--closeup] --out sheet.png

With ``--stage both`` each sample shows coarse (left) and fine (right) side by side.
``--closeup`` frames the garment alone with a grey material and a low raking sun, so that
folds (and crumpling) show as an artist would see them; without it the preview render with
panel colours is used. ``--npz`` renders meshes saved by ``bench/drape_tuning.py --save``.
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


def _dataset_items(args, dataset, body_mod) -> list[tuple[str, list]]:
    """(label, [(vertices, faces, panel) per stage], body mesh) for dataset samples."""
    root = Path(args.data)
    manifest = json.loads((root / "manifest.json").read_text())
    rows = [s for s in manifest["samples"] if s["status"] == "ok"]
    if args.ids:
        wanted = args.ids.split(",")
        rows = [s for w in wanted for s in rows if s["id"] == w]
    elif args.first_test_per_cell:
        cells: dict = {}
        for s in rows:
            if s["split"] == "test":
                cells.setdefault((s["family"], s["material"]), s)
        rows = [cells[k] for k in sorted(cells)]
    rows = rows[: args.count]
    stages = ["coarse", "fine"] if args.stage == "both" else [args.stage]
    items = []
    for s in rows:
        meta = dataset.read_meta(root, s["id"])
        arrays = dataset.load_arrays(root, s["id"])
        body = body_mod.make_body(body_mod.BodyParams(**meta["body"]), 2.0)
        topo = {"coarse_sim": "coarse"}  # the coarse drape shares the low-pass coarse mesh's topology
        meshes = []
        for st in stages:
            t = topo.get(st, st)
            meshes.append((arrays[f"{st}_vertices"], arrays[f"{t}_faces"], arrays[f"{t}_panel"]))
        items.append((s["id"], meshes, (body.vertices, body.faces)))
    return items


def _npz_items(paths: list[str]) -> list[tuple[str, list]]:
    import numpy as np

    items = []
    for p in paths:
        with np.load(p) as d:
            mesh = (d["vertices"], d["faces"], d["panel"])
            items.append((Path(p).stem, [mesh], (d["body_vertices"], d["body_faces"])))
    return items


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", help="dataset folder (with manifest.json)")
    src.add_argument("--npz", nargs="+", help="meshes saved by bench/drape_tuning.py --save")
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--ids", default=None, help="comma list of sample ids (default: the first ok ones)")
    ap.add_argument(
        "--first-test-per-cell", action="store_true", help="the first test sample of every family x material"
    )
    ap.add_argument("--cols", type=int, default=4)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--samples", type=int, default=16, help="Cycles samples")
    ap.add_argument("--stage", default="fine", choices=("fine", "coarse", "coarse_sim", "both"))
    ap.add_argument("--closeup", action="store_true", help="grey cloth, raking light, garment framed alone")
    ap.add_argument(
        "--view-deg", type=float, default=25.0, help="close-up view from the front, degrees (90: the side)"
    )
    ap.add_argument("--out", default=None, help="PNG path (default DIR/sheet_<stage>.png)")
    args = ap.parse_args(argv)
    if args.npz and not args.out:
        ap.error("--npz needs --out")

    import bpy
    import numpy as np

    pkg = load_extension().__name__
    scene_io = import_module(f"{pkg}.operators.scene_io")
    render = import_module(f"{pkg}.operators.render")
    body_mod = import_module(f"{pkg}.core.body")
    frames = import_module(f"{pkg}.core.frames")
    dataset = import_module(f"{pkg}.core.dataset")
    gm = import_module(f"{pkg}.core.garment_mesh")

    items = _npz_items(args.npz) if args.npz else _dataset_items(args, dataset, body_mod)
    if not items:
        print("error: no finished samples to render", file=sys.stderr)
        return 1
    tiles = []
    tmp = Path(tempfile.mkdtemp(prefix="sheet_"))
    for label, meshes, (body_v, body_f) in items:
        row = []
        for k, (v, f, panel) in enumerate(meshes):
            bpy.ops.wm.read_homefile(use_empty=True)
            mesh = gm.GarmentMesh(v, f, panel, np.zeros((len(v), 2)), [])
            obj = scene_io.garment_to_object(mesh, f"{label}_{k}", stage="draped")
            me = scene_io.new_mesh_data("Mannequin", frames.pattern_to_blender(body_v), np.asarray(body_f))
            for poly in me.polygons:
                poly.use_smooth = True
            mannequin = scene_io.link_object("Mannequin", me)
            if args.closeup:
                render.setup_closeup(
                    obj, [mannequin], resolution=args.size, samples=args.samples, view_deg=args.view_deg
                )
            else:
                render.setup_preview([obj, mannequin], resolution=args.size, samples=args.samples)
            png = render.render_png(tmp / f"{label}_{k}.png")
            img = bpy.data.images.load(str(png))
            row.append(np.array(img.pixels[:], np.float32).reshape(args.size, args.size, 4))
            bpy.data.images.remove(img)
        tiles.append(np.concatenate(row, axis=1))
        print(f"rendered {label}")
    th, tw = tiles[0].shape[:2]
    cols = min(args.cols, len(tiles))
    rows = (len(tiles) + cols - 1) // cols
    sheet = np.ones((rows * th, cols * tw, 4), np.float32)
    for k, tile in enumerate(tiles):
        r, c = divmod(k, cols)
        y0 = (rows - 1 - r) * th  # Blender images start at the bottom row
        sheet[y0 : y0 + th, c * tw : (c + 1) * tw] = tile
    out = Path(
        args.out or Path(args.data) / f"sheet_{args.stage}{'_closeup' if args.closeup else ''}.png"
    ).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
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
