"""Sewing patterns as SVG: export a Pattern for viewing or editing, import closed SVG paths.

Export writes one closed ``<path>`` per panel (id = panel name), laid out in rows without
overlap, in a document whose user unit is 1 cm (SVG's y axis points down, so y is flipped).
Edges are written exactly: straight ``L``, quadratic ``Q``, cubic ``C``, circle ``A``. What SVG
cannot say (placement, labels, stitches, properties) goes into a ``<metadata>`` element holding
JSON, so that :func:`load_svg` restores a saved pattern exactly.

Import reads any SVG of closed shapes (``path``, ``rect``, ``polygon``, ``circle``,
``ellipse``) with svgpathtools, applying ``transform`` attributes and document units.
"""

from __future__ import annotations

import json
import math
import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

from . import limits
from .curves import Curvature, absolute_to_relative
from .errors import PatternError
from .inputs import input_file
from .pattern import Edge, Panel, Pattern, Stitch, StitchSide, check_panel_bounds, panel_area

SVG_NS = "http://www.w3.org/2000/svg"
META_ID = "garment-refiner"
_ANNOTATION = "annotation"  # data-role of drawn extras that import skips
_CM_PER_UNIT = {
    "cm": 1.0,
    "mm": 0.1,
    "q": 0.025,
    "in": 2.54,
    "px": 2.54 / 96,
    "pt": 2.54 / 72,
    "pc": 2.54 / 6,
}
_STITCH_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#e377c2", "#8c564b")
_CLOSE_TOL_CM = 1e-3


# --------------------------------------------------------------------------- export


def _num(v: float) -> str:
    s = f"{float(v):.9f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _layout(pattern: Pattern, margin: float) -> tuple[dict[str, tuple[float, float]], float, float]:
    """Row layout: per panel the offset (ox, oy) with svg = (x + ox, oy - y); document size."""
    boxes = {}
    for p in pattern.panels.values():
        pts = p.outline(0.25)
        boxes[p.name] = (*pts.min(axis=0), *pts.max(axis=0))
    widths = [b[2] - b[0] for b in boxes.values()]
    area = sum((b[2] - b[0] + margin) * (b[3] - b[1] + margin) for b in boxes.values())
    row_limit = max(max(widths, default=0.0), 1.3 * math.sqrt(area))
    offsets: dict[str, tuple[float, float]] = {}
    x, y, row_h, doc_w = margin, margin, 0.0, 0.0
    for name, (x0, y0, x1, y1) in boxes.items():
        if x > margin and x + (x1 - x0) > margin + row_limit:
            x, y, row_h = margin, y + row_h + margin, 0.0
        offsets[name] = (x - x0, y + y1)
        x += x1 - x0 + margin
        row_h = max(row_h, y1 - y0)
        doc_w = max(doc_w, x)
    return offsets, doc_w, y + row_h + margin


def _edge_command(panel: Panel, index: int, to_svg) -> str:
    """The SVG path command drawing edge ``index`` (from its start point, already current)."""
    e = panel.edges[index]
    a, b = panel.vertices[e.start], panel.vertices[e.end]
    c = e.curvature
    if c is None:
        return f"L {to_svg(b)}"
    if c.kind == "circle":
        radius, large_arc, right = c.params[:3]
        # right=1 is a counter-clockwise arc in pattern space (y up): clockwise on screen, sweep 0.
        sweep = 0 if right else 1
        return f"A {_num(radius)} {_num(radius)} 0 {int(bool(large_arc))} {sweep} {to_svg(b)}"
    d = b - a
    rel = np.atleast_2d(np.asarray(c.params, float))
    ctrl = a + rel[:, :1] * d + rel[:, 1:2] * np.array([-d[1], d[0]])
    letter = "Q" if c.kind == "quadratic" else "C"
    return f"{letter} {' '.join(to_svg(q) for q in ctrl)} {to_svg(b)}"


def _inside_of_edge(panel: Panel, index: int, distance: float) -> np.ndarray:
    """A point ``distance`` cm from the middle of edge ``index``, on the panel's inner side."""
    pts = panel.sample_edge(index, 4)
    tangent = pts[3] - pts[1]
    outline = panel.outline(1.0)
    ccw = np.dot(outline[:, 0], np.roll(outline[:, 1], -1)) > np.dot(
        outline[:, 1], np.roll(outline[:, 0], -1)
    )
    normal = np.array([-tangent[1], tangent[0]]) / max(float(np.linalg.norm(tangent)), 1e-12)
    return pts[2] + (distance if ccw else -distance) * normal


def _metadata(pattern: Pattern, offsets: dict[str, tuple[float, float]]) -> dict:
    panels = {}
    for p in pattern.panels.values():
        panels[p.name] = {
            "offset": list(offsets[p.name]),
            "translation": [float(v) for v in p.translation],
            "rotation": [float(v) for v in p.rotation],
            "label": p.label,
            "endpoints": [[int(e.start), int(e.end)] for e in p.edges],
            "edge_labels": [e.label for e in p.edges],
        }
    return {
        "generator": "garment-refiner",
        "version": 1,
        "name": pattern.name,
        "panels": panels,
        "stitches": [
            [{"panel": s.a.panel, "edge": int(s.a.edge)}, {"panel": s.b.panel, "edge": int(s.b.edge)}]
            for s in pattern.stitches
        ],
        "properties": pattern.properties,
        "parameters": pattern.parameters,
    }


def _json_default(obj: Any) -> Any:
    return obj.tolist() if hasattr(obj, "tolist") else str(obj)


def pattern_to_svg(pattern: Pattern, margin_cm: float = 5.0) -> str:
    """The pattern as an SVG document (1 user unit = 1 cm) that :func:`load_svg` reads back."""
    margin = float(margin_cm)
    offsets, width, height = _layout(pattern, margin)
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": f"{_num(width)}cm",
            "height": f"{_num(height)}cm",
            "viewBox": f"0 0 {_num(width)} {_num(height)}",
        },
    )
    ET.SubElement(svg, "title").text = pattern.name
    meta = ET.SubElement(svg, "metadata", id=META_ID)
    meta.text = json.dumps(_metadata(pattern, offsets), default=_json_default)
    panels_g = ET.SubElement(svg, "g", {"data-role": "panels"})
    marks = ET.SubElement(svg, "g", {"data-role": _ANNOTATION})
    font = "font-family:sans-serif;text-anchor:middle;dominant-baseline:middle"
    for p in pattern.panels.values():
        ox, oy = offsets[p.name]

        def to_svg(q, ox=ox, oy=oy) -> str:
            return f"{_num(q[0] + ox)} {_num(oy - q[1])}"

        cmds = [f"M {to_svg(p.vertices[p.edges[0].start])}"]
        cmds += [_edge_command(p, i, to_svg) for i in range(len(p.edges))]
        ET.SubElement(
            panels_g,
            "path",
            {
                "id": p.name,
                "data-panel": p.name,
                "d": " ".join([*cmds, "Z"]),
                "style": "fill:#f3efe6;stroke:#333333;stroke-width:0.15;stroke-linejoin:round",
            },
        )
        pts = p.outline(1.0)
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        size = float(np.clip(0.08 * min(hi - lo), 1.0, 4.0))
        centre = 0.5 * (lo + hi)
        label = ET.SubElement(
            marks,
            "text",
            {
                "x": _num(centre[0] + ox),
                "y": _num(oy - centre[1]),
                "style": f"{font};font-size:{_num(size)}px",
            },
        )
        label.text = p.name
    for k, s in enumerate(pattern.stitches):
        colour = _STITCH_COLOURS[k % len(_STITCH_COLOURS)]
        for side in (s.a, s.b):
            p = pattern.panels.get(side.panel)
            if p is None or not 0 <= side.edge < len(p.edges):
                continue
            ox, oy = offsets[p.name]

            def to_svg(q, ox=ox, oy=oy) -> str:
                return f"{_num(q[0] + ox)} {_num(oy - q[1])}"

            start = p.vertices[p.edges[side.edge].start]
            d = f"M {to_svg(start)} {_edge_command(p, side.edge, to_svg)}"
            ET.SubElement(
                marks,
                "path",
                {"d": d, "data-role": _ANNOTATION, "style": f"fill:none;stroke:{colour};stroke-width:0.4"},
            )
            mid = _inside_of_edge(p, side.edge, 1.6)
            mark = ET.SubElement(
                marks,
                "text",
                {
                    "x": _num(mid[0] + ox),
                    "y": _num(oy - mid[1]),
                    "style": f"{font};font-size:2px;fill:{colour};font-weight:bold",
                },
            )
            mark.text = str(k)
    ET.indent(svg)
    return ET.tostring(svg, encoding="unicode", xml_declaration=True) + "\n"


def save_svg(pattern: Pattern, path: str | Path, margin_cm: float = 5.0) -> Path:
    """Write :func:`pattern_to_svg` to ``path`` (atomically: temp file then rename)."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(pattern_to_svg(pattern, margin_cm), encoding="utf-8")
    tmp.replace(path)
    return path


# --------------------------------------------------------------------------- import


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _parse_xml(path: Path, source: str) -> ET.Element:
    input_file(path, PatternError, limit="max_pattern_bytes")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as err:
        line, col = err.position
        raise PatternError(f"malformed XML: {err}", source=source, where=f"line {line} column {col}") from err
    except LookupError as err:  # <?xml encoding="..."?> names an encoding Python lacks
        raise PatternError(f"unknown text encoding: {err}", source=source) from err
    except OSError as err:
        raise PatternError(f"cannot read file: {err}", source=source) from err
    if _local(root.tag) != "svg":
        raise PatternError(f"not an SVG document (root element <{_local(root.tag)}>)", source=source)
    return root


def _length_cm(value: str | None) -> float | None:
    m = re.fullmatch(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([a-zA-Z]+)\s*", value or "")
    if not m or m.group(2).lower() not in _CM_PER_UNIT:
        return None
    return float(m.group(1)) * _CM_PER_UNIT[m.group(2).lower()]


def _cm_per_user_unit(root: ET.Element, units: str | None, source: str) -> float:
    """From width/height with units and a viewBox; else the ``units`` argument (default cm)."""
    try:
        box = [float(v) for v in re.split(r"[\s,]+", (root.get("viewBox") or "").strip())]
    except ValueError:
        box = []
    scales = []
    if len(box) == 4:
        for value, extent in ((root.get("width"), box[2]), (root.get("height"), box[3])):
            cm = _length_cm(value)
            if cm is not None and cm > 0 and extent > 0:
                scales.append(cm / extent)
    if scales:
        return min(scales)  # preserveAspectRatio "meet"
    unit = (units or "cm").lower()
    if unit not in _CM_PER_UNIT:
        raise PatternError(f"unknown units {units!r} (known: {', '.join(_CM_PER_UNIT)})", source=source)
    return _CM_PER_UNIT[unit]


def _read_metadata(root: ET.Element, source: str) -> dict:
    for el in root.iter():
        if _local(el.tag) == "metadata" and el.get("id") == META_ID:
            try:
                meta = json.loads(el.text or "")
            except (ValueError, RecursionError) as err:  # bad JSON, a huge integer, deep nesting
                raise PatternError(
                    f"garment metadata is not valid JSON: {str(err)[:200]}",
                    source=source,
                    where=f"metadata id={META_ID}",
                ) from err
            if not isinstance(meta, dict) or not isinstance(meta.get("panels"), dict):
                raise PatternError(
                    "garment metadata has no panels object", source=source, where=f"metadata id={META_ID}"
                )
            return meta
    return {}


_SHAPES = ("path", "rect", "polygon", "circle", "ellipse")
_CONTAINERS = ("svg", "g", "a", "switch")


def _flatten(root: ET.Element, source: str) -> list[tuple[str, ET.Element, Any]]:
    """(place, element, svgpathtools Path in document coordinates) for every drawable shape."""
    from svgpathtools import parse_path
    from svgpathtools.parser import parse_transform
    from svgpathtools.path import transform
    from svgpathtools.svg_to_paths import ellipse2pathd, path2pathd, polygon2pathd, rect2pathd

    to_d = {
        "path": path2pathd,
        "rect": rect2pathd,
        "polygon": polygon2pathd,
        "circle": ellipse2pathd,
        "ellipse": ellipse2pathd,
    }
    out: list[tuple[str, ET.Element, Any]] = []

    def walk(parent: ET.Element, tf: np.ndarray, depth: int = 0) -> None:
        if depth > MAX_GROUP_DEPTH:
            raise PatternError(f"groups nested deeper than {MAX_GROUP_DEPTH}", source=source)
        for el in parent:
            tag = _local(el.tag)
            if (tag not in _SHAPES and tag not in _CONTAINERS) or el.get("data-role") == _ANNOTATION:
                continue
            place = f"{tag} id={el.get('id')}" if el.get("id") else f"{tag} #{len(out) + 1}"
            try:
                el_tf = tf @ parse_transform(el.get("transform"), strict=True)
                shape = None if tag in _CONTAINERS else transform(parse_path(to_d[tag](el)), el_tf)
            except Exception as err:  # svgpathtools raises many kinds on bad input
                raise PatternError(f"cannot read shape: {err}", source=source, where=place) from err
            if shape is None:  # a group (nested <svg> viewports are treated as plain groups)
                walk(el, el_tf, depth + 1)
            else:
                out.append((place, el, shape))

    walk(root, np.identity(3))
    return out


MAX_GROUP_DEPTH = 64  # nested <g>/<svg>: drawing programs stay far below; Python's stack does not


def _finite(seg: Any) -> bool:
    pts = [seg.start, seg.end, *(seg.bpoints() if hasattr(seg, "bpoints") else [seg.radius])]
    return all(z is not None and math.isfinite(z.real) and math.isfinite(z.imag) for z in pts)


def _arc_to_cubics(arc: Any) -> list[Any]:
    """Cubic Beziers (at most 90 degrees each) tracing an elliptical arc."""
    from svgpathtools import CubicBezier

    n = max(1, math.ceil(abs(arc.delta) / 90.0 - 1e-9))
    theta = math.radians(abs(arc.delta)) / n
    k = 4.0 / 3.0 * math.tan(theta / 4.0) / theta / n  # control length per unit derivative
    out = []
    for i in range(n):
        t0, t1 = i / n, (i + 1) / n
        p0, p3 = arc.point(t0), arc.point(t1)
        out.append(CubicBezier(p0, p0 + k * arc.derivative(t0), p3 - k * arc.derivative(t1), p3))
    return out


def _is_circular(arc: Any) -> bool:
    rx, ry = abs(arc.radius.real), abs(arc.radius.imag)
    return abs(rx - ry) <= 1e-6 * max(rx, ry)


def _signed_area(segs: list[Any], scale: float) -> float:
    """Area enclosed by the segments in pattern space (y up): positive when counter-clockwise."""
    pts = np.array([s.point(t) for s in segs for t in np.linspace(0.0, 1.0, 16, endpoint=False)])
    x, y = pts.real * scale, -pts.imag * scale
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _build_panel(
    name: str, segs: list[Any], scale: float, meta: dict | None, place: str, source: str
) -> tuple[Panel, bool]:
    """A panel from one continuous subpath; also whether its metadata edges still match."""

    def fail(message: str) -> PatternError:
        return PatternError(message, source=source, where=place)

    if not all(_finite(s) for s in segs):
        raise fail("path has a coordinate that is not a finite number")
    pts = np.array([z for s in segs for z in (s.start, s.end)])
    diag = float(np.hypot(np.ptp(pts.real), np.ptp(pts.imag))) * scale
    tol = max(_CLOSE_TOL_CM, 1e-5 * diag)
    gap = abs(segs[-1].end - segs[0].start) * scale
    if gap > tol:
        raise fail(f"path is not closed: its end is {gap:.4g} cm from its start (a panel must be closed)")
    segs = [s for s in segs if abs(s.end - s.start) * scale > tol]  # merge duplicate vertices
    if not segs:
        raise fail("path has no length")
    if meta is None:  # foreign panel: counter-clockwise, at least 3 vertices
        if _signed_area(segs, scale) < 0:
            segs = [s.reversed() for s in reversed(segs)]
        while len(segs) < 3:
            i = max(range(len(segs)), key=lambda j: segs[j].length())
            segs[i : i + 1] = segs[i].split(0.5)
    segs = [c for s in segs for c in (_arc_to_cubics(s) if _is_arc(s) and not _is_circular(s) else [s])]

    off = np.zeros(2)
    if meta is not None:
        off = _numbers(meta.get("offset"), 2, source, f"metadata panels.{name}.offset") * [1, -1]
    verts = np.array([[s.start.real * scale, -s.start.imag * scale] for s in segs]) - off
    n = len(segs)
    edges = []
    for i, s in enumerate(segs):
        a, b = verts[i], verts[(i + 1) % n]
        ctrl = list(s.bpoints()[1:-1]) if hasattr(s, "bpoints") else []
        if _is_arc(s):
            right = 0 if s.sweep else 1  # sweep 1 (clockwise in pattern space) bulges left
            curv = Curvature("circle", [abs(s.radius.real) * scale, int(bool(s.large_arc)), right])
        elif ctrl:
            absolute = np.array([[z.real * scale, -z.imag * scale] for z in ctrl]) - off
            kind = "quadratic" if len(ctrl) == 1 else "cubic"
            curv = Curvature(kind, absolute_to_relative(a, b, absolute).tolist())
        else:
            curv = None
        edges.append(Edge(i, (i + 1) % n, curv))

    saved = meta.get("endpoints") if meta is not None else None
    saved_n = len(saved) if isinstance(saved, list) else 0
    matched = meta is not None and saved_n == n
    if matched:
        verts, edges = _apply_endpoints(verts, edges, meta, name, source)
    elif meta is not None:
        warnings.warn(
            f"{source}: panel {name!r} now has {n} edges (saved with {saved_n}); "
            "its stitches and edge labels are dropped",
            stacklevel=3,
        )
    panel = Panel(name, verts, edges)
    if meta is not None:
        panel.translation = _numbers(meta.get("translation", [0, 0, 0]), 3, source, f"metadata panels.{name}")
        panel.rotation = _numbers(meta.get("rotation", [0, 0, 0]), 3, source, f"metadata panels.{name}")
        panel.label = meta.get("label") or None
    check_panel_bounds(panel, source, place)
    if panel_area(panel) < 1e-6:
        raise fail("path encloses no area")
    if meta is None:  # laid flat where it was drawn: vertices relative to the lower-left corner
        lo = panel.outline(1.0).min(axis=0)
        panel.vertices = panel.vertices - lo
        panel.translation = np.array([lo[0], lo[1], 0.0])
    return panel, matched


def _is_arc(seg: Any) -> bool:
    return type(seg).__name__ == "Arc"


def _numbers(value: Any, size: int, source: str, where: str) -> np.ndarray:
    try:
        out = np.array(value, dtype=float).reshape(size)
    except (TypeError, ValueError) as err:
        raise PatternError(f"expected {size} numbers, got {value!r}", source=source, where=where) from err
    if not np.isfinite(out).all():
        raise PatternError(f"expected finite numbers, got {value!r}", source=source, where=where)
    return out


def _apply_endpoints(
    verts: np.ndarray, edges: list[Edge], meta: dict, name: str, source: str
) -> tuple[np.ndarray, list[Edge]]:
    """Renumber vertices as saved and restore edge labels (when the saved numbering is a loop)."""
    n = len(edges)
    try:
        ends = [(int(s), int(e)) for s, e in meta["endpoints"]]
        labels = list(meta.get("edge_labels") or [None] * n)
    except (TypeError, ValueError, OverflowError) as err:
        raise PatternError(f"bad endpoints: {err}", source=source, where=f"metadata panels.{name}") from err
    if sorted(s for s, _ in ends) == list(range(n)) and all(
        ends[i][1] == ends[(i + 1) % n][0] for i in range(n)
    ):
        new = np.empty_like(verts)
        for i, (s, _) in enumerate(ends):
            new[s] = verts[i]
        verts = new
        edges = [Edge(s, e, edge.curvature) for (s, e), edge in zip(ends, edges, strict=True)]
    for edge, label in zip(edges, labels, strict=False):
        edge.label = str(label) if label is not None else None
    return verts, edges


def _stitches(meta: dict, panels: dict[str, Panel], matched: set[str], source: str) -> list[Stitch]:
    out, dropped = [], 0
    raws = meta.get("stitches") or []
    if not isinstance(raws, list):
        raise PatternError("stitches must be a list", source=source, where=f"metadata id={META_ID}")
    for i, raw in enumerate(raws):
        try:
            a, b = (StitchSide(str(side["panel"]), int(side["edge"])) for side in raw[:2])
        except (TypeError, ValueError, KeyError, OverflowError) as err:
            raise PatternError(f"bad stitch {raw!r}", source=source, where=f"metadata stitches[{i}]") from err
        if all(s.panel in matched and 0 <= s.edge < len(panels[s.panel].edges) for s in (a, b)):
            out.append(Stitch(a, b))
        else:
            dropped += 1
    if dropped:
        warnings.warn(f"{source}: dropped {dropped} stitch(es) on edited or missing panels", stacklevel=3)
    return out


def load_svg(path: str | Path, units: str | None = None) -> Pattern:
    """Read the closed shapes of an SVG file as pattern panels (cm, counter-clockwise).

    Document units come from the root's width/height and viewBox; without them ``units``
    ("cm", "mm", "px" at 96 dpi, "in", "pt") says what one user unit is (default cm). A file
    written by :func:`save_svg` comes back with its stitches, placement and labels.
    """
    path = Path(path)
    source = str(path)
    root = _parse_xml(path, source)
    scale = _cm_per_user_unit(root, units, source)
    meta = _read_metadata(root, source)
    saved = meta.get("panels", {})
    panels: dict[str, Panel] = {}
    matched: set[str] = set()
    for place, el, shape in _flatten(root, source):
        base = el.get("data-panel") or el.get("id") or f"panel_{len(panels) + 1}"
        for k, sub in enumerate(shape.continuous_subpaths()):
            if len(sub) == 0:
                continue
            limits.check("max_panels", len(panels) + 1, PatternError, source, place, "panel count")
            name = base if k == 0 else f"{base}_{k}"
            while name in panels:  # at most max_panels names: the renaming stays short
                name += "_"
            info = saved.get(name)
            if info is not None and not isinstance(info, dict):
                raise PatternError("expected an object", source=source, where=f"metadata panels.{name}")
            panels[name], ok = _build_panel(name, list(sub), scale, info, place, source)
            if ok:
                matched.add(name)
    if not panels:
        raise PatternError("the SVG has no closed paths to use as panels", source=source)
    properties = meta.get("properties") if isinstance(meta.get("properties"), dict) else {}
    properties = {**properties, "units_in_meter": 100, "curvature_coords": "relative"}
    return Pattern(
        name=str(meta.get("name") or path.stem),
        panels=panels,
        stitches=_stitches(meta, panels, matched, source),
        properties=properties,
        parameters=meta.get("parameters") if isinstance(meta.get("parameters"), dict) else {},
        source=source,
    )
