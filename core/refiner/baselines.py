"""Baselines the refiner is measured against, in the same chart-image space (cm, local frame).

- :func:`strain_wrinkles`: Rohmer et al. (2010) in spirit, no learning: where the base is
  compressed against its rest shape, a sinusoid across the compression direction whose
  amplitude keeps the cloth's length (``A = λ sqrt(c) / π`` for compression ``c``), at a
  wavelength set by the material.
- :class:`SpectrumNoise`: random offsets with the fine drapes' radial power spectrum per
  component, fitted on training residual images: it has the right detail measure by
  construction and shows what placement and fold direction add beyond it.

The base itself (zero offsets), the one-step regression (the refiner's network trained
deterministically: ``--objective regression``) and the per-vertex MLP complete the set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .features import CONDITION_CHANNELS, MATERIALS

WAVELENGTH_CM = {"soft": 3.0, "mid": 5.0, "stiff": 8.0}
MAX_COMPRESSION = 0.3
_CH = {n: i for i, n in enumerate(CONDITION_CHANNELS)}


def strain_wrinkles(cond: np.ndarray, pitch: float, material: str, phase: float = 0.0) -> np.ndarray:
    """(3, H, W) residual (t_u, t_v, n) in cm from one chart's condition image."""
    if material not in MATERIALS:
        raise ValueError(f"material must be one of {', '.join(MATERIALS)}")
    h, w = cond.shape[1:]
    out = np.zeros((3, h, w), np.float32)
    if cond[_CH["strain_known"]].max() < 0.5:
        return out  # no rest shape: no strain, no wrinkles
    lam = WAVELENGTH_CM[material]
    compression = np.clip(1.0 - np.exp(cond[_CH["log_stretch_min"]]), 0.0, MAX_COMPRESSION)
    sigma = 0.5 * lam / pitch
    compression = ndimage.gaussian_filter(compression, sigma)
    theta = 0.5 * np.arctan2(
        ndimage.gaussian_filter(cond[_CH["compress_sin2"]], sigma),
        ndimage.gaussian_filter(cond[_CH["compress_cos2"]], sigma),
    )
    v, u = np.mgrid[0:h, 0:w].astype(np.float64) * pitch  # rows run along v, columns along u
    along = u * np.cos(theta) + v * np.sin(theta)
    out[2] = (lam * np.sqrt(compression) / np.pi * np.sin(2 * np.pi * along / lam + phase)) * cond[
        _CH["mask"]
    ]
    return out


def _radial_bins(shape: tuple[int, int], pitch: float, edges: np.ndarray) -> np.ndarray:
    ky = np.fft.fftfreq(shape[0], d=pitch)
    kx = np.fft.fftfreq(shape[1], d=pitch)
    k = np.hypot(ky[:, None], kx[None, :])
    return np.clip(np.digitize(k, edges) - 1, 0, len(edges) - 2)


@dataclass
class SpectrumNoise:
    """Radial power spectra (cycles/cm bins) of the residual's three components."""

    edges: np.ndarray  # (B + 1,) bin edges, cycles per cm
    power: np.ndarray  # (3, B) mean power per bin (cm^2 per pixel)
    pitch: float

    @classmethod
    def fit(
        cls, targets: list[np.ndarray], masks: list[np.ndarray], pitch: float, bins: int = 24
    ) -> SpectrumNoise:
        """Fit on residual images (3, H, W) in cm and their cloth masks."""
        nyquist = 0.5 / pitch
        edges = np.linspace(0.0, nyquist * np.sqrt(2) + 1e-9, bins + 1)
        total = np.zeros((3, bins))
        count = np.zeros(bins)
        for t, m in zip(targets, masks, strict=True):
            n = m.sum()
            if n < 64:
                continue
            idx = _radial_bins(m.shape, pitch, edges)
            for c in range(3):
                x = np.where(m, t[c] - t[c][m].mean(), 0.0)
                p = np.abs(np.fft.fft2(x)) ** 2 / n
                total[c] += np.bincount(idx.ravel(), p.ravel(), bins)
            count += np.bincount(idx.ravel(), minlength=bins)
        return cls(edges, total / np.maximum(count, 1), pitch)

    def sample(
        self, shape: tuple[int, int], rng: np.random.Generator, mask: np.ndarray | None = None
    ) -> np.ndarray:
        """(3, H, W) random residual with the fitted spectra (zero outside ``mask``)."""
        idx = _radial_bins(shape, self.pitch, self.edges)
        out = np.empty((3, *shape), np.float32)
        for c in range(3):
            white = np.fft.fft2(rng.standard_normal(shape))
            out[c] = np.fft.ifft2(white * np.sqrt(self.power[c][idx])).real
        return out if mask is None else out * mask

    def to_json(self) -> dict:
        return {"edges": self.edges.tolist(), "power": self.power.tolist(), "pitch": self.pitch}

    @classmethod
    def from_json(cls, d: dict) -> SpectrumNoise:
        return cls(np.asarray(d["edges"]), np.asarray(d["power"]), float(d["pitch"]))
