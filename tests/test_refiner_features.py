"""Conditioning features on surfaces with known answers: flat, stretched, rolled, hanging."""

from __future__ import annotations

import numpy as np
import pytest

from core.refiner.charts import charts_from_panels
from core.refiner.features import (
    CONDITION_CHANNELS,
    POINT_CHANNELS,
    STRAIN_CHANNELS,
    condition_images,
    local_frames,
    mean_curvature,
    point_features,
    strain,
)
from core.refiner.raster import build_rasterizer


def _grid(w: float = 20.0, h: float = 30.0, step: float = 1.0):
    """A w x h cm panel triangulated at ``step`` cm: (uv, faces)."""
    nu, nv = int(w / step) + 1, int(h / step) + 1
    u, v = np.meshgrid(np.linspace(0, w, nu), np.linspace(0, h, nv))
    uv = np.stack([u.ravel(), v.ravel()], 1)
    idx = np.arange(nu * nv).reshape(nv, nu)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
    faces = np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)])
    return uv, faces


def _charts(uv, faces):
    return charts_from_panels(np.zeros(len(uv), np.int32), uv, faces, ["panel"])


def test_a_flat_hanging_panel_has_no_strain_no_curvature_and_gravity_along_minus_v():
    uv, faces = _grid()
    charts = _charts(uv, faces)
    verts = np.c_[uv, np.zeros(len(uv))]  # in the xy plane, +Y up: hanging straight
    feats, frames = point_features(verts, charts)
    col = {n: i for i, n in enumerate(POINT_CHANNELS)}
    assert np.allclose(feats[:, col["log_stretch_max"]], 0, atol=1e-9)
    assert np.allclose(feats[:, col["curvature"]], 0, atol=1e-9)
    assert np.allclose(feats[:, col["gravity_v"]], -1) and np.allclose(feats[:, col["gravity_n"]], 0)
    assert np.allclose(frames[:, 2], [0, 0, 1]) and np.allclose(frames[:, 0], [1, 0, 0])


def test_compression_along_u_is_found_with_its_direction():
    uv, faces = _grid()
    charts = _charts(uv, faces)
    verts = np.c_[uv[:, 0] * 0.8, uv[:, 1] * 1.05, np.zeros(len(uv))]
    s = strain(verts, charts)
    assert np.allclose(s[:, 0], np.log(1.05)) and np.allclose(s[:, 1], np.log(0.8))
    assert np.allclose(s[:, 2], 1.0) and np.allclose(s[:, 3], 0, atol=1e-9)  # θ = 0: along u
    turned = np.c_[uv[:, 0] * 1.05, uv[:, 1] * 0.8, np.zeros(len(uv))]
    assert np.allclose(strain(turned, charts)[:, 2], -1.0)  # θ = 90°: along v


def test_a_panel_rolled_onto_a_cylinder_has_its_mean_curvature_and_no_stretch():
    uv, faces = _grid(step=0.5)
    charts = _charts(uv, faces)
    r = 8.0
    a = uv[:, 0] / r  # isometric roll around the Y axis
    verts = np.c_[r * np.sin(a), uv[:, 1], r * np.cos(a)]
    frames = local_frames(verts, charts)
    h = mean_curvature(verts, charts, frames)
    inner = (uv[:, 0] > 2) & (uv[:, 0] < 18) & (uv[:, 1] > 2) & (uv[:, 1] < 28)
    assert np.abs(h[inner]).mean() == pytest.approx(1 / (2 * r), rel=0.1)
    assert np.abs(strain(verts, charts)[inner, :2]).max() < 0.01


def test_condition_images_stack_every_channel_and_hide_unknown_strain():
    uv, faces = _grid()
    charts = _charts(uv, faces)
    verts = np.c_[uv[:, 0] * 0.8, uv[:, 1], np.zeros(len(uv))]
    feats, _ = point_features(verts, charts)
    r = build_rasterizer(charts, pitch=0.5)
    (img,) = condition_images(r, feats, "soft")
    assert img.shape == (len(CONDITION_CHANNELS), *r.grids[0].shape)
    ch = {n: i for i, n in enumerate(CONDITION_CHANNELS)}
    mask = r.masks[0]
    assert np.allclose(img[ch["mask"]], mask) and img[ch["material_soft"]].min() == 1
    assert img[ch["material_mid"]].max() == 0 and img[ch["strain_known"]].min() == 1
    assert np.allclose(img[ch["log_stretch_min"]][mask], np.log(0.8), atol=1e-6)
    # the boundary distance rises from the edge to the middle (10 cm wide: 1 at the clip)
    mid = img[ch["boundary_dist"]][mask]
    assert mid.min() < 0.1 and mid.max() == pytest.approx(1.0)
    (hidden,) = condition_images(r, feats, "soft", strain_known=False)
    assert np.all(hidden[: len(STRAIN_CHANNELS)] == 0) and hidden[ch["strain_known"]].max() == 0
    with pytest.raises(ValueError, match="material"):
        condition_images(r, feats, "denim")
