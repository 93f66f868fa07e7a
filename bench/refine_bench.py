#!/usr/bin/env python3
"""Benchmark the refiner: time per stage and peak memory of the core call (onnxruntime and
torch) and of the whole CLI, at several vertex counts, beside the fine cloth drape it imitates.

    python bench/refine_bench.py [--sizes 10000,68000,250000,1000000] [--model models/refiner.json]
        [--steps 5] [--data data/drapes_v2] [--out bench/results/refine_bench.json]

Each row runs in a fresh process (peak RSS is that process's maximum). The garment is a
drape from the dataset (the first ok sample, its coarse drape) re-tessellated through its
pattern at the edge that gives each vertex count; the fine drape's time is its own
simulation time from the sample's meta, per vertex scaled to the row's count (the cloth
solver is about linear in vertices) and marked as scaled. Without a bundled model a
randomly initialised one of the configured architecture is used (timing does not depend
on the weights) and the table says so.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _garment(data: Path):
    from core.dataset import load_arrays, read_meta
    from core.pattern import pattern_from_dict

    manifest = json.loads((data / "manifest.json").read_text())
    row = next(r for r in manifest["samples"] if r["status"] == "ok")
    arrays = load_arrays(data, row["id"], derive=False)
    meta = read_meta(data, row["id"])
    pattern = pattern_from_dict(json.loads((data / "samples" / row["id"] / "pattern.json").read_text()))
    return row, meta, arrays, pattern


def make_base(data: Path, vertices: int, out: Path) -> dict:
    """A PLY of the first sample's coarse drape re-tessellated to about ``vertices``."""
    import numpy as np

    from core.boxmesh import build_box_mesh
    from core.garment_mesh import GarmentMesh
    from core.meshio import save_garment_mesh
    from core.refiner.upsample import upsample_with_pattern

    row, meta, a, pattern = _garment(data)
    key = "coarse_sim_vertices" if "coarse_sim_vertices" in a else "coarse_vertices"
    coarse_box = build_box_mesh(pattern, meta["coarse_sim"]["edge_cm"] if "coarse_sim" in meta else 4.0)
    coarse = GarmentMesh(a[key], a["coarse_faces"], a["coarse_panel"], a["coarse_uv"], list(pattern.panels))
    tri = coarse_box.uv[coarse_box.faces]
    area = 0.5 * np.abs(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])).sum()  # cm^2 of cloth
    edge = float(np.sqrt(2 * area / (np.sqrt(3) * vertices)))  # near-equilateral: ~ 2 faces a vertex
    fine = upsample_with_pattern(coarse, pattern, edge)
    edge *= np.sqrt(fine.n_vertices / vertices)  # the mesher's triangles are smaller than equilateral
    fine = upsample_with_pattern(coarse, pattern, edge)
    save_garment_mesh(fine, out)
    return {
        "sample": row["id"],
        "edge_cm": edge,
        "vertices": fine.n_vertices,
        "pattern": str(data / "samples" / row["id"] / "pattern.json"),
    }


def core_row(base: Path, pattern: Path, model: Path, steps: int, runtime: str) -> dict:
    """(in a child) the core call only: timings per stage and peak RSS."""
    t0 = time.perf_counter()
    from core.pipeline import read_pattern_file
    from core.refiner.files import read_base
    from core.refiner.refine import RefineOptions, Refiner

    t_import = time.perf_counter() - t0
    inp = read_base(base, read_pattern_file(pattern))
    refiner = Refiner(model, "cpu", runtime)
    t1 = time.perf_counter()
    result = refiner.refine(inp, RefineOptions(steps=steps, edge_length=NO_UPSAMPLING))
    wall = time.perf_counter() - t1
    return {
        "runtime": refiner.runtime.name,
        "import_s": t_import,
        "core_s": wall,
        "stages_s": result.report["seconds"],
        "vertices": result.report["vertices_out"],
        "texels": result.report["texels"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


NO_UPSAMPLING = 1e6  # a target edge no base exceeds: the base is refined as it is


def random_model(tmp: Path) -> Path:
    """A randomly initialised refiner of the configured architecture (timing only)."""
    import numpy as np
    import yaml

    from core.refiner.export import export_onnx
    from core.refiner.features import CONDITION_CHANNELS
    from core.refiner.modelfile import save_model
    from core.refiner.network import Denoiser, DenoiserConfig
    from core.refiner.training import TrainConfig, model_description

    cfg = TrainConfig.from_dict(yaml.safe_load((ROOT / "configs" / "refiner.yaml").read_text()))
    net_cfg = DenoiserConfig(cond_channels=len(CONDITION_CHANNELS), **cfg.network)
    net = Denoiser(net_cfg)
    tensors = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    record = {"steps_done": 0, "target_edge_cm": 1.2, "note": "random weights: timing only"}
    path = save_model(
        tmp / "random_refiner", tensors, model_description(cfg, net_cfg, np.ones(3, np.float32), record)
    )
    export_onnx(path)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,68000,250000,1000000")
    ap.add_argument("--model", default=str(ROOT / "models" / "refiner.json"))
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--data", default=str(ROOT / "data" / "drapes_v2"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "refine_bench.json"))
    ap.add_argument("--_child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._child:
        base, pattern, model, steps, device = args._child
        print(json.dumps(core_row(Path(base), Path(pattern), Path(model), int(steps), device)))
        return 0
    tmp = Path(tempfile.mkdtemp())
    model = Path(args.model)
    weights_note = "trained"
    if not model.is_file():
        model, weights_note = random_model(tmp), "random (no bundled model yet)"
    _, meta, _, _ = _garment(Path(args.data))
    fine_s_per_vertex = meta["fine"]["sim_seconds"] / meta["fine"]["vertices"]
    rows = []
    env = dict(os.environ)
    for n in [int(s) for s in args.sizes.split(",")]:
        base = tmp / f"base_{n}.ply"
        info = make_base(Path(args.data), n, base)
        for runtime in ("onnx", "torch"):
            cmd = [
                sys.executable,
                __file__,
                "--_child",
                str(base),
                info["pattern"],
                str(model),
                str(args.steps),
                runtime,
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
            if done.returncode != 0:
                raise SystemExit(done.stderr)
            row = json.loads(done.stdout.strip().splitlines()[-1])
            row["cli_s"] = None
            if runtime == "onnx":  # the whole CLI as a user runs it: python start, imports, read, write
                t0 = time.perf_counter()
                cli = subprocess.run(
                    [
                        sys.executable,
                        str(ROOT / "scripts" / "refine.py"),
                        "--base-mesh",
                        str(base),
                        "--pattern",
                        info["pattern"],
                        "--out",
                        str(tmp / f"r_{n}.ply"),
                        "--model",
                        str(model),
                        "--steps",
                        str(args.steps),
                        "--edge-length",
                        str(NO_UPSAMPLING),
                    ],
                    capture_output=True,
                    text=True,
                    timeout=3600,
                )
                if cli.returncode == 0:
                    row["cli_s"] = time.perf_counter() - t0
            row["fine_drape_s_scaled"] = fine_s_per_vertex * row["vertices"]
            row["speedup_vs_fine_drape"] = row["fine_drape_s_scaled"] / row["core_s"]
            rows.append({"target_vertices": n, **info, **row})
    print(
        f"weights: {weights_note}; {args.steps} steps; fine drape time scaled from "
        f"{meta['fine']['sim_seconds']:.0f} s at {meta['fine']['vertices']} vertices"
    )
    cols = [
        "vertices",
        "runtime",
        "import s",
        "core s",
        "charts",
        "raster",
        "denoise",
        "sample back",
        "CLI s",
    ]
    cols += ["peak MB", "× fine drape"]
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for r in rows:
        s = r["stages_s"]
        cli = f"{r['cli_s']:.2f}" if r["cli_s"] else "-"
        cells = [f"{r['vertices']:,}", r["runtime"], f"{r['import_s']:.2f}", f"{r['core_s']:.2f}"]
        cells += [f"{s[k]:.2f}" for k in ("charts", "raster", "denoise", "sample_back")]
        cells += [cli, f"{r['peak_rss_mb']:.0f}", f"{r['speedup_vs_fine_drape']:.0f}"]
        print("| " + " | ".join(cells) + " |")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"weights": weights_note, "steps": args.steps, "rows": rows}, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
