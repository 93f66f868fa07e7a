"""Parametric garment families: valid sampled patterns, design directions, rejections, placement."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from core.garments import FAMILIES, DesignRejected, default_body, sample_design, sample_pattern, validate
from core.garments.base import girth
from core.garments.bodydims import BodyDims
from core.pattern import Edge, Panel, Pattern, Stitch, StitchSide, pattern_from_dict, pattern_to_dict

NAMES = sorted(FAMILIES)
SEEDS = range(20)


def _samples(name: str) -> list[tuple[Pattern, dict]]:
    return [sample_pattern(FAMILIES[name], seed) for seed in SEEDS]


_CACHE: dict[str, list[tuple[Pattern, dict]]] = {}


def samples(name: str) -> list[tuple[Pattern, dict]]:
    if name not in _CACHE:
        _CACHE[name] = _samples(name)
    return _CACHE[name]


def world_outline(panel: Panel) -> np.ndarray:
    return panel.to_3d(panel.outline(1.0))


def world_range(panel: Panel, axis: int) -> float:
    w = world_outline(panel)[:, axis]
    return float(w.max() - w.min())


def test_registry():
    assert set(FAMILIES) == {"tshirt", "skirt", "dress", "trousers"}
    for name, family in FAMILIES.items():
        assert family.name == name
        names = [p.name for p in family.params]
        assert len(names) == len(set(names))
        for p in family.params:
            assert p.low <= p.default <= p.high, p
            assert p.doc


@pytest.mark.parametrize("name", NAMES)
def test_default_design_is_valid(name):
    family = FAMILIES[name]
    pattern = family.build()
    assert validate(pattern) == []
    assert family.fit_reasons(pattern) == []
    assert pattern.stitches
    assert pattern.properties["garment_family"] == name
    assert set(pattern.parameters) == {p.name for p in family.params}


@pytest.mark.parametrize("name", NAMES)
def test_sampled_patterns_are_valid_and_round_trip(name):
    family = FAMILIES[name]
    for pattern, design in samples(name):
        assert validate(pattern) == [], (design, validate(pattern))
        assert family.fit_reasons(pattern) == [], design
        for p in family.params:
            assert p.low <= design[p.name] <= p.high
        data = json.loads(json.dumps(pattern_to_dict(pattern)))
        back = pattern_from_dict(data)
        assert list(back.panels) == list(pattern.panels)
        assert back.stitches == pattern.stitches
        for pname, panel in pattern.panels.items():
            other = back.panels[pname]
            np.testing.assert_allclose(other.vertices, panel.vertices, atol=1e-9)
            np.testing.assert_allclose(other.translation, panel.translation, atol=1e-9)
            np.testing.assert_allclose(other.to_3d(other.vertices), panel.to_3d(panel.vertices), atol=1e-6)
            for i in range(len(panel.edges)):
                assert other.edge_length(i) == pytest.approx(panel.edge_length(i), abs=1e-6)
        assert validate(back) == []


@pytest.mark.parametrize("name", NAMES)
def test_sampling_is_reproducible(name):
    a = sample_pattern(FAMILIES[name], 7)[1]
    b = sample_pattern(FAMILIES[name], 7)[1]
    assert a == b
    design = sample_design(FAMILIES[name], np.random.default_rng(3))
    assert FAMILIES[name].check_design(design) == []


@pytest.mark.parametrize("name", NAMES)
def test_stitched_edges_match_and_face_each_other(name):
    """Stitched edges have equal lengths and, placed in 3D, pair up in reversed order (the
    order the box mesh picks by distance) without crossing the body to meet."""
    for pattern, design in [(FAMILIES[name].build(), {}), *samples(name)[:8]]:
        for k, s in enumerate(pattern.stitches):
            pa, pb = pattern.panels[s.a.panel], pattern.panels[s.b.panel]
            assert pa.edge_length(s.a.edge) == pytest.approx(pb.edge_length(s.b.edge), abs=0.3), (k, design)
            a = pa.to_3d(pa.sample_edge(s.a.edge, 20))
            b = pb.to_3d(pb.sample_edge(s.b.edge, 20))
            same = np.linalg.norm(a - b, axis=1).mean()
            rev = np.linalg.norm(a - b[::-1], axis=1).mean()
            assert rev < same - 0.02, (k, s, same, rev, design)
            assert rev < 60.0, (k, s, rev, design)


@pytest.mark.parametrize("name", NAMES)
def test_box_mesh_and_stitch_check(name):
    from core.boxmesh import build_box_mesh
    from core.stitch_check import check_stitches

    pattern = FAMILIES[name].build()
    mesh = build_box_mesh(pattern, edge_length=3.0)
    assert len(mesh.seam_pairs) > 0
    report = check_stitches(pattern)
    assert report.stitch_accuracy == 1.0, report.format_text()


# --------------------------------------------------------------------------- design directions


def test_tshirt_directions():
    f = FAMILIES["tshirt"]
    short, long_ = f.build({"length": 50}), f.build({"length": 80})
    assert world_range(long_.panels["front"], 1) > world_range(short.panels["front"], 1) + 25
    narrow, wide = f.build({"width_ease": 8}), f.build({"width_ease": 24})
    assert world_range(wide.panels["front"], 0) > world_range(narrow.panels["front"], 0) + 3.5
    y = default_body()
    bust_y = BodyDims.from_body(y).bust_y - 3
    assert girth(wide, bust_y, ["front", "back"]) > girth(narrow, bust_y, ["front", "back"]) + 15
    s1, s2 = f.build({"sleeve_length": 0.3}), f.build({"sleeve_length": 0.9})
    sleeve = "left_sleeve_front"
    assert world_range(s2.panels[sleeve], 0) > world_range(s1.panels[sleeve], 0) + 15
    n1, n2 = f.build({"neck_depth": 5}), f.build({"neck_depth": 15})
    assert world_outline(n2.panels["front"])[:, 1].max() == pytest.approx(
        world_outline(n1.panels["front"])[:, 1].max()
    )
    assert _neck_bottom(n2) < _neck_bottom(n1) - 9


def _neck_bottom(pattern: Pattern) -> float:
    front = pattern.panels["front"]
    i = next(i for i, e in enumerate(front.edges) if e.label == "neckline")
    return float(front.to_3d(front.sample_edge(i, 50))[:, 1].min())


def test_skirt_directions():
    f = FAMILIES["skirt"]
    for n in (2, 4):
        short, long_ = f.build({"length": 40, "panels": n}), f.build({"length": 90, "panels": n})
        name = "front" if n == 2 else "front_left"
        assert short.panels[name].outline()[:, 1].ptp() + 45 < long_.panels[name].outline()[:, 1].ptp()
        straight, flared = f.build({"flare": 0.0, "panels": n}), f.build({"flare": 0.8, "panels": n})
        hem = [_edge_len(p, name, "hem") for p in (straight, flared)]
        assert hem[1] > hem[0] + 10
        assert len(short.panels) == n
        # the waist sits at the body's waist
        top = max(world_outline(p)[:, 1].max() for p in short.panels.values())
        assert top == pytest.approx(BodyDims.from_body(None).waist_y, abs=1.0)


def _edge_len(pattern: Pattern, panel: str, label: str) -> float:
    p = pattern.panels[panel]
    return sum(p.edge_length(i) for i, e in enumerate(p.edges) if e.label == label)


def test_dress_directions():
    f = FAMILIES["dress"]
    short, long_ = f.build({"length": 90}), f.build({"length": 130})
    assert world_range(long_.panels["front"], 1) > world_range(short.panels["front"], 1) + 35
    straight, flared = f.build({"flare": 0.0}), f.build({"flare": 1.0})
    assert _edge_len(flared, "front", "hem") > _edge_len(straight, "front", "hem") + 20
    assert len(f.build({"sleeves": 0}).panels) == 2
    with_sleeves = f.build({"sleeves": 1})
    assert len(with_sleeves.panels) == 6 and len(with_sleeves.stitches) == 8 + 8


def test_trousers_directions():
    f = FAMILIES["trousers"]
    shorts, full = f.build({"length": 0.4}), f.build({"length": 0.95})
    assert world_range(full.panels["left_front"], 1) > world_range(shorts.panels["left_front"], 1) + 55
    slim, wide = f.build({"leg_width": 0.0}), f.build({"leg_width": 1.0})
    assert _edge_len(wide, "left_front", "hem") > _edge_len(slim, "left_front", "hem") + 8
    body = BodyDims.from_body(None)
    top = max(world_outline(p)[:, 1].max() for p in full.panels.values())
    assert body.waist_y <= top <= body.waist_y + 4.0  # the back rises a little above the waist


def test_sizes_follow_the_body():
    body = default_body()
    big = dataclasses.replace(body, bust=body.bust + 20, waist=body.waist + 20, hips=body.hips + 20)
    for name, panel in (("tshirt", "front"), ("dress", "front"), ("trousers", "left_back")):
        small_p, big_p = FAMILIES[name].build(None, body), FAMILIES[name].build(None, big)
        assert world_range(big_p.panels[panel], 0) > world_range(small_p.panels[panel], 0) + 3
        assert FAMILIES[name].fit_reasons(big_p, big) == []
    small_s, big_s = FAMILIES["skirt"].build(None, body), FAMILIES["skirt"].build(None, big)
    assert _edge_len(big_s, "front_left", "waist") > _edge_len(small_s, "front_left", "waist") + 4
    tall = dataclasses.replace(body, height=body.height + 20, inseam=body.inseam + 9)
    a = FAMILIES["trousers"].build({"length": 0.5}, body).panels["left_front"]
    b = FAMILIES["trousers"].build({"length": 0.5}, tall).panels["left_front"]
    assert world_outline(b)[:, 1].min() > world_outline(a)[:, 1].min() + 5
    assert world_range(b, 1) > world_range(a, 1) + 5


# --------------------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    ("name", "design", "words"),
    [
        ("tshirt", {"length": -10}, "length"),
        ("tshirt", {"sleeve_ease": 19, "armhole_drop": 2}, "wider than the armhole"),
        ("tshirt", {"sleeve_ease": -2}, "outside its range"),
        ("tshirt", {"colour": 3}, "unknown design parameter"),
        ("tshirt", {"length": float("nan")}, "finite"),
        ("skirt", {"length": 200}, "length"),
        ("skirt", {"length": 10}, "length"),
        ("dress", {"sleeves": 1, "sleeve_ease": 13, "armhole_drop": 1}, "wider than the armhole"),
        ("dress", {"length": 60}, "length"),
        ("trousers", {"length": 0.31, "crotch_drop": 6}, "ends above the crotch"),
        ("trousers", {"length": -5}, "length"),
    ],
)
def test_invalid_designs_are_rejected(name, design, words):
    family = FAMILIES[name]
    with pytest.raises(DesignRejected) as err:
        family.build(design)
    assert err.value.reasons
    assert any(words in r for r in err.value.reasons), err.value.reasons
    assert family.check_design(design)


def test_sample_pattern_raises_when_nothing_fits():
    body = dataclasses.replace(default_body(), height=60.0, inseam=20.0)  # a doll: no dress fits
    with pytest.raises(DesignRejected):
        sample_pattern(FAMILIES["dress"], 0, body, max_tries=3)


# --------------------------------------------------------------------------- validate


def _square(name: str, size: float = 10.0, x0: float = 0.0) -> Panel:
    v = np.array([[x0, 0], [x0 + size, 0], [x0 + size, size], [x0, size]], float)
    return Panel(name, v, [Edge(i, (i + 1) % 4) for i in range(4)])


def test_validate_finds_problems():
    a1_b3 = [Stitch(StitchSide("a", 1), StitchSide("b", 3))]
    ok = Pattern("ok", {"a": _square("a"), "b": _square("b")}, a1_b3)
    assert validate(ok) == []
    bow = _square("bow")
    bow.vertices = bow.vertices[[0, 2, 1, 3]]  # a bow tie
    assert any("intersects itself" in r for r in validate(Pattern("p", {"bow": bow})))
    tiny = _square("tiny", 2.0)
    assert any("tiny" in r for r in validate(Pattern("p", {"tiny": tiny})))
    long_ = _square("long", 14.0)
    a1_long3 = [Stitch(StitchSide("a", 1), StitchSide("long", 3))]
    bad = Pattern("p", {"a": _square("a"), "long": long_}, a1_long3)
    assert any("cm but" in r for r in validate(bad))
    missing = Pattern("p", {"a": _square("a")}, [Stitch(StitchSide("a", 1), StitchSide("z", 0))])
    assert any("missing edge" in r for r in validate(missing))
    nan = _square("nan")
    nan.translation = np.array([0.0, np.nan, 0.0])
    assert any("non-finite" in r for r in validate(Pattern("p", {"nan": nan})))
    twice = Pattern(
        "p",
        {"a": _square("a"), "b": _square("b"), "c": _square("c")},
        [Stitch(StitchSide("a", 1), StitchSide("b", 3)), Stitch(StitchSide("a", 1), StitchSide("c", 3))],
    )
    assert any("already used" in r for r in validate(twice))


# --------------------------------------------------------------------------- placement


def _proxy_hits(pattern: Pattern, margin: float = 1.0) -> list[str]:
    body = BodyDims.from_body(None)
    hits = []
    for name, panel in pattern.panels.items():
        inside = body.proxy_inside(world_outline(panel), margin)
        if inside.any():
            hits.append(f"{name}: {int(inside.sum())} outline points inside the body proxy")
    return hits


@pytest.mark.parametrize("name", NAMES)
def test_panels_start_outside_the_body_proxy(name):
    for pattern, design in [(FAMILIES[name].build(), {}), *samples(name)]:
        assert _proxy_hits(pattern) == [], design


@pytest.mark.parametrize("name", NAMES)
def test_front_panels_in_front_back_panels_behind(name):
    pattern = FAMILIES[name].build()
    for pname, panel in pattern.panels.items():
        z = world_outline(panel)[:, 2]
        normal = panel.rotation_matrix()[:, 2]
        if "front" in pname:
            assert z.min() > 0 and normal[2] > 0, pname
        elif "back" in pname:
            assert z.max() < 0 and normal[2] < 0, pname
    if name in ("tshirt", "dress"):  # sleeves turned with the A-pose arms
        angle = BodyDims.from_body(None).arm_angle_deg
        sleeve = FAMILIES[name].build({"sleeves": 1} if name == "dress" else {}).panels["left_sleeve_front"]
        axis = sleeve.rotation_matrix()[:, 0]
        assert np.degrees(np.arctan2(axis[0], -axis[1])) == pytest.approx(angle)


def _inside_mesh(vertices: np.ndarray, faces: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Generalised winding number > 1/2: inside a closed (or nearly closed) triangle mesh."""
    tri = vertices[faces]
    inside = np.zeros(len(points), bool)
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    todo = np.flatnonzero(np.all((points >= lo) & (points <= hi), axis=1))
    for start in range(0, len(todo), 64):
        idx = todo[start : start + 64]
        a, b, c = (tri[None, :, k, :] - points[idx, None, :] for k in range(3))
        la, lb, lc = (np.linalg.norm(v, axis=2) for v in (a, b, c))
        det = np.einsum("ijk,ijk->ij", a, np.cross(b, c))
        div = (
            la * lb * lc
            + np.einsum("ijk,ijk->ij", a, b) * lc
            + np.einsum("ijk,ijk->ij", b, c) * la
            + np.einsum("ijk,ijk->ij", c, a) * lb
        )
        inside[idx] = np.abs(np.arctan2(det, div).sum(axis=1)) / (2 * np.pi) > 0.5
    return inside


def test_panels_start_outside_the_body_mesh():
    """With the parametric mannequin available, no panel outline point starts inside it."""
    body_mod = pytest.importorskip("core.body")
    params = body_mod.BodyParams()
    mesh = body_mod.make_body(params)
    vertices, faces = np.asarray(mesh.vertices, float), np.asarray(mesh.faces)
    for name in NAMES:
        family = FAMILIES[name]
        patterns = [family.build(None, params), *(sample_pattern(family, s, params)[0] for s in range(2))]
        for pattern in patterns:
            for pname, panel in pattern.panels.items():
                pts = panel.to_3d(panel.outline(2.0))
                if hasattr(body_mod, "signed_distance_inside"):
                    inside = body_mod.signed_distance_inside(mesh, pts)
                else:
                    inside = _inside_mesh(vertices, faces, pts)
                assert not inside.any(), f"{name}/{pname}: {int(inside.sum())} points inside make_body()"
