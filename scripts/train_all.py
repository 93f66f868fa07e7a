#!/usr/bin/env python3
"""Train every learned model of the results in one go (one prepared script for a lent GPU).

    python scripts/train_all.py --data data/drapes_v2/tensors [--out runs] [--steps N] [--device auto]
        [--only refiner,regression,point_mlp,no_dress,noise]

- ``refiner``: the few-step residual diffusion (configs/refiner.yaml), exported to ONNX;
- ``regression``: the same network trained deterministically (one step), exported to ONNX;
- ``point_mlp``: the per-vertex 8 x 256 MLP diffusion baseline;
- ``no_dress``: the refiner trained without dresses (leave-one-family-out);
- ``noise``: the spectrum-matched noise baseline fitted on the training residuals.

Every learned model gets the same number of steps. Each writes to ``OUT/<name>/``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

MODELS = ("refiner", "regression", "point_mlp", "no_dress", "noise")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default=str(ROOT / "configs" / "refiner.yaml"))
    ap.add_argument("--data", default=None, help="training tensors or dataset folder (overrides the config)")
    ap.add_argument("--out", default=str(ROOT / "runs"))
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--device", default=None, choices=("auto", "cpu", "cuda"))
    ap.add_argument("--only", default=",".join(MODELS))
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = ap.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    from core.refiner.baselines import SpectrumNoise
    from core.refiner.export import export_onnx
    from core.refiner.point_mlp import train_point_mlp
    from core.refiner.training import TrainConfig, load_examples, train

    raw = yaml.safe_load(Path(args.config).read_text())
    for key, value in (("data", args.data), ("steps", args.steps), ("device", args.device)):
        if value is not None:
            raw[key] = value
    out = Path(args.out)
    done = {}
    for name in args.only.split(","):
        if name not in MODELS:
            raise SystemExit(f"unknown model {name!r} (use {', '.join(MODELS)})")
        t0 = time.perf_counter()
        cfg = TrainConfig.from_dict({**raw, "out": str(out / name)})
        if name == "regression":
            cfg = TrainConfig.from_dict({**raw, "out": str(out / name), "objective": "regression"})
        if name == "no_dress":
            cfg = TrainConfig.from_dict({**raw, "out": str(out / name), "exclude_families": ["dress"]})
        if name in ("refiner", "regression", "no_dress"):
            path = train(cfg, log=print)
            export_onnx(path)
        elif name == "point_mlp":
            path = train_point_mlp(cfg, log=print)
        else:
            examples = load_examples(cfg, "train")
            noise = SpectrumNoise.fit(
                [t for e in examples for t in e.target], [m for e in examples for m in e.masks], cfg.pitch
            )
            path = out / name / "noise.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(noise.to_json()) + "\n")
        done[name] = {"path": str(path), "seconds": time.perf_counter() - t0}
        print(f"{name}: {path} in {done[name]['seconds']:.0f} s", flush=True)
    (out / "train_all.json").write_text(json.dumps(done, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
