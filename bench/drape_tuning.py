#!/usr/bin/env python3
"""Drape fixed designs with a cloth material (and overrides) and measure how cloth-like they are.

    python bench/drape_tuning.py --family skirt --material mid --seeds 3,7 [--edge 1.5]
        [--frames 120] [--self-collision 1] [--substeps N] [--set bending=x3 mass=0.1 ...]
        [--body default|sample] [--from-coarse EDGE_CM] [--coarse-frames N]
        [--save DIR] [--out bench/results/drape_tuning.json]

For each design (the dataset's own: body and pattern drawn from the seed as in
``sim.generate``) it reports the detail at 0.5/1/2/4 cm, the ratio r0.5/r1, the share of
sharp creases (core/detail.py, on the seam-welded mesh), the seam gap, vertices inside the
body, self-intersecting edges (away from / at seams), the final speed and the seconds per
drape, and the stretch of the cloth (edge length / rest length - 1: median, 5th and 95th
percentile). ``--from-coarse E`` drapes the garment at E cm edges first (no self-collision)
and starts the fine drape from it (``core.correspondence.upsample_drape``), as the dataset
generator does. ``--set key=value`` replaces a ``ClothMaterial`` field, ``key=xF`` multiplies it.
``--save DIR`` keeps each drape as ``<family>_<material>_s<seed>_e<edge>.npz`` (vertices,
faces, panel, body) for close-up renders (scripts/render_closeup.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.body import BodyParams, make_body, sample_body_params, signed_distance_inside  # noqa: E402
from core.boxmesh import build_box_mesh  # noqa: E402
from core.correspondence import upsample_drape  # noqa: E402
from core.detail import surface_detail  # noqa: E402
from core.drape_metrics import edge_strain  # noqa: E402
from core.drape_quality import QualityThresholds, assess_drape  # noqa: E402
from core.garments import FAMILIES  # noqa: E402
from core.garments.base import sample_pattern  # noqa: E402


def parse_overrides(items: list[str], base) -> dict:
    """``["bending=x3", "mass=0.1"]`` -> field values for ``dataclasses.replace``."""
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        if not hasattr(base, key):
            raise SystemExit(f"--set {item!r}: ClothMaterial has no field {key!r}")
        out[key] = getattr(base, key) * float(value[1:]) if value.startswith("x") else float(value)
    return out


def drape_design(family: str, seed: int, material, edge: float, args, coarse_material=None) -> dict:
    from sim.blender_cloth import drape

    rng = np.random.default_rng(seed)
    body_params = sample_body_params(rng) if args.body == "sample" else BodyParams()
    pattern, _ = sample_pattern(FAMILIES[family], seed, body_params)
    body = make_body(body_params, 2.0)
    box = build_box_mesh(pattern, edge)
    kw = {} if args.substeps is None else {"substeps": args.substeps}
    kw.update(json.loads(args.drape_kw))
    coarse_seconds = 0.0
    from core.garments.wrap import wrapped_start

    if args.wrap and not args.from_coarse:
        kw["start_vertices"] = wrapped_start(pattern, box, body_params)
    if args.from_coarse:
        cbox = build_box_mesh(pattern, args.from_coarse)
        ckw = {"start_vertices": wrapped_start(pattern, cbox, body_params)} if args.wrap else {}
        cres = drape(
            cbox.vertices,
            cbox.faces,
            cbox.seam_pairs,
            body.vertices,
            body.faces,
            material=coarse_material or material,
            frames=args.coarse_frames,
            **kw,
            **ckw,
        )
        coarse_seconds = cres.seconds
        kw.update(
            start_vertices=upsample_drape(cbox.with_vertices(cres.vertices), box),
            sew_frames=0,
            gravity_ramp=1,
        )
    res = drape(
        box.vertices,
        box.faces,
        box.seam_pairs,
        body.vertices,
        body.faces,
        material=material,
        frames=args.frames,
        self_collision=bool(args.self_collision),
        **kw,
    )
    draped = box.with_vertices(res.vertices)
    inside = signed_distance_inside(body, res.vertices)
    quality = assess_drape(pattern, draped, inside, res.history, QualityThresholds())
    wv, wf, _ = draped.welded()
    detail = surface_detail(wv, wf)
    strain = edge_strain(res.vertices, box.vertices, box.faces)
    row = {
        "family": family,
        "seed": seed,
        "material": material.name,
        "edge": edge,
        "vertices": box.n_vertices,
        "median_edge": float(np.median(np.linalg.norm(wv[wf] - wv[np.roll(wf, 1, 1)], axis=2))),
        "seconds": res.seconds + coarse_seconds,
        "coarse_seconds": coarse_seconds,
        "strain_p5": float(np.percentile(strain, 5)),
        "strain_med": float(np.median(strain)),
        "strain_p95": float(np.percentile(strain, 95)),
        **{f"d{k}": v for k, v in detail["detail"].items()},
        "ratio": detail["ratio"],
        "creases": detail["sharp_creases"],
        "seam_gap": quality.seam_gap_max_cm,
        "inside": quality.inside_body,
        "self_x": quality.self_intersections,
        "self_x_seam": quality.self_intersections_at_seams,
        "edges": int(1.5 * len(box.faces)),
        "speed": quality.final_speed_cm,
        "ok": quality.ok,
        "reasons": quality.reasons,
    }
    if args.save:
        out = Path(args.save)
        out.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            out / f"{family}_{material.name}_s{seed}_e{edge:g}.npz",
            vertices=res.vertices.astype(np.float32),
            faces=box.faces.astype(np.int32),
            panel=box.panel_ids.astype(np.int16),
            seam_pairs=box.seam_pairs.astype(np.int32),
            body_vertices=body.vertices.astype(np.float32),
            body_faces=body.faces.astype(np.int32),
        )
    return row


COLUMNS = [
    ("family", "{}"),
    ("material", "{}"),
    ("seed", "{}"),
    ("edge", "{:g}"),
    ("vertices", "{:,}"),
    ("median_edge", "{:.2f}"),
    ("d0.5", "{:.4f}"),
    ("d1", "{:.4f}"),
    ("d2", "{:.4f}"),
    ("d4", "{:.4f}"),
    ("ratio", "{:.2f}"),
    ("creases", "{:.2%}"),
    ("seam_gap", "{:.2f}"),
    ("inside", "{}"),
    ("self_x", "{}"),
    ("self_x_seam", "{}"),
    ("speed", "{:.3f}"),
    ("strain_p5", "{:+.1%}"),
    ("strain_med", "{:+.1%}"),
    ("strain_p95", "{:+.1%}"),
    ("seconds", "{:.0f}"),
]


def table(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(c for c, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        lines.append(
            "| " + " | ".join(fmt.format(r[c]) if r.get(c) is not None else "-" for c, fmt in COLUMNS) + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--family", default="skirt", choices=sorted(FAMILIES))
    ap.add_argument("--material", default="mid")
    ap.add_argument("--seeds", default="0", help="comma list of design seeds")
    ap.add_argument("--edge", default="1.5", help="comma list of fine edge lengths (cm)")
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--self-collision", type=int, default=1)
    ap.add_argument("--substeps", type=int, default=None)
    ap.add_argument("--set", nargs="*", default=[], help="ClothMaterial overrides: key=value or key=xF")
    ap.add_argument("--from-coarse", type=float, default=None, help="drape at this edge (cm) first")
    ap.add_argument("--coarse-frames", type=int, default=120)
    ap.add_argument("--wrap", action="store_true", help="start from the panels rolled around the body")
    ap.add_argument("--drape-kw", default="{}", help="JSON of extra sim.blender_cloth.drape keywords")
    ap.add_argument("--coarse-set", nargs="*", default=[], help="overrides for the coarse drape only")
    ap.add_argument("--bending-exponent", type=float, default=None, help="override BENDING_EXPONENT")
    ap.add_argument("--body", default="sample", choices=("default", "sample"))
    ap.add_argument("--save", default=None, help="folder for the draped meshes (.npz)")
    ap.add_argument("--out", default=None, help="JSON file (rows are appended)")
    args = ap.parse_args(argv)
    os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="garment_bl_"))
    from sim import blender_cloth
    from sim.blender_cloth import MATERIALS

    if args.bending_exponent is not None:
        blender_cloth.BENDING_EXPONENT = args.bending_exponent

    if args.material not in MATERIALS:
        ap.error(f"unknown material {args.material!r}")
    material = replace(MATERIALS[args.material], **parse_overrides(args.set, MATERIALS[args.material]))
    coarse_material = replace(material, **parse_overrides(args.coarse_set, material))
    rows = []
    t0 = time.perf_counter()
    for edge in (float(e) for e in args.edge.split(",")):
        for seed in (int(s) for s in args.seeds.split(",")):
            rows.append(drape_design(args.family, seed, material, edge, args, coarse_material))
            print(table(rows[-1:]).splitlines()[-1], flush=True)
    print(f"\n{' '.join(args.set) or 'preset'} ({time.perf_counter() - t0:.0f} s)")
    print(table(rows))
    if args.out:
        path = Path(args.out)
        old = json.loads(path.read_text()) if path.is_file() else []
        entry = {"argv": argv or sys.argv[1:], "material": asdict(material), "rows": rows}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([*old, entry], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
