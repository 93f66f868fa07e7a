#!/usr/bin/env python3
"""Apply checks added after a dataset's samples were made to its finished ok samples.

    python scripts/recheck_dataset.py --data data/drapes_v2 [--apply]

Today that is the slide check (``QualityThresholds.max_drop_cm``, added 2026-12-02 during the
v2 generation: a soft pair of trousers slid 43 cm down the body in its coarse drape and came
out crumpled round the knees with every other check passed). The drop needs no simulation:
it compares the stored drapes with the box meshes (the coarse one remade from the sample's
pattern). Without ``--apply`` it only prints; with it a newly failing sample gets the status
the generator would have given it (its first failing stage), its arrays are removed as for
any rejected sample, and the manifest's rows follow.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.boxmesh import build_box_mesh  # noqa: E402
from core.dataset import SampleSpec, load_arrays, read_meta, sample_dir, write_manifest  # noqa: E402
from core.drape_quality import garment_drop  # noqa: E402
from core.pattern import load_pattern  # noqa: E402
from sim.generate import COARSE_SIM_THRESHOLDS, FINE_THRESHOLDS  # noqa: E402


def slide_failure(root: Path, meta: dict) -> tuple[str, float] | None:
    """(stage, drop cm) of the first drape that slid further than its stage allows, or None."""
    arrays = load_arrays(root, meta["id"], derive=False)
    pattern = load_pattern(sample_dir(root, meta["id"]) / "pattern.json")
    coarse_box = build_box_mesh(pattern, meta["coarse_sim"]["edge_cm"])
    if coarse_box.n_vertices != len(arrays["coarse_sim_vertices"]):
        raise SystemExit(f"{meta['id']}: the remade coarse box mesh does not match the stored drape")
    drops = {
        "coarse_sim": garment_drop(coarse_box.vertices, arrays["coarse_sim_vertices"]),
        "fine": garment_drop(arrays["fine_box_vertices"], arrays["fine_vertices"]),
    }
    for stage, limit in (("coarse_sim", COARSE_SIM_THRESHOLDS), ("fine", FINE_THRESHOLDS)):
        meta[stage]["quality"]["drop_cm"] = drops[stage]
        if drops[stage] > limit.max_drop_cm:
            return stage, drops[stage]
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--apply", action="store_true", help="rewrite the failing samples and the manifest")
    args = ap.parse_args()
    root = Path(args.data)
    manifest = json.loads((root / "manifest.json").read_text())
    changed: list[str] = []  # the samples that newly failed
    for row in manifest["samples"]:
        if row["status"] != "ok":
            continue
        meta = read_meta(root, row["id"])
        if meta is None or meta["status"] != "ok" or "drop_cm" in meta["fine"]["quality"]:
            continue  # not finished yet, or made with the check
        failure = slide_failure(root, meta)
        if failure is None:
            continue
        stage, drop = failure
        reason = f"slid down {drop:.0f} cm"
        print(f"{row['id']}: {stage}: {reason}")
        changed.append(row["id"])
        if args.apply:
            meta[stage]["quality"].update(ok=False, reasons=[reason])
            meta["status"] = row["status"] = f"{stage}: {reason}"
            if stage == "coarse_sim":  # the generator stops at the first failing stage
                meta.pop("fine", None)
            meta.pop("coarse", None)
            meta.pop("details", None)
            folder = sample_dir(root, row["id"])
            (folder / "meta.json").write_text(json.dumps(meta, indent=1))
            (folder / "arrays.npz").unlink(missing_ok=True)
    if args.apply and changed:  # the manifest from the samples' metas, as the generator writes it
        names = {f.name for f in fields(SampleSpec)}
        specs = [SampleSpec(**{k: v for k, v in r.items() if k in names}) for r in manifest["samples"]]
        write_manifest(root, specs, manifest["command"], manifest["config"])
    print(f"{len(changed)} sample(s) {'rejected' if args.apply else 'would be rejected'} by the slide check")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
