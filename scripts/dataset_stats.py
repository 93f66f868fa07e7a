#!/usr/bin/env python3
"""Summarise a drape dataset: rejection rates, drape timings, detail measures and targets.

    python scripts/dataset_stats.py --data DIR [--json OUT.json] [--measure]

Prints Markdown tables (as pasted into docs/dataset.md) and writes the numbers as JSON
(default DIR/stats.json). Per family x material: ok / rejected, the fine drapes' detail at
0.5 / 1 / 2 / 4 cm and the ratio of the means r0.5 / r1, sharp creases, self-intersecting
edges away from and at seams (median and 90th percentile, % of edges), vertices inside the
body and seconds per drape; per family the targets of the drape-data issue and whether
detail at 1-2 cm is ordered soft >= mid >= stiff. The measures come from each sample's
meta (drapes_v2 on); ``--measure`` computes them from the arrays where the meta has none
(drapes_v1).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from itertools import pairwise
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.dataset import load_arrays, read_meta  # noqa: E402

SURFACES = ("box", "coarse", "lowpass", "fine")
RADII = ("0.5", "1", "2", "4")
TARGETS = {"ratio": 0.40, "detail_2": 0.03, "creases": 0.025, "self_x_median": 0.001, "self_x_p90": 0.003}
PENCIL_DRESS = {"0.5": 0.028, "1": 0.084, "2": 0.145, "4": 0.165, "ratio": 0.33, "creases": 0.023}
"""GarmentCode's simulated pencil dress (../shared/garmentcode), measured with core.detail."""


def fine_measures(root: Path, meta: dict, compute: bool) -> dict | None:
    """The fine drape's detail measures from its meta, or computed from its arrays."""
    if "measures" in meta.get("fine", {}):
        return meta["fine"]["measures"]
    if not compute:
        return None
    from core.detail import surface_detail
    from core.garment_mesh import GarmentMesh

    a = load_arrays(root, meta["id"], derive=False)
    mesh = GarmentMesh(
        a["fine_vertices"], a["fine_faces"], a["fine_panel"], a["fine_uv"], [], a["fine_seam_pairs"]
    )
    wv, wf, _ = mesh.welded()
    return surface_detail(wv, wf)


def cell_table(root: Path, metas: list[dict], compute: bool) -> dict:
    """Per (family, material) and per family: counts, detail measures, self-intersections."""
    groups: dict = defaultdict(list)
    for m in metas:
        if "family" in m:
            groups[(m["family"], m["material"])].append(m)
            groups[(m["family"], "all")].append(m)
    out = {}
    for (fam, mat), ms in sorted(groups.items()):
        ok = [m for m in ms if m["status"] == "ok"]
        row: dict = {"family": fam, "material": mat, "ok": len(ok), "rejected": len(ms) - len(ok)}
        measures = [x for m in ok if (x := fine_measures(root, m, compute)) is not None]
        if measures:
            for r in RADII:
                row[f"detail_{r}"] = float(np.mean([x["detail"][r] for x in measures]))
            row["ratio"] = row["detail_0.5"] / row["detail_1"]
            row["creases"] = float(np.mean([x["sharp_creases"] for x in measures]))
        if ok:
            q = [m["fine"]["quality"] for m in ok]
            edges = np.array([1.5 * m["fine"]["faces"] for m in ok])
            away = np.array([x["self_intersections"] for x in q]) / edges
            at = np.array([x["self_intersections_at_seams"] for x in q]) / edges
            row.update(
                self_x_median=float(np.median(away)),
                self_x_p90=float(np.percentile(away, 90)),
                seam_x_median=float(np.median(at)),
                seam_x_p90=float(np.percentile(at, 90)),
                inside_max=int(max(x["inside_body"] for x in q)),
                seam_gap_max=float(max(x["seam_gap_max_cm"] or 0 for x in q)),
                vertices=float(np.median([m["fine"]["vertices"] for m in ok])),
                seconds=float(np.median([m["seconds"] for m in ok])),
            )
        out[f"{fam}/{mat}"] = row
    return out


def print_cells(cells: dict) -> None:
    if not any("detail_1" in r for r in cells.values()):
        return
    print(
        "\n| family | material | ok | rejected | detail 0.5 | 1 | 2 | 4 cm | ratio | creases > 60° "
        "| self-x away (median / p90) | at seams (median / p90) | inside | vertices | s / sample |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in cells.values():
        if "detail_1" not in r:
            print(f"| {r['family']} | {r['material']} | {r['ok']} | {r['rejected']} |" + " - |" * 11)
            continue
        print(
            f"| {r['family']} | {r['material']} | {r['ok']} | {r['rejected']} | "
            + " | ".join(f"{r[f'detail_{x}']:.4f}" for x in RADII)
            + f" | {r['ratio']:.2f} | {r['creases']:.2%} | {r['self_x_median']:.2%} / {r['self_x_p90']:.2%}"
            f" | {r['seam_x_median']:.2%} / {r['seam_x_p90']:.2%} | {r['inside_max']} | {r['vertices']:,.0f}"
            f" | {r['seconds']:.0f} |"
        )
    p = PENCIL_DRESS
    print(
        "| GarmentCode pencil dress | - | - | - | "
        f"{p['0.5']:.4f} | {p['1']:.4f} | {p['2']:.4f} | {p['4']:.4f}"
        f" | {p['ratio']:.2f} | {p['creases']:.1%} | | | | 14,425 | |"
    )
    print(
        "\n| family | ratio <= 0.40 | detail 2 cm >= 0.03 (pencil dress 0.145) | creases <= 2.5% "
        "| self-x median <= 0.1% | p90 <= 0.3% | soft >= mid >= stiff at 1 / 2 cm |"
    )
    print("|---|---|---|---|---|---|---|")
    for fam in sorted({r["family"] for r in cells.values()}):
        r = cells.get(f"{fam}/all", {})
        if "detail_1" not in r:
            continue

        def mark(ok: bool) -> str:
            return "met" if ok else "**missed**"

        order = []
        for radius in ("1", "2"):
            vals = [cells.get(f"{fam}/{m}", {}).get(f"detail_{radius}") for m in ("soft", "mid", "stiff")]
            order.append(
                "n/a"
                if None in vals
                else ("yes" if vals[0] >= vals[1] >= vals[2] else "no")
                + " ("
                + " / ".join(f"{v:.3f}" for v in vals)
                + ")"
            )
        print(
            f"| {fam} | {r['ratio']:.2f} {mark(r['ratio'] <= TARGETS['ratio'])} "
            f"| {r['detail_2']:.3f} {mark(r['detail_2'] >= TARGETS['detail_2'])} "
            f"| {r['creases']:.2%} {mark(r['creases'] <= TARGETS['creases'])} "
            f"| {r['self_x_median']:.2%} {mark(r['self_x_median'] <= TARGETS['self_x_median'])} "
            f"| {r['self_x_p90']:.2%} {mark(r['self_x_p90'] <= TARGETS['self_x_p90'])} "
            f"| {order[0]}; {order[1]} |"
        )


def summarise(root: Path, compute: bool = False) -> dict:
    manifest = json.loads((root / "manifest.json").read_text())
    metas = [m for s in manifest["samples"] if (m := read_meta(root, s["id"])) is not None]
    ok = [m for m in metas if m["status"] == "ok"]
    reasons = Counter()
    for m in metas:
        if m["status"] != "ok":
            stage = m["status"].split(":")[0]
            for part in m["status"].split(":", 1)[-1].split(";"):
                kind = re.sub(r"\(.*?\)|[\d.]+", "", part).split()  # drop the measured values
                reasons[f"{stage}: {' '.join(kind)}"] += 1
    by_family = defaultdict(lambda: Counter())
    for m in metas:
        by_family[m.get("family", "?")]["ok" if m["status"] == "ok" else "rejected"] += 1
    timings = [
        {
            "stage": st,
            "vertices": m[st]["vertices"],
            "seconds": m[st]["sim_seconds"],
            "frames": m[st]["frames"],
        }
        for m in metas
        for st in ("coarse_sim", "coarse", "fine")
        if "sim_seconds" in m.get(st, {})  # a low-pass coarse mesh is not simulated
    ]
    by_material = defaultdict(lambda: Counter())
    for m in metas:
        by_material[m.get("material", "?")]["ok" if m["status"] == "ok" else "rejected"] += 1
    details: dict = {}
    if ok:
        for surface in SURFACES:
            for key in ("normal_variation", "curvature_proxy"):
                vals = np.array([[m["details"][surface][key][s] for s in ("mean", "std", "max")] for m in ok])
                details[f"{surface}.{key}"] = dict(
                    zip(("mean", "std", "max"), vals.mean(axis=0).tolist(), strict=True)
                )
        for res in ("residual_coarse", "residual_lowpass", "residual_coarse_sim"):
            if any(res not in m["details"] for m in ok):
                continue
            for key in ("magnitude", "high_frequency"):
                vals = np.array([[m["details"][res][key][s] for s in ("mean", "std", "max")] for m in ok])
                details[f"{res}.{key}"] = dict(
                    zip(("mean", "std", "max"), vals.mean(axis=0).tolist(), strict=True)
                )
            details[f"{res}.hf_share"] = float(np.mean([m["details"][res]["hf_share"] for m in ok]))
    return {
        "planned": len(manifest["samples"]),
        "finished": len(metas),
        "ok": len(ok),
        "rejected": len(metas) - len(ok),
        "rejection_rate": (len(metas) - len(ok)) / max(len(metas), 1),
        "rejections": dict(reasons.most_common()),
        "by_family": {k: dict(v) for k, v in by_family.items()},
        "by_material": {k: dict(v) for k, v in by_material.items()},
        "timings": timings,
        "details": details,
        "cells": cell_table(root, metas, compute),
        "suspects": crumple_suspects(ok),
        "command": manifest["command"],
    }


SUSPECT_CREASES = 0.025
SUSPECT_STRAIN = 0.03


def crumple_suspects(ok: list[dict]) -> list[dict]:
    """Ok samples to look at first: sharp creases above the family target or more than 3 %
    stretch at the 95th percentile (cloth hanging on its seams buckles elsewhere)."""
    out = []
    for m in ok:
        me = m["fine"].get("measures")
        if not me:
            continue
        if me["sharp_creases"] > SUSPECT_CREASES or me["strain"]["p95"] > SUSPECT_STRAIN:
            out.append({"id": m["id"], "creases": me["sharp_creases"], "strain_p95": me["strain"]["p95"]})
    return out


def print_suspects(s: dict) -> None:
    if not s["suspects"]:
        return
    print(f"\nlook at first (creases > {SUSPECT_CREASES:.1%} or stretch p95 > {SUSPECT_STRAIN:.0%}):\n")
    print("| sample | creases > 60° | stretch p95 |\n|---|---|---|")
    for r in s["suspects"]:
        print(f"| {r['id']} | {r['creases']:.2%} | {r['strain_p95']:.1%} |")


def print_tables(s: dict) -> None:
    print(
        f"{s['finished']} of {s['planned']} samples finished: {s['ok']} ok, {s['rejected']} rejected "
        f"({s['rejection_rate']:.0%})\n"
    )
    print("| family | ok | rejected |\n|---|---|---|")
    for fam, c in sorted(s["by_family"].items()):
        print(f"| {fam} | {c.get('ok', 0)} | {c.get('rejected', 0)} |")
    print("\n| material | ok | rejected |\n|---|---|---|")
    for mat, c in sorted(s["by_material"].items()):
        print(f"| {mat} | {c.get('ok', 0)} | {c.get('rejected', 0)} |")
    print("\n| rejection reason | count |\n|---|---|")
    for r, n in s["rejections"].items():
        print(f"| {r} | {n} |")
    print_cells(s["cells"])
    print("\n| drape | vertices (median) | seconds (median) | s per 1k vertices |\n|---|---|---|---|")
    for stage in ("coarse_sim", "coarse", "fine"):
        t = [x for x in s["timings"] if x["stage"] == stage]
        if t:
            v = np.array([x["vertices"] for x in t], float)
            sec = np.array([x["seconds"] for x in t], float)
            print(
                f"| {stage} | {np.median(v):.0f} | {np.median(sec):.1f} | {np.median(sec / v * 1000):.2f} |"
            )
    print_timing_bins(s["timings"])
    if s["details"]:
        print("\n| statistic (mean over ok samples) | mean | std | max |\n|---|---|---|---|")
        for k, v in s["details"].items():
            if isinstance(v, dict):
                print(f"| {k} | {v['mean']:.4g} | {v['std']:.4g} | {v['max']:.4g} |")
            else:
                print(f"| {k} | {v:.3f} | | |")


VERTEX_BINS = (0, 2500, 5000, 10000, 20000, 10**9)


def print_timing_bins(timings: list[dict]) -> None:
    """Seconds per drape and per frame against vertex count (simulated drapes only)."""
    rows = [t for t in timings if t["frames"]]
    if not rows:
        return
    print("\n| drape | vertices | drapes | median vertices | s per drape (median) | s per frame |")
    print("|---|---|---|---|---|---|")
    for stage in ("coarse_sim", "coarse", "fine"):
        for lo, hi in pairwise(VERTEX_BINS):
            t = [x for x in rows if x["stage"] == stage and lo <= x["vertices"] < hi]
            if not t:
                continue
            v = np.median([x["vertices"] for x in t])
            sec = np.array([x["seconds"] for x in t])
            per_frame = np.median(sec / np.array([x["frames"] for x in t]))
            label = f"{lo:,}-{hi:,}" if hi < 10**9 else f">= {lo:,}"
            print(f"| {stage} | {label} | {len(t)} | {v:.0f} | {np.median(sec):.1f} | {per_frame:.3f} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--json", default=None)
    ap.add_argument("--measure", action="store_true", help="compute detail measures missing from the metas")
    args = ap.parse_args()
    root = Path(args.data)
    s = summarise(root, args.measure)
    print_tables(s)
    print_suspects(s)
    out = Path(args.json or root / "stats.json")
    out.write_text(json.dumps(s, indent=1))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
