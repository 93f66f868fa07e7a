#!/usr/bin/env python3
"""Train the wrinkle refiner (or its one-step regression baseline) from a YAML config.

    python scripts/train.py --config configs/refiner.yaml [--sample_idx N] [--material m]
        [--diffusion_steps K] [--steps S] [--out DIR] [--resume] [--device auto|cpu|cuda]
    torchrun --nproc_per_node 8 scripts/train.py --config configs/refiner.yaml   # DDP

Writes DIR/refiner.safetensors + refiner.json (the model), optimizer.pt and history.json;
``--resume`` continues from them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
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


def config_from_args(args: argparse.Namespace):
    from core.refiner.training import TrainConfig

    raw = yaml.safe_load(Path(args.config).read_text()) or {}
    keys = ("data", "out", "sample_idx", "diffusion_steps", "objective", "target", "steps", "max_garments")
    for key in keys:
        if getattr(args, key) is not None:
            raw[key] = getattr(args, key)
    for key in ("device", "threads", "seed", "lr", "ema_decay", "val_every"):
        if getattr(args, key) is not None:
            raw[key] = getattr(args, key)
    if args.material:
        raw["materials"] = [args.material]
    if args.exclude_family:
        raw["exclude_families"] = args.exclude_family.split(",")
    return TrainConfig.from_dict(raw)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    cfg = config_from_args(args)
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
