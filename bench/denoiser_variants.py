#!/usr/bin/env python3
"""Denoiser variants side by side: onnxruntime time per sampler step on a real garment's charts.

    python bench/denoiser_variants.py [--data data/drapes_v2] [--sample ID]
        [--out bench/results/denoiser_variants.json]

The charts are those of a dataset sample's fine mesh at the configured pitch (default: the
first ok T-shirt). Each variant is timed with every chart padded to the largest one (one batch)
and with charts batched by their own rounded size (what ``core.refiner.sampling`` does), in one
process, one after another: compare the ratios, not the absolute times. Weights are random:
timing does not depend on them.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VARIANTS = {
    "(24,48,64) stride 1": {"widths": (24, 48, 64)},
    "(24,48,64) stride 2": {"widths": (24, 48, 64), "stem_stride": 2},
    "(32,48,64) stride 2": {"widths": (32, 48, 64), "stem_stride": 2},
    "(32,64,96) stride 2": {"widths": (32, 64, 96), "stem_stride": 2},
    "(32,48,64) stride 2 + fine 16": {"widths": (32, 48, 64), "stem_stride": 2, "fine_width": 16},
    "(32,48,64) stride 2 + fine 24": {"widths": (32, 48, 64), "stem_stride": 2, "fine_width": 24},
}


def chart_shapes(data: Path, sample: str | None, pitch: float) -> tuple[str, list[tuple[int, int]]]:
    from core.dataset import load_arrays
    from core.refiner.charts import charts_from_panels
    from core.refiner.raster import build_rasterizer

    manifest = json.loads((data / "manifest.json").read_text())
    sid = sample or next(r["id"] for r in manifest["samples"] if r["status"] == "ok" and "tshirt" in r["id"])
    a = load_arrays(data, sid, derive=False)
    names = [str(i) for i in range(int(a["fine_panel"].max()) + 1)]
    charts = charts_from_panels(a["fine_panel"], a["fine_uv"], a["fine_faces"], names)
    return sid, [g.shape for g in build_rasterizer(charts, pitch).grids]


def time_variant(kw: dict, shapes: list[tuple[int, int]], tmp: Path, repeats: int = 3) -> dict:
    import onnxruntime as ort
    import torch

    from core.refiner.features import CONDITION_CHANNELS
    from core.refiner.network import Denoiser, DenoiserConfig, parameter_count
    from core.refiner.sampling import size_groups

    n_cond = len(CONDITION_CHANNELS)
    net = Denoiser(DenoiserConfig(cond_channels=n_cond, **kw)).eval()
    m = net.multiple
    path = tmp / "net.onnx"
    axes = {0: "batch", 2: "height", 3: "width"}
    dummy = (torch.zeros(2, 3, 32, 40), torch.zeros(2, n_cond, 32, 40), torch.tensor([999, 1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net, dummy, str(path), input_names=["x_t", "cond", "t"], output_names=["v"],
            dynamic_axes={"x_t": axes, "cond": axes, "t": {0: "batch"}, "v": axes},
            opset_version=17, dynamo=False,
        )  # fmt: skip
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    def up(n: int) -> int:
        return -(-n // m) * m

    padded = [(len(shapes), up(max(s[0] for s in shapes)), up(max(s[1] for s in shapes)))]
    grouped = [(len(g), up(shapes[g[0]][0]), up(shapes[g[0]][1])) for g in size_groups(shapes, m)]
    row = {"parameters": parameter_count(net)}
    for name, batches in (("padded", padded), ("grouped", grouped)):

        def step(batches=batches) -> None:
            for b, h, w in batches:
                feeds = {
                    "x_t": np.zeros((b, 3, h, w), np.float32),
                    "cond": np.zeros((b, n_cond, h, w), np.float32),
                    "t": np.full(b, 500, np.int64),
                }
                sess.run(None, feeds)

        step()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        row[f"{name}_s_per_step"] = min(times)
        row[f"{name}_pixels"] = sum(b * h * w for b, h, w in batches)
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT / "data" / "drapes_v2"))
    ap.add_argument("--sample", default=None)
    ap.add_argument("--pitch", type=float, default=0.5)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "denoiser_variants.json"))
    args = ap.parse_args(argv)
    sid, shapes = chart_shapes(Path(args.data), args.sample, args.pitch)
    print(f"{sid}: {len(shapes)} charts {shapes}, {sum(h * w for h, w in shapes)} texels")
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, kw in VARIANTS.items():
            rows[name] = time_variant(kw, shapes, Path(tmp))
    base = rows[next(iter(rows))]["padded_s_per_step"]
    print(f"{'variant':22s} {'params':>8s} {'padded ms':>10s} {'grouped ms':>11s} {'speed-up':>9s}")
    for name, r in rows.items():
        print(
            f"{name:22s} {r['parameters'] / 1e3:7.0f}k {r['padded_s_per_step'] * 1e3:10.0f} "
            f"{r['grouped_s_per_step'] * 1e3:11.0f} {base / r['grouped_s_per_step']:8.1f}x"
        )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"sample": sid, "chart_shapes": shapes, "variants": rows}, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
