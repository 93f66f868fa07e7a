#!/usr/bin/env python3
"""Are the cloth materials resolution independent? The same designs at two fine edge lengths.

    python bench/resolution_independence.py --data data/drapes_v2 [--per-material 3]
        [--edges 2.0,1.5] [--workers K] [--out bench/results/resolution_independence.json]

Takes the first ``--per-material`` ok samples of each material from a dataset folder (their
designs, bodies and generation config), drapes each again at every edge length of
``--edges`` whose result the dataset does not already hold (same pipeline,
``sim.generate.generate_sample``, only ``fine_edge_cm`` changed; the coarse drape the fine one
starts from keeps its edge length, so only the fine mesh differs), and compares the mean
fine-drape detail at 2 and 4 cm per material. The issue's target: within 15 %. Prints a table
and writes JSON; drapes that ``--out`` already holds are reused (``--fresh`` drapes them
again), so a larger ``--per-material`` only adds designs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import as_completed
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.dataset import SampleSpec, read_meta  # noqa: E402

RADII = ("0.5", "1", "2", "4")


def _generate(spec: SampleSpec, cfg) -> dict:
    """One sample's meta (in a worker process)."""
    os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="garment_bl_"))
    from sim.generate import generate_sample

    return generate_sample(spec, cfg)[0]


def _record(entry: dict, meta: dict) -> None:
    entry["status"] = meta["status"]
    if meta["status"] == "ok":
        entry.update({f"detail_{r}": meta["fine"]["measures"]["detail"][r] for r in RADII})
        entry["vertices"] = meta["fine"]["vertices"]
        entry["fine_seconds"] = meta["fine"]["sim_seconds"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--per-material", type=int, default=3)
    ap.add_argument("--edges", default="2.0,1.5")
    ap.add_argument("--workers", type=int, default=1, help="drapes at a time (a fresh process each)")
    ap.add_argument("--fresh", action="store_true", help="drape again what --out already holds")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "resolution_independence.json"))
    args = ap.parse_args(argv)
    from sim.generate import GenerationConfig, fresh_process_pool

    root = Path(args.data)
    manifest = json.loads((root / "manifest.json").read_text())
    edges = [float(e) for e in args.edges.split(",")]
    chosen: dict[str, list[dict]] = {}
    for row in manifest["samples"]:
        if row["status"] == "ok" and len(chosen.setdefault(row["material"], [])) < args.per_material:
            chosen[row["material"]].append(row)
    out = Path(args.out)
    earlier = {}
    if out.is_file() and not args.fresh:
        earlier = {(r["id"], r["edge"]): r for r in json.loads(out.read_text())["rows"]}
    jobs, rows = [], []
    for material, samples in sorted(chosen.items()):
        for row in samples:
            meta = read_meta(root, row["id"])
            cfg = GenerationConfig.from_meta(meta["config"])
            spec = SampleSpec(row["index"], row["family"], row["material"], row["seed"])
            for edge in edges:
                entry = {"id": row["id"], "family": row["family"], "material": material, "edge": edge}
                rows.append(entry)
                if abs(edge - cfg.fine_edge_cm) < 1e-9:
                    _record(entry, meta)
                elif (row["id"], edge) in earlier:  # drapes of an earlier run of this bench
                    entry.update(earlier[row["id"], edge])
                else:
                    # the same coarse drape (edge) as the dataset's: only the fine mesh changes
                    factor = cfg.coarse_edge_cm / edge
                    jobs.append((entry, spec, replace(cfg, fine_edge_cm=edge, coarse_factor=factor)))
    t0 = time.perf_counter()
    with fresh_process_pool(args.workers) as pool:  # one new process per drape, as the generator
        futures = {pool.submit(_generate, spec, cfg): entry for entry, spec, cfg in jobs}
        for fut in as_completed(futures):
            entry = futures[fut]
            _record(entry, fut.result())
            print(f"{entry['id']} at {entry['edge']:g} cm: {entry['status'][:60]}", flush=True)
    summary = {}
    print("\n| material | designs | edge (cm) | detail 2 cm | detail 4 cm |\n|---|---|---|---|---|")
    for material in sorted(chosen):
        ids = [r["id"] for r in chosen[material]]
        # designs that are ok at every edge length
        both = [i for i in ids if all(x["status"] == "ok" for x in rows if x["id"] == i)]
        per_edge = {}
        for edge in edges:
            sel = [x for x in rows if x["id"] in both and x["edge"] == edge]
            per_edge[edge] = {
                r: float(np.mean([x[f"detail_{r}"] for x in sel])) if sel else None for r in ("2", "4")
            }
            d = per_edge[edge]
            if sel:
                print(f"| {material} | {len(both)} | {edge:g} | {d['2']:.4f} | {d['4']:.4f} |")
        ref, other = edges[-1], edges[0]
        diff = {
            r: (per_edge[other][r] / per_edge[ref][r] - 1.0) if both and per_edge[ref][r] else None
            for r in ("2", "4")
        }
        summary[material] = {
            "designs": both,
            "mean_detail": {str(k): v for k, v in per_edge.items()},
            "change": diff,
        }
    print(f"\n| material | detail 2 cm at {edges[0]:g} vs {edges[-1]:g} | detail 4 cm | within 15 % |")
    print("|---|---|---|---|")
    for material, s in summary.items():
        c = s["change"]
        if c["2"] is None:
            continue
        ok = abs(c["2"]) <= 0.15 and abs(c["4"]) <= 0.15
        print(f"| {material} | {c['2']:+.0%} | {c['4']:+.0%} | {'yes' if ok else '**no**'} |")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"argv": argv or sys.argv[1:], "rows": rows, "summary": summary}, indent=1))
    print(f"\nwrote {out} ({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
