"""GarmentCode specification JSON: loading, units, curve geometry, placement and round trips.

Expected values come from independent formulas (circle geometry, Bezier polynomials, explicit
rotation matrices), not from the code under test.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

from core.curves import Curvature, edge_function, edge_length, sample_edge
from core.pattern import Panel, load_pattern, pattern_from_dict, pattern_to_dict, save_pattern

DATA = Path(__file__).parent / "data"
SKIRT = DATA / "gc_flare_skirt_specification.json"
SKIRT_M = DATA / "gc_flare_skirt_m_specification.json"
SHIRT = DATA / "gc_shirt_specification.json"
FIXTURES = [SKIRT, SKIRT_M, SHIRT]


def _gc_perp(v):
    """GarmentCode's edge normal: (end - start) rotated by +90 degrees (pygarment rel_to_abs_2d)."""
    return np.array([-v[1], v[0]], float)


def _square_spec(edge_curv: dict | list | None, units: float = 100, coords: str = "relative") -> dict:
    """A 20 x 20 counter-clockwise square whose bottom edge (0 -> 1) carries ``edge_curv``."""
    bottom: dict = {"endpoints": [0, 1]}
    if edge_curv is not None:
        bottom["curvature"] = edge_curv
    return {
        "pattern": {
            "panels": {
                "sq": {
                    "translation": [0.0, 0.0, 0.0],
                    "rotation": [0.0, 0.0, 0.0],
                    "vertices": [[0.0, 0.0], [20.0, 0.0], [20.0, 20.0], [0.0, 20.0]],
                    "edges": [bottom, {"endpoints": [1, 2]}, {"endpoints": [2, 3]}, {"endpoints": [3, 0]}],
                }
            },
            "stitches": [],
        },
        "properties": {"units_in_meter": units, "curvature_coords": coords},
    }


# --------------------------------------------------------------------------- fixtures


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_is_garmentcode_layout(path):
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    # json.dump(indent=2) layout, as pygarment writes it
    assert text == json.dumps(data, indent=2)
    assert list(data) == ["pattern", "parameters", "parameter_order", "properties"]
    assert set(data["pattern"]) == {"panels", "stitches", "panel_order"}
    assert data["properties"]["curvature_coords"] == "relative"
    assert data["properties"]["normalize_panel_translation"] is False
    assert data["properties"]["normalized_edge_loops"] is True
    for panel in data["pattern"]["panels"].values():
        assert {"translation", "rotation", "vertices", "edges", "label"} <= set(panel)
    for stitch in data["pattern"]["stitches"]:
        assert len(stitch) == 2
        assert all(set(side) == {"panel", "edge"} for side in stitch)


def test_load_skirt_names_order_curves_labels():
    raw = json.loads(SKIRT.read_text())
    p = load_pattern(SKIRT)
    assert p.name == "gc_flare_skirt"
    assert p.source == str(SKIRT)
    # panel order follows panel_order, not the order of the panels object
    assert p.panel_names == raw["pattern"]["panel_order"]
    assert p.panel_names != list(raw["pattern"]["panels"])
    assert p.panel_index("wb_back") == 5
    fl = p.panels["front_left"]
    assert [e.curvature.kind if e.curvature else None for e in fl.edges] == ["circle", None, "circle", None]
    assert [e.label for e in fl.edges] == ["hem", None, "waist", None]
    assert fl.label == "leg"
    assert p.panels["wb_front"].label == "body"
    # circle params: [radius, large_arc, right]
    assert fl.edges[0].curvature.params == [80.0, 0, 1]
    assert fl.edges[2].curvature.params == [40.0, 0, 0]
    assert len(p.stitches) == 10
    s = p.stitches[2]
    assert (s.a.panel, s.a.edge, s.b.panel, s.b.edge) == ("front_left", 1, "back_left", 2)
    assert p.properties["units_in_meter"] == 100


def test_load_shirt_curves_and_rotations():
    p = load_pattern(SHIRT)
    assert p.panel_names == ["front", "back", "right_sleeve", "left_sleeve"]
    kinds = [e.curvature.kind if e.curvature else None for e in p.panels["front"].edges]
    assert kinds == [None, None, "cubic", None, "quadratic", None, "cubic", None]
    assert p.panels["front"].edges[4].label == "collar"
    assert p.panels["front"].edges[4].curvature.params == [[0.5, 0.5]]
    np.testing.assert_array_equal(p.panels["right_sleeve"].rotation, [0, 0, 40])
    np.testing.assert_array_equal(p.panels["left_sleeve"].rotation, [0, 0, -40])
    assert p.panels["left_sleeve"].label == "arm"


def test_front_loops_ccw_back_loops_cw():
    """GarmentCode encodes the outward side by loop orientation (front CCW, back CW)."""
    for path in (SKIRT, SHIRT):
        for panel in load_pattern(path).panels.values():
            pts = panel.outline(0.5)
            signed = 0.5 * float(
                np.sum(pts[:, 0] * np.roll(pts[:, 1], -1) - np.roll(pts[:, 0], -1) * pts[:, 1])
            )
            assert np.sign(signed) == np.sign(panel.translation[2]), panel.name


# --------------------------------------------------------------------------- units


def test_metres_file_equals_centimetres_file():
    cm, m = load_pattern(SKIRT), load_pattern(SKIRT_M)
    assert m.panel_names == cm.panel_names
    assert m.properties["units_in_meter"] == 100
    for name in cm.panel_names:
        a, b = cm.panels[name], m.panels[name]
        np.testing.assert_allclose(b.vertices, a.vertices, atol=1e-9)
        np.testing.assert_allclose(b.translation, a.translation, atol=1e-9)
        np.testing.assert_array_equal(b.rotation, a.rotation)
        for i, (ea, eb) in enumerate(zip(a.edges, b.edges, strict=True)):
            if ea.curvature is not None:
                np.testing.assert_allclose(eb.curvature.params, ea.curvature.params, atol=1e-9)
            assert b.edge_length(i) == pytest.approx(a.edge_length(i), abs=1e-9)
    # the file's numbers really are in metres
    raw = json.loads(SKIRT_M.read_text())
    assert raw["pattern"]["panels"]["front_left"]["vertices"][1] == [0.34, 0.03]
    assert cm.panels["front_left"].vertices[1] == pytest.approx([34.0, 3.0])


def test_millimetres_scale():
    p = pattern_from_dict(_square_spec({"type": "circle", "params": [150.0, 0, 1]}, units=1000))
    np.testing.assert_allclose(p.panels["sq"].vertices[2], [2.0, 2.0])
    assert p.panels["sq"].edges[0].curvature.params[0] == pytest.approx(15.0)


# --------------------------------------------------------------------------- circle arcs


@pytest.mark.parametrize("large", [0, 1])
@pytest.mark.parametrize("right", [0, 1])
def test_circle_arc_geometry(large, right):
    start, end, r = np.array([3.0, -1.0]), np.array([11.0, 5.0]), 7.0  # chord 10
    chord = end - start
    c = float(np.linalg.norm(chord))
    theta = 2 * math.asin(c / (2 * r))  # small-arc angle
    angle = 2 * math.pi - theta if large else theta
    h = math.sqrt(r * r - c * c / 4)  # centre distance from the chord
    sagitta = r + h if large else r - h
    # the arc's mid-point lies on the right of start->end when right=1 (pygarment: control_y < 0)
    mid_side = -1.0 if right else 1.0
    n = _gc_perp(chord) / c
    centre = (start + end) / 2 - mid_side * (h if not large else -h) * n

    curv = Curvature("circle", [r, large, right])
    pts = sample_edge(start, end, curv, 64)
    np.testing.assert_allclose(pts[0], start)
    np.testing.assert_allclose(pts[-1], end)
    np.testing.assert_allclose(np.linalg.norm(pts - centre, axis=1), r, atol=1e-9)
    assert edge_length(start, end, curv) == pytest.approx(r * angle, rel=1e-4)

    mid = sample_edge(start, end, curv, 2)[1]  # arc-length mid-point
    offset = float(np.dot(mid - (start + end) / 2, n))
    assert offset == pytest.approx(mid_side * sagitta, abs=1e-3)


@pytest.mark.parametrize(("large", "right"), [(0, 0), (0, 1), (1, 1)])
def test_circle_flags_through_the_loader(large, right):
    """The bottom edge (0,0) -> (20,0) of a CCW square: right=1 bulges down (outside)."""
    r = 12.0
    panel = pattern_from_dict(_square_spec({"type": "circle", "params": [r, large, right]})).panels["sq"]
    theta = 2 * math.asin(10 / r)
    assert panel.edge_length(0) == pytest.approx(r * (2 * math.pi - theta if large else theta), rel=1e-4)
    sag = r + math.sqrt(r * r - 100) if large else r - math.sqrt(r * r - 100)
    mid = panel.sample_edge(0, 2)[1]
    np.testing.assert_allclose(mid, [10.0, -sag if right else sag], atol=1e-3)


def test_four_arcs_are_distinct():
    start, end = np.array([0.0, 0.0]), np.array([10.0, 0.0])
    mids = {
        (la, rt): sample_edge(start, end, Curvature("circle", [6.0, la, rt]), 2)[1]
        for la in (0, 1)
        for rt in (0, 1)
    }
    # +y is the left of +x: right=0 arcs bulge up, right=1 arcs bulge down; large arcs bulge further
    assert mids[(0, 0)][1] == pytest.approx(6 - math.sqrt(11), abs=1e-3)
    assert mids[(1, 0)][1] == pytest.approx(6 + math.sqrt(11), abs=1e-3)
    assert mids[(0, 1)][1] == pytest.approx(-(6 - math.sqrt(11)), abs=1e-3)
    assert mids[(1, 1)][1] == pytest.approx(-(6 + math.sqrt(11)), abs=1e-3)


def test_radius_below_half_chord_is_a_half_circle():
    start, end = np.array([0.0, 0.0]), np.array([10.0, 0.0])
    curv = Curvature("circle", [2.0, 0, 0])
    assert edge_length(start, end, curv) == pytest.approx(5 * math.pi, rel=1e-4)


def test_skirt_waist_is_shallow_arc_of_given_radius():
    p = load_pattern(SKIRT)
    fl = p.panels["front_left"]
    a, b = fl.edge_points(2)
    # waist: chord 17, radius 40, arc bulges down (away from the waistband)
    assert fl.edge_length(2) == pytest.approx(80 * math.asin(17 / 80), rel=1e-5)
    mid = fl.sample_edge(2, 2)[1]
    assert mid[1] < a[1] - 0.5
    assert mid[1] == pytest.approx(60 - (40 - math.sqrt(40**2 - 8.5**2)), abs=1e-3)
    assert np.linalg.norm(b - a) == pytest.approx(17.0)


# --------------------------------------------------------------------------- Bezier curves


def test_quadratic_midpoint_and_endpoints():
    start, end = np.array([1.0, 2.0]), np.array([1.0, 12.0])  # d = (0, 10), perp = (-10, 0)
    curv = Curvature("quadratic", [[0.5, 0.3]])
    # control (1, 7) + 0.3 * (-10, 0) = (-2, 7); B(1/2) = s/4 + c/2 + e/4
    f = edge_function(start, end, curv)
    np.testing.assert_allclose(f(np.array([0.0, 0.5, 1.0])), [[1, 2], [-0.5, 7], [1, 12]], atol=1e-12)
    pts = sample_edge(start, end, curv, 10)
    np.testing.assert_array_equal(pts[0], start)
    np.testing.assert_array_equal(pts[-1], end)
    # length against Gauss-Legendre quadrature of |B'(t)|
    c = np.array([-2.0, 7.0])
    x, w = np.polynomial.legendre.leggauss(40)
    t = (x + 1) / 2
    deriv = 2 * (1 - t)[:, None] * (c - start) + 2 * t[:, None] * (end - c)
    exact = 0.5 * float(np.sum(w * np.linalg.norm(deriv, axis=1)))
    assert edge_length(start, end, curv) == pytest.approx(exact, rel=1e-4)
    # evenly spaced by arc length
    steps = np.linalg.norm(np.diff(sample_edge(start, end, curv, 20), axis=0), axis=1)
    assert steps.max() / steps.min() < 1.01


def test_cubic_midpoint_and_endpoints():
    start, end = np.array([0.0, 0.0]), np.array([10.0, 0.0])
    curv = Curvature("cubic", [[0.25, 0.4], [0.75, 0.2]])  # controls (2.5, 4) and (7.5, 2)
    f = edge_function(start, end, curv)
    # B(1/2) = (s + 3 c1 + 3 c2 + e) / 8
    np.testing.assert_allclose(f(np.array([0.5]))[0], [5.0, 2.25], atol=1e-12)
    np.testing.assert_allclose(f(np.array([0.0, 1.0])), [start, end], atol=1e-12)
    pts = sample_edge(start, end, curv, 7)
    np.testing.assert_array_equal(pts[[0, -1]], [start, end])


def test_absolute_curvature_coords_give_same_geometry():
    p_rel = load_pattern(SHIRT)
    data = json.loads(SHIRT.read_text())
    data["properties"]["curvature_coords"] = "absolute"
    for panel in data["pattern"]["panels"].values():
        verts = np.array(panel["vertices"], float)
        for e in panel["edges"]:
            c = e.get("curvature")
            if c and c["type"] in ("quadratic", "cubic"):
                s, t = verts[e["endpoints"][0]], verts[e["endpoints"][1]]
                d = t - s
                c["params"] = [(s + x * d + y * _gc_perp(d)).tolist() for x, y in c["params"]]
    p_abs = pattern_from_dict(data)
    for name, pa in p_abs.panels.items():
        pr = p_rel.panels[name]
        for i in range(len(pr.edges)):
            np.testing.assert_allclose(pa.sample_edge(i, 16), pr.sample_edge(i, 16), atol=1e-9)


def test_absolute_curvature_coords_in_metres():
    """Absolute control points are in file units too: they scale with the vertices."""
    rel = pattern_from_dict(_square_spec({"type": "quadratic", "params": [[0.5, -0.25]]}))
    # control point (10, -5) cm = (0.1, -0.05) m; vertices in m
    spec = _square_spec({"type": "quadratic", "params": [[0.1, -0.05]]}, units=1, coords="absolute")
    spec["pattern"]["panels"]["sq"]["vertices"] = [[0.0, 0.0], [0.2, 0.0], [0.2, 0.2], [0.0, 0.2]]
    ab = pattern_from_dict(spec)
    np.testing.assert_allclose(
        ab.panels["sq"].sample_edge(0, 8), rel.panels["sq"].sample_edge(0, 8), atol=1e-9
    )
    np.testing.assert_allclose(ab.panels["sq"].edges[0].curvature.params, [[0.5, -0.25]], atol=1e-12)


def test_legacy_list_curvature_is_quadratic():
    legacy = pattern_from_dict(_square_spec([0.5, -0.3])).panels["sq"]
    modern = pattern_from_dict(_square_spec({"type": "quadratic", "params": [[0.5, -0.3]]})).panels["sq"]
    assert legacy.edges[0].curvature.kind == "quadratic"
    np.testing.assert_allclose(legacy.sample_edge(0, 9), modern.sample_edge(0, 9))
    # control (10, -6): B(1/2) = (10, -3), below the square's bottom edge
    f = edge_function(*legacy.edge_points(0), legacy.edges[0].curvature)
    np.testing.assert_allclose(f(np.array([0.5]))[0], [10.0, -3.0], atol=1e-12)


# --------------------------------------------------------------------------- placement


def _rx(a):
    c, s = math.cos(math.radians(a)), math.sin(math.radians(a))
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _ry(a):
    c, s = math.cos(math.radians(a)), math.sin(math.radians(a))
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rz(a):
    c, s = math.cos(math.radians(a)), math.sin(math.radians(a))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def _panel(rotation, translation=(0.0, 0.0, 0.0)) -> Panel:
    return Panel(
        "p",
        np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]),
        [],
        translation=np.array(translation, float),
        rotation=np.array(rotation, float),
    )


def test_to_3d_rotation_y90_maps_x_to_minus_z():
    p = _panel([0, 90, 0], [5.0, 6.0, 7.0])
    out = p.to_3d(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    np.testing.assert_allclose(out[0], [5, 6, 7], atol=1e-12)
    np.testing.assert_allclose(out[1] - out[0], [0, 0, -1], atol=1e-12)
    np.testing.assert_allclose(out[2] - out[0], [0, 1, 0], atol=1e-12)


@pytest.mark.parametrize("rot", [[90, 0, 90], [30, -50, 20], [0, 0, 40], [-10, 170, 5]])
def test_to_3d_extrinsic_xyz(rot):
    expected = _rz(rot[2]) @ _ry(rot[1]) @ _rx(rot[0])
    p = _panel(rot, [1.0, -2.0, 3.0])
    pts = np.array([[2.0, 0.5], [-1.0, 4.0]])
    want = np.concatenate([pts, np.zeros((2, 1))], axis=1) @ expected.T + [1.0, -2.0, 3.0]
    np.testing.assert_allclose(p.to_3d(pts), want, atol=1e-12)
    if rot == [90, 0, 90]:  # x -> y, y -> z (an intrinsic order would give y -> -x)
        np.testing.assert_allclose(
            p.to_3d(np.array([[1.0, 0.0], [0.0, 1.0]])) - p.translation, np.eye(3)[1:3], atol=1e-12
        )


def test_sleeve_hangs_outward_and_down():
    p = load_pattern(SHIRT)
    for name, sign in (("right_sleeve", 1), ("left_sleeve", -1)):
        s = p.panels[name]
        cap_top, cuff_mid = s.to_3d(np.array([[0.0, 51.0], [0.0, 0.0]]))
        d = (cuff_mid - cap_top) / 51.0
        # rotation 40 deg about z of the local -y axis: (sin 40, -cos 40) (mirrored for the left)
        np.testing.assert_allclose(d, [sign * math.sin(math.radians(40)), -math.cos(math.radians(40)), 0])


# --------------------------------------------------------------------------- writing


def _assert_same_pattern(a, b):
    assert a.panel_names == b.panel_names
    for name in a.panel_names:
        pa, pb = a.panels[name], b.panels[name]
        np.testing.assert_allclose(pb.vertices, pa.vertices, atol=1e-12)
        np.testing.assert_allclose(pb.translation, pa.translation, atol=1e-12)
        np.testing.assert_allclose(pb.rotation, pa.rotation, atol=1e-12)
        assert pb.label == pa.label
        assert len(pa.edges) == len(pb.edges)
        for i, (ea, eb) in enumerate(zip(pa.edges, pb.edges, strict=True)):
            assert (ea.start, ea.end, ea.label) == (eb.start, eb.end, eb.label)
            assert (ea.curvature is None) == (eb.curvature is None)
            if ea.curvature is not None:
                assert ea.curvature.kind == eb.curvature.kind
                np.testing.assert_allclose(eb.curvature.params, ea.curvature.params, atol=1e-12)
            np.testing.assert_allclose(pb.sample_edge(i, 12), pa.sample_edge(i, 12), atol=1e-9)
    assert a.stitches == b.stitches


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_dict_round_trip(path):
    p = load_pattern(path)
    d = pattern_to_dict(p)
    assert d["properties"]["units_in_meter"] == 100
    assert d["pattern"]["panel_order"] == p.panel_names
    back = pattern_from_dict(json.loads(json.dumps(d)), source="<rt>")
    _assert_same_pattern(p, back)


def test_round_trip_does_not_modify_input_dict():
    data = json.loads(SKIRT_M.read_text())
    before = copy.deepcopy(data)
    pattern_to_dict(pattern_from_dict(data))
    assert data == before


def test_save_pattern_writes_loadable_json(tmp_path):
    p = load_pattern(SHIRT)
    out = save_pattern(p, tmp_path / "copy_specification.json")
    assert out == tmp_path / "copy_specification.json"
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) == {"pattern", "parameters", "parameter_order", "properties"}
    assert sorted(x.name for x in tmp_path.iterdir()) == ["copy_specification.json"]  # no temp file left
    back = load_pattern(out)
    assert back.name == "copy"
    _assert_same_pattern(p, back)
    # overwriting in place works too
    save_pattern(back, out)
    _assert_same_pattern(p, load_pattern(out))


def test_a_panel_order_that_repeats_names_parses_each_panel_once(monkeypatch):
    """Fuzz case 3025: a panel_order of 100k copies of a name parsed that panel 100k times
    (229 s); the order keeps its first mention of each name."""
    import core.pattern as pattern_module

    data = json.loads((DATA / "gc_flare_skirt_specification.json").read_text())
    names = list(data["pattern"]["panels"])
    data["pattern"]["panel_order"] = [names[-1]] * 100_000 + names
    calls = []
    real = pattern_module._parse_panel
    monkeypatch.setattr(pattern_module, "_parse_panel", lambda r, n, *a: calls.append(n) or real(r, n, *a))
    p = pattern_from_dict(data, source="order.json")
    assert sorted(calls) == sorted(names) and next(iter(p.panels)) == names[-1]
