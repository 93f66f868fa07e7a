#!/usr/bin/env python3
"""Is the refined detail soft because of the few-step sampler? The bundled model under several
samplers on held-out garments from the low-pass base, no retraining: deterministic DDIM at
K steps (the runtime's sampler) and ancestral DDPM-style sampling (``eta`` = 1: fresh noise at
every step), beside the chart-path oracle (the true residual through the charts).

    python bench/sampler_probe.py [--data data/drapes_v2] [--ids A,B] [--samplers ddim5,ddim25,eta5]
        [--model runs/v2_refiner/refiner.json] [--out bench/results/sampler_probe.json]

Prints per garment and sampler the detail at 0.5 / 1 / 2 / 4 cm over the fine drape's, the share
of sharp creases and the placement; writes JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from core.dataset import load_arrays  # noqa: E402
from core.detail import surface_detail  # noqa: E402
from core.pattern import pattern_from_dict  # noqa: E402
from core.refiner.evaluation import placement  # noqa: E402
from core.refiner.evaluation_bases import evaluation_bases  # noqa: E402
from core.refiner.features import condition_images, point_features  # noqa: E402
from core.refiner.field import offset_cap, world_offsets  # noqa: E402
from core.refiner.raster import DEFAULT_PITCH_CM, build_rasterizer  # noqa: E402
from core.refiner.refine import Refiner  # noqa: E402
from core.refiner.sampling import pad_batch, size_groups  # noqa: E402
from core.refiner.schedule import NoiseSchedule  # noqa: E402
from core.refiner.training_data import local_residual  # noqa: E402

DEFAULT_IDS = "00014_dress_soft_s200020,00048_tshirt_soft_s200054,00027_trousers_soft_s200033"


def sample(refiner: Refiner, cond: list[np.ndarray], steps: int, eta: float, seed: int) -> list[np.ndarray]:
    """Normalised residual images by DDIM with stochasticity ``eta`` (0: the runtime's sampler)."""
    sched = NoiseSchedule.default()
    ts = sched.timesteps(steps)
    ab = sched.alphas_cumprod
    rng = np.random.default_rng(seed)
    out: list[np.ndarray | None] = [None] * len(cond)
    for members in size_groups([c.shape[1:] for c in cond], refiner.multiple):
        c = pad_batch([cond[k] for k in members], refiner.multiple)
        x = rng.standard_normal((len(members), 3, *c.shape[2:])).astype(np.float32)
        for t in ts.tolist():
            v = refiner.runtime(x, c, np.full(len(x), t, np.int64))
            a_t = ab[t]
            prev = t - sched.n_train // steps
            a_p = ab[prev] if prev >= 0 else 1.0
            x0 = np.sqrt(a_t) * x - np.sqrt(1 - a_t) * v
            eps = np.sqrt(1 - a_t) * x + np.sqrt(a_t) * v
            sigma = eta * np.sqrt((1 - a_p) / max(1 - a_t, 1e-12)) * np.sqrt(max(1 - a_t / a_p, 0.0))
            x = np.sqrt(a_p) * x0 + np.sqrt(max(1 - a_p - sigma**2, 0.0)) * eps
            if sigma > 0:
                x = x + sigma * rng.standard_normal(x.shape)
            x = x.astype(np.float32)
        for j, k in enumerate(members):
            out[k] = x[j, :, : cond[k].shape[1], : cond[k].shape[2]]
    return out  # type: ignore[return-value]


def parse_sampler(name: str) -> tuple[int, float]:
    """``ddimK`` -> (K, 0), ``etaK`` -> (K, 1)."""
    if name.startswith("ddim"):
        return int(name[4:]), 0.0
    if name.startswith("eta"):
        return int(name[3:]), 1.0
    raise ValueError(f"unknown sampler {name!r}: ddimK or etaK")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT / "data" / "drapes_v2"))
    ap.add_argument("--ids", default=DEFAULT_IDS)
    ap.add_argument("--samplers", default="ddim5,ddim10,ddim25,eta5,eta10,eta25")
    ap.add_argument("--model", default=str(ROOT / "runs" / "v2_refiner" / "refiner.json"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "sampler_probe.json"))
    args = ap.parse_args(argv)
    data = Path(args.data)
    box_edge = json.loads((data / "manifest.json").read_text())["config"]["fine_edge_cm"]
    manifest = {r["id"]: r for r in json.loads((data / "manifest.json").read_text())["samples"]}
    refiner = Refiner(Path(args.model))
    scale = refiner.scale[:, None, None]
    lines = [
        "| garment | sampler | detail / fine at 0.5, 1, 2, 4 cm | sharp creases | placement | s |",
        "|---|---|---|---|---|---|",
    ]
    rows = []
    for sid in args.ids.split(","):
        a = load_arrays(data, sid)
        pattern = pattern_from_dict(json.loads((data / "samples" / sid / "pattern.json").read_text()))
        faces = a["fine_faces"]
        base, charts = evaluation_bases(a, pattern, box_edge)["lowpass"]
        fine = np.asarray(a["fine_vertices"], np.float64)
        feats, frames = point_features(base, charts)
        rast = build_rasterizer(charts, DEFAULT_PITCH_CM)
        cond = condition_images(rast, feats, manifest[sid]["material"])
        ref = surface_detail(fine, faces)
        surfaces = {
            "oracle": (
                world_offsets(
                    rast,
                    rast.rasterize(local_residual(fine, base, charts, frames)),
                    frames,
                    len(base),
                    cap=offset_cap(base),
                ),
                0.0,
            )
        }
        for name in args.samplers.split(","):
            steps, eta = parse_sampler(name)
            t0 = time.perf_counter()
            images = [img * scale for img in sample(refiner, cond, steps, eta, args.seed)]
            offsets = world_offsets(rast, images, frames, len(base), cap=offset_cap(base))
            surfaces[name] = (offsets, time.perf_counter() - t0)
        for name, (offsets, seconds) in surfaces.items():
            d = surface_detail(base + offsets, faces)
            pl = placement(base, base + offsets, fine, faces)
            ratios = [d["detail"][k] / ref["detail"][k] for k in ("0.5", "1", "2", "4")]
            lines.append(
                f"| {sid} | {name} | {' / '.join(f'{x:.2f}' for x in ratios)} | {d['sharp_creases']:.2%}"
                f" ({ref['sharp_creases']:.2%}) | {pl['overall']:.2f} | {seconds:.1f} |"
            )
            rows.append(
                {
                    "id": sid,
                    "sampler": name,
                    "ratios": ratios,
                    "seconds": seconds,
                    "sharp_creases": d["sharp_creases"],
                    "fine_sharp_creases": ref["sharp_creases"],
                    "placement": pl,
                }
            )
            print(lines[-1], flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"command": " ".join(sys.argv), "rows": rows}, indent=1) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
