#!/usr/bin/env python3
"""Check that a dataset re-made from its manifest's command matches the shipped one.

    python scripts/make_dataset.py --out /tmp/repro --count 12 --seed 2 --workers 2
    python scripts/check_reproduction.py --shipped data/drapes_v2 --remade /tmp/repro [--count 12]

Compares, sample by sample (the first ``count`` of the remade folder), the status and the
statistics stored in each meta: the fine drape's checks (seam gap, crossings, speed, inside
body), its detail measures, and the vertex counts. Prints a table and exits 1 on any
mismatch beyond the relative tolerance (default 1 %: Blender's cloth is deterministic on
one machine, but float sums may differ across CPUs).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.dataset import read_meta  # noqa: E402

QUALITY_KEYS = ("seam_gap_max_cm", "seam_gap_mean_cm", "final_speed_cm", "self_intersections", "inside_body")


def sample_statistics(meta: dict) -> dict[str, float | str]:
    """The numbers of one sample's meta that a reproduction must give again."""
    out: dict[str, float | str] = {"status": meta["status"]}
    for stage in ("coarse_sim", "fine"):
        part = meta.get(stage) or {}
        if "vertices" in part:
            out[f"{stage}.vertices"] = float(part["vertices"])
        for key in QUALITY_KEYS:
            value = (part.get("quality") or {}).get(key)
            if isinstance(value, int | float):
                out[f"{stage}.{key}"] = float(value)
        measures = part.get("measures") or {}
        for radius, value in (measures.get("detail") or {}).items():
            out[f"{stage}.detail_{radius}"] = float(value)
        for key in ("ratio", "sharp_creases"):
            if key in measures:
                out[f"{stage}.{key}"] = float(measures[key])
    return out


def compare(a: dict, b: dict, rel_tol: float = 0.01, abs_tol: float = 1e-6) -> list[str]:
    """Differences between two samples' statistics (empty when they match)."""
    diffs = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if isinstance(x, float) and isinstance(y, float):
            if abs(x - y) > max(abs_tol, rel_tol * max(abs(x), abs(y))):
                diffs.append(f"{key}: {x:.4g} vs {y:.4g}")
        elif x != y:
            diffs.append(f"{key}: {x} vs {y}")
    return diffs


def check(shipped: Path, remade: Path, count: int, rel_tol: float) -> list[tuple[str, list[str]]]:
    """(sample id, differences) for the first ``count`` samples of the remade dataset."""
    rows = json.loads((remade / "manifest.json").read_text())["samples"][:count]
    results = []
    for row in rows:
        mine, theirs = read_meta(remade, row["id"]), read_meta(shipped, row["id"])
        if mine is None or theirs is None:
            results.append((row["id"], ["missing in " + ("remade" if mine is None else "shipped")]))
            continue
        results.append((row["id"], compare(sample_statistics(theirs), sample_statistics(mine), rel_tol)))
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shipped", required=True, help="the shipped dataset folder (unpacked)")
    ap.add_argument("--remade", required=True, help="the folder the manifest's command wrote")
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--rel-tol", type=float, default=0.01)
    args = ap.parse_args(argv)
    results = check(Path(args.shipped), Path(args.remade), args.count, args.rel_tol)
    print("| sample | matches | differences |\n|---|---|---|")
    for sid, diffs in results:
        print(f"| {sid} | {'yes' if not diffs else 'no'} | {'; '.join(diffs[:4]) or '-'} |")
    bad = sum(bool(d) for _, d in results)
    print(f"\n{len(results) - bad} of {len(results)} samples reproduce within {args.rel_tol:.0%}")
    return 1 if bad or not results else 0


if __name__ == "__main__":
    sys.exit(main())
