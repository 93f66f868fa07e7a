#!/usr/bin/env python3
"""How good could each refiner target be? The oracle adds the exact target to the base.

    python bench/target_oracle.py [--data data/drapes_v2] [--count 8] [--sigmas 2,4,8]
        [--out bench/results/target_oracle.json]

For the first ``count`` ok samples, the coarse drape base (upsampled and de-faceted exactly as
the refiner does, ``core.refiner.evaluation_bases``) plus the heat high-pass of fine - base
at each sigma (``core.refiner.lowpass``): the detail at 1, 2 and 4 cm of that oracle against
the fine drape's, the RMS of the target, and the share of the fine drape's own detail (fine
minus its generator low-pass) that the high-pass keeps. Prints a table, writes JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def rms(x: np.ndarray) -> float:
    return float(np.sqrt((np.asarray(x) ** 2).sum(axis=1).mean()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT / "data" / "drapes_v2"))
    ap.add_argument("--count", type=int, default=8)
    ap.add_argument("--sigmas", default="2,4,8")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "target_oracle.json"))
    args = ap.parse_args(argv)

    from core.dataset import load_arrays
    from core.detail import surface_detail
    from core.pattern import pattern_from_dict
    from core.refiner.evaluation_bases import evaluation_bases
    from core.refiner.lowpass import SurfaceLowpass

    data = Path(args.data)
    manifest = json.loads((data / "manifest.json").read_text())
    box_edge = manifest["config"]["fine_edge_cm"]
    sigmas = [float(s) for s in args.sigmas.split(",")]
    rows = []
    for r in [r for r in manifest["samples"] if r["status"] == "ok"][: args.count]:
        a = load_arrays(data, r["id"])
        pattern = pattern_from_dict(json.loads((data / "samples" / r["id"] / "pattern.json").read_text()))
        base, charts = evaluation_bases(a, pattern, box_edge)["coarse_sim"]
        fine, faces = a["fine_vertices"].astype(np.float64), a["fine_faces"]
        own = fine - a["coarse_at_fine"]
        detail = {k: surface_detail(v, faces)["detail"] for k, v in (("base", base), ("fine", fine))}
        row = {"id": r["id"], "residual_rms_cm": rms(fine - base), "detail_rms_cm": rms(own), **detail}
        for s in sigmas:
            lp = SurfaceLowpass(base, faces, charts.group, s)
            hp = lp.highpass(fine - base)
            row[f"sigma_{s:g}"] = {
                "target_rms_cm": rms(hp),
                "detail_kept": 1 - rms(lp.highpass(own) - own) / rms(own),
                "oracle": surface_detail(base + hp, faces)["detail"],
            }
        rows.append(row)
        f = row["fine"]
        cells = [f"{r['id'][:22]:22s}"]
        for s in sigmas:
            o = row[f"sigma_{s:g}"]["oracle"]
            cells.append(" ".join(f"{o[k] / f[k] - 1:+4.0%}" for k in ("1", "2", "4")))
        print(" | ".join(cells), flush=True)
    print(f"(oracle detail / fine detail - 1 at 1, 2, 4 cm, for sigma = {args.sigmas} cm)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"sigmas": sigmas, "samples": rows}, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
