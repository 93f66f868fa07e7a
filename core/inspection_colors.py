"""Colours for inspection maps (RGBA floats in [0, 1]), shared by PLY export, PNG layouts and
Blender colour attributes (``operators/scene_io.set_point_colors``)."""

from __future__ import annotations

import numpy as np

# 12 well-separated hues (chart ids wrap around)
_CHART_PALETTE = np.array(
    [
        (0.90, 0.10, 0.29),
        (0.24, 0.71, 0.29),
        (0.26, 0.39, 0.85),
        (1.00, 0.88, 0.10),
        (0.96, 0.51, 0.19),
        (0.57, 0.12, 0.71),
        (0.27, 0.94, 0.94),
        (0.94, 0.20, 0.90),
        (0.74, 0.96, 0.05),
        (0.98, 0.75, 0.83),
        (0.00, 0.50, 0.50),
        (0.60, 0.39, 0.16),
    ],
    np.float32,
)


def chart_colors(chart: np.ndarray) -> np.ndarray:
    """(N, 4) one colour per chart id (negative ids: grey)."""
    chart = np.asarray(chart, np.int64)
    rgb = _CHART_PALETTE[np.mod(chart, len(_CHART_PALETTE))]
    rgb[chart < 0] = 0.5
    return np.concatenate([rgb, np.ones((len(chart), 1), np.float32)], axis=1)


# viridis at 9 evenly spaced stops (matplotlib's table, sampled): interpolated linearly, so Blender,
# which has no matplotlib, gets colours within 0.07 of the PNGs' (matplotlib's viridis)
_VIRIDIS = np.array(
    [
        (0.267, 0.005, 0.329),
        (0.279, 0.175, 0.483),
        (0.230, 0.322, 0.546),
        (0.173, 0.449, 0.558),
        (0.128, 0.567, 0.551),
        (0.153, 0.683, 0.502),
        (0.369, 0.789, 0.383),
        (0.678, 0.864, 0.190),
        (0.993, 0.906, 0.144),
    ],
    np.float32,
)


def scalar_colors(values: np.ndarray, vmin: float | None = None, vmax: float | None = None) -> np.ndarray:
    """(N, 4) a perceptual ramp (viridis) of ``values`` between ``vmin`` and ``vmax`` (default:
    0 and the 99th percentile); NaN is grey."""
    v = np.asarray(values, np.float64)
    finite = np.isfinite(v)
    lo = 0.0 if vmin is None else float(vmin)
    hi = float(np.percentile(v[finite], 99)) if vmax is None and finite.any() else (vmax or 1.0)
    t = np.clip((v - lo) / (hi - lo if hi > lo else 1.0), 0.0, 1.0)
    stops = np.linspace(0.0, 1.0, len(_VIRIDIS))
    t = np.where(finite, t, 0.0)
    rgb = np.stack([np.interp(t, stops, _VIRIDIS[:, k]) for k in range(3)], axis=1)
    out = np.concatenate([rgb, np.ones((len(v), 1))], axis=1).astype(np.float32)
    out[~finite] = (0.5, 0.5, 0.5, 1.0)
    return out


def flag_colors(flag: np.ndarray) -> np.ndarray:
    """(N, 4) red where ``flag`` is set, light grey elsewhere."""
    f = np.asarray(flag, bool)
    out = np.tile(np.array([0.8, 0.8, 0.8, 1.0], np.float32), (len(f), 1))
    out[f] = (0.95, 0.05, 0.05, 1.0)
    return out


def to_uint8(rgba: np.ndarray) -> np.ndarray:
    """(N, 4) uint8 colours for file formats."""
    return np.clip(np.round(np.asarray(rgba) * 255.0), 0, 255).astype(np.uint8)


def diverging_colors(values: np.ndarray, limit: float | None = None) -> np.ndarray:
    """(N, 4) blue (negative) - white (0) - red (positive), saturated at +-``limit`` (default:
    the 99th percentile of |values|); NaN is grey. For signed maps such as strain."""
    v = np.asarray(values, np.float64)
    finite = np.isfinite(v)
    lim = float(np.percentile(np.abs(v[finite]), 99)) if limit is None and finite.any() else (limit or 1.0)
    t = np.clip(np.where(finite, v, 0.0) / (lim if lim > 0 else 1.0), -1.0, 1.0)
    blue, white, red = np.array([0.15, 0.35, 0.85]), np.array([0.95, 0.95, 0.95]), np.array([0.85, 0.15, 0.1])
    rgb = np.where(t[:, None] < 0, white + (blue - white) * -t[:, None], white + (red - white) * t[:, None])
    out = np.concatenate([rgb, np.ones((len(v), 1))], axis=1).astype(np.float32)
    out[~finite] = (0.5, 0.5, 0.5, 1.0)
    return out
