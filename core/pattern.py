"""Sewing patterns in GarmentCode's specification JSON: parse, validate, place and write.

Coordinates are converted to centimetres on load (``properties.units_in_meter``), so every
pattern in memory uses cm. A panel's 3D placement is ``R @ (x, y, 0) + translation`` with R
from its Euler angles in degrees (extrinsic x, then y, then z: ``R = Rz @ Ry @ Rx``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from . import limits
from .curves import (
    CURVE_TYPES,
    Curvature,
    absolute_to_relative,
    edge_length,
    relative_to_absolute,
    sample_edge,
    segments_for,
)
from .errors import PatternError
from .inputs import input_file


@dataclass
class Edge:
    """A panel edge from vertex ``start`` to vertex ``end`` with optional curvature."""

    start: int
    end: int
    curvature: Curvature | None = None
    label: str | None = None


@dataclass
class Panel:
    """One flat piece of fabric: a closed loop of edges over 2D vertices (cm)."""

    name: str
    vertices: np.ndarray  # (N, 2) cm
    edges: list[Edge]
    translation: np.ndarray = field(default_factory=lambda: np.zeros(3))
    rotation: np.ndarray = field(default_factory=lambda: np.zeros(3))  # Euler degrees
    label: str | None = None

    def edge_points(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        e = self.edges[index]
        return self.vertices[e.start], self.vertices[e.end]

    def edge_length(self, index: int) -> float:
        """Arc length of edge ``index`` in cm."""
        a, b = self.edge_points(index)
        return edge_length(a, b, self.edges[index].curvature)

    def sample_edge(self, index: int, n_segments: int) -> np.ndarray:
        """(n_segments + 1, 2) points along edge ``index``, evenly spaced by arc length."""
        a, b = self.edge_points(index)
        return sample_edge(a, b, self.edges[index].curvature, n_segments)

    def outline(self, max_edge: float = 1.0) -> np.ndarray:
        """Closed outline polygon (M, 2) without the repeated first point."""
        parts = [
            self.sample_edge(i, segments_for(self.edge_length(i), max_edge))[:-1]
            for i in range(len(self.edges))
        ]
        return np.concatenate(parts, axis=0)

    def rotation_matrix(self) -> np.ndarray:
        return Rotation.from_euler("xyz", self.rotation, degrees=True).as_matrix()

    def to_3d(self, points2d: np.ndarray) -> np.ndarray:
        """Place 2D panel points (K, 2) in 3D (K, 3), cm."""
        p = np.asarray(points2d, float)
        p3 = np.concatenate([p, np.zeros((len(p), 1))], axis=1)
        return p3 @ self.rotation_matrix().T + self.translation


@dataclass(frozen=True)
class StitchSide:
    panel: str
    edge: int


@dataclass(frozen=True)
class Stitch:
    """Two panel edges sewn together."""

    a: StitchSide
    b: StitchSide


@dataclass
class Pattern:
    """A sewing pattern: named panels (in order), stitches and free-form properties."""

    name: str
    panels: dict[str, Panel]
    stitches: list[Stitch] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    source: str | None = None

    @property
    def material(self) -> str | None:
        return self.properties.get("material")

    @property
    def panel_names(self) -> list[str]:
        return list(self.panels)

    def panel_index(self, name: str) -> int:
        return self.panel_names.index(name)


# --------------------------------------------------------------------------- parsing


class _Reader:
    """Validates raw JSON values and raises PatternError naming file and place."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, message: str) -> PatternError:
        return PatternError(message, source=self.source, where=where)

    def get(self, obj: Any, key: str, where: str, kind: type | tuple = object) -> Any:
        if not isinstance(obj, dict):
            raise self.fail(where, f"expected an object, got {type(obj).__name__}")
        if key not in obj:
            raise self.fail(where, f"missing key {key!r}")
        value = obj[key]
        if not isinstance(value, kind):
            raise self.fail(f"{where}.{key}", f"expected {_kind_name(kind)}, got {type(value).__name__}")
        return value

    def vector(self, value: Any, size: int, where: str) -> np.ndarray:
        if not isinstance(value, list | tuple) or len(value) != size:
            raise self.fail(where, f"expected a list of {size} numbers, got {value!r}")
        out = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise self.fail(where, f"expected numbers, got {value!r}")
            if not math.isfinite(v):
                raise self.fail(where, f"coordinate is not finite: {value!r}")
            out.append(float(v))
        return np.array(out)

    def index(self, value: Any, upper: int, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"expected an integer index, got {value!r}")
        if not 0 <= value < upper:
            raise self.fail(where, f"index {value} out of range 0..{upper - 1}")
        return value


def _kind_name(kind: type | tuple) -> str:
    names = {dict: "an object", list: "a list", str: "a string"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)


def _parse_curvature(
    r: _Reader, raw: Any, start: np.ndarray, end: np.ndarray, absolute: bool, where: str
) -> Curvature | None:
    if raw is None:
        return None
    if isinstance(raw, list):  # legacy form: one quadratic control point
        raw = {"type": "quadratic", "params": [raw]}
    kind = r.get(raw, "type", where, str)
    if kind not in CURVE_TYPES:
        raise r.fail(f"{where}.type", f"unknown curvature type {kind!r} (known: {CURVE_TYPES})")
    params = r.get(raw, "params", where, list)
    if kind == "circle":
        vals = r.vector(params, 3, f"{where}.params")
        if vals[0] <= 0:
            raise r.fail(f"{where}.params", f"circle radius must be positive, got {vals[0]}")
        return Curvature("circle", [float(vals[0]), int(vals[1] != 0), int(vals[2] != 0)])
    count = 1 if kind == "quadratic" else 2
    if len(params) != count:
        raise r.fail(f"{where}.params", f"{kind} needs {count} control point(s), got {params!r}")
    pts = np.stack([r.vector(p, 2, f"{where}.params[{i}]") for i, p in enumerate(params)])
    if absolute:
        if float(np.linalg.norm(end - start)) <= 1e-9:
            raise r.fail(where, "a curved edge whose ends coincide")
        pts = absolute_to_relative(start, end, pts)
    return Curvature(kind, pts.tolist())


def _parse_panel(r: _Reader, name: str, raw: Any, scale: float, absolute: bool) -> Panel:
    where = f"pattern.panels.{name}"
    if not isinstance(raw, dict):
        raise r.fail(where, f"expected an object, got {type(raw).__name__}")
    raw_vertices = r.get(raw, "vertices", where, list)
    if len(raw_vertices) < 3:
        raise r.fail(f"{where}.vertices", f"a panel needs at least 3 vertices, got {len(raw_vertices)}")
    file_xy = np.stack([r.vector(v, 2, f"{where}.vertices[{i}]") for i, v in enumerate(raw_vertices)])
    vertices = file_xy * scale
    raw_edges = r.get(raw, "edges", where, list)
    if len(raw_edges) < 2:
        raise r.fail(f"{where}.edges", f"a panel needs at least 2 edges, got {len(raw_edges)}")
    edges: list[Edge] = []
    for i, e in enumerate(raw_edges):
        ew = f"{where}.edges[{i}]"
        ends = r.get(e, "endpoints", ew, list)
        if len(ends) != 2:
            raise r.fail(f"{ew}.endpoints", f"expected 2 vertex indices, got {ends!r}")
        a = r.index(ends[0], len(vertices), f"{ew}.endpoints[0]")
        b = r.index(ends[1], len(vertices), f"{ew}.endpoints[1]")
        if a == b:
            raise r.fail(f"{ew}.endpoints", f"edge starts and ends at vertex {a}")
        # absolute control points are in file units, like the vertices before scaling
        curv = _parse_curvature(r, e.get("curvature"), file_xy[a], file_xy[b], absolute, f"{ew}.curvature")
        if curv is not None and curv.kind == "circle":
            curv.params[0] *= scale
        label = e.get("label")
        edges.append(Edge(a, b, curv, str(label) if label is not None else None))
    for i, e in enumerate(edges):
        nxt = edges[(i + 1) % len(edges)]
        if e.end != nxt.start:
            raise r.fail(
                f"{where}.edges[{i}]",
                f"panel does not close: edge {i} ends at vertex {e.end} but edge "
                f"{(i + 1) % len(edges)} starts at vertex {nxt.start}",
            )
    translation = r.vector(raw.get("translation", [0, 0, 0]), 3, f"{where}.translation") * scale
    rotation = r.vector(raw.get("rotation", [0, 0, 0]), 3, f"{where}.rotation")
    label = raw.get("label")
    for text, place in ((name, where), (str(label) if label else "", f"{where}.label")):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as err:  # a lone surrogate escape: no file could hold the name
            raise r.fail(place, f"text that is not valid Unicode ({err.reason})") from err
    panel = Panel(name, vertices, edges, translation, rotation, str(label) if label else None)
    check_panel_bounds(panel, r.source, where)
    if panel_area(panel) < 1e-6:
        raise r.fail(where, "panel has zero area")
    return panel


def _parse_stitch(r: _Reader, raw: Any, index: int, panels: dict[str, Panel], strict: bool) -> Stitch:
    where = f"pattern.stitches[{index}]"
    if not isinstance(raw, list | tuple) or len(raw) < 2:
        raise r.fail(where, f"a stitch is a pair of {{panel, edge}} objects, got {raw!r}")
    sides = []
    for k in range(2):
        sw = f"{where}[{k}]"
        panel = r.get(raw[k], "panel", sw, str)
        edge = r.get(raw[k], "edge", sw, int)
        if strict:
            if panel not in panels:
                raise r.fail(f"{sw}.panel", f"stitch names a missing panel {panel!r}")
            if not 0 <= edge < len(panels[panel].edges):
                raise r.fail(
                    f"{sw}.edge",
                    f"stitch names edge {edge} of panel {panel!r}, which has "
                    f"{len(panels[panel].edges)} edges",
                )
        sides.append(StitchSide(panel, edge))
    return Stitch(sides[0], sides[1])


def pattern_from_dict(
    data: Any, source: str = "<pattern>", name: str | None = None, strict: bool = True
) -> Pattern:
    """Build a Pattern from a parsed specification dict.

    With ``strict=False`` stitches that name missing panels or edges are kept, so that the
    stitch check can list them; everything else is validated either way.
    """
    r = _Reader(source)
    if not isinstance(data, dict):
        raise r.fail("<top>", f"expected a JSON object, got {type(data).__name__}")
    pattern = r.get(data, "pattern", "<top>", dict)
    raw_panels = r.get(pattern, "panels", "pattern", dict)
    if not raw_panels:
        raise r.fail("pattern.panels", "the pattern has no panels")
    props = data.get("properties", {}) or {}
    if not isinstance(props, dict):
        raise r.fail("properties", "expected an object")
    units = props.get("units_in_meter", 100)
    if (
        isinstance(units, bool)
        or not isinstance(units, int | float)
        or not math.isfinite(units)
        or units <= 0
    ):
        raise r.fail("properties.units_in_meter", f"expected a positive number, got {units!r}")
    coords = props.get("curvature_coords", "relative")
    if coords not in ("relative", "absolute"):
        raise r.fail("properties.curvature_coords", f"expected 'relative' or 'absolute', got {coords!r}")
    scale = 100.0 / float(units)
    limits.check("max_panels", len(raw_panels), PatternError, source, "pattern.panels", "panel count")
    order = pattern.get("panel_order") or list(raw_panels)
    if not isinstance(order, list) or not all(isinstance(n, str) for n in order):
        order = list(raw_panels)
    order = list(dict.fromkeys([n for n in order if n in raw_panels] + list(raw_panels)))  # each once
    panels = {n: _parse_panel(r, n, raw_panels[n], scale, coords == "absolute") for n in order}
    raw_stitches = pattern.get("stitches", [])
    if not isinstance(raw_stitches, list):
        raise r.fail("pattern.stitches", "expected a list")
    stitches = [_parse_stitch(r, s, i, panels, strict) for i, s in enumerate(raw_stitches)]
    properties = dict(props)
    properties.update(units_in_meter=100, curvature_coords="relative")
    return Pattern(
        name=name or "pattern",
        panels=panels,
        stitches=stitches,
        properties=properties,
        parameters=data.get("parameters", {}) if isinstance(data.get("parameters"), dict) else {},
        source=source,
    )


def pattern_name_from_path(path: Path) -> str:
    stem = path.stem
    return stem.removesuffix("_specification")


def load_pattern(path: str | Path, strict: bool = True) -> Pattern:
    """Read a GarmentCode specification JSON file (any units) into a Pattern in cm."""
    path = input_file(path, PatternError, limit="max_pattern_bytes")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise PatternError(f"cannot read file: {err}", source=str(path)) from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise PatternError(
            f"malformed JSON: {err.msg}", source=str(path), where=f"line {err.lineno} column {err.colno}"
        ) from err
    except RecursionError as err:
        raise PatternError("JSON nested too deeply to be a specification", source=str(path)) from err
    except ValueError as err:  # an integer past Python's digit limit
        raise PatternError(f"unreadable JSON number: {err}", source=str(path)) from err
    return pattern_from_dict(data, source=str(path), name=pattern_name_from_path(path), strict=strict)


# --------------------------------------------------------------------------- writing


def _curvature_to_dict(c: Curvature | None) -> dict | None:
    if c is None:
        return None
    return {
        "type": c.kind,
        "params": [list(map(float, p)) for p in c.params] if c.kind != "circle" else list(c.params),
    }


def pattern_to_dict(pattern: Pattern) -> dict:
    """The specification dict GarmentCode writes (cm, relative curvature coordinates)."""
    panels = {}
    for p in pattern.panels.values():
        edges = []
        for e in p.edges:
            d: dict[str, Any] = {"endpoints": [int(e.start), int(e.end)]}
            curv = _curvature_to_dict(e.curvature)
            if curv:
                d["curvature"] = curv
            if e.label:
                d["label"] = e.label
            edges.append(d)
        panels[p.name] = {
            "translation": [float(v) for v in p.translation],
            "rotation": [float(v) for v in p.rotation],
            "vertices": [[float(x), float(y)] for x, y in p.vertices],
            "edges": edges,
        }
        if p.label:
            panels[p.name]["label"] = p.label
    stitches = [
        [{"panel": s.a.panel, "edge": int(s.a.edge)}, {"panel": s.b.panel, "edge": int(s.b.edge)}]
        for s in pattern.stitches
    ]
    props = {
        "curvature_coords": "relative",
        "normalize_panel_translation": False,
        "normalized_edge_loops": True,
    }
    props.update(pattern.properties)
    props["units_in_meter"] = 100
    return {
        "pattern": {"panels": panels, "stitches": stitches, "panel_order": list(pattern.panels)},
        "parameters": pattern.parameters,
        "parameter_order": list(pattern.parameters),
        "properties": props,
    }


def save_pattern(pattern: Pattern, path: str | Path) -> Path:
    """Write the pattern as specification JSON (atomically: temp file then rename)."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(pattern_to_dict(pattern), indent=2), encoding="utf-8")
    tmp.replace(path)
    return path


# --------------------------------------------------------------------------- geometry


def check_panel_bounds(panel: Panel, source: str | None, where: str) -> None:
    """Refuse a panel whose coordinates, control points, radii or edge lengths are not finite
    or past ``limits.max_extent_cm``, or whose vertices lie on a line: before anything samples
    its outline."""

    def bound(value: float, place: str, what: str) -> None:
        limits.check("max_extent_cm", abs(value), PatternError, source, place, what)

    bound(float(np.abs(panel.vertices).max()), f"{where}.vertices", "coordinate (cm)")
    bound(float(np.abs(panel.translation).max()), f"{where}.translation", "translation (cm)")
    if float(np.ptp(panel.vertices, axis=0).min()) <= 1e-9:
        raise PatternError("panel has zero area (its vertices lie on a line)", source=source, where=where)
    outline = 0.0
    for i, e in enumerate(panel.edges):
        place = f"{where}.edges[{i}]"
        a, b = panel.vertices[e.start], panel.vertices[e.end]
        c = e.curvature
        if c is not None and float(np.linalg.norm(b - a)) <= 1e-9:
            raise PatternError("a curved edge whose ends coincide", source=source, where=place)
        if c is not None and c.kind == "circle":
            bound(c.params[0], f"{place}.curvature", "circle radius (cm)")
        elif c is not None:
            ctrl = relative_to_absolute(a, b, np.asarray(c.params, float))
            bound(float(np.abs(ctrl).max()), f"{place}.curvature", "control point (cm)")
        length = panel.edge_length(i)
        if not np.isfinite(length):
            raise PatternError(f"edge length is not finite ({length})", source=source, where=place)
        outline += length
    # the area check and the box mesher sample the outline at 2 cm or finer: bound that first
    limits.check("max_outline_points", outline / 2.0, PatternError, source, where, "outline points at 2 cm")


def panel_area(panel: Panel, max_edge: float = 2.0) -> float:
    """Unsigned area of the panel outline (cm^2), curves included."""
    pts = panel.outline(max_edge)
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
