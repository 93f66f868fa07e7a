#!/usr/bin/env python3
"""Refine a garment mesh: add the wrinkles a fine cloth simulation would give.

    python scripts/refine.py --base-mesh B.obj [--pattern P.json] --out R.obj --report R.json
        [--seed S] [--steps K] [--strength x] [--material soft|mid|stiff] [--edge-length cm]
        [--device auto|cpu|cuda] [--model models/refiner.json] [--scale 1] [--measure]
        [--nuvo-iterations N]
    blender -b -P scripts/refine.py -- (the same arguments)

The base mesh is in cm, +Y up (``--scale`` converts other units). Charts come from the
pattern (panel ids + pattern uv: PLY properties, or OBJ groups named after the panels with
``vt`` in cm), from the mesh's UV islands, or, for a mesh with neither, from Nuvo charts fitted
to it (needs torch; about a minute for 5k vertices on 2 cores; the output then carries their
UVs). The output format follows ``--out``'s suffix (OBJ keeps UVs, PLY keeps panel ids and
pattern uv). The report holds the timings per stage, vertex counts, the seam gap before and
after, and with ``--measure`` the detail measure of the base and of the refined mesh.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

T_START = time.perf_counter()
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from _bootstrap import script_args  # noqa: E402


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base-mesh", required=True, help="OBJ, PLY or GLB, cm, +Y up")
    ap.add_argument("--pattern", default=None, help="the garment's sewing pattern (.json or .svg)")
    ap.add_argument("--out", required=True, help="refined mesh (.obj, .ply, .glb)")
    ap.add_argument("--report", default=None, help="JSON report (default: beside --out)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=None, help="sampler steps (default: the model's)")
    ap.add_argument("--strength", type=float, default=1.0)
    ap.add_argument("--material", choices=("soft", "mid", "stiff"), default=None)
    ap.add_argument("--edge-length", type=float, default=None, help="cm (default: the model's)")
    ap.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    ap.add_argument("--model", default=None, help="model JSON (default: the bundled one)")
    ap.add_argument("--scale", type=float, default=1.0, help="file units -> cm")
    ap.add_argument("--measure", action="store_true", help="add the detail measure (a few s)")
    ap.add_argument(
        "--nuvo-iterations", type=int, default=None, help="Nuvo fit of a mesh with no charts (default 500)"
    )
    return ap.parse_args(argv)


def seam_gap(vertices, charts) -> float:
    """Largest distance within a seam group (0 when seams are welded)."""
    import numpy as np

    pts = vertices[charts.vertex]
    centre = np.zeros((charts.n_groups, 3))
    np.add.at(centre, charts.group, pts)
    centre /= np.bincount(charts.group, minlength=charts.n_groups)[:, None]
    return float(2 * np.linalg.norm(pts - centre[charts.group], axis=1).max())


def main(argv: list[str]) -> int:
    args = parse(argv)
    t_import = time.perf_counter()
    from core.errors import GarmentError
    from core.outputs import check_output, write_text_atomic
    from core.pipeline import read_pattern_file
    from core.refiner.files import read_base, write_refined
    from core.refiner.refine import DEFAULT_MODEL, RefineOptions, Refiner

    try:
        out_path = check_output(args.out, (".obj", ".ply", ".glb"), "refined mesh")
        report_path = check_output(args.report or out_path.with_suffix(".json"), (".json",), "report")
        pattern = read_pattern_file(args.pattern) if args.pattern else None
        base = read_base(args.base_mesh, pattern, args.scale)
        refiner = Refiner(args.model or DEFAULT_MODEL, args.device)
        t_import = time.perf_counter() - t_import
        bars: dict = {}

        def progress(stage: str, done: int, total: int) -> None:
            try:
                from tqdm import tqdm
            except ImportError:  # a Blender without tqdm: a line every 10 %
                if done == total or done % max(1, total // 10) == 0:
                    print(f"fitting {stage} charts: {done}/{total}", flush=True)
                return
            if stage not in bars:
                bars[stage] = tqdm(total=total, desc=f"fitting {stage} charts", unit="it")
            bars[stage].update(done - bars[stage].n)
            if done >= total:
                bars[stage].close()

        opts = RefineOptions(
            args.seed,
            args.steps,
            args.strength,
            args.material,
            args.edge_length,
            args.device,
            nuvo={"iterations": args.nuvo_iterations} if args.nuvo_iterations else None,
            progress=progress,
        )
        result = refiner.refine(base, opts)
        t0 = time.perf_counter()
        out = write_refined(result, args.out, list(pattern.panels) if pattern else None)
        result.report["seconds"]["write"] = time.perf_counter() - t0
    except GarmentError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    report = result.report
    report["seconds"]["import_and_read"] = t_import
    report["seam_gap_cm"] = {
        "base": seam_gap(result.base_vertices, result.charts),
        "refined": seam_gap(result.vertices, result.charts),
    }
    if args.measure:
        from core.detail import surface_detail

        report["detail"] = {
            "base": surface_detail(result.base_vertices, result.faces),
            "refined": surface_detail(result.vertices, result.faces),
        }
    report["seconds"]["total"] = time.perf_counter() - T_START
    write_text_atomic(report_path, json.dumps(report, indent=1) + "\n")
    s = report["seconds"]
    print(
        f"refined {report['vertices_in']:,} -> {report['vertices_out']:,} vertices "
        f"({report['charts']['count']} charts from {report['charts']['source']}, {report['steps']} steps, "
        f"{report['runtime']}) in {s['total']:.2f} s: {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(script_args()))
