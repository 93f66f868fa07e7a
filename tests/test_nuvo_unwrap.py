"""Packing and orienting Nuvo charts for the refiner: up on the garment becomes +v."""

from __future__ import annotations

import numpy as np

from core.nuvo.unwrap import orient_up, pack_charts
from core.refiner.charts import charts_from_uv_islands


def _sheet(angle: float):
    """A hanging 20 x 40 cm sheet (x across, y up) whose UV is its rest shape turned by angle."""
    xs, ys = np.meshgrid(np.linspace(0, 20, 11), np.linspace(0, 40, 21))
    v = np.c_[xs.ravel(), ys.ravel(), 0.1 * np.sin(xs.ravel())]
    nx = 11
    f = []
    for j in range(20):
        for i in range(10):
            a = j * nx + i
            f += [(a, a + 1, a + nx + 1), (a, a + nx + 1, a + nx)]
    c, s = np.cos(angle), np.sin(angle)
    uv = v[:, :2] @ np.array([[c, -s], [s, c]]).T / 100.0
    return v, np.array(f), charts_from_uv_islands(v, np.array(f), uv, np.array(f))


def _up_gradient(charts, v):
    design = np.c_[charts.uv, np.ones(charts.n_points)]
    return np.linalg.lstsq(design, v[charts.vertex, 1], rcond=None)[0][:2]


def test_a_turned_chart_is_turned_back_so_that_up_is_plus_v():
    for angle in (0.0, 1.0, np.pi / 2, 2.5, -2.0):
        v, _, charts = _sheet(angle)
        g = _up_gradient(orient_up(charts, v), v)
        assert np.allclose(g / np.linalg.norm(g), (0.0, 1.0), atol=1e-6)
        turned = orient_up(charts, v)
        assert turned.uv.min() >= -1e-9  # each chart starts at the origin again
        # a rotation: every chart-point distance kept, no mirror
        d0 = np.linalg.norm(charts.uv[1:] - charts.uv[0], axis=1)
        d1 = np.linalg.norm(turned.uv[1:] - turned.uv[0], axis=1)
        assert np.allclose(d0, d1)


def test_a_flat_lying_chart_keeps_its_orientation():
    v, _, charts = _sheet(0.7)
    flat = v[:, [0, 2, 1]] * np.array([1.0, 0.0, 1.0]) + np.array([0.0, 5.0, 0.0])  # y constant
    assert np.array_equal(orient_up(charts, flat).uv, charts.uv)


def test_packed_charts_share_one_scale_and_do_not_overlap():
    _, _, charts = _sheet(0.3)
    uv, cm_per_uv = pack_charts(charts)
    assert uv.min() >= 0 and uv.max() <= 1 + 1e-12
    assert np.allclose(uv * cm_per_uv - (uv * cm_per_uv).min(axis=0), charts.uv - charts.uv.min(axis=0))
