"""Charts from each source: the pattern (panel ids + pattern uv) and UV islands (GarmentCode's OBJ)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from paths import ROOT

from core.boxmesh import build_box_mesh
from core.errors import MeshError
from core.meshio import read_obj_corners
from core.pattern import load_pattern
from core.refiner.charts import charts_from_panels, charts_from_uv_islands, island_names_from_segmentation

GC = ROOT.parent / "shared" / "garmentcode" / "dress_pencil"
SHIRT = ROOT / "tests" / "data" / "gc_shirt_specification.json"


@pytest.fixture(scope="module")
def pencil():
    return read_obj_corners(GC / "dress_pencil_sim.obj")


def test_obj_corners_keep_file_order_and_uv_seams(pencil):
    assert pencil.vertices.shape == (14425, 3) and pencil.uv.shape == (14905, 2)
    assert pencil.uv_faces.shape == pencil.faces.shape == (28506, 3)
    # a vertex on a UV seam has more than one vt: 480 more corners than vertices
    pairs = np.unique(np.stack([pencil.faces.ravel(), pencil.uv_faces.ravel()], 1), axis=0)
    assert len(pairs) == 14905


def test_obj_polygons_fan_and_negative_indices(tmp_path):
    p = tmp_path / "quad.obj"
    p.write_text(
        "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nf -4/1 -3/2 -2/3 -1/4\n"
    )
    o = read_obj_corners(p)
    assert o.faces.tolist() == [[0, 1, 2], [0, 2, 3]] and o.uv_faces.tolist() == [[0, 1, 2], [0, 2, 3]]
    bad = tmp_path / "bad.obj"
    bad.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n")
    with pytest.raises(MeshError, match="out of range"):
        read_obj_corners(bad)


def test_uv_islands_of_the_garmentcode_drape_are_its_panels_at_true_scale(pencil):
    charts = charts_from_uv_islands(pencil.vertices, pencil.faces, pencil.uv, pencil.uv_faces)
    labels = (GC / "dress_pencil_sim_segmentation.txt").read_text().split()
    names = island_names_from_segmentation(charts, labels)
    spec = json.loads((GC / "dress_pencil_specification.json").read_text())["pattern"]["panels"]
    assert sorted(names) == sorted(spec)
    assert charts.source == "uv_islands" and not charts.rest_known
    assert charts.n_points == 14905 and charts.n_groups == 14425  # one group per mesh vertex
    for c, name in enumerate(names):  # the fitted scale gives the pattern's size in cm
        extent = np.ptp(charts.uv[charts.chart == c], axis=0)
        assert extent == pytest.approx(np.ptp(np.array(spec[name]["vertices"]), axis=0), rel=0.02)
    # offsets averaged over groups: a vertex's points on two islands get one value
    values = np.random.default_rng(0).normal(size=(charts.n_points, 3))
    avg = charts.average_over_groups(values)
    seam = np.flatnonzero(np.bincount(charts.vertex) > 1)
    assert len(seam) > 100
    for v in seam[:20]:
        pts = np.flatnonzero(charts.vertex == v)
        assert np.allclose(avg[pts], values[pts].mean(axis=0))
    assert np.allclose(charts.to_vertices(avg, 14425)[seam[0]], avg[charts.vertex == seam[0]][0])


def test_pattern_charts_join_stitched_vertices():
    mesh = build_box_mesh(load_pattern(SHIRT), 3.0)
    charts = charts_from_panels(mesh.panel_ids, mesh.uv, mesh.faces, mesh.panel_names, mesh.seam_pairs)
    assert charts.rest_known and charts.n_points == mesh.n_vertices
    assert charts.n_groups == mesh.n_vertices - sum(len(g) - 1 for g in mesh.seam_groups())
    values = np.random.default_rng(1).normal(size=(charts.n_points, 3))
    avg = charts.average_over_groups(values)
    a, b = mesh.seam_pairs.T
    assert np.allclose(avg[a], avg[b]) and not np.allclose(values[a], values[b])
    free = np.bincount(charts.group)[charts.group] == 1
    assert np.allclose(avg[free], values[free])
    gaping = mesh.vertices + np.random.default_rng(2).normal(0, 0.3, mesh.vertices.shape)
    closed = charts.close_seams(gaping)
    assert np.allclose(closed[a], closed[b]) and np.allclose(closed[free], gaping[free])


def test_degenerate_uvs_are_refused(pencil):
    with pytest.raises(MeshError, match="zero area"):
        charts_from_uv_islands(pencil.vertices, pencil.faces, np.zeros_like(pencil.uv), pencil.uv_faces)
    with pytest.raises(MeshError, match="do not match"):
        charts_from_uv_islands(pencil.vertices, pencil.faces, pencil.uv, pencil.uv_faces[:10])
