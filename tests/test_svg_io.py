"""SVG export/import of sewing patterns: exact round trip, foreign SVGs, clear errors."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from svgpathtools import parse_path

from core.curves import edge_function
from core.errors import PatternError
from core.pattern import panel_area, pattern_from_dict
from core.svg_io import META_ID, load_svg, pattern_to_svg, save_svg

NS = {"svg": "http://www.w3.org/2000/svg"}


def _spec() -> dict:
    straight = None
    return {
        "pattern": {
            "panels": {
                "front": {
                    "translation": [1.5, 120.0, 15.0],
                    "rotation": [0.0, 10.0, 0.0],
                    "label": "body",
                    "vertices": [[0, 0], [40, 0], [40, 50], [20, 60], [0, 50]],
                    "edges": [
                        {"endpoints": [0, 1], "label": "hem"},
                        {"endpoints": [1, 2], "curvature": {"type": "quadratic", "params": [[0.5, 0.1]]}},
                        {
                            "endpoints": [2, 3],
                            "curvature": {"type": "cubic", "params": [[0.3, 0.2], [0.7, -0.1]]},
                        },
                        {"endpoints": [3, 4], "curvature": {"type": "circle", "params": [30, 0, 1]}},
                        {"endpoints": [4, 0], "curvature": straight},
                    ],
                },
                "back": {  # circle arcs: (large, right) = (0, 0), (0, 1), (1, 1)
                    "translation": [0, 120, -15],
                    "rotation": [0, 180, 0],
                    "vertices": [[0, 0], [30, 0], [30, 30], [0, 30]],
                    "edges": [
                        {"endpoints": [0, 1], "curvature": {"type": "circle", "params": [20, 0, 0]}},
                        {"endpoints": [1, 2], "curvature": {"type": "circle", "params": [25, 0, 1]}},
                        {"endpoints": [2, 3], "curvature": {"type": "circle", "params": [16, 1, 1]}},
                        {"endpoints": [3, 0]},
                    ],
                },
                "cw_piece": {  # clockwise, vertices numbered out of loop order, arc (1, 0)
                    "translation": [30, 100, 0],
                    "rotation": [0, 90, 0],
                    "vertices": [[20, 20], [0, 0], [20, 0], [0, 20]],
                    "edges": [
                        {"endpoints": [1, 3]},
                        {"endpoints": [3, 0], "label": "top"},
                        {"endpoints": [0, 2]},
                        {"endpoints": [2, 1], "curvature": {"type": "circle", "params": [12, 1, 0]}},
                    ],
                },
            },
            "stitches": [
                [{"panel": "front", "edge": 0}, {"panel": "back", "edge": 3}],
                [{"panel": "front", "edge": 4}, {"panel": "cw_piece", "edge": 1}],
            ],
        },
        "parameters": {"length": 1.2},
        "properties": {"units_in_meter": 100, "curvature_coords": "relative", "material": "cotton"},
    }


@pytest.fixture
def pattern():
    return pattern_from_dict(_spec(), name="shirt")


def test_round_trip_is_exact(pattern, tmp_path):
    out = save_svg(pattern, tmp_path / "shirt.svg")
    back = load_svg(out)
    assert back.name == "shirt"
    assert back.panel_names == pattern.panel_names
    assert back.stitches == pattern.stitches
    assert back.properties == pattern.properties
    assert back.parameters == pattern.parameters
    for p in pattern.panels.values():
        q = back.panels[p.name]
        np.testing.assert_allclose(q.vertices, p.vertices, atol=1e-6)
        np.testing.assert_allclose(q.translation, p.translation, atol=1e-9)
        np.testing.assert_allclose(q.rotation, p.rotation, atol=1e-9)
        assert q.label == p.label
        assert len(q.edges) == len(p.edges)
        for i, (e, f) in enumerate(zip(p.edges, q.edges, strict=True)):
            assert (f.start, f.end, f.label) == (e.start, e.end, e.label)
            assert (f.curvature is None) == (e.curvature is None)
            if e.curvature is not None:
                assert f.curvature.kind == e.curvature.kind
                np.testing.assert_allclose(
                    np.asarray(f.curvature.params, float), np.asarray(e.curvature.params, float), atol=1e-6
                )
            np.testing.assert_allclose(q.sample_edge(i, 24), p.sample_edge(i, 24), atol=1e-5)


def test_svg_draws_the_pattern_geometry(pattern):
    """Each SVG segment traces its edge (checks the y flip and the arc sweep flags)."""
    root = ET.fromstring(pattern_to_svg(pattern))
    meta = json.loads(root.find(f"svg:metadata[@id='{META_ID}']", NS).text)
    for p in pattern.panels.values():
        el = root.find(f".//svg:path[@id='{p.name}']", NS)
        ox, oy = meta["panels"][p.name]["offset"]
        segs = list(parse_path(el.get("d")))
        assert len(segs) == len(p.edges)
        t = np.linspace(0, 1, 9)
        for i, seg in enumerate(segs):
            a, b = p.edge_points(i)
            want = edge_function(a, b, p.edges[i].curvature)(t)
            got = np.array([[z.real - ox, oy - z.imag] for z in (seg.point(v) for v in t)])
            np.testing.assert_allclose(got, want, atol=1e-6)


def test_layout_has_no_overlap_and_fits_the_page(pattern):
    root = ET.fromstring(pattern_to_svg(pattern, margin_cm=3.0))
    assert root.get("width").endswith("cm") and root.get("height").endswith("cm")
    _, _, w, h = map(float, root.get("viewBox").split())
    assert float(root.get("width")[:-2]) == w
    boxes = [parse_path(el.get("d")).bbox() for el in root.iterfind(".//svg:path[@data-panel]", NS)]
    assert len(boxes) == 3
    for x0, x1, y0, y1 in boxes:
        assert x0 >= 2.99 and y0 >= 2.99 and x1 <= w - 2.99 and y1 <= h - 2.99
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[1] + 2.99 <= b[0] or b[1] + 2.99 <= a[0] or a[3] + 2.99 <= b[2] or b[3] + 2.99 <= a[2]
    texts = [t.text for t in root.iterfind(".//svg:text", NS)]
    assert {"front", "back", "cw_piece"} <= set(texts)


FOREIGN = """<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="200mm" height="100mm" viewBox="0 0 200 100">
  <path id="rect" d="M 10 10 L 10 60 L 110 60 L 110 10 Z" />
  <g transform="translate(120 0)">
    <path id="moved" d="M 0 0 h 50 v 30 h -50 z" transform="translate(5, 10)" />
  </g>
  <path id="disc" d="M 150 80 A 10 10 0 0 1 170 80 A 10 10 0 0 1 150 80 Z" />
  <text x="5" y="5">ignored</text>
</svg>
"""


def _signed_area(panel) -> float:
    pts = panel.outline(0.2)
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def test_foreign_svg_imports_in_cm_counter_clockwise(tmp_path):
    path = tmp_path / "foreign.svg"
    path.write_text(FOREIGN)
    pat = load_svg(path)
    assert pat.panel_names == ["rect", "moved", "disc"]
    assert pat.stitches == []
    for p in pat.panels.values():
        assert _signed_area(p) > 0, p.name
        np.testing.assert_allclose(p.rotation, 0.0)
        np.testing.assert_allclose(p.outline(0.2).min(axis=0), 0.0, atol=1e-9)
    rect, moved, disc = pat.panels.values()
    np.testing.assert_allclose(np.ptp(rect.vertices, axis=0), [10.0, 5.0])
    np.testing.assert_allclose(np.ptp(moved.vertices, axis=0), [5.0, 3.0])
    np.testing.assert_allclose(moved.translation, [12.5, -4.0, 0.0])  # x 125 mm, lowest y -40 mm
    np.testing.assert_allclose(rect.translation, [1.0, -6.0, 0.0])
    assert all(e.curvature is None for e in rect.edges)
    assert len(disc.vertices) >= 3
    assert all(e.curvature.kind == "circle" for e in disc.edges)
    np.testing.assert_allclose([e.curvature.params[0] for e in disc.edges], 1.0)
    assert panel_area(disc, 0.05) == pytest.approx(math.pi, rel=1e-3)
    centre = np.array([1.0, 1.0])
    for i in range(len(disc.edges)):
        np.testing.assert_allclose(np.linalg.norm(disc.sample_edge(i, 8) - centre, axis=1), 1.0, atol=1e-9)


def test_units_argument_and_elliptic_arcs(tmp_path):
    path = tmp_path / "ellipse.svg"
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><ellipse id="e" cx="100" cy="50" rx="40" ry="20"/>'
        '<rect id="r" x="0" y="0" width="10" height="20"/></svg>'
    )
    pat = load_svg(path, units="mm")
    e, r = pat.panels["e"], pat.panels["r"]
    np.testing.assert_allclose(np.ptp(r.vertices, axis=0), [1.0, 2.0])
    assert {edge.curvature.kind for edge in e.edges} == {"cubic"}
    pts = e.outline(0.05) - [4.0, 2.0]
    np.testing.assert_allclose((pts[:, 0] / 4.0) ** 2 + (pts[:, 1] / 2.0) ** 2, 1.0, atol=1e-3)
    assert _signed_area(e) > 0
    px = load_svg(path, units="px")
    np.testing.assert_allclose(np.ptp(px.panels["r"].vertices, axis=0), [10 * 2.54 / 96, 20 * 2.54 / 96])


def test_edited_panel_drops_its_stitches(pattern, tmp_path):
    text = pattern_to_svg(pattern)
    text = re.sub(r'(id="cw_piece"[^>]*d="M [^ ]+ [^ ]+)', r"\1 l 0.5 0.5", text)  # an extra vertex
    path = tmp_path / "edited.svg"
    path.write_text(text)
    with pytest.warns(UserWarning, match="stitch"):
        back = load_svg(path)
    assert len(back.panels["cw_piece"].edges) == 5
    assert back.stitches == pattern.stitches[:1]


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ('<path id="open1" d="M 0 0 L 10 0 L 10 10" />', "open1.*not closed"),
        ('<path id="bad" d="M 0 0 L 1e999 0 L 10 10 Z" />', "bad.*finite"),
        ('<path id="junk" d="M 0 0 L nan 0 L 10 10 Z" />', "junk"),
        ('<path id="flat" d="M 0 0 L 10 0 L 20 0 Z" />', "flat.*area"),
        ('<g transform="rotate(oops)"><path d="M 0 0 L 1 0 L 1 1 Z"/></g>', "g #1"),
        ('<g id="outer"><g><path id="deep" d="M 0 0 L 1 0 Q"/></g></g>', "path id=deep"),
        ("<text>no shapes</text>", "no closed paths"),
        ("", "no closed paths"),
    ],
)
def test_bad_svgs_raise_pattern_errors(tmp_path, body, match):
    path = tmp_path / "bad.svg"
    path.write_text(f'<svg xmlns="http://www.w3.org/2000/svg">{body}</svg>')
    with pytest.raises(PatternError, match=match) as err:
        load_svg(path)
    assert str(path) in str(err.value)


def test_malformed_and_missing_files(tmp_path):
    path = tmp_path / "broken.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg"><path d="M 0 0"</svg>')
    with pytest.raises(PatternError, match="malformed XML") as err:
        load_svg(path)
    assert "line 1" in str(err.value) and str(path) in str(err.value)
    with pytest.raises(PatternError, match="file not found"):
        load_svg(tmp_path / "nope.svg")
    other = tmp_path / "other.svg"
    other.write_text("<html><body/></html>")
    with pytest.raises(PatternError, match="not an SVG"):
        load_svg(other)
    with pytest.raises(PatternError, match="unknown units"):
        (tmp_path / "plain.svg").write_text('<svg><path d="M0 0 L1 0 L1 1 Z"/></svg>')
        load_svg(tmp_path / "plain.svg", units="furlong")
