#!/usr/bin/env python3
"""Write the shipped example patterns: each garment family's default design on the default body.

    python scripts/make_examples.py [--out presets/patterns] [--family NAME ...]

Writes ``<family>.json`` (GarmentCode specification, pretty-printed) and, when the SVG
writer is available, ``<family>.svg`` for every family in ``core.garments.FAMILIES``.
Exit status 1 if a default design does not validate.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.garments import FAMILIES, validate  # noqa: E402
from core.pattern import save_pattern  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(ROOT / "presets" / "patterns"), help="output folder")
    ap.add_argument("--family", action="append", choices=sorted(FAMILIES), help="only these families")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        from core.svg_io import save_svg
    except ImportError:
        save_svg = None
    status = 0
    for name in args.family or list(FAMILIES):
        family = FAMILIES[name]
        pattern = family.build()
        pattern.name = name
        reasons = validate(pattern) + family.fit_reasons(pattern)
        if reasons:
            print(f"{name}: invalid default design: {'; '.join(reasons)}", file=sys.stderr)
            status = 1
            continue
        written = [save_pattern(pattern, out / f"{name}.json")]
        if save_svg is not None:
            written.append(save_svg(pattern, out / f"{name}.svg"))
        print(
            f"{name}: {len(pattern.panels)} panels, {len(pattern.stitches)} stitches -> "
            + ", ".join(str(p) for p in written)
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
