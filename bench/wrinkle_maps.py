#!/usr/bin/env python3
"""How exactly the baked wrinkle maps carry the refined shape: the example skirt draped and
refined (the bundled model), its displacement map baked at several sizes and formats, sampled
back at the vertices and compared with the Wrinkles key (mm). Prints a table, writes JSON.

    python bench/wrinkle_maps.py [--pattern P.json] [--sizes 1024,2048,4096]
        [--out bench/results/wrinkle_maps.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="garment_bench_"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pattern", default=str(ROOT / "presets" / "patterns" / "skirt.json"))
    ap.add_argument("--sizes", default="1024,2048,4096")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "wrinkle_maps.json"))
    args = ap.parse_args(argv)
    import bpy
    import numpy as np
    from _bootstrap import load_extension
    from bpy_helpers import key_delta

    from core.texture_bake import sample_image

    ext = load_extension()
    scene_io = import_module(f"{ext.__name__}.operators.scene_io")
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.garment.load_pattern(filepath=args.pattern)
    bpy.ops.garment.drape()
    bpy.ops.garment.refine()
    obj = bpy.context.view_layer.objects.active
    ref = key_delta(obj)
    rows = []
    for fmt in ("EXR", "PNG"):
        for size in (int(s) for s in args.sizes.split(",")):
            scene_io.current_wrinkles_key(obj).value = 1.0
            with tempfile.TemporaryDirectory() as d:
                bpy.ops.garment.bake_maps(directory=d, resolution=size, file_format=fmt)
                info = obj["garment_wrinkle_maps"]
                me = obj.data
                loops = np.empty(len(me.loops), np.int32)
                me.loops.foreach_get("vertex_index", loops)
                cu = np.empty(len(me.loops) * 2, np.float32)
                me.uv_layers["wrinkle_bake"].uv.foreach_get("vector", cu)
                uv = np.zeros((len(me.vertices), 2))
                uv[loops] = cu.reshape(-1, 2)
                img = bpy.data.images.load(info["displacement"], check_existing=False)
                img.colorspace_settings.name = "Non-Color"
                w, h = img.size
                px = np.empty(w * h * 4, np.float32)
                img.pixels.foreach_get(px)
                bpy.data.images.remove(img)
            back = (sample_image(px.reshape(h, w, 4)[..., :3], uv) - info["midlevel"]) * info["scale"]
            e = 1000 * np.linalg.norm(back - ref, axis=1)
            rows.append({"format": fmt, "size": size, "texel_cm": info["texel_cm"], "max_mm": float(e.max()),
                         "p99_mm": float(np.percentile(e, 99)), "mean_mm": float(e.mean())})  # fmt: skip
    offsets = float(1000 * np.linalg.norm(ref, axis=1).max())
    print(f"\n{obj.name}: {len(ref):,} vertices, largest wrinkle offset {offsets:.2f} mm\n")
    print("| format | size | texel (cm) | max error (mm) | p99 (mm) | mean (mm) |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        cells = f"{r['texel_cm']:.3f} | {r['max_mm']:.3f} | {r['p99_mm']:.3f} | {r['mean_mm']:.4f}"
        print(f"| {r['format']} | {r['size']} | {cells} |")
    command = "bench/wrinkle_maps.py " + " ".join(sys.argv[1:] if argv is None else argv)
    Path(args.out).write_text(
        json.dumps(
            {"command": command.strip(), "vertices": len(ref), "max_offset_mm": offsets, "rows": rows},
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
