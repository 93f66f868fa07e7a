#!/usr/bin/env python3
"""Train the wrinkle refiner (or its one-step regression baseline) from a YAML config.

    python scripts/train.py --config configs/refiner.yaml [--sample_idx N] [--material m]
        [--diffusion_steps K] [--steps S] [--out DIR] [--resume] [--device auto|cpu|cuda]
    torchrun --nproc_per_node 8 scripts/train.py --config configs/refiner.yaml   # DDP

Writes DIR/refiner.safetensors + refiner.json (the model), optimizer.pt and history.json;
``--resume`` continues from them.

A config with ``kind: garment_fit`` (configs/fit.yaml) runs the per-garment fit instead
(core/garment_fit/two_stage.py: stage 1 Nuvo + hash field, stage 2 the denoiser joins) on the
``--sample_idx``-th training garment (after ``--material``), writing DIR/field.safetensors + fit.json:

    python scripts/train.py --config configs/fit.yaml --sample_idx 5 --material stiff --diffusion_steps 10
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tqdm import tqdm  # noqa: E402


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--data", default=None, help="dataset folder (overrides the config)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--sample_idx", type=int, default=None, help="train on this one training garment")
    ap.add_argument("--material", default=None, help="only garments of this material")
    ap.add_argument("--exclude_family", default=None, help="leave this family out (comma list)")
    ap.add_argument("--diffusion_steps", type=int, default=None, help="the sampler's default K")
    ap.add_argument("--objective", choices=("diffusion", "regression"), default=None)
    ap.add_argument("--target", choices=("highpass", "detail", "residual"), default=None)
    ap.add_argument("--steps", type=int, default=None, help="training steps")
    ap.add_argument("--lr", type=float, default=None, help="peak learning rate")
    ap.add_argument("--val_every", type=int, default=None, help="validate every N steps")
    ap.add_argument("--ema_decay", type=float, default=None, help="0: save the raw weights")
    ap.add_argument("--max_garments", type=int, default=None)
    ap.add_argument("--device", default=None, choices=("auto", "cpu", "cuda"))
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--resume", action="store_true")
    return ap.parse_args(argv)


def config_from_args(args: argparse.Namespace, raw: dict):
    """The TrainConfig of the YAML ``raw`` with the flags over it; each checked with its source."""
    from core.refiner.training import TrainConfig

    TrainConfig.check(raw, args.config)
    keys = ("data", "out", "sample_idx", "diffusion_steps", "objective", "target", "steps", "max_garments")
    keys += ("device", "threads", "seed", "lr", "ema_decay", "val_every")
    flags = {key: getattr(args, key) for key in keys if getattr(args, key) is not None}
    if args.material:
        flags["materials"] = [args.material]
    if args.exclude_family:
        flags["exclude_families"] = args.exclude_family.split(",")
    TrainConfig.check(flags, "command line")
    return TrainConfig.from_dict({**raw, **flags}, args.config)


def fit_main(args: argparse.Namespace, raw: dict) -> int:
    """The per-garment fit (``kind: garment_fit``)."""
    import json

    from core.dataset import load_arrays, read_manifest
    from core.errors import DatasetError
    from core.garment_fit.details import format_details
    from core.garment_fit.two_stage import FitConfig, fit_garment
    from core.refiner.training import TrainConfig, _filter

    for key in ("data", "out", "sample_idx", "diffusion_steps", "threads", "seed", "material"):
        if getattr(args, key) is not None:
            raw[key] = getattr(args, key)
    if args.steps is not None:
        raw["iterations"] = args.steps
    cfg = FitConfig.from_dict(raw, args.config)
    manifest = read_manifest(cfg.data)
    rows = [r for r in manifest["samples"] if r["status"] == "ok" and r["split"] == "train"]
    sel = TrainConfig(
        data=cfg.data,
        sample_idx=cfg.sample_idx if cfg.sample_idx is not None else 0,
        materials=(cfg.material,) if cfg.material else None,
    )
    chosen = _filter(sel, rows, "train")
    if not chosen:
        raise DatasetError("no ok training garment for this selection", source=cfg.data, where="--material")
    row = chosen[0]
    folder = Path(cfg.data) / "samples" / row["id"]
    arrays = {**load_arrays(cfg.data, row["id"]), **{k: row[k] for k in ("id", "family", "material")}}
    pattern_file = folder / "pattern.json"
    pattern = json.loads(pattern_file.read_text()) if pattern_file.exists() else None
    print(f"garment {row['id']} ({row['family']}, {row['material']}): training garment {sel.sample_idx}")
    bar = None

    def progress(i: int, n: int, info: dict) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=n, desc="fit", unit="it")
        bar.n = i
        bar.set_description(f"stage {info['stage']}", refresh=False)
        post = {"nuvo": f"{info['nuvo']:.4f}", "res": f"{info['residual']:.4f}", "T": info["table_size"]}
        if "denoiser" in info:
            post["dn"] = f"{info['denoiser']:.3f}"
        if "heldout_mm" in info:
            post["heldout_mm"] = f"{info['heldout_mm']:.3f}"
        bar.set_postfix(post, refresh=False)
        bar.refresh()

    result = fit_garment(arrays, cfg, progress=progress, pattern=pattern, log=tqdm.write)
    if bar is not None:
        bar.close()
    r = result.record
    print("details analysis (base vs ground truth):")
    print("\n".join(format_details(r["details"])))
    s = r["residual_std_cm"]
    print(f"residual std: {s['before_scaling']:.4f} cm before scaling -> {s['after_scaling']:.4f} after")
    print(f"hash: T_full {r['hash']['t_full']}, finest resolution {r['hash']['finest_resolution']}")
    for e in r["schedule"]["shrinks_done"]:
        check = (
            f"loss {e['loss_before']:.5f} -> {e['loss_after']:.5f} (x{e['ratio']:.3f}) "
            f"{'within 5%' if e['within_5pct'] else 'NOT within 5%'}"
            if e["loss_after"] is not None
            else "check pending (beyond the fit's end)"
        )
        share = e["share_of_t_full"]
        print(
            f"shrink at {e['iteration']} (stage {e['stage']}): table {e['table_size']} "
            f"({share:.4g} T_full): {check}"
        )
    curve = ", ".join(
        f"{c['iteration']}: {c['heldout_mm']:.3f}"
        + (f" (field {c['field_mm']:.3f})" if c["field_mm"] != c["heldout_mm"] else "")
        for c in r["curves"]["heldout_mm"]
    )
    zero = r["curves"]["zero_predictor_mm"]
    print(f"held-out mean residual error (mm): {curve} (zero predictor {zero:.3f})")
    s2 = r["stage2"]
    if isinstance(s2, dict):
        if s2.get("corrected_mm") is not None:
            print(
                f"stage 2: denoiser {s2['parameters']} parameters, {s2['diffusion_steps']} steps over "
                f"{s2['image_size']}^2 chart images; held-out {s2['heldout_mm_at_stage1_end']:.3f} mm at "
                f"stage 1's end -> field {s2['field_mm']:.3f}, corrected {s2['corrected_mm']:.3f} mm "
                f"(gain {s2['gain']:.2f}, fitted on the training pool)"
            )
        else:
            start, end = s2["heldout_mm_at_stage1_end"], s2["field_mm"]
            print(f"stage 2: no denoiser; held-out {start:.3f} -> {end:.3f} mm")
    sc = r["scores"]
    line = f"Nuvo scores: charts {sc['charts']}, bijectivity {sc['bijectivity']:.3f}"
    line += f", cluster {sc['cluster']:.3f}"
    if "panel_l2_cm" in sc:
        line += f", panel L2 {sc['panel_l2_cm']:.2f} cm, recovered {sc['panels_recovered']:.2f}"
    print(line)
    col = r["hash"]["collisions"]
    print("collisions per level (colliding vertices): " + " ".join(str(c["n_colliding"]) for c in col))
    t = r["target"]
    print(
        f"target <= {t['target_mm']} mm with table <= T_full/4: held-out {t['heldout_mm']:.3f} mm "
        f"({'met' if t['error_met'] else 'missed'}), table {t['table_share']:.4g} T_full "
        f"({'met' if t['table_met'] else 'missed'}) -> {'MET' if t['met'] else 'MISSED'}"
    )
    ti = r["timings_s"]
    print(
        f"time: {ti['total']:.1f} s (stage 1 {ti['stage1_per_iteration'] * 1000:.0f} ms/it, "
        f"stage 2 {ti['stage2_per_iteration'] * 1000:.0f} ms/it)"
    )
    print(f"fit: {result.paths['weights']}, {result.paths['json']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from core.errors import GarmentError

    try:
        return run(args)
    except GarmentError as err:  # a config, flag or dataset the run cannot use: said, not traced
        print(f"error: {err}", file=sys.stderr)
        return 1


def run(args: argparse.Namespace) -> int:
    from core.config_check import read_config

    raw = read_config(args.config)
    if raw.get("kind") == "garment_fit":
        return fit_main(args, raw)
    cfg = config_from_args(args, raw)
    from core.refiner.training import train

    bars: dict = {}

    def progress(done: int, total: int, loss: float | None = None) -> None:
        name = "train" if loss is not None else "load"
        if name not in bars:
            bars[name] = tqdm(
                total=total,
                desc="training" if loss is not None else "chart images",
                unit="step" if loss is not None else "garment",
            )
        bar = bars[name]
        bar.n = done
        if loss is not None:
            bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
        bar.refresh()

    path = train(cfg, resume=args.resume, log=tqdm.write, progress=progress)
    for bar in bars.values():
        bar.close()
    print(f"model: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
