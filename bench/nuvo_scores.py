#!/usr/bin/env python3
"""Nuvo charts fitted from scratch on garments whose pattern is known: scores against fitting time.

    python bench/nuvo_scores.py --data data/drapes_v2 [--per-family 2] [--iterations 500,2000]
        [--threads 2] [--out bench/results/nuvo_scores.json]

Each garment's fine drape is welded along its seams (what a user's mesh without UVs looks
like), Nuvo is fitted with the CLI's CPU preset (``NuvoConfig.cpu``) at each iteration count,
its charts are re-flattened per chart by LSCM (core/nuvo/flatten.py; the refiner's chart
source), an xatlas unwrap is the classical baseline, and every chart set is scored
(core/nuvo/scores.py): bijectivity (share of held-out samples
without a hash collision), cluster (share of mesh edges kept adjacent) and, against the
pattern, the Panel L2 (cm) and the share of panels recovered as single charts. Targets
(issue 9): bijectivity >= 0.98, cluster >= 0.95. Prints a table and writes JSON.
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
from core.garment_mesh import weld_seams  # noqa: E402
from core.pattern import pattern_from_dict  # noqa: E402


def welded_garment(a: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(vertices, faces, panel id, index) of a sample's fine drape welded along its seams;
    ``index[v]`` is the welded vertex of fine vertex v."""
    verts, faces, index = weld_seams(
        np.asarray(a["fine_vertices"], np.float64), np.asarray(a["fine_faces"]), a["fine_seam_pairs"]
    )
    panel = np.zeros(len(verts), np.int64)
    panel[index] = np.asarray(a["fine_panel"])  # a seam vertex takes one of its panels
    return verts, faces, panel, index


def garments(data: Path, per_family: int) -> list[dict]:
    rows = json.loads((data / "manifest.json").read_text())["samples"]
    rows = [r for r in rows if r.get("split") == "test" and r.get("status", "ok") == "ok"]
    out: list[dict] = []
    for fam in sorted({r["family"] for r in rows}):
        out += [r for r in rows if r["family"] == fam][:per_family]
    return out


def score_garment(data: Path, r: dict, iterations: list[int], seed: int) -> list[dict]:
    """Rows of one garment: xatlas, then Nuvo and Nuvo + LSCM at each iteration count."""
    from core.nuvo.export import charts_from_nuvo
    from core.nuvo.fit import fit_nuvo
    from core.nuvo.flatten import flatten_with_report, unwrap_xatlas
    from core.nuvo.network import NuvoConfig
    from core.nuvo.scores import score_charts

    a = load_arrays(data, r["id"])
    pattern = pattern_from_dict(json.loads((data / "samples" / r["id"] / "pattern.json").read_text()))
    verts, faces, panel, _ = welded_garment(a)
    outlines = [p.outline() for p in pattern.panels.values()]
    rows: list[dict] = []

    def record(method: str, iters: int, seconds: float, charts, extra: dict | None = None) -> None:
        s = score_charts(charts, verts, faces, panel, outlines, list(pattern.panels), seed=seed)
        rows.append(
            {
                "id": r["id"],
                "family": r["family"],
                "vertices": len(verts),
                "panels": len(outlines),
                "method": method,
                "iterations": iters,
                "seconds": seconds,
                "charts": charts.n_charts,
                **{k: v for k, v in s.items() if k != "panels"},
                **(extra or {}),
                "per_panel": s["panels"],
            }
        )
        print(
            f"{r['id']:30s} {method:9s} {iters:5d} it {seconds:6.1f} s  charts {charts.n_charts:3d}  "
            f"bijectivity {s['bijectivity']:.3f}  cluster {s['cluster']:.3f}  "
            f"panel L2 {s['panel_l2_cm']:.2f} cm  recovered {s['panels_recovered']:.2f}",
            flush=True,
        )

    t = time.perf_counter()
    atlas = unwrap_xatlas(verts, faces, source=r["id"])
    record("xatlas", 0, time.perf_counter() - t, atlas)
    for iters in iterations:
        t = time.perf_counter()
        fit = fit_nuvo(verts, faces, NuvoConfig.cpu(iterations=iters), seed=seed)
        charts = charts_from_nuvo(fit, verts, faces, source=r["id"])
        fit_s = time.perf_counter() - t
        record("nuvo", iters, fit_s, charts)
        t = time.perf_counter()
        flat, rep = flatten_with_report(charts, verts)
        record("nuvo+lscm", iters, fit_s + time.perf_counter() - t, flat, {"flatten": rep.to_json()})
    return rows


def summary(results: list[dict]) -> str:
    """Markdown table: means over garments per method and iteration count."""
    lines = [
        "| method | iterations | garments | s | charts | bijectivity (min) | cluster | Panel L2 cm | rec. |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for method, iters in sorted({(x["method"], x["iterations"]) for x in results}):
        rows = [x for x in results if x["method"] == method and x["iterations"] == iters]

        def mean(key: str, rows=rows) -> float:
            return float(np.nanmean([x[key] for x in rows]))

        lines.append(
            f"| {method} | {iters} | {len(rows)} | {mean('seconds'):.1f} | {mean('charts'):.1f} | "
            f"{mean('bijectivity'):.3f} ({min(x['bijectivity'] for x in rows):.3f}) | "
            f"{mean('cluster'):.3f} | {mean('panel_l2_cm'):.2f} | {mean('panels_recovered'):.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="data/drapes_v2")
    ap.add_argument("--per-family", type=int, default=2)
    ap.add_argument("--iterations", default="500,2000")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="bench/results/nuvo_scores.json")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    data = Path(args.data)
    iterations = [int(x) for x in args.iterations.split(",")]
    results: list[dict] = []
    for r in garments(data, args.per_family):
        results += score_garment(data, r, iterations, args.seed)
    print()
    print(summary(results))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    command = " ".join(["python", "bench/nuvo_scores.py", *sys.argv[1:]])
    out.write_text(json.dumps({"command": command, "rows": results}, default=float) + "\n")


if __name__ == "__main__":
    main()
