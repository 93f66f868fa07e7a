#!/usr/bin/env python3
"""The refiner through Nuvo charts against the same garment refined through its pattern charts.

    python bench/nuvo_refine.py --data data/drapes_v2 [--per-family 1] [--threads 2]
        [--out bench/results/nuvo_refine.json]

Per held-out garment, the low-pass base (the fine drape's large-scale shape, so placement can
be measured) is refined three times with the bundled model at its defaults: (a) with its
pattern (panel ids + pattern uv: the refiner's chart source a), (b) with the pattern's uv as
the mesh's own UV islands (source b: the same charts, but no rest shape, so no strain), (c)
welded along its seams and stripped of everything but positions and faces, so the refiner fits
Nuvo charts itself (source c: the CPU preset, LSCM re-flattened, turned up, strain unknown),
exactly as ``scripts/refine.py`` on such a mesh. All three are measured against the fine drape
on the fine topology (``core.refiner.evaluation``): detail over the fine drape's at 0.5 / 1 /
2 / 4 cm, placement, large-scale error, seam gap, and the seconds each refine took. Prints a
table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
from nuvo_scores import garments  # noqa: E402

from core.dataset import load_arrays  # noqa: E402
from core.garment_mesh import weld_seams  # noqa: E402
from core.pattern import pattern_from_dict  # noqa: E402

RADII = ("0.5", "1", "2", "4")


def measure(refined, fine, faces, base, pairs, seconds: float, report: dict) -> dict:
    from core.refiner.evaluation import evaluate

    ev = evaluate(refined, fine, faces, base=base, seam_pairs=pairs)
    det, ref = ev["detail"]["refined"]["detail"], ev["detail"]["reference"]["detail"]
    return {
        "detail_ratio": {r: det[r] / ref[r] for r in RADII},
        "placement": ev["placement"],
        "large_scale_error_cm": ev["large_scale_error"]["mean_cm"],
        "large_scale_error_base_cm": ev["large_scale_error_base"]["mean_cm"],
        "seam_gap_cm": ev["seam_gap_cm"],
        "seconds": seconds,
        "charts": report["charts"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="data/drapes_v2")
    ap.add_argument("--per-family", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="bench/results/nuvo_refine.json")
    args = ap.parse_args()

    import torch

    from core.refiner.evaluation_bases import evaluation_bases
    from core.refiner.refine import RefineInput, RefineOptions, Refiner

    torch.set_num_threads(args.threads)
    data = Path(args.data)
    refiner = Refiner(device="cpu")
    box_edge = refiner.desc.get("box_edge_cm", 1.5)
    rows = []
    for r in garments(data, args.per_family):
        a = load_arrays(data, r["id"])
        pattern = pattern_from_dict(json.loads((data / "samples" / r["id"] / "pattern.json").read_text()))
        base, _ = evaluation_bases(a, pattern, box_edge)["lowpass"]
        fine, faces, pairs = np.asarray(a["fine_vertices"], np.float64), a["fine_faces"], a["fine_seam_pairs"]
        opts = RefineOptions(seed=args.seed)
        t = time.perf_counter()
        out = refiner.refine(RefineInput(base, faces, a["fine_panel"], a["fine_uv"], pattern=pattern), opts)
        pattern_row = measure(out.vertices, fine, faces, base, pairs, time.perf_counter() - t, out.report)
        t = time.perf_counter()
        islands = RefineInput(
            base, faces, uv=np.asarray(a["fine_uv"]) / 100.0, uv_faces=faces, source=r["id"]
        )
        out = refiner.refine(islands, opts)
        islands_row = measure(out.vertices, fine, faces, base, pairs, time.perf_counter() - t, out.report)
        welded, welded_faces, index = weld_seams(base, faces, pairs)
        t = time.perf_counter()
        out = refiner.refine(RefineInput(welded, welded_faces, source=r["id"]), opts)
        nuvo_row = measure(out.vertices[index], fine, faces, base, pairs, time.perf_counter() - t, out.report)
        for source, m in (("pattern", pattern_row), ("uv_islands", islands_row), ("nuvo", nuvo_row)):
            rows.append({"id": r["id"], "family": r["family"], "source": source, **m})
            d = m["detail_ratio"]
            print(
                f"{r['id']:30s} {source:10s} detail "
                f"{d['0.5']:.2f} / {d['1']:.2f} / {d['2']:.2f} / {d['4']:.2f}"
                f"  placement {m['placement']['overall']:.2f}  LSE {m['large_scale_error_cm']:.3f}"
                f"  seam gap {m['seam_gap_cm']['refined']:.4f}  {m['seconds']:.1f} s"
                f"  charts {m['charts']['count']}",
                flush=True,
            )
    print(
        "\n| charts | garments | detail / fine at 0.5, 1, 2, 4 cm | placement | large-scale error cm | "
        "seam gap cm | refine s |"
    )
    print("|---|---|---|---|---|---|---|")
    for source in ("pattern", "uv_islands", "nuvo"):
        sel = [x for x in rows if x["source"] == source]
        det = " / ".join(f"{np.mean([x['detail_ratio'][r] for x in sel]):.2f}" for r in RADII)
        print(
            f"| {source} | {len(sel)} | {det} | {np.mean([x['placement']['overall'] for x in sel]):.2f} | "
            f"{np.mean([x['large_scale_error_cm'] for x in sel]):.3f} | "
            f"{max(x['seam_gap_cm']['refined'] for x in sel):.4f} | "
            f"{np.mean([x['seconds'] for x in sel]):.1f} |"
        )
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    command = " ".join(["python", "bench/nuvo_refine.py", *sys.argv[1:]])
    out_path.write_text(json.dumps({"command": command, "rows": rows}, default=float) + "\n")


if __name__ == "__main__":
    main()
