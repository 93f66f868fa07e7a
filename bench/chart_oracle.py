#!/usr/bin/env python3
"""How much of the fine drape's detail survives the refiner's chart path with no model: the
true residual (fine - low-pass base) rasterised into the charts at the refiner's pitch and
sampled back to the vertices, exactly as the refiner's output is. What this oracle loses, no
model can give; what it keeps and the refiner does not, the model misses.

    python bench/chart_oracle.py --data data/drapes_v2 [--per-family 1] [--results R.json] [--out J]

Prints per garment the detail at 0.5 / 1 / 2 / 4 cm over the fine drape's and the share of
sharp creases, for the low-pass base, the oracle and (from ``--results`` when given) the
refiner's row of ``scripts/results.py`` for the same garment.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from core.dataset import load_arrays  # noqa: E402
from core.detail import surface_detail  # noqa: E402
from core.pattern import pattern_from_dict  # noqa: E402
from core.refiner.evaluation_bases import evaluation_bases  # noqa: E402
from core.refiner.features import point_features  # noqa: E402
from core.refiner.field import offset_cap, world_offsets  # noqa: E402
from core.refiner.raster import DEFAULT_PITCH_CM, build_rasterizer  # noqa: E402
from core.refiner.training_data import local_residual  # noqa: E402


def oracle(arrays: dict, pattern, box_edge: float, pitch: float = DEFAULT_PITCH_CM) -> dict[str, np.ndarray]:
    """Fine, low-pass base and oracle vertices of one garment (fine topology)."""
    base, charts = evaluation_bases(arrays, pattern, box_edge)["lowpass"]
    fine = np.asarray(arrays["fine_vertices"], np.float64)
    _, frames = point_features(base, charts)
    rast = build_rasterizer(charts, pitch)
    images = rast.rasterize(local_residual(fine, base, charts, frames))
    offsets = world_offsets(rast, images, frames, len(base), cap=offset_cap(base))
    return {"fine": fine, "lowpass base": base, "oracle via charts": base + offsets}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT / "data" / "drapes_v2"))
    ap.add_argument("--split", default="test")
    ap.add_argument("--per-family", type=int, default=1)
    ap.add_argument("--results", default=None, help="a scripts/results.py JSON with refiner_5 rows")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "chart_oracle.json"))
    args = ap.parse_args(argv)
    data = Path(args.data)
    manifest = json.loads((data / "manifest.json").read_text())
    box_edge = manifest["config"]["fine_edge_cm"]
    ok = [r for r in manifest["samples"] if r["status"] == "ok" and r["split"] == args.split]
    families = sorted({r["family"] for r in ok})
    rows_in = [r for fam in families for r in [x for x in ok if x["family"] == fam][: args.per_family]]
    refined = {}
    if args.results:
        for r in json.loads(Path(args.results).read_text())["rows"]:
            if r["base"] == "lowpass" and r["method"] == "refiner_5" and r["seed"] == 0:
                refined[r["id"]] = r["detail"]["refined"]
    lines = [
        "| garment | surface | detail / fine at 0.5, 1, 2, 4 cm | sharp creases |",
        "|---|---|---|---|",
    ]
    out = []
    for r in rows_in:
        a = load_arrays(data, r["id"])
        pattern = pattern_from_dict(json.loads((data / "samples" / r["id"] / "pattern.json").read_text()))
        surfaces = {k: surface_detail(v, a["fine_faces"]) for k, v in oracle(a, pattern, box_edge).items()}
        if r["id"] in refined:
            surfaces["refiner (5 steps)"] = refined[r["id"]]
        fine = surfaces["fine"]["detail"]
        for name, d in surfaces.items():
            ratios = " / ".join(f"{d['detail'][k] / fine[k]:.2f}" for k in ("0.5", "1", "2", "4"))
            lines.append(f"| {r['id']} | {name} | {ratios} | {d['sharp_creases']:.2%} |")
            out.append({"id": r["id"], "surface": name, **d})
        print(lines[-1], flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"rows": out}, indent=1) + "\n")
    print("\n".join(lines))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
