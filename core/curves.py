"""Edge curves of sewing-pattern panels: straight, quadratic/cubic Bezier and circular arcs.

Control points follow GarmentCode's relative convention: a point (x, y) in the edge frame is
``start + x * (end - start) + y * perp`` with ``perp = (end - start)`` rotated by +90 degrees.
Circle parameters follow SVG's arc form ``[radius, large_arc, right]``; ``right`` is 1 when the
arc bulges to the right of the direction start -> end (the ``-perp`` side).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

CURVE_TYPES = ("quadratic", "cubic", "circle")
_DENSE = 257


@dataclass
class Curvature:
    """The curvature of one edge: ``kind`` in CURVE_TYPES and its parameters."""

    kind: str
    params: list = field(default_factory=list)


def _perp(v: np.ndarray) -> np.ndarray:
    return np.array([-v[1], v[0]])


def relative_to_absolute(start: np.ndarray, end: np.ndarray, rel: np.ndarray) -> np.ndarray:
    """Map control points (k,2) from the edge frame to panel coordinates."""
    d = end - start
    rel = np.atleast_2d(rel)
    return start + rel[:, :1] * d + rel[:, 1:2] * _perp(d)


def absolute_to_relative(start: np.ndarray, end: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Inverse of :func:`relative_to_absolute`."""
    d = end - start
    basis = np.stack([d, _perp(d)], axis=1)  # columns
    return np.linalg.solve(basis, (np.atleast_2d(pts) - start).T).T


def arc_center(
    start: np.ndarray, end: np.ndarray, radius: float, large_arc: bool, right: bool
) -> tuple[np.ndarray, float, float]:
    """Centre, start angle and signed sweep (radians) of an SVG-style arc.

    A radius shorter than half the chord is raised to half the chord (as SVG does).
    """
    chord = end - start
    half = 0.5 * float(np.linalg.norm(chord))
    r = max(float(radius), half)
    mid = 0.5 * (start + end)
    n = _perp(chord) / (2.0 * half)
    side = -1.0 if right else 1.0  # side of the chord where the arc's mid-point lies
    d = np.sqrt(max(r * r - half * half, 0.0))
    centre = mid + (side if large_arc else -side) * d * n
    a0 = np.arctan2(*(start - centre)[::-1])
    a1 = np.arctan2(*(end - centre)[::-1])
    ccw = (a1 - a0) % (2 * np.pi)
    mid_ccw = centre + r * np.array([np.cos(a0 + ccw / 2), np.sin(a0 + ccw / 2)])
    sweep = ccw if np.dot(mid_ccw - mid, n) * side > 0 else ccw - 2 * np.pi
    return centre, float(a0), float(sweep)


def edge_function(
    start: np.ndarray, end: np.ndarray, curvature: Curvature | None
) -> Callable[[np.ndarray], np.ndarray]:
    """Return ``f(t) -> (len(t), 2)`` tracing the edge for t in [0, 1]."""
    start = np.asarray(start, float)
    end = np.asarray(end, float)
    if curvature is None:
        return lambda t: start + np.asarray(t)[:, None] * (end - start)
    if curvature.kind == "quadratic":
        c = relative_to_absolute(start, end, np.asarray(curvature.params, float))[0]

        def quad(t: np.ndarray) -> np.ndarray:
            t = np.asarray(t)[:, None]
            return (1 - t) ** 2 * start + 2 * (1 - t) * t * c + t**2 * end

        return quad
    if curvature.kind == "cubic":
        c1, c2 = relative_to_absolute(start, end, np.asarray(curvature.params, float))[:2]

        def cubic(t: np.ndarray) -> np.ndarray:
            t = np.asarray(t)[:, None]
            u = 1 - t
            return u**3 * start + 3 * u**2 * t * c1 + 3 * u * t**2 * c2 + t**3 * end

        return cubic
    if curvature.kind == "circle":
        radius, large_arc, right = curvature.params[:3]
        centre, a0, sweep = arc_center(start, end, float(radius), bool(large_arc), bool(right))
        r = float(np.linalg.norm(start - centre))

        def arc(t: np.ndarray) -> np.ndarray:
            ang = a0 + np.asarray(t) * sweep
            return centre + r * np.stack([np.cos(ang), np.sin(ang)], axis=1)

        return arc
    raise ValueError(f"unknown curvature type {curvature.kind!r}")


def _dense(start, end, curvature) -> tuple[np.ndarray, np.ndarray]:
    pts = edge_function(start, end, curvature)(np.linspace(0.0, 1.0, _DENSE))
    pts[0], pts[-1] = start, end
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    return pts, cum


def edge_length(start: np.ndarray, end: np.ndarray, curvature: Curvature | None) -> float:
    """Arc length of the edge (pattern units)."""
    if curvature is None:
        return float(np.linalg.norm(np.asarray(end, float) - np.asarray(start, float)))
    return float(_dense(np.asarray(start, float), np.asarray(end, float), curvature)[1][-1])


def sample_edge(
    start: np.ndarray, end: np.ndarray, curvature: Curvature | None, n_segments: int
) -> np.ndarray:
    """Sample the edge into ``n_segments + 1`` points spaced evenly by arc length."""
    start = np.asarray(start, float)
    end = np.asarray(end, float)
    n_segments = max(int(n_segments), 1)
    if curvature is None:
        t = np.linspace(0.0, 1.0, n_segments + 1)
        return start + t[:, None] * (end - start)
    pts, cum = _dense(start, end, curvature)
    targets = np.linspace(0.0, cum[-1], n_segments + 1)
    out = np.stack([np.interp(targets, cum, pts[:, k]) for k in range(2)], axis=1)
    out[0], out[-1] = start, end
    return out


def segments_for(length: float, max_edge: float) -> int:
    """Number of segments so that no segment is longer than ``max_edge``."""
    return max(1, int(np.ceil(length / max_edge - 1e-9)))
