"""Resource bounds checked before work: an input is measured (coordinates, triangles, texels,
vertices, bytes) and refused past a limit with an error that names the limit, before anything
is sampled, meshed, rasterised or allocated.

The defaults pass every shipped example, every dataset garment and a 1M-vertex mesh; change
them for a session with :func:`override` (a context manager) or :func:`configure`, or through
the environment: ``GARMENT_LIMITS="max_box_triangles=4e6,max_extent_cm=5e4"``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace

from .errors import GarmentError


@dataclass(frozen=True)
class Limits:
    max_extent_cm: float = 1e4  # any pattern coordinate, control point or radius (100 m)
    max_outline_points: int = 200_000  # samples along all panel outlines of a pattern
    max_box_triangles: int = 1_000_000  # the box mesh of a pattern at its edge length
    max_panels: int = 200
    max_mesh_vertices: int = 4_000_000  # a base mesh (a 2M-vertex mesh passes)
    max_mesh_faces: int = 8_000_000
    max_file_bytes: int = 2 << 30  # a mesh or model file
    max_pattern_bytes: int = 20 << 20  # a specification JSON or SVG (GarmentCode's are ~20 KB)
    max_upsampled_vertices: int = 4_000_000  # a base after upsampling to the model's edge


def _from_env() -> Limits:
    limits = Limits()
    text = os.environ.get("GARMENT_LIMITS", "").strip()
    if not text:
        return limits
    known = {f.name: f.type for f in fields(Limits)}
    values = {}
    for item in text.split(","):
        name, _, value = item.partition("=")
        name = name.strip()
        if name not in known:
            raise GarmentError(f"unknown limit {name!r} (known: {', '.join(known)})", source="GARMENT_LIMITS")
        try:
            number = float(value)
        except ValueError as err:
            raise GarmentError(
                f"limit {name} needs a number, got {value!r}", source="GARMENT_LIMITS"
            ) from err
        values[name] = number if known[name] in ("float", float) else int(number)
    return replace(limits, **values)


_current = _from_env()


def current() -> Limits:
    """The limits in force."""
    return _current


def configure(**values) -> Limits:
    """Set limits for the rest of the session; returns the previous ones."""
    global _current
    old, _current = _current, replace(_current, **values)
    return old


@contextlib.contextmanager
def override(**values) -> Iterator[Limits]:
    """Limits changed inside a ``with`` block."""
    global _current
    old = configure(**values)
    try:
        yield _current
    finally:
        _current = old


def check(
    name: str,
    value: float,
    error: type[GarmentError],
    source: str | None,
    where: str | None = None,
    what: str = "",
) -> None:
    """Raise ``error`` when ``value`` exceeds the limit ``name``; the message names the limit."""
    limit = getattr(_current, name)
    if not value <= limit:  # NaN fails too
        raise error(
            f"{what or name.removeprefix('max_').replace('_', ' ')} {value:.4g} is past the limit "
            f"{name} = {limit:.4g} (raise it with core.limits.override({name}=...) or "
            f'GARMENT_LIMITS="{name}=...")',
            source=source,
            where=where,
        )
