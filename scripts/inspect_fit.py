#!/usr/bin/env python3
"""Inspect a per-garment fit (``scripts/train.py --config configs/fit.yaml``): per-vertex chart id,
hash-collision flag and residual error in a PLY, and the charts' UV layouts as PNGs.

    python scripts/inspect_fit.py runs/fit [--data data/drapes_v2] [--out runs/fit/inspect]
        [--color-by error|chart|collision]

Writes ``OUT/fitted.ply`` (the base mesh plus the fitted residual; vertex properties ``chart``,
``collision``, ``error_mm`` and colours), ``OUT/uv_charts.png``, ``OUT/uv_error.png`` and
``OUT/inspection.json`` (the summary), and prints the summary.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("fit", help="the fit's folder (field.safetensors + fit.json)")
    ap.add_argument("--data", default=None, help="dataset folder (default: the fit's config)")
    ap.add_argument("--out", default=None, help="default: FIT/inspect")
    ap.add_argument("--color-by", choices=("error", "chart", "collision"), default="error")
    args = ap.parse_args(argv)

    import numpy as np

    from core.dataset import load_arrays
    from core.garment_fit.inspection import inspect_vertices, load_fit, write_inspection_ply, write_uv_layouts
    from core.garment_fit.residual import garment_residual

    try:
        fit = load_fit(args.fit)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    cfg = fit.record["config"]
    sample_id = fit.record["sample"]["id"]
    arrays = load_arrays(args.data or cfg["data"], sample_id)
    residual = garment_residual(arrays, cfg["base"])
    fine = np.asarray(arrays["fine_vertices"], np.float64)
    base = fine - residual.residual  # as the fit made it
    ins = inspect_vertices(fit, base, fine)
    out = Path(args.out or Path(args.fit) / "inspect")
    out.mkdir(parents=True, exist_ok=True)
    ply = write_inspection_ply(
        out / "fitted.ply", base + ins.predicted_cm, residual.faces, ins, args.color_by
    )
    pngs = write_uv_layouts(out, residual.faces, ins)
    summary = {"sample": sample_id, **ins.summary(), "ply": str(ply), "png": pngs}
    (out / "inspection.json").write_text(json.dumps(summary, indent=1))
    print(
        f"{sample_id}: {summary['vertices']} vertices in {summary['charts_used']} charts; "
        f"{100 * summary['collision_share']:.1f}% on a colliding hash slot; residual error "
        f"mean {summary['error_mm_mean']:.3f} mm, p99 {summary['error_mm_p99']:.3f}, "
        f"max {summary['error_mm_max']:.3f}"
    )
    print(f"wrote {ply}, {pngs['charts']}, {pngs['error']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
