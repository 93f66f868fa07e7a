"""The optional Newton (NVIDIA Warp) drape engine: a small tube skirt on the body, on the CPU."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("newton")

from core.body import BodyParams, make_body, signed_distance_inside
from sim.newton_cloth import drape


def _panel(nx: int, ny: int, width: float, height: float, y0: float, z: float):
    xs = np.linspace(-width / 2, width / 2, nx)
    ys = np.linspace(y0, y0 + height, ny)
    gx, gy = np.meshgrid(xs, ys)  # row-major: index = row * nx + col
    v = np.column_stack([gx.ravel(), gy.ravel(), np.full(gx.size, z)])
    idx = np.arange(nx * ny).reshape(ny, nx)
    a, b, c, d = idx[:-1, :-1], idx[:-1, 1:], idx[1:, :-1], idx[1:, 1:]
    f = np.concatenate(
        [
            np.column_stack([a.ravel(), b.ravel(), d.ravel()]),
            np.column_stack([a.ravel(), d.ravel(), c.ravel()]),
        ]
    )
    return v, f, idx


def tube_skirt(nx: int = 19, ny: int = 13, width: float = 50.0, height: float = 40.0, y0: float = 70.0):
    """Front (z=-20) and back (z=+20) rectangles sewn along both side edges (box mesh, not welded)."""
    vf, ff, idf = _panel(nx, ny, width, height, y0, -20.0)
    vb, fb, idb = _panel(nx, ny, width, height, y0, 20.0)
    n = len(vf)
    v = np.concatenate([vf, vb])
    f = np.concatenate([ff, fb[:, ::-1] + n])  # back panel faces outwards too
    seams = np.concatenate(
        [np.column_stack([idf[:, 0], idb[:, 0] + n]), np.column_stack([idf[:, -1], idb[:, -1] + n])]
    )
    return v, f, seams


@pytest.mark.slow
def test_newton_drapes_a_small_tube_skirt():
    v, f, seams = tube_skirt()
    assert 450 <= len(v) <= 550
    body = make_body(BodyParams(), 3.0)
    gap0 = np.linalg.norm(v[seams[:, 0]] - v[seams[:, 1]], axis=1)
    res = drape(v, f, seams, body.vertices, body.faces, material="mid", frames=30)
    x = res.vertices
    assert x.shape == v.shape and x.dtype == np.float64
    assert np.isfinite(x).all() and np.isfinite(res.history).all()
    assert res.frames_run == 30 and len(res.history) == 30 and res.seconds > 0
    gap = np.linalg.norm(x[seams[:, 0]] - x[seams[:, 1]], axis=1)
    assert gap.max() < 0.05 * gap0.min(), (gap.max(), gap0.min())
    # order preserved: each panel keeps its side of the body and its left-right layout
    n = len(v) // 2
    assert np.median(x[:n, 2]) < 0 < np.median(x[n:, 2])
    for part in (slice(0, n), slice(n, None)):
        assert np.corrcoef(v[part, 0], x[part, 0])[0, 1] > 0.9
    # stays on the body (hangs from the hips), nothing dropped through it
    assert x[:, 1].max() > 70.0
    assert signed_distance_inside(body, x).sum() <= 0.02 * len(x)


def test_unknown_keyword_is_rejected():
    v, f, seams = tube_skirt(5, 4)
    with pytest.raises(TypeError):
        drape(v, f, seams, v, f, frames=1, not_an_option=1)
