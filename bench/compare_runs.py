#!/usr/bin/env python3
"""Trained runs side by side on the same held-out garments, both base kinds: detail of the
refined drape over the fine drape's at 0.5, 1, 2 and 4 cm, and placement (cosine of the
offsets added and the offsets the run's target asks for). A quick check between trainings;
docs/results.md comes from scripts/results.py.

    python bench/compare_runs.py --data data/pilot2_tensors --runs runs/pilot2_detail,runs/exp_long \\
        [--split test] [--garments 6] [--out bench/results/compare_runs.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

RADII = ("0.5", "1", "2", "4")


def seam_cleaned(arrays: dict, rings: int, rounds: int) -> dict:
    """A copy of a garment's arrays whose coarse drape is smoothed in a band around its seams."""
    from bench.seam_cleanup import seam_smooth
    from core.garment_mesh import weld_seams

    faces, pairs = arrays["fine_faces"], arrays["fine_seam_pairs"]
    base, welded_faces, index = weld_seams(arrays["coarse_sim_at_fine"], faces, pairs)
    seam = np.bincount(index, minlength=len(base)) > 1
    return {**arrays, "coarse_sim_at_fine": seam_smooth(base, welded_faces, seam, rings, rounds)[index]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--runs", required=True, help="comma list of run folders")
    ap.add_argument("--split", default="test")
    ap.add_argument("--garments", type=int, default=6)
    ap.add_argument("--bases", default="coarse_sim,lowpass")
    ap.add_argument(
        "--seam-clean",
        default=None,
        help="RINGS,ROUNDS: smooth the coarse drape in a band around its seams first (bench/seam_cleanup.py)",
    )
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "compare_runs.json"))
    args = ap.parse_args(argv)

    from core.refiner.refine import Refiner
    from core.refiner.training import (
        TrainConfig,
        ValGarment,
        detail_of,
        refine_example_vertices,
        split_samples,
        world_target,
    )
    from core.refiner.training_data import chart_example

    runs = [Path(r) for r in args.runs.split(",")]
    models = {r.name: Refiner(r / "refiner.json", runtime="torch") for r in runs}
    rows = []
    for arrays in split_samples(TrainConfig(data=args.data), args.split)[: args.garments]:
        fine = detail_of(arrays["fine_vertices"], arrays)
        if args.seam_clean:
            arrays = seam_cleaned(arrays, *(int(x) for x in args.seam_clean.split(",")))
        for base_kind in args.bases.split(","):
            base_detail = None
            examples: dict = {}  # runs with the same target share their chart images
            for name, ref in models.items():
                target = ref.desc.get("target", "highpass")
                sigma = ref.desc.get("target_sigma_cm", 4.0)
                if (target, sigma) not in examples:
                    examples[(target, sigma)] = chart_example(
                        arrays, arrays["material"], base_kind, 0.5, arrays["id"], target, sigma
                    )
                ex = examples[(target, sigma)]
                g = ValGarment(arrays["id"], arrays["material"], base_kind, arrays, ex)
                base, refined = refine_example_vertices(
                    g, ref.runtime, ref.plan(None), ref.scale, 0.5, 0, True
                )
                if base_detail is None:
                    base_detail = detail_of(base, arrays)
                d = detail_of(refined, arrays)
                added = refined - base
                true = world_target(arrays, base, TrainConfig(target=target, target_sigma_cm=sigma))
                cos = float((added * true).sum() / max(np.linalg.norm(added) * np.linalg.norm(true), 1e-12))
                row = {
                    "id": arrays["id"],
                    "family": arrays["family"],
                    "base": base_kind,
                    "run": name,
                    "ratio": {r: d[r] / fine[r] for r in RADII},
                    "base_ratio": {r: base_detail[r] / fine[r] for r in RADII},
                    "placement": cos,
                    "mean_offset_cm": float(np.linalg.norm(added, axis=1).mean()),
                    "target_offset_cm": float(np.linalg.norm(true, axis=1).mean()),
                }
                rows.append(row)
                print(
                    f"{row['id']:28s} {base_kind:10s} {name:16s} "
                    + " ".join(f"{row['ratio'][r]:.2f}" for r in RADII)
                    + "  (base "
                    + " ".join(f"{row['base_ratio'][r]:.2f}" for r in RADII)
                    + f")  place {cos:.3f}  offset {row['mean_offset_cm']:.3f}"
                    + f" / {row['target_offset_cm']:.3f} cm",
                    flush=True,
                )
    print(
        "\n| base | run | detail / fine at 0.5, 1, 2, 4 cm | base's | placement | offset / target's cm |"
        "\n|---|---|---|---|---|---|"
    )
    for base_kind in args.bases.split(","):
        for name in models:
            sel = [r for r in rows if r["base"] == base_kind and r["run"] == name]
            ratio = " / ".join(f"{np.mean([s['ratio'][r] for s in sel]):.2f}" for r in RADII)
            base_r = " / ".join(f"{np.mean([s['base_ratio'][r] for s in sel]):.2f}" for r in RADII)
            place = np.mean([s["placement"] for s in sel])
            added = np.mean([s["mean_offset_cm"] for s in sel])
            wanted = np.mean([s["target_offset_cm"] for s in sel])
            print(f"| {base_kind} | {name} | {ratio} | {base_r} | {place:.3f} | {added:.3f} / {wanted:.3f} |")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"command": " ".join(["python", "bench/compare_runs.py", *sys.argv[1:]]), "rows": rows})
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
