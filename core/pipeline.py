"""The jobs a button and a script share: each is one plain function over files and arrays."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .boxmesh import build_box_mesh
from .errors import PatternError
from .garment_mesh import GarmentMesh
from .pattern import Pattern, load_pattern
from .stitch_check import StitchReport, check_stitches

PATTERN_SUFFIXES = (".json", ".svg")


def read_pattern_file(path: str | Path) -> Pattern:
    """Load a GarmentCode specification (.json) or an SVG of closed panel outlines (.svg)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return load_pattern(path)
    if suffix == ".svg":
        from .svg_io import load_svg

        return load_svg(path)
    raise PatternError(f"unsupported pattern format {suffix!r} (use .json or .svg)", source=str(path))


@dataclass
class GarmentJob:
    """A loaded pattern, its box mesh and the stitch report of the pattern."""

    pattern: Pattern
    mesh: GarmentMesh
    report: StitchReport


def prepare_garment(path: str | Path, edge_length: float = 2.0, length_tol_cm: float = 1.0) -> GarmentJob:
    """Pattern file -> validated pattern, box mesh (cm) and stitch report (lengths only)."""
    pattern = read_pattern_file(path)
    mesh = build_box_mesh(pattern, edge_length)
    report = check_stitches(pattern, None, length_tol_cm=length_tol_cm)
    return GarmentJob(pattern, mesh, report)
