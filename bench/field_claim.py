#!/usr/bin/env python3
"""The field claim: does a geometry-aligned multiresolution hash field store a garment's
high-frequency residual better than a deep MLP, at equal training time?

    python bench/field_claim.py --data data/drapes_v2 --garments 4 --seconds 60 \
        --lrs 1e-3,3e-3,1e-2 [--base lowpass] [--batch 4096] [--threads 1] \
        [--out bench/results/field_claim.json]

For N test garments (round robin over the families, so N >= 4 covers every family), the residual
``fine - base`` (cm, core/garment_fit/residual.py) is fitted from scratch by each store
(core/garment_fit/stores.py): the deep MLP (8 x 256 ReLU over a 10-octave positional encoding of
(u, v) + a chart embedding), the hash grid + tiny MLP at table sizes T_full, T_full/4, T_full/16
(T_full: the finest level's grid vertices the occupied texels read, finest texel
``--finest-cm``), the dense UV grid (direct values, texel ``--dense-cm``) and per-vertex values.
Every store runs once per learning rate with the same training-time budget ``--seconds``
(core/garment_fit/fit_store.py: Adam, MSE on fresh area-uniform surface batches; evaluations are
not timed). A store's best learning rate is the one with the lowest validation error (a fixed
surface set separate from the held-out set) averaged over the garments; the table reports the
held-out mean error (mm, Euclidean) at that learning rate, averaged over the garments, and the
same error read from the curve at S/4 and S/2. The zero predictor (predicting 0: the residual's
own size) is the reference line. The JSON holds every run, per garment.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core.dataset import load_arrays  # noqa: E402
from core.garment_fit import (  # noqa: E402
    BASE_KEYS,
    build_store,
    fit_store,
    garment_residual,
    hash_t_full,
    zero_error,
)
from core.garment_fit.stores import DENSE_TEXEL_CM, FINEST_TEXEL_CM, HASH_LEVELS  # noqa: E402

FAMILIES = ("dress", "skirt", "trousers", "tshirt")


def pick_garments(data: Path, n: int, base: str) -> list[dict]:
    """The first ``n`` ok test garments taken round robin over the families (ids ascending)."""
    rows = json.loads((data / "manifest.json").read_text())["samples"]
    rows = sorted(
        (r for r in rows if r.get("split") == "test" and r.get("status", "ok") == "ok"), key=lambda r: r["id"]
    )
    by_family = {f: [r for r in rows if r["family"] == f] for f in sorted({r["family"] for r in rows})}
    out: list[dict] = []
    depth = 0
    while len(out) < n and any(len(v) > depth for v in by_family.values()):
        for rs in by_family.values():
            if depth < len(rs) and len(out) < n:
                out.append(rs[depth])
        depth += 1
    if base != "lowpass":  # the key every v2 sample should hold; say so if one does not
        for r in out:
            if BASE_KEYS[base] not in load_arrays(data, r["id"]):
                raise SystemExit(f"{r['id']} has no {BASE_KEYS[base]} for base {base!r}")
    return out


def store_specs(shares: list[float], dense_cm: float) -> list[dict]:
    """(name, kind, build options) of every compared store, in table order."""
    specs = [{"name": "deep MLP 8x256", "kind": "deep_mlp", "options": {}}]
    for s in shares:
        label = "T_full" if s == 1 else f"T_full/{round(1 / s)}"
        specs.append({"name": f"hash {label}", "kind": "hash", "options": {"table_share": s}})
    specs.append({"name": f"dense UV {dense_cm:g} cm", "kind": "dense", "options": {}})
    specs.append({"name": "per-vertex", "kind": "per_vertex", "options": {}})
    return specs


def run_garment(args, data: Path, row: dict, specs: list[dict], lrs: list[float]) -> dict:
    """Every store at every learning rate on one garment."""
    arrays = load_arrays(data, row["id"])
    res = garment_residual(arrays, args.base)
    n_fine, tf = hash_t_full(res, args.finest_cm)
    zero_mm, zero_max = zero_error(res.heldout)
    g = {
        "id": row["id"],
        "family": row["family"],
        "stats": res.stats(),
        "zero_mm": zero_mm,
        "zero_max_mm": zero_max,
        "finest_resolution": n_fine,
        "finest_texel_cm": res.texel_cm(n_fine),
        "t_full": tf,
        "dense_resolution": res.resolution_for(args.dense_cm),
        "dense_texel_cm": res.texel_cm(res.resolution_for(args.dense_cm)),
        "runs": [],
    }
    print(
        f"# {row['id']}: {res.n_vertices} vertices, {res.n_charts} charts, scale {res.scale_cm:.1f} cm, "
        f"|R| mean {g['stats']['mean_cm'] * 10:.2f} mm, N {n_fine} ({g['finest_texel_cm']:.3f} cm), "
        f"T_full {tf}",
        file=sys.stderr,
        flush=True,
    )
    for spec in specs:
        for lr in lrs:
            store = build_store(
                spec["kind"],
                res,
                finest_texel_cm=args.finest_cm,
                dense_texel_cm=args.dense_cm,
                n_levels=args.levels,
                seed=args.seed,
                **spec["options"],
            )
            r = fit_store(
                store,
                res,
                seconds=args.seconds,
                iterations=args.iterations,
                lr=lr,
                batch=args.batch,
                seed=args.seed,
                clock=args.clock,
            )
            run = {"store": spec["name"], "kind": spec["kind"], "describe": store.describe(), **r.to_dict()}
            budget = args.seconds if args.seconds is not None else r.seconds
            run["error_at_quarter_mm"] = r.error_at(budget / 4)
            run["error_at_half_mm"] = r.error_at(budget / 2)
            g["runs"].append(run)
            print(
                f"  {spec['name']:<18} lr {lr:<7g} {r.parameter_count:>9} params  {r.iterations:>6} it  "
                f"held-out {r.mean_mm:.3f} mm (val {r.val_mean_mm:.3f})  cpu/wall "
                f"{r.cpu_seconds / max(r.wall_seconds, 1e-9):.2f}",
                file=sys.stderr,
                flush=True,
            )
    return g


def _finite(x: float) -> float:
    return x if math.isfinite(x) else math.inf


def summarise(garments: list[dict], specs: list[dict], lrs: list[float]) -> list[dict]:
    """Per store: the learning rate with the lowest validation error over the garments, and the
    means over the garments at that rate; plus each garment's row at it."""
    out = []
    for spec in specs:
        per_lr = {}
        for lr in lrs:
            runs = [
                next(r for r in g["runs"] if r["store"] == spec["name"] and r["lr"] == lr) for g in garments
            ]
            per_lr[lr] = runs
        best = min(lrs, key=lambda lr: float(np.mean([_finite(r["val_mean_mm"]) for r in per_lr[lr]])))
        runs = per_lr[best]
        out.append(
            {
                "store": spec["name"],
                "kind": spec["kind"],
                "best_lr": best,
                "parameters_mean": float(np.mean([r["parameter_count"] for r in runs])),
                "mean_mm": float(np.mean([r["mean_mm"] for r in runs])),
                "max_mm": float(np.mean([r["max_mm"] for r in runs])),
                "val_mean_mm": float(np.mean([r["val_mean_mm"] for r in runs])),
                "quarter_mm": float(np.mean([r["error_at_quarter_mm"] for r in runs])),
                "half_mm": float(np.mean([r["error_at_half_mm"] for r in runs])),
                "iterations_mean": float(np.mean([r["iterations"] for r in runs])),
                "val_by_lr": {
                    str(lr): float(np.mean([_finite(r["val_mean_mm"]) for r in per_lr[lr]])) for lr in lrs
                },
                "per_garment": [
                    {
                        "id": g["id"],
                        "family": g["family"],
                        "parameters": r["parameter_count"],
                        "mean_mm": r["mean_mm"],
                        "max_mm": r["max_mm"],
                        "quarter_mm": r["error_at_quarter_mm"],
                        "half_mm": r["error_at_half_mm"],
                        "iterations": r["iterations"],
                    }
                    for g, r in zip(garments, runs, strict=True)
                ],
            }
        )
    return out


def _params(n: float) -> str:
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.1f}k"


def markdown(summary: list[dict], garments: list[dict], seconds: float | None) -> str:
    s = f"{seconds:g} s" if seconds is not None else "the run's length"
    lines = [
        f"S = {s} of training per run; means over {len(garments)} garments; parameters: mean.",
        "",
        "| store | parameters | best lr | held-out mean error mm | at S/4 | at S/2 | max mm | iterations |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    zero = float(np.mean([g["zero_mm"] for g in garments]))
    zero_max = float(np.mean([g["zero_max_mm"] for g in garments]))
    lines.append(f"| zero (predict 0) | 0 | - | {zero:.3f} | {zero:.3f} | {zero:.3f} | {zero_max:.2f} | - |")
    for r in summary:
        lines.append(
            f"| {r['store']} | {_params(r['parameters_mean'])} | {r['best_lr']:g} | {r['mean_mm']:.3f} | "
            f"{r['quarter_mm']:.3f} | {r['half_mm']:.3f} | {r['max_mm']:.2f} | {r['iterations_mean']:.0f} |"
        )
    lines.append("")
    lines.append(
        "| garment | family | vertices | scale cm | residual mean / std / max mm | T_full (N, texel cm) |"
    )
    lines.append("|---|---|---:|---:|---:|---:|")
    for g in garments:
        st = g["stats"]
        lines.append(
            f"| {g['id']} | {g['family']} | {st['vertices']} | {st['scale_cm']:.1f} | "
            f"{st['mean_cm'] * 10:.2f} / {st['std_cm'] * 10:.2f} / {st['max_cm'] * 10:.2f} | "
            f"{g['t_full']} ({g['finest_resolution']}, {g['finest_texel_cm']:.3f}) |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "drapes_v2")
    ap.add_argument("--garments", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=60.0, help="training-time budget per run")
    ap.add_argument("--iterations", type=int, default=None, help="iteration cap per run (optional)")
    ap.add_argument("--lrs", default="1e-3,3e-3,1e-2")
    ap.add_argument("--base", default="lowpass", choices=sorted(BASE_KEYS))
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--finest-cm", type=float, default=FINEST_TEXEL_CM, help="finest hash texel (cm)")
    ap.add_argument("--dense-cm", type=float, default=DENSE_TEXEL_CM, help="dense UV grid texel (cm)")
    ap.add_argument("--levels", type=int, default=HASH_LEVELS)
    ap.add_argument("--shares", default="1,0.25,0.0625", help="hash table sizes as shares of T_full")
    ap.add_argument("--stores", default="", help="comma list of store names to run (default: all)")
    ap.add_argument("--clock", default="wall", choices=("wall", "cpu"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "field_claim.json")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    with contextlib.suppress(RuntimeError):  # already set in this process
        torch.set_num_interop_threads(1)
    lrs = [float(x) for x in args.lrs.split(",") if x]
    specs = store_specs([float(x) for x in args.shares.split(",") if x], args.dense_cm)
    if args.stores:
        keep = {s.strip() for s in args.stores.split(",")}
        specs = [s for s in specs if s["name"] in keep or s["kind"] in keep]
    rows = pick_garments(args.data, args.garments, args.base)
    fams = {r["family"] for r in rows}
    if not fams >= set(FAMILIES):
        print(f"# note: {len(rows)} garments cover {sorted(fams)}, not every family", file=sys.stderr)

    t0 = time.time()
    result = {
        "command": " ".join(sys.argv),
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "out"},
        "definitions": {
            "error": "Euclidean distance of predicted vs target residual at surface points, mm",
            "heldout": "fixed area-uniform surface points of the fine drape (own seed)",
            "best_lr": "lowest validation error (a second fixed set) averaged over the garments",
            "seconds": f"training clock ({args.clock}) of the training steps only, evaluations untimed",
        },
        "garments": [],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for row in rows:
        result["garments"].append(run_garment(args, args.data, row, specs, lrs))
        result["summary"] = summarise(result["garments"], specs, lrs)
        result["elapsed_s"] = time.time() - t0
        args.out.write_text(json.dumps(result, indent=1))
    table = markdown(result["summary"], result["garments"], args.seconds)
    result["table"] = table
    args.out.write_text(json.dumps(result, indent=1))
    print(table)
    print(f"\n{len(rows)} garments, base {args.base}, {time.time() - t0:.0f} s; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
