"""Stitch check: edge lengths, doubled and missing edges, 3D seam gaps and per-vertex status."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from core.boxmesh import build_box_mesh
from core.pattern import load_pattern, pattern_from_dict
from core.stitch_check import SEAM_BAD, SEAM_NONE, SEAM_OK, check_stitches

DATA = Path(__file__).parent / "data"
SKIRT = DATA / "gc_flare_skirt_specification.json"
SHIRT = DATA / "gc_shirt_specification.json"

SIDE_SEAM = 2  # skirt stitch #2: front_left edge 1 <-> back_left edge 2 (straight, 3D gap 30 cm)


def _skirt_dict() -> dict:
    return json.loads(SKIRT.read_text())


@pytest.fixture(scope="module")
def skirt_mesh():
    pattern = load_pattern(SKIRT)
    return pattern, build_box_mesh(pattern, edge_length=3.0)


@pytest.mark.parametrize("path", [SKIRT, SHIRT], ids=lambda p: p.stem)
def test_consistent_pattern_is_fully_accurate(path):
    report = check_stitches(load_pattern(path))
    assert report.stitch_accuracy == 1.0
    assert report.bad_stitches == []
    assert all(s.exists and not s.duplicate and s.mismatch_cm < 0.05 for s in report.stitches)
    assert report.max_gap_cm is None and report.vertex_status is None


def test_length_mismatch_lists_exactly_that_stitch():
    data = _skirt_dict()
    fl = data["pattern"]["panels"]["front_left"]
    fl["vertices"][1] = [38.0, 2.0]  # changes the (free) hem and the side seam only
    report = check_stitches(pattern_from_dict(data))
    bad = report.bad_stitches
    assert [s.index for s in bad] == [SIDE_SEAM]
    assert (bad[0].a, bad[0].b) == ("front_left:1", "back_left:2")
    # side seams are straight: front (38, 2) -> (17, 60), back (17, 60) -> (34, 3)
    front, back = math.hypot(38 - 17, 60 - 2), math.hypot(34 - 17, 60 - 3)
    assert bad[0].a_length_cm == pytest.approx(front, abs=1e-9)
    assert bad[0].b_length_cm == pytest.approx(back, abs=1e-9)
    assert bad[0].mismatch_cm == pytest.approx(front - back, abs=1e-9)
    assert any("length mismatch" in r for r in bad[0].reasons)
    assert report.stitch_accuracy == pytest.approx(9 / 10)
    text = report.format_text()
    assert "BAD" in text and "front_left:1" in text


def test_mismatch_within_tolerance_is_ok():
    data = _skirt_dict()
    data["pattern"]["panels"]["front_left"]["vertices"][1] = [35.0, 3.0]  # side seam ~0.29 cm longer
    report = check_stitches(pattern_from_dict(data), length_tol_cm=1.0)
    assert report.stitch_accuracy == 1.0
    tight = check_stitches(pattern_from_dict(data), length_tol_cm=0.1)
    assert tight.bad_stitches[0].mismatch_cm == pytest.approx(math.hypot(18, 57) - math.hypot(17, 57))
    assert [s.index for s in tight.bad_stitches] == [SIDE_SEAM]


def test_curved_edge_mismatch_in_cm_from_metres_file():
    """A metres file: mismatch is reported in cm; the waist arc is r * angle."""
    data = json.loads((DATA / "gc_flare_skirt_m_specification.json").read_text())
    wb = data["pattern"]["panels"]["wb_front"]
    for v in wb["vertices"]:  # widen the front waistband's right half by 2 cm (0.02 m)
        if v[0] > 0:
            v[0] += 0.02
    report = check_stitches(pattern_from_dict(data))
    by_pair = {(s.a, s.b): s for s in report.bad_stitches}
    waist = by_pair[("front_left:2", "wb_front:1")]
    arc = 2 * 40 * math.asin(17 / 80)  # chord 17 cm, radius 40 cm
    assert waist.a_length_cm == pytest.approx(arc, rel=1e-5)
    assert waist.mismatch_cm == pytest.approx(2.0, abs=1e-3)
    # the right side of the waistband moved too, but it stays stitched to an edge that moved with it
    assert set(by_pair) == {("front_left:2", "wb_front:1")}


def test_edge_stitched_twice_is_flagged():
    data = _skirt_dict()
    stitches = data["pattern"]["stitches"]
    # the front centre edge stitched a second time, to the back centre
    stitches.append([{"panel": "front_right", "edge": 0}, {"panel": "back_right", "edge": 3}])
    report = check_stitches(pattern_from_dict(data))
    dup = {s.index for s in report.stitches if s.duplicate}
    # front_right:0 is in stitch 0 and 10; back_right:3 is in stitch 1 and 10
    assert dup == {0, 1, 10}
    assert {s.index for s in report.bad_stitches} == {0, 1, 10}
    assert all("more than once" in " ".join(s.reasons) for s in report.bad_stitches)
    # lengths 60 vs 61: below the default tolerance, so only doubling is reported for #10
    assert report.stitches[10].mismatch_cm == pytest.approx(1.0, abs=1e-9)


def test_missing_panel_and_edge_reported_with_strict_false():
    data = _skirt_dict()
    data["pattern"]["stitches"].append([{"panel": "pocket", "edge": 0}, {"panel": "front_left", "edge": 0}])
    data["pattern"]["stitches"].append([{"panel": "wb_back", "edge": 9}, {"panel": "back_left", "edge": 3}])
    report = check_stitches(pattern_from_dict(data, strict=False))
    bad = {s.index: s for s in report.bad_stitches}
    assert set(bad) == {10, 11}
    assert not bad[10].exists and bad[10].a_length_cm is None and bad[10].mismatch_cm is None
    assert "missing edge pocket:0" in bad[10].reasons
    assert bad[10].b_length_cm == pytest.approx(load_pattern(SKIRT).panels["front_left"].edge_length(0))
    assert "missing edge wb_back:9" in bad[11].reasons
    # the box mesh skips dangling stitches and the 3D check still runs
    mesh = build_box_mesh(pattern_from_dict(data, strict=False), 4.0)
    with_mesh = check_stitches(pattern_from_dict(data, strict=False), mesh)
    assert with_mesh.stitches[10].gap_cm is None
    json.dumps(with_mesh.to_dict())


def test_box_mesh_has_large_gaps(skirt_mesh):
    pattern, mesh = skirt_mesh
    report = check_stitches(pattern, mesh)
    # front panels at z = +15, back panels at z = -15, same x/y along the side seams
    side = report.stitches[SIDE_SEAM]
    assert side.gap_cm == pytest.approx(30.0, abs=1e-6)
    assert report.max_gap_cm >= 30.0
    assert SIDE_SEAM in {s.index for s in report.bad_stitches}
    # the centre front panels are placed 2 cm apart (translations x = +1 and -1)
    assert report.stitches[0].gap_cm == pytest.approx(2.0, abs=1e-6)
    assert report.stitch_accuracy < 0.5


def _welded(mesh):
    v, _, index = mesh.welded()
    return mesh.with_vertices(v[index])


def test_welded_mesh_has_no_gaps(skirt_mesh):
    pattern, mesh = skirt_mesh
    closed = _welded(mesh)
    report = check_stitches(pattern, closed)
    assert report.max_gap_cm == pytest.approx(0.0, abs=1e-3)
    assert report.stitch_accuracy == 1.0
    assert report.seam_groups > 0
    status = report.vertex_status
    assert status.shape == (mesh.n_vertices,)
    assert set(np.unique(status)) == {SEAM_NONE, SEAM_OK}
    # every seam-pair vertex is a seam vertex; the panel interiors are not
    assert (status[mesh.seam_pairs.ravel()] == SEAM_OK).all()
    assert (status == SEAM_NONE).sum() > mesh.n_vertices // 2


def test_moving_one_seam_vertex_breaks_only_its_seam(skirt_mesh):
    pattern, mesh = skirt_mesh
    closed = _welded(mesh)
    fl = pattern.panels["front_left"]
    a, b = fl.edge_points(1)  # side seam (34, 3) -> (17, 60)
    pid = mesh.panel_names.index("front_left")
    cand = np.flatnonzero(mesh.panel_ids == pid)
    rel = mesh.uv[cand] - a
    t = rel @ (b - a) / np.dot(b - a, b - a)
    off = np.abs(rel[:, 0] * (b - a)[1] - rel[:, 1] * (b - a)[0]) / np.linalg.norm(b - a)
    on_side = cand[(off < 1e-9) & (t > 0.3) & (t < 0.7)]
    assert len(on_side) >= 3
    v = on_side[len(on_side) // 2]
    moved = closed.vertices.copy()
    moved[v] += np.array([0.6, 0.0, 0.8]) * 2.0  # 2 cm
    report = check_stitches(pattern, closed.with_vertices(moved))
    assert [s.index for s in report.bad_stitches] == [SIDE_SEAM]
    assert report.bad_stitches[0].gap_cm == pytest.approx(2.0, abs=1e-3)
    assert report.max_gap_cm == pytest.approx(2.0, abs=1e-3)
    assert any("3D gap" in r for r in report.bad_stitches[0].reasons)
    status = report.vertex_status
    assert status[v] == SEAM_BAD
    # its partner on the back panel is bad too; vertices of other seams stay ok
    partners = {int(x) for p in mesh.seam_pairs if v in p for x in p} - {int(v)}
    assert partners and all(status[p] == SEAM_BAD for p in partners)
    bl = mesh.panel_names.index("back_left")
    assert ((status == SEAM_BAD) & ~np.isin(mesh.panel_ids, [pid, bl])).sum() == 0
    centre = pattern.panels["front_right"]
    fr = np.flatnonzero(mesh.panel_ids == mesh.panel_names.index("front_right"))
    on_centre = fr[np.abs(mesh.uv[fr, 0] - centre.vertices[0, 0]) < 1e-9]
    assert len(on_centre) > 3 and (status[on_centre] == SEAM_OK).all()


def test_to_dict_is_json(skirt_mesh):
    pattern, mesh = skirt_mesh
    report = check_stitches(pattern, mesh)
    d = report.to_dict()
    assert {"panels", "stitches", "stitch_accuracy", "bad_stitches"} <= set(d)
    assert d["panels"] == pattern.panel_names
    assert d["stitches"] == len(pattern.stitches)
    assert d["stitch_accuracy"] == report.stitch_accuracy
    back = json.loads(json.dumps(d))
    assert [b["index"] for b in back["bad_stitches"]] == [s.index for s in report.bad_stitches]
    assert back["bad_stitches"][0]["a"].count(":") == 1
    assert back["max_gap_cm"] == pytest.approx(report.max_gap_cm)
    # without a mesh too
    json.dumps(check_stitches(pattern).to_dict())
