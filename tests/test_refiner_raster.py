"""Chart images: coverage, linear fields round-trip, boundary fill, the texel limit."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from paths import ROOT

from core.boxmesh import build_box_mesh
from core.errors import MeshError
from core.pattern import load_pattern
from core.refiner.charts import charts_from_panels
from core.refiner.raster import build_rasterizer

SHIRT = ROOT / "tests" / "data" / "gc_shirt_specification.json"


@pytest.fixture(scope="module")
def charts():
    m = build_box_mesh(load_pattern(SHIRT), 1.2)
    return charts_from_panels(m.panel_ids, m.uv, m.faces, m.panel_names, m.seam_pairs)


def test_masks_cover_each_panel_at_the_pitch(charts):
    r = build_rasterizer(charts, pitch=0.5)
    face_chart = charts.chart[charts.faces[:, 0]]
    for c, mask in enumerate(r.masks):
        tri = charts.faces[face_chart == c]
        area = trimesh.Trimesh(np.c_[charts.uv, np.zeros(charts.n_points)], tri, process=False).area
        assert mask.sum() * 0.25 == pytest.approx(area, rel=0.05), charts.names[c]
        assert not mask[0].any() and not mask[:, 0].any()  # the margin is outside the cloth


def test_linear_fields_round_trip_inside_and_within_a_pixel_at_the_boundary(charts):
    r = build_rasterizer(charts, pitch=0.5)
    grad = np.array([2.0, 3.0])
    values = charts.uv @ grad + 1.0
    back = r.sample(r.rasterize(values))[:, 0]
    err = np.abs(back - values)
    assert np.median(err) < 1e-6
    assert err.max() <= 1.5 * 0.5 * np.linalg.norm(grad)
    # images are filled outside the cloth with the nearest cloth value, not zeros
    img = r.rasterize(values)[0][0]
    assert img[~r.masks[0]].min() >= values[charts.chart == 0].min() - 1.0


def test_finer_pitch_samples_smooth_fields_closer(charts):
    values = np.sin(charts.uv[:, 0] / 3.0) * np.cos(charts.uv[:, 1] / 4.0)
    errs = []
    for pitch in (1.0, 0.5, 0.25):
        r = build_rasterizer(charts, pitch=pitch)
        errs.append(np.median(np.abs(r.sample(r.rasterize(values))[:, 0] - values)))
    assert errs[0] > errs[1] > errs[2]
    assert errs[1] < 0.01


def test_oversized_inputs_are_refused_with_the_numbers(charts):
    with pytest.raises(MeshError, match="texels"):
        build_rasterizer(charts, pitch=0.5, max_texels=10_000)
