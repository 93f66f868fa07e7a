"""The inspection maps' values on hand-made cases (core/inspection_maps.py)."""

from __future__ import annotations

import numpy as np
import pytest

from core.inspection_maps import chart_map, error_map, residual_map, strain_map, vertex_strain

TRI = np.array([[0, 1, 2], [1, 3, 2]])
FLAT = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])


def test_a_uniformly_scaled_cloth_has_that_strain_everywhere():
    v = np.c_[FLAT * 1.1, np.zeros(4)]
    assert np.allclose(vertex_strain(v, FLAT, TRI), 0.1)
    m = strain_map(np.c_[FLAT * 0.9, np.zeros(4)], FLAT, TRI)
    assert m.values == pytest.approx([-10.0] * 4) and m.unit == "%"
    assert (
        np.allclose(m.colors[:, 2], m.colors[0, 2]) and m.colors[0, 2] > m.colors[0, 0]
    )  # compression: blue


def test_residual_error_and_chart_maps():
    r = residual_map(np.array([[0.0, 0.3, 0.4], [0.0, 0.0, 0.0]]))  # 0.5 cm
    assert r.values == pytest.approx([5.0, 0.0]) and (r.vmin, r.vmax) == (0.0, 5.0)
    v = np.c_[FLAT, np.zeros(4)]  # same vertices: pairwise distances; else to the nearest vertex
    assert error_map(v + np.array([0, 0, 0.2]), v).values == pytest.approx([2.0] * 4)
    assert error_map(v[:3], v + np.array([0, 0, 0.1])).values == pytest.approx([1.0] * 3)
    c = chart_map(np.array([0, 0, 2, 1]))
    assert c.readout == "3 charts" and not np.allclose(c.colors[0], c.colors[2])
