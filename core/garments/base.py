"""Parametric garment families: design parameters, validation, sampling and panel building.

A *family* (t-shirt, skirt, ...) is a small program: a list of named design parameters with
ranges (:class:`ParamSpec`) and ``build(design, body) -> Pattern`` that writes a GarmentCode
pattern sized to the body and placed around it (cm, +Y up, feet at y=0, body faces +Z, +X is
the body's left). Every panel starts a few cm outside the body: front panels at +z, back
panels at -z, sleeves and trouser legs around their limbs.

Invalid designs raise :class:`DesignRejected`, whose ``reasons`` say why (a value out of
range, a sleeve wider than its armhole allows, a hem below the floor, ...).
:func:`sample_pattern` draws designs until one builds and validates, and raises
``DesignRejected`` with the last reasons if none does within ``max_tries``.

Panels are drawn in a *front view*: 2D coordinates as seen from the front of the body (for
back panels: through the body), x towards the body's left, y up. :func:`place_panel` turns
such an outline into a placed panel (back panels are mirrored so that every panel's normal
points away from the body) and :func:`mirror_world_x` makes the right-hand twin of a left
panel. Curves are given with absolute control points and converted to GarmentCode's relative
form when the panel is written.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation
from shapely.geometry import LinearRing, LineString, Polygon

from ..curves import Curvature, absolute_to_relative, edge_length
from ..pattern import Edge, Panel, Pattern, Stitch, StitchSide
from .bodydims import BodyDims, default_body

__all__ = [
    "BodyDims",
    "DesignRejected",
    "GarmentFamily",
    "Outline",
    "ParamSpec",
    "PatternBuilder",
    "default_body",
    "girth",
    "mirror_world_x",
    "place_panel",
    "sample_design",
    "sample_pattern",
    "validate",
]

LENGTH_TOL_CM = 1.5
LENGTH_TOL_REL = 0.08
MIN_PANEL_AREA_CM2 = 25.0
MIN_EDGE_CM = 0.3


# --------------------------------------------------------------------------- design parameters


@dataclass(frozen=True)
class ParamSpec:
    """One design parameter: its range, default, unit and meaning.

    ``step`` (optional) quantises the value: ``low + k * step`` (e.g. a panel count 2 or 4, or
    a 0/1 switch).
    """

    name: str
    low: float
    high: float
    default: float
    unit: str = ""
    doc: str = ""
    step: float | None = None

    def __post_init__(self) -> None:
        if not self.low <= self.default <= self.high:
            raise ValueError(f"{self.name}: default {self.default} outside [{self.low}, {self.high}]")

    def quantise(self, value: float) -> float:
        if self.step is None:
            return float(value)
        k = round((value - self.low) / self.step)
        return float(min(self.high, self.low + k * self.step))

    def sample(self, rng: np.random.Generator) -> float:
        if self.step is not None:
            n = round((self.high - self.low) / self.step) + 1
            return float(self.low + self.step * int(rng.integers(n)))
        return float(rng.uniform(self.low, self.high))


class DesignRejected(ValueError):
    """A design that cannot become a valid pattern; ``reasons`` lists why."""

    def __init__(self, reasons: str | Iterable[str], family: str | None = None):
        self.reasons = [reasons] if isinstance(reasons, str) else list(reasons)
        self.family = family
        prefix = f"{family}: " if family else ""
        super().__init__(prefix + "design rejected: " + "; ".join(self.reasons))


class GarmentFamily:
    """Base class of the garment families.

    Subclasses set ``name``, ``params`` and ``doc`` and implement :meth:`_design_reasons` (the
    constraints between parameters and the body) and :meth:`_build`.
    """

    name: str = ""
    doc: str = ""
    params: list[ParamSpec] = []

    # ----- public API

    def defaults(self) -> dict[str, float]:
        return {p.name: float(p.default) for p in self.params}

    def spec(self, name: str) -> ParamSpec:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def resolve(self, design: dict[str, float] | None) -> dict[str, float]:
        """Defaults overlaid with ``design``; raises DesignRejected for unknown or bad values."""
        out = self.defaults()
        reasons = []
        for key, value in (design or {}).items():
            if key not in out:
                reasons.append(f"unknown design parameter {key!r} (known: {', '.join(out)})")
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                reasons.append(f"{key} must be a finite number, got {value!r}")
                continue
            out[key] = self.spec(key).quantise(float(value))
        if reasons:
            raise DesignRejected(reasons, self.name)
        return out

    def check_design(self, design: dict[str, float] | None, body: Any = None) -> list[str]:
        """Reasons why ``design`` cannot be built on ``body`` (empty when it can)."""
        try:
            d = self.resolve(design)
        except DesignRejected as err:
            return err.reasons
        reasons = []
        for p in self.params:
            v = d[p.name]
            if not p.low - 1e-9 <= v <= p.high + 1e-9:
                reasons.append(f"{p.name}={v:g} {p.unit} outside its range [{p.low:g}, {p.high:g}]".strip())
        if reasons:
            return reasons
        return self._design_reasons(d, BodyDims.from_body(body))

    def build(self, design: dict[str, float] | None = None, body: Any = None) -> Pattern:
        """The pattern of ``design`` (missing parameters take their defaults) sized to ``body``.

        ``body`` is a ``core.body.BodyParams`` (or anything with its measurement attributes);
        None means the default body. Raises DesignRejected with the reasons for a bad design.
        """
        d = self.resolve(design)
        reasons = self.check_design(d, body)
        if reasons:
            raise DesignRejected(reasons, self.name)
        dims = BodyDims.from_body(body)
        pattern = self._build(d, dims)
        pattern.properties.setdefault("garment_family", self.name)
        pattern.properties.setdefault("body", dims.measurements())
        pattern.parameters = {
            p.name: {"value": round(d[p.name], 4), "range": [p.low, p.high], "unit": p.unit}
            for p in self.params
        }
        return pattern

    def fit_reasons(self, pattern: Pattern, body: Any = None) -> list[str]:
        """Reasons why the sewn garment cannot fit the body (too small a girth somewhere)."""
        dims = BodyDims.from_body(body)
        return self._fit_reasons(pattern, dims)

    # ----- for subclasses

    def _design_reasons(self, d: dict[str, float], body: BodyDims) -> list[str]:
        return []

    def _build(self, d: dict[str, float], body: BodyDims) -> Pattern:
        raise NotImplementedError

    def _fit_reasons(self, pattern: Pattern, body: BodyDims) -> list[str]:
        return []

    def __repr__(self) -> str:
        return f"<GarmentFamily {self.name}: {', '.join(p.name for p in self.params)}>"


def design_of(pattern: Pattern, family: GarmentFamily) -> dict[str, float]:
    """The design a family's pattern was built from (its ``parameters``), defaults filled in."""
    d = family.defaults()
    for k, v in pattern.parameters.items():
        value = v.get("value") if isinstance(v, dict) else v
        if k in d and isinstance(value, int | float):
            d[k] = float(value)
    return d


# --------------------------------------------------------------------------- validation


def _finite(values: Any) -> bool:
    try:
        return bool(np.all(np.isfinite(np.asarray(values, float))))
    except (TypeError, ValueError):
        return False


def validate(pattern: Pattern) -> list[str]:
    """Reasons why ``pattern`` is not a usable sewing pattern (empty list: valid).

    Checks non-finite numbers, self-intersecting or degenerate panel outlines, tiny panels and
    edges, stitches naming missing or reused edges and stitched edges whose lengths differ by
    more than 1.5 cm or 8 %.
    """
    reasons: list[str] = []
    if not pattern.panels:
        return ["the pattern has no panels"]
    for name, panel in pattern.panels.items():
        where = f"panel {name}"
        if not (_finite(panel.vertices) and _finite(panel.translation) and _finite(panel.rotation)):
            reasons.append(f"{where}: non-finite vertex, translation or rotation")
            continue
        bad_curve = False
        for i, e in enumerate(panel.edges):
            if e.curvature is not None and not _finite(np.asarray(e.curvature.params, float).ravel()):
                reasons.append(f"{where}: edge {i} has non-finite curvature")
                bad_curve = True
        if bad_curve:
            continue
        for i in range(len(panel.edges)):
            length = panel.edge_length(i)
            if not math.isfinite(length) or length < MIN_EDGE_CM:
                reasons.append(f"{where}: edge {i} is degenerate ({length:.3g} cm)")
        outline = panel.outline(0.5)
        if len(outline) < 3 or not _finite(outline):
            reasons.append(f"{where}: degenerate outline")
            continue
        ring = LinearRing(outline)
        poly = Polygon(outline)
        if not ring.is_simple or not poly.is_valid:
            reasons.append(f"{where}: the outline intersects itself")
        elif poly.area < MIN_PANEL_AREA_CM2:
            reasons.append(f"{where}: tiny panel ({poly.area:.1f} cm^2)")
        else:
            minx, miny, maxx, maxy = poly.bounds
            if min(maxx - minx, maxy - miny) < 1.0:
                reasons.append(f"{where}: degenerate panel ({maxx - minx:.2f} x {maxy - miny:.2f} cm)")
    used: dict[tuple[str, int], int] = {}
    for k, s in enumerate(pattern.stitches):
        lengths = []
        for side in (s.a, s.b):
            panel = pattern.panels.get(side.panel)
            if panel is None or not 0 <= side.edge < len(panel.edges):
                reasons.append(f"stitch {k}: missing edge {side.panel}:{side.edge}")
                continue
            key = (side.panel, side.edge)
            if key in used:
                reasons.append(
                    f"stitch {k}: edge {side.panel}:{side.edge} already used by stitch {used[key]}"
                )
            used[key] = k
            lengths.append(panel.edge_length(side.edge))
        if (s.a.panel, s.a.edge) == (s.b.panel, s.b.edge):
            reasons.append(f"stitch {k}: an edge stitched to itself")
        if len(lengths) == 2 and all(map(math.isfinite, lengths)):
            diff = abs(lengths[0] - lengths[1])
            if diff > LENGTH_TOL_CM or diff > LENGTH_TOL_REL * min(lengths):
                reasons.append(
                    f"stitch {k}: {s.a.panel}:{s.a.edge} is {lengths[0]:.2f} cm but "
                    f"{s.b.panel}:{s.b.edge} is {lengths[1]:.2f} cm"
                )
    return reasons


# --------------------------------------------------------------------------- sampling


def check_ranges(family: GarmentFamily, ranges: dict[str, tuple[float, float]] | None) -> None:
    """Narrowed parameter ranges must name the family's parameters and lie inside their ranges."""
    for name, (lo, hi) in (ranges or {}).items():
        spec = next((p for p in family.params if p.name == name), None)
        if spec is None:
            known = ", ".join(p.name for p in family.params)
            raise ValueError(f"{family.name} has no parameter {name!r} (it has: {known})")
        if not spec.low <= lo <= hi <= spec.high:
            raise ValueError(f"{family.name}.{name}: range {lo}:{hi} not inside [{spec.low}, {spec.high}]")


def sample_design(
    family: GarmentFamily,
    rng: np.random.Generator,
    body: Any = None,
    max_tries: int = 500,
    ranges: dict[str, tuple[float, float]] | None = None,
) -> dict[str, float]:
    """A random design within the parameter ranges that also meets the family's constraints.

    Parameters are drawn uniformly (quantised ones uniformly over their steps); ``ranges``
    narrows some of them (name -> (low, high), inside the parameter's own range). Draws that
    break a dependent constraint (``family.check_design``) are redrawn. Raises DesignRejected
    if ``max_tries`` draws all fail.
    """
    check_ranges(family, ranges)
    ranges = ranges or {}
    reasons: list[str] = []
    for _ in range(max_tries):
        design = {
            p.name: p.quantise(rng.uniform(*ranges[p.name])) if p.name in ranges else p.sample(rng)
            for p in family.params
        }
        reasons = family.check_design(design, body)
        if not reasons:
            return design
    raise DesignRejected(reasons, family.name)


def sample_pattern(
    family: GarmentFamily,
    seed: int | np.random.Generator | None,
    body: Any = None,
    max_tries: int = 20,
    ranges: dict[str, tuple[float, float]] | None = None,
) -> tuple[Pattern, dict[str, float]]:
    """A random valid pattern of ``family`` and its design, reproducible from ``seed``.

    Each draw is built and checked with :func:`validate` and ``family.fit_reasons``; invalid
    draws are rejected and redrawn. Raises DesignRejected (with the reasons of the last draw)
    when ``max_tries`` draws in a row are invalid.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    reasons: list[str] = []
    for _ in range(max_tries):
        design = sample_design(family, rng, body, ranges=ranges)
        try:
            pattern = family.build(design, body)
        except DesignRejected as err:
            reasons = err.reasons
            continue
        reasons = validate(pattern) + family.fit_reasons(pattern, body)
        if not reasons:
            pattern.name = f"{family.name}_{seed}" if isinstance(seed, int) else family.name
            return pattern, design
    raise DesignRejected(reasons, family.name)


# --------------------------------------------------------------------------- outlines


CurveSpec = tuple | None  # None | ("quadratic", c) | ("cubic", c1, c2) | ("circle", r, large, right)


@dataclass
class _Seg:
    key: str
    start: np.ndarray
    curve: CurveSpec
    label: str | None


def _pt(p: Any) -> np.ndarray:
    return np.asarray(p, float).reshape(2)


def _mirror_curve(curve: CurveSpec, flip: np.ndarray) -> CurveSpec:
    """The curve of an edge reflected by ``flip`` and traversed backwards."""
    if curve is None:
        return None
    kind = curve[0]
    if kind == "quadratic":
        return ("quadratic", _pt(curve[1]) * flip)
    if kind == "cubic":
        return ("cubic", _pt(curve[2]) * flip, _pt(curve[1]) * flip)
    return curve  # circle: the reflection and the reversal cancel out


def _curvature(start: np.ndarray, end: np.ndarray, curve: CurveSpec) -> Curvature | None:
    if curve is None:
        return None
    kind = curve[0]
    if kind == "circle":
        return Curvature("circle", [float(curve[1]), int(bool(curve[2])), int(bool(curve[3]))])
    pts = np.stack([_pt(c) for c in curve[1:]])
    rel = absolute_to_relative(start, end, pts)
    return Curvature(kind, [[float(x), float(y)] for x, y in rel])


class Outline:
    """A closed panel outline with absolute curve control points and named edges.

    ``add(key, start, curve)`` appends the edge that starts at ``start`` and ends at the next
    edge's start (the last edge closes the loop). Outlines are counter-clockwise.
    """

    def __init__(self) -> None:
        self.segs: list[_Seg] = []

    def add(self, key: str, start: Any, curve: CurveSpec = None, label: str | None = None) -> Outline:
        if any(s.key == key for s in self.segs):
            raise ValueError(f"duplicate edge key {key!r}")
        self.segs.append(_Seg(key, _pt(start), curve, label))
        return self

    def __len__(self) -> int:
        return len(self.segs)

    @property
    def keys(self) -> list[str]:
        return [s.key for s in self.segs]

    def index(self, key: str) -> int:
        for i, s in enumerate(self.segs):
            if s.key == key:
                return i
        raise KeyError(f"no edge {key!r} in outline (edges: {self.keys})")

    def ends(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        return self.segs[i].start, self.segs[(i + 1) % len(self.segs)].start

    def edge_length(self, key: str) -> float:
        i = self.index(key)
        a, b = self.ends(i)
        return edge_length(a, b, _curvature(a, b, self.segs[i].curve))

    def vertices(self) -> np.ndarray:
        return np.stack([s.start for s in self.segs])

    def dense(self, max_edge: float = 1.0) -> np.ndarray:
        """The closed outline sampled every ``max_edge`` cm or closer (M, 2)."""
        return self.to_panel("outline").outline(max_edge)

    def signed_area(self) -> float:
        v = self.vertices()
        x, y = v[:, 0], v[:, 1]
        return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))

    def transformed(self, fn: Callable[[np.ndarray], np.ndarray]) -> Outline:
        """The outline with ``fn`` (an affine map without reflection) applied to every point."""
        out = Outline()
        for s in self.segs:
            curve = s.curve
            if curve is not None and curve[0] != "circle":
                curve = (curve[0], *[fn(_pt(c)) for c in curve[1:]])
            out.segs.append(_Seg(s.key, fn(s.start), curve, s.label))
        return out

    def shifted(self, offset: Any) -> Outline:
        off = _pt(offset)
        return self.transformed(lambda p: p + off)

    def mirror_x(self) -> Outline:
        """Reflected in x (x -> -x), loop reversed so that it stays counter-clockwise."""
        flip = np.array([-1.0, 1.0])
        n = len(self.segs)
        out = Outline()
        for i in reversed(range(n)):
            s = self.segs[i]
            end = self.segs[(i + 1) % n].start
            out.segs.append(_Seg(s.key, end * flip, _mirror_curve(s.curve, flip), s.label))
        return out

    def to_panel(self, name: str, label: str | None = None) -> Panel:
        n = len(self.segs)
        vertices = self.vertices()
        edges = []
        for i, s in enumerate(self.segs):
            a, b = self.ends(i)
            edges.append(Edge(i, (i + 1) % n, _curvature(a, b, s.curve), s.label))
        return Panel(name, vertices, edges, label=label)


# --------------------------------------------------------------------------- placement


_MIRROR_X = np.diag([-1.0, 1.0, 1.0])
_RY180 = np.diag([-1.0, 1.0, -1.0])


def euler_deg(rot: np.ndarray) -> np.ndarray:
    """GarmentCode Euler angles (degrees, R = Rz Ry Rx) of a rotation matrix, tidied."""
    a, b, c = Rotation.from_matrix(rot).as_euler("xyz", degrees=True)
    # (a, b, c) and (a + 180, 180 - b, c + 180) are the same rotation: keep the simpler one
    options = [np.array([a, b, c]), np.array([a + 180.0, 180.0 - b, c + 180.0])]
    options = [(o + 180.0) % 360.0 - 180.0 for o in options]
    options = [np.where(np.isclose(o, -180.0), 180.0, o) for o in options]
    e = min(options, key=lambda o: (float(np.abs(o).sum()).__round__(6), -float(o.sum())))
    e = np.where(np.abs(e) < 1e-9, 0.0, e)
    return np.round(e, 9)


def rot_x(deg: float) -> np.ndarray:
    return Rotation.from_euler("x", deg, degrees=True).as_matrix()


def rot_y(deg: float) -> np.ndarray:
    return Rotation.from_euler("y", deg, degrees=True).as_matrix()


def rot_z(deg: float) -> np.ndarray:
    return Rotation.from_euler("z", deg, degrees=True).as_matrix()


@dataclass
class Placed:
    """A placed outline: world point = ``rot @ (x, y, 0) + origin``."""

    outline: Outline
    rot: np.ndarray
    origin: np.ndarray
    label: str | None = None


def place_panel(
    outline: Outline, rot: np.ndarray, origin: Any, back: bool = False, label: str | None = None
) -> Placed:
    """Place a front-view outline: world = ``rot @ (x, y, 0) + origin``.

    For a back panel (``back=True``) the outline is mirrored and turned half around so that the
    same world points are covered but the panel's normal points the other way (away from the
    body, towards -z for an unrotated frame).
    """
    origin = np.asarray(origin, float).reshape(3)
    if back:
        return Placed(outline.mirror_x(), rot @ _RY180, origin, label)
    return Placed(outline, np.asarray(rot, float), origin, label)


def mirror_world_x(p: Placed) -> Placed:
    """The mirror image of a placed panel across the body's mid plane x = 0."""
    return Placed(p.outline.mirror_x(), _MIRROR_X @ p.rot @ _MIRROR_X, _MIRROR_X @ p.origin, p.label)


def placed_points(p: Placed, pts: np.ndarray) -> np.ndarray:
    pts = np.atleast_2d(np.asarray(pts, float))
    p3 = np.concatenate([pts, np.zeros((len(pts), 1))], axis=1)
    return p3 @ p.rot.T + p.origin


class PatternBuilder:
    """Collects placed panels (by name) and stitches (by edge key)."""

    def __init__(self, name: str):
        self.name = name
        self.placed: dict[str, Placed] = {}
        self.stitch_keys: list[tuple[tuple[str, str], tuple[str, str]]] = []

    def add(self, name: str, placed: Placed) -> None:
        if name in self.placed:
            raise ValueError(f"duplicate panel {name!r}")
        self.placed[name] = placed

    def stitch(self, panel_a: str, key_a: str, panel_b: str, key_b: str | None = None) -> None:
        self.stitch_keys.append(((panel_a, key_a), (panel_b, key_b or key_a)))

    def clear_of(self, inside: Callable[[np.ndarray], np.ndarray], tol: float = 0.25) -> None:
        """Move every panel out along its normal until none of its points is ``inside``.

        ``inside(points (K, 3)) -> bool (K,)`` is a body proxy grown by the wanted gap. Panels
        are sampled along their outline and on a grid inside it; the distance moved is the
        least that clears them (to ``tol`` cm).
        """
        for p in self.placed.values():
            pts = _panel_samples(p.outline)
            normal = p.rot[:, 2]
            start = p.origin.copy()

            def blocked(t: float, p=p, start=start, normal=normal, pts=pts) -> bool:
                p.origin = start + t * normal
                return bool(np.any(inside(placed_points(p, pts))))

            if not blocked(0.0):
                continue
            lo, hi = 0.0, 1.0
            while blocked(hi) and hi < 500.0:
                lo, hi = hi, 2.0 * hi
            while hi - lo > tol:
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if blocked(mid) else (lo, mid)
            p.origin = start + hi * normal

    def build(self, properties: dict | None = None) -> Pattern:
        panels: dict[str, Panel] = {}
        for name, p in self.placed.items():
            if p.outline.signed_area() <= 0:
                raise ValueError(f"panel {name}: outline is not counter-clockwise")
            lo = p.outline.vertices().min(axis=0)
            local = p.outline.shifted(-lo)  # panel coordinates start at (0, 0)
            panel = local.to_panel(name, p.label)
            panel.vertices = np.round(panel.vertices, 6) + 0.0
            for e in panel.edges:
                if e.curvature is not None and e.curvature.kind != "circle":
                    e.curvature.params = [[round(v, 6) + 0.0 for v in c] for c in e.curvature.params]
                elif e.curvature is not None:
                    e.curvature.params[0] = round(e.curvature.params[0], 6)
            panel.translation = np.round(placed_points(p, lo[None])[0], 9)
            panel.rotation = euler_deg(p.rot)
            # the Euler round trip must reproduce the frame
            assert np.allclose(panel.rotation_matrix(), p.rot, atol=1e-7), name
            panels[name] = panel
        stitches = []
        for (pa, ka), (pb, kb) in self.stitch_keys:
            ia = self.placed[pa].outline.index(ka)
            ib = self.placed[pb].outline.index(kb)
            stitches.append(Stitch(StitchSide(pa, ia), StitchSide(pb, ib)))
        return Pattern(self.name, panels, stitches, properties=dict(properties or {}))


def _panel_samples(outline: Outline, spacing: float = 3.0) -> np.ndarray:
    """Points on the outline (every cm) and on a grid inside it."""
    ring = outline.dense(1.0)
    poly = Polygon(ring)
    lo, hi = ring.min(axis=0), ring.max(axis=0)
    gx, gy = np.meshgrid(np.arange(lo[0], hi[0], spacing), np.arange(lo[1], hi[1], spacing))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    if len(grid):
        from shapely import contains_xy

        grid = grid[contains_xy(poly, grid[:, 0], grid[:, 1])]
    return np.concatenate([ring, grid])


# --------------------------------------------------------------------------- geometry helpers


def bisect(fn: Callable[[float], float], target: float, lo: float, hi: float, iters: int = 60) -> float:
    """x in [lo, hi] with fn(x) = target for a monotonic fn (clamped to the ends)."""
    flo, fhi = fn(lo) - target, fn(hi) - target
    if flo * fhi > 0:
        return lo if abs(flo) < abs(fhi) else hi
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        fm = fn(mid) - target
        if (fm < 0) == (flo < 0):
            lo, flo = mid, fm
        else:
            hi = mid
    return 0.5 * (lo + hi)


def sagitta_arc(start: Any, end: Any, sag: float) -> CurveSpec:
    """A circular arc from start to end whose middle lies ``sag`` cm to the left of the chord."""
    a, b = _pt(start), _pt(end)
    half = 0.5 * float(np.linalg.norm(b - a))
    if abs(sag) < 1e-6:
        return None
    r = (half * half + sag * sag) / (2 * abs(sag))
    return ("circle", r, int(abs(sag) > half), int(sag < 0))


def girth(pattern: Pattern, y: float, panels: Iterable[str] | None = None) -> float:
    """Total fabric width (cm) of the given panels along the world height ``y``.

    Meant for panels whose plane contains the horizontal direction of their local x axis
    (torso, skirt and trouser panels): the cut of the 2D outline by the local line that maps
    to height ``y``, so a sewn tube's girth is the sum over its panels.
    """
    total = 0.0
    for name in panels if panels is not None else pattern.panels:
        p = pattern.panels[name]
        r = p.rotation_matrix()
        if abs(r[1, 1]) < 1e-6:
            continue
        outline = p.outline(0.5)
        poly = Polygon(outline)
        if not poly.is_valid:
            continue
        # world height = r[1, 0] x + r[1, 1] y + t_y: the local line where it equals y
        xs = np.array([outline[:, 0].min() - 1.0, outline[:, 0].max() + 1.0])
        ys = (y - p.translation[1] - r[1, 0] * xs) / r[1, 1]
        total += poly.intersection(LineString(np.stack([xs, ys], axis=1))).length
    return float(total)
