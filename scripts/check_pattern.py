#!/usr/bin/env python3
"""Check a sewing pattern's stitches; optionally write the report and the box mesh.

    python scripts/check_pattern.py PATTERN [--report R.json] [--boxmesh OUT.obj]
                                    [--edge-length CM] [--mesh DRAPED.ply]

Exit status: 0 for a valid pattern (bad stitches are listed, not fatal), 1 for a pattern
that cannot be used (the message names the file and the place).
"""

from __future__ import annotations

import argparse
import json
import sys

from _bootstrap import load_package


def centimetres(low: float, high: float):
    """An argparse type: a finite length in [low, high] cm (else argparse's usage error)."""

    def parse(text: str) -> float:
        value = float(text)
        if not low <= value <= high:  # NaN fails too
            raise argparse.ArgumentTypeError(f"expected {low:g}-{high:g} cm, got {text}")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pattern", help="GarmentCode specification .json or .svg")
    ap.add_argument("--report", help="write the report as JSON here")
    ap.add_argument("--boxmesh", help="write the box mesh (.obj or .ply) here")
    ap.add_argument(
        "--edge-length", type=centimetres(0.05, 1000.0), default=2.0, help="box mesh edge length in cm"
    )
    ap.add_argument("--mesh", help="a draped mesh (.ply with panel/u/v) whose seam gaps to measure")
    ap.add_argument("--length-tol", type=centimetres(0.0, 1000.0), default=1.0, help="cm")
    ap.add_argument("--gap-tol", type=centimetres(0.0, 1000.0), default=0.5, help="cm")
    args = ap.parse_args(argv)

    pkg = load_package()
    from importlib import import_module

    errors = import_module(f"{pkg.__name__}.core.errors")
    pipeline = import_module(f"{pkg.__name__}.core.pipeline")
    stitch_check = import_module(f"{pkg.__name__}.core.stitch_check")
    meshio = import_module(f"{pkg.__name__}.core.meshio")
    outputs = import_module(f"{pkg.__name__}.core.outputs")
    try:
        if args.report:
            outputs.check_output(args.report, (".json",), "report")
        if args.boxmesh:
            outputs.check_output(args.boxmesh, (".obj", ".ply"), "box mesh")
        job = pipeline.prepare_garment(args.pattern, args.edge_length, args.length_tol)
        report = job.report
        if args.mesh:
            mesh = meshio.load_mesh(args.mesh).as_garment(list(job.pattern.panels))
            report = stitch_check.check_stitches(job.pattern, mesh, args.length_tol, args.gap_tol)
    except (errors.GarmentError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(report.format_text())
    if args.report:
        outputs.write_text_atomic(args.report, json.dumps(report.to_dict(), indent=2))
        print(f"report written to {args.report}")
    if args.boxmesh:
        meshio.save_garment_mesh(job.mesh, args.boxmesh)
        print(f"box mesh written to {args.boxmesh} ({job.mesh.n_vertices} vertices)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
