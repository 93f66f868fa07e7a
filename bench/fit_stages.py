#!/usr/bin/env python3
"""The per-garment fit's two stages on several garments, stage 2 with and without the denoiser.

    python bench/fit_stages.py --denoiser on  --out bench/results/fit_stages_on.json  [--garments ID,ID,...]
    python bench/fit_stages.py --denoiser off --out bench/results/fit_stages_off.json
    python bench/fit_stages.py --table bench/results/fit_stages_on.json bench/results/fit_stages_off.json

Each garment is fitted exactly as ``scripts/train.py --config configs/fit.yaml`` fits it
(core/garment_fit/two_stage.py, the config file's values, its seed), only ``stage2.denoiser`` set
by ``--denoiser``: Nuvo keys from scratch on the base mesh, the hash field with the HashSize
schedule, and in stage 2 either the residual-diffusion denoiser (conditioned on the hash features)
or the field alone. With the same seed stage 1 is the same run both ways, so the two files differ
only in stage 2. Default garments: the five of the field-claim table (bench/field_claim.py).
Rows: held-out error (mm) at stage 1's end, the field's and the corrected error at the end, the
correction's gain, the final table against T_full, each shrink's loss check, seconds. ``--table``
prints the side-by-side table of two runs (Markdown) and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLAIM_GARMENTS = (
    "00014_dress_soft_s200020",
    "00001_skirt_soft_s200007",
    "00027_trousers_soft_s200033",
    "00048_tshirt_soft_s200054",
    "00022_dress_stiff_s200028",
)


def fit_row(data: Path, sample_id: str, raw: dict, out: Path) -> dict:
    """One garment's fit with the config ``raw``; the row for the table."""
    from core.dataset import load_arrays
    from core.garment_fit.two_stage import FitConfig, fit_garment

    manifest = json.loads((data / "manifest.json").read_text())
    row = next(r for r in manifest["samples"] if r["id"] == sample_id)
    arrays = {**load_arrays(data, sample_id), **{k: row[k] for k in ("id", "family", "material")}}
    pattern_file = data / "samples" / sample_id / "pattern.json"
    pattern = json.loads(pattern_file.read_text()) if pattern_file.exists() else None
    cfg = FitConfig.from_dict(raw)
    t0 = time.perf_counter()
    rec = fit_garment(arrays, cfg, pattern=pattern, out=out / sample_id, log=lambda s: None).record
    s2 = rec["stage2"]
    shrinks = rec["schedule"]["shrinks_done"]
    return {
        "id": sample_id,
        "family": row["family"],
        "material": row["material"],
        "zero_mm": rec["curves"]["zero_predictor_mm"],
        "stage1_end_mm": s2["heldout_mm_at_stage1_end"],
        "field_mm": s2["field_mm"],
        "final_mm": rec["target"]["heldout_mm"],
        "corrected_mm": s2.get("corrected_mm"),
        "gain": s2.get("gain"),
        "denoiser_parameters": s2.get("parameters"),
        "table_share": rec["target"]["table_share"],
        "t_full": rec["hash"]["t_full"],
        "error_met": rec["target"]["error_met"],
        "table_met": rec["target"]["table_met"],
        "shrinks": [
            {k: e.get(k) for k in ("iteration", "stage", "share_of_t_full", "ratio", "within_5pct")}
            for e in shrinks
        ],
        "scores": {k: rec["scores"].get(k) for k in ("charts", "bijectivity", "cluster", "panel_l2_cm")},
        "stage1_s_per_it": rec["timings_s"]["stage1_per_iteration"],
        "stage2_s_per_it": rec["timings_s"]["stage2_per_iteration"],
        "seconds": time.perf_counter() - t0,
        "curve": rec["curves"]["heldout_mm"],
    }


def table(on: dict, off: dict) -> str:
    """Markdown: one row a garment, stage 2 with and without the denoiser side by side."""
    offs = {r["id"]: r for r in off["rows"]}
    lines = [
        "| garment | zero mm | stage 1 end mm | stage 2, field alone mm"
        " | stage 2 + denoiser: field / corrected mm | gain | table / T_full"
        " | shrinks within 5% | s/it stage 1 / 2 (denoiser) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in on["rows"]:
        o = offs.get(r["id"])
        ok = sum(bool(s["within_5pct"]) for s in r["shrinks"])
        lines.append(
            f"| {r['id']} | {r['zero_mm']:.3f} | {r['stage1_end_mm']:.3f} | "
            f"{o['final_mm']:.3f} | {r['field_mm']:.3f} / {r['corrected_mm']:.3f} | {r['gain']:.2f} | "
            f"{r['table_share']:.4g} | {ok}/{len(r['shrinks'])} | "
            f"{r['stage1_s_per_it']:.2f} / {r['stage2_s_per_it']:.2f} |"
            if o
            else f"| {r['id']} | (no run without the denoiser) |"
        )
    n = len(on["rows"])
    mean = lambda rows, k: sum(x[k] for x in rows) / max(len(rows), 1)  # noqa: E731
    lines.append(
        f"| mean of {n} | {mean(on['rows'], 'zero_mm'):.3f} | {mean(on['rows'], 'stage1_end_mm'):.3f} | "
        f"{mean(off['rows'], 'final_mm'):.3f} | {mean(on['rows'], 'field_mm'):.3f} / "
        f"{mean(on['rows'], 'corrected_mm'):.3f} | {mean(on['rows'], 'gain'):.2f} | | | |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/drapes_v2")
    ap.add_argument("--config", default="configs/fit.yaml")
    ap.add_argument("--garments", default=",".join(CLAIM_GARMENTS))
    ap.add_argument("--denoiser", choices=("on", "off"), default="on")
    ap.add_argument("--iterations", type=int, default=None, help="default: the config's")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=None, help="JSON file (default bench/results/fit_stages_<on|off>.json)")
    ap.add_argument("--table", nargs=2, metavar=("ON_JSON", "OFF_JSON"), default=None)
    args = ap.parse_args(argv)
    if args.table:
        on, off = (json.loads(Path(p).read_text()) for p in args.table)
        print(table(on, off))
        return 0

    import torch
    import yaml

    torch.set_num_threads(args.threads)
    raw = yaml.safe_load((ROOT / args.config).read_text())
    raw["stage2"] = {**raw.get("stage2", {}), "denoiser": args.denoiser == "on"}
    if args.iterations is not None:
        raw["iterations"] = args.iterations
    out_json = Path(args.out or f"bench/results/fit_stages_{args.denoiser}.json")
    command = "bench/fit_stages.py " + " ".join(sys.argv[1:] if argv is None else argv)
    result = {"command": command, "config": raw, "rows": []}
    runs = Path("runs/fit_stages") / args.denoiser
    for gid in args.garments.split(","):
        row = fit_row(Path(args.data), gid, raw, runs)
        result["rows"].append(row)
        print(
            f"{gid}: stage 1 end {row['stage1_end_mm']:.3f} mm -> field {row['field_mm']:.3f}"
            + (
                f", corrected {row['corrected_mm']:.3f} (gain {row['gain']:.2f})"
                if row["gain"] is not None
                else ""
            )
            + f"; table {row['table_share']:.4g} T_full; {row['seconds']:.0f} s",
            flush=True,
        )
        out_json.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_json.with_suffix(".tmp")
        tmp.write_text(json.dumps(result, indent=1))
        tmp.replace(out_json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
