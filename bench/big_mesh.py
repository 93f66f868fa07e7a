#!/usr/bin/env python3
"""A 2M-vertex base refines whole under the default limits: the dress's box mesh at a fine edge
(about 2M vertices, 4M faces), refined with the bundled model on the CPU, with its time and
peak memory beside a 1M-vertex one and the 19k-vertex mesh at 1 cm, all in one run.

    python bench/big_mesh.py [--edges 1.0,0.135,0.095] [--out bench/results/big_mesh.json]

The box mesher's own limits are raised for the making (a 2M-vertex pattern mesh is past
``max_box_triangles``, which guards patterns); the refine itself runs under the defaults.
Each size runs in a fresh child process, so that each peak resident memory is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def one(edge: float) -> dict:
    from core import limits
    from core.boxmesh import build_box_mesh
    from core.pattern import load_pattern
    from core.refiner.refine import RefineInput, RefineOptions, Refiner, refine

    pattern = load_pattern(ROOT / "presets" / "patterns" / "dress.json")
    with limits.override(max_box_triangles=20_000_000, max_outline_points=2_000_000):
        mesh = build_box_mesh(pattern, edge)
    base = RefineInput(mesh.vertices, mesh.faces, mesh.panel_ids, mesh.uv, pattern=pattern, source="dress")
    refiner = Refiner(device="cpu")
    t0 = time.perf_counter()
    out = refine(base, refiner, RefineOptions(device="cpu"))
    seconds = time.perf_counter() - t0
    moved = (
        float(abs(out.vertices - out.base_vertices).max())
        if len(out.vertices) == len(out.base_vertices)
        else None
    )
    return {
        "edge_cm": edge,
        "vertices": len(mesh.vertices),
        "faces": len(mesh.faces),
        "refined_vertices": len(out.vertices),
        "refine_s": seconds,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "max_offset_cm": moved,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--edges", default="1.0,0.135,0.095")
    ap.add_argument("--one", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "big_mesh.json"))
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one)))
        return 0
    rows = []
    for edge in (float(e) for e in args.edges.split(",")):
        done = subprocess.run([sys.executable, __file__, "--one", str(edge)], capture_output=True, text=True)
        if done.returncode != 0:
            rows.append({"edge_cm": edge, "error": done.stderr.strip().splitlines()[-1:]})
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{'edge cm':>8}{'vertices':>11}{'faces':>11}{'refine s':>10}{'peak MiB':>10}{'s / 1M v':>10}")
    for r in rows:
        if "error" in r:
            print(f"{r['edge_cm']:>8g}  error: {r['error']}")
            continue
        per = r["refine_s"] / (r["vertices"] / 1e6)
        print(
            f"{r['edge_cm']:>8g}{r['vertices']:>11,}{r['faces']:>11,}{r['refine_s']:>10.1f}"
            f"{r['peak_mib']:>10.0f}{per:>10.1f}"
        )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"command": " ".join(sys.argv), "rows": rows}, indent=1))
    print(f"wrote {out}")
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
