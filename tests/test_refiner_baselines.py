"""Baselines on cases with known answers: strain wrinkles keep the cloth's length; spectrum
noise reproduces the spectrum it was fitted on."""

from __future__ import annotations

import numpy as np
import pytest

from core.refiner.baselines import WAVELENGTH_CM, SpectrumNoise, strain_wrinkles
from core.refiner.features import CONDITION_CHANNELS

CH = {n: i for i, n in enumerate(CONDITION_CHANNELS)}


def _cond(h: int, w: int, compression: float, theta: float, known: bool = True) -> np.ndarray:
    c = np.zeros((len(CONDITION_CHANNELS), h, w), np.float32)
    c[CH["log_stretch_min"]] = np.log(1 - compression)
    c[CH["compress_cos2"]], c[CH["compress_sin2"]] = np.cos(2 * theta), np.sin(2 * theta)
    c[CH["strain_known"]] = float(known)
    c[CH["mask"]] = 1
    return c


def test_strain_wrinkles_run_across_the_compression_with_a_length_keeping_amplitude():
    pitch, lam = 0.5, WAVELENGTH_CM["mid"]
    out = strain_wrinkles(_cond(80, 120, 0.1, 0.0), pitch, "mid")
    n = out[2]
    expected = lam * np.sqrt(0.1) / np.pi
    assert n.std() * np.sqrt(2) == pytest.approx(expected, rel=0.02)  # a sinusoid's std is A / sqrt 2
    assert np.allclose(out[:2], 0)
    # compressed along u: the folds vary along u (columns) and not along v (rows)
    assert np.allclose(n[0], n[40], atol=1e-5) and np.std(n[:, 0]) < 1e-5
    spectrum = np.abs(np.fft.rfft(n[40]))
    assert np.argmax(spectrum[1:]) + 1 == round(120 * pitch / lam)
    turned = strain_wrinkles(_cond(80, 120, 0.1, np.pi / 2), pitch, "mid")[2]
    assert np.std(turned[40]) < 1e-5 and np.std(turned[:, 0]) > 0.1


def test_no_compression_or_no_rest_shape_gives_no_wrinkles():
    assert np.allclose(strain_wrinkles(_cond(20, 20, 0.0, 0.0), 0.5, "soft"), 0, atol=1e-6)
    assert np.allclose(strain_wrinkles(_cond(20, 20, 0.2, 0.0, known=False), 0.5, "soft"), 0)


def test_spectrum_noise_reproduces_its_fitted_spectrum_and_variance():
    rng = np.random.default_rng(0)
    pitch = 0.5
    _, u = np.mgrid[0:96, 0:128] * pitch
    targets = [
        np.stack(
            [
                0.2 * rng.standard_normal((96, 128)),
                0 * u,
                0.5 * np.sin(2 * np.pi * u / 4.0) + 0.05 * rng.standard_normal((96, 128)),
            ]
        )
    ]
    masks = [np.ones((96, 128), bool)]
    noise = SpectrumNoise.fit(targets, masks, pitch)
    a = noise.sample((96, 128), np.random.default_rng(1))
    b = noise.sample((96, 128), np.random.default_rng(2))
    assert not np.allclose(a, b)
    for c in (0, 2):
        assert a[c].std() == pytest.approx(targets[0][c].std(), rel=0.15)
    refit = SpectrumNoise.fit([a], masks, pitch)
    peak = np.argmax(noise.power[2])
    assert np.argmax(refit.power[2]) == peak and noise.edges[peak] <= 0.25 <= noise.edges[peak + 1]
    assert SpectrumNoise.from_json(noise.to_json()).power.shape == noise.power.shape
