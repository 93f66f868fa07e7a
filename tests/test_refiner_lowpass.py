"""The heat low-pass on a surface: constants pass, short waves go, its scale is physical."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import Delaunay

from core.refiner.lowpass import SurfaceLowpass


def _sheet(size_cm: float, edge_cm: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A jittered triangulated square sheet in the xz plane."""
    n = int(size_cm / edge_cm) + 1
    g = np.linspace(0, size_cm, n)
    xy = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    xy[:, :] += np.random.default_rng(seed).uniform(-0.2, 0.2, xy.shape) * edge_cm
    faces = Delaunay(xy).simplices
    return np.c_[xy[:, 0], np.zeros(len(xy)), xy[:, 1]], faces


def _gain(v, f, wavelength_cm, sigma):
    """Amplitude kept by the low-pass of a sine of ``wavelength`` (middle of the sheet)."""
    x = v[:, 0]
    wave = np.sin(2 * np.pi * x / wavelength_cm)
    out = SurfaceLowpass(v, f, sigma_cm=sigma)(wave)
    mid = (x > 25) & (x < 75) & (v[:, 2] > 25) & (v[:, 2] < 75)
    return float(np.abs(out[mid]).max() / np.abs(wave[mid]).max())


def test_constants_and_linear_fields_pass_unchanged():
    v, f = _sheet(40, 2.0)
    lp = SurfaceLowpass(v, f, sigma_cm=4.0)
    np.testing.assert_allclose(lp(np.full((len(v), 3), 2.5)), 2.5, atol=1e-9)
    assert np.abs(lp.highpass(np.ones(len(v)))).max() < 1e-9


@pytest.mark.parametrize(("edge", "tol"), [(1.0, 0.03), (2.0, 0.06)])  # 2 cm: 5 edges a 10 cm wave
def test_short_waves_go_long_ones_stay_at_any_resolution(edge, tol):
    v, f = _sheet(100, edge)
    sigma = 4.0
    short, long = _gain(v, f, 10.0, sigma), _gain(v, f, 60.0, sigma)
    # a Gaussian of sigma keeps exp(-(2 pi sigma / wavelength)^2 / 2) of a sine; one implicit
    # heat step keeps 1 / (1 + (2 pi sigma / wavelength)^2 / 2): 0.24 at 10 cm, 0.85 at 60 cm
    expect = [1 / (1 + 0.5 * (2 * np.pi * sigma / w) ** 2) for w in (10.0, 60.0)]
    assert short == pytest.approx(expect[0], abs=tol)
    assert long == pytest.approx(expect[1], abs=0.05)


def test_welded_groups_move_together():
    v, f = _sheet(20, 2.0)
    group = np.arange(len(v))
    group[1] = group[0]  # two vertices that are one cloth point
    group = np.unique(group, return_inverse=True)[1]
    vals = np.random.default_rng(1).standard_normal((len(v), 3))
    out = SurfaceLowpass(v, f, group, sigma_cm=2.0)(vals)
    np.testing.assert_allclose(out[0], out[1])
