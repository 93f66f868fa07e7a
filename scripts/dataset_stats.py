#!/usr/bin/env python3
"""Summarise a drape dataset: rejection rates, drape timings and the details analysis.

    python scripts/dataset_stats.py --data DIR [--json OUT.json]

Prints Markdown tables (as pasted into docs/dataset.md) and writes the numbers as JSON
(default DIR/stats.json).
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

from core.dataset import read_meta  # noqa: E402

SURFACES = ("box", "coarse", "lowpass", "fine")


def summarise(root: Path) -> dict:
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
        for st in ("coarse", "fine")
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
        for res in ("residual_coarse", "residual_lowpass"):
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
        "command": manifest["command"],
    }


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
    print("\n| drape | vertices (median) | seconds (median) | s per 1k vertices |\n|---|---|---|---|")
    for stage in ("coarse", "fine"):
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
    for stage in ("coarse", "fine"):
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
    args = ap.parse_args()
    root = Path(args.data)
    s = summarise(root)
    print_tables(s)
    out = Path(args.json or root / "stats.json")
    out.write_text(json.dumps(s, indent=1))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
