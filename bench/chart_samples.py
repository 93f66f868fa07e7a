#!/usr/bin/env python3
"""Look at what a model puts into a chart: the target's normal channel beside the model's
samples (seeds 0 and 1) for the largest charts of one garment.

    python bench/chart_samples.py --data data/pilot2_tensors --split test --index 0 \\
        --runs runs/pilot2_detail,runs/exp_long --out bench/results/chart_samples.png

Colour: the normal offset in cm (the same range in every panel of a row).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="training tensors or dataset folder")
    ap.add_argument("--split", default="test")
    ap.add_argument("--index", type=int, default=0, help="the garment's place in the split")
    ap.add_argument("--base", default="coarse_sim", choices=("coarse_sim", "lowpass"))
    ap.add_argument("--runs", required=True, help="comma list of run folders")
    ap.add_argument("--cond", default="curvature", help="condition channels to show beside (comma list)")
    ap.add_argument("--steps", default="", help="sampler steps per column (comma list; default: the model's)")
    ap.add_argument("--charts", type=int, default=2, help="how many of the largest charts")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "chart_samples.png"))
    args = ap.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from core.refiner.features import CONDITION_CHANNELS
    from core.refiner.refine import Refiner
    from core.refiner.sampling import denoise_charts
    from core.refiner.training import TrainConfig, split_samples
    from core.refiner.training_data import chart_example

    runs = [Path(r) for r in args.runs.split(",")]
    refiners = [Refiner(r / "refiner.json", runtime="torch") for r in runs]
    target_kind = refiners[0].desc.get("target", "highpass")
    arrays = split_samples(TrainConfig(data=args.data), args.split)[args.index]
    sigma = refiners[0].desc.get("target_sigma_cm", 4.0)
    ex = chart_example(arrays, arrays["material"], args.base, 0.5, arrays["id"], target_kind, sigma)
    order = np.argsort([-m.sum() for m in ex.masks])[: args.charts]
    steps = [int(k) for k in args.steps.split(",")] if args.steps else [None]
    seeds = [(seed, k) for k in steps for seed in (0, 1)]
    shown_cond = [c for c in args.cond.split(",") if c]
    columns = (
        [(c, None, "cond") for c in shown_cond]
        + [("target", None, None)]
        + [(r.name, ref, s) for r, ref in zip(runs, refiners, strict=True) for s in seeds]
    )
    samples = {}
    for name, ref, seed in columns[len(shown_cond) + 1 :]:
        imgs = denoise_charts(ex.cond, ref.runtime, ref.plan(seed[1]), seed[0], ref.multiple, True)
        samples[(name, seed)] = [img * ref.scale[:, None, None] for img in imgs]
    fig, axes = plt.subplots(len(order), len(columns), figsize=(3.2 * len(columns), 3.4 * len(order)))
    axes = np.atleast_2d(axes)
    for row, k in enumerate(order):
        mask = ex.masks[k] > 0
        lim = float(np.percentile(np.abs(ex.target[k][2][mask]), 99)) or 1.0
        for col, (name, _, seed) in enumerate(columns):
            ax = axes[row, col]
            if seed == "cond":
                img = ex.cond[k][CONDITION_CHANNELS.index(name)]
                c_lim = float(np.percentile(np.abs(img[mask]), 99)) or 1.0
                ax.imshow(np.where(mask, img, np.nan), cmap="PuOr_r", vmin=-c_lim, vmax=c_lim, origin="lower")
                ax.set_title(f"condition: {name}", fontsize=8)
                ax.set_axis_off()
                continue
            img = ex.target[k][2] if seed is None else samples[(name, seed)][k][2]
            ax.imshow(np.where(mask, img, np.nan), cmap="RdBu_r", vmin=-lim, vmax=lim, origin="lower")
            label = "" if seed is None else f" seed {seed[0]}, {seed[1] or 'default'} steps"
            ax.set_title(f"{name}{label}", fontsize=8)
            ax.set_axis_off()
    fig.suptitle(f"{arrays['id']}, {args.base} base, {target_kind} target: normal offset (cm)", fontsize=9)
    fig.tight_layout()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
