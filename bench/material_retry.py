#!/usr/bin/env python3
"""Remake dataset samples with changed cloth materials and compare them with the shipped ones.

    python bench/material_retry.py --data data/drapes_v2 --ids 00088_tshirt_mid_s200094,...
        --set bending=x3 [--tag bend3] [--save DIR] [--out bench/results/material_retry.json]

Each sample is generated again exactly as ``scripts/make_dataset.py`` made it (its index,
family, material and seed; the dataset's generation config, ``sim.generate.generate_sample``)
in a fresh process, with every preset of ``sim.blender_cloth.MATERIALS`` changed by
``--set`` (``key=value`` or ``key=xF``, as ``bench/drape_tuning.py``). The quality checks are
loosened so that a drape that would be rejected is still measured. Prints the fine drape's
sharp creases, detail at 1/2/4 cm, stretch p5/p95, seam gap and final speed, next to the
dataset's own; ``--save DIR`` keeps ``<id>_<tag>.npz`` (with the body) for
``scripts/render_sheet.py --npz``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.dataset import SampleSpec, read_meta  # noqa: E402
from core.drape_quality import QualityThresholds  # noqa: E402


def _row(meta: dict) -> dict:
    f = meta["fine"]
    m, q = f["measures"], f["quality"]
    return {
        "creases": m["sharp_creases"],
        "detail_1": m["detail"]["1"],
        "detail_2": m["detail"]["2"],
        "detail_4": m["detail"]["4"],
        "stretch_p5": m["strain"]["p5"],
        "stretch_p95": m["strain"]["p95"],
        "seam_gap_cm": q["seam_gap_max_cm"],
        "final_speed_cm": q["final_speed_cm"],
        "self_intersections": q["self_intersections"],
        "seconds": meta["seconds"],
    }


LOOSE = QualityThresholds(
    max_seam_gap_cm=1e3, max_inside_fraction=1.0, max_self_intersection_fraction=1.0, max_final_speed_cm=1e3
)


def _retry(spec: SampleSpec, config, changes: list[str]) -> tuple[dict, dict | None]:
    """One sample generated with every preset changed (in a fresh worker process)."""
    os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="retry_"))
    from drape_tuning import parse_overrides  # bench/ is this script's folder

    from sim import blender_cloth
    from sim.generate import generate_sample

    for name, material in list(blender_cloth.MATERIALS.items()):
        blender_cloth.MATERIALS[name] = replace(material, **parse_overrides(changes, material))
    meta, _, arrays = generate_sample(
        spec, config, thresholds={"fine": LOOSE, "coarse_sim": LOOSE, "coarse": LOOSE}
    )
    return meta, arrays


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--ids", required=True, help="comma list of sample ids")
    ap.add_argument("--set", nargs="+", required=True, help="ClothMaterial changes: key=value or key=xF")
    ap.add_argument("--tag", default="retry")
    ap.add_argument("--save", default=None)
    ap.add_argument("--out", default=None, help="JSON file (rows are appended)")
    args = ap.parse_args(argv)

    from core import body as body_mod
    from sim.generate import GenerationConfig, fresh_process_pool

    rows = []
    for sid in args.ids.split(","):
        shipped = read_meta(args.data, sid)
        if shipped is None or shipped.get("status") != "ok":
            raise SystemExit(f"{sid}: not an ok sample of {args.data}")
        spec = SampleSpec(
            shipped["index"], shipped["family"], shipped["material"], shipped["seed"],
            shipped["val_share"], shipped["test_share"],
        )  # fmt: skip
        config = GenerationConfig.from_meta(shipped["config"])
        with fresh_process_pool(1) as pool:  # the dataset's samples were each made in a new process
            meta, arrays = pool.submit(_retry, spec, config, args.set).result()
        if arrays is None:
            print(f"{sid}: {meta['status']}", flush=True)
            continue
        before, after = _row(shipped), _row(meta)
        rows.append({"id": sid, "set": args.set, "tag": args.tag, "before": before, "after": after})
        print(
            f"{sid} {args.tag}: creases {before['creases']:.2%} -> {after['creases']:.2%}, detail 2 cm "
            f"{before['detail_2']:.3f} -> {after['detail_2']:.3f}, stretch p95 "
            f"{before['stretch_p95']:.1%} -> {after['stretch_p95']:.1%}, seam gap "
            f"{after['seam_gap_cm']:.2f} cm, speed {after['final_speed_cm']:.3f} cm/frame, "
            f"{after['seconds']:.0f} s",
            flush=True,
        )
        if args.save:
            Path(args.save).mkdir(parents=True, exist_ok=True)
            body = body_mod.make_body(body_mod.BodyParams(**meta["body"]), 2.0)
            np.savez(
                Path(args.save) / f"{sid}_{args.tag}.npz",
                vertices=arrays["fine_vertices"], faces=arrays["fine_faces"], panel=arrays["fine_panel"],
                body_vertices=body.vertices, body_faces=body.faces,
            )  # fmt: skip
    if args.out:
        path = Path(args.out)
        old = json.loads(path.read_text()) if path.is_file() else []
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(old + rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
