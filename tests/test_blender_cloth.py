"""Blender cloth drape (sim.blender_cloth) end to end on a small sewn tube skirt and a proxy body."""

from __future__ import annotations

import numpy as np
import pytest
import triangle
import trimesh

from core.body import signed_distance_inside

bpy = pytest.importorskip("bpy")
blender_cloth = pytest.importorskip("sim.blender_cloth")

pytestmark = pytest.mark.slow


def _panel(w_top: float, w_bot: float, h: float, edge: float):
    """Trapezoid panel (2D), its triangles and the boundary indices of its left and right sides
    (bottom to top), sampled alike so that the two panels' sides pair up."""
    n_side, n_top, n_bot = (max(2, round(x / edge)) for x in (h, w_top, w_bot))
    bl, br, tr, tl = np.array([[-w_bot / 2, 0], [w_bot / 2, 0], [w_top / 2, h], [-w_top / 2, h]], float)

    def seg(a, b, n):
        return a + np.linspace(0, 1, n + 1)[:-1, None] * (b - a)

    outline = np.concatenate(
        [seg(bl, br, n_bot), seg(br, tr, n_side), seg(tr, tl, n_top), seg(tl, bl, n_side)]
    )
    nb = len(outline)
    segments = np.stack([np.arange(nb), (np.arange(nb) + 1) % nb], axis=1)
    out = triangle.triangulate(
        {"vertices": outline, "segments": segments}, f"pq28a{np.sqrt(3) / 4 * edge**2:.4f}Y"
    )
    right = n_bot + np.arange(n_side + 1)
    left = ((n_bot + n_side + n_top + np.arange(n_side + 1)) % nb)[::-1]
    return out["vertices"], out["triangles"], left, right


def tube_skirt(w_top=40.0, w_bot=60.0, h=40.0, edge=3.5, y_top=105.0, z=20.0):
    """Front and back panel of an A-line skirt, flat at z = +-z, sewn along both sides."""
    p, t, left, right = _panel(w_top, w_bot, h, edge)
    n = len(p)
    front = np.c_[p[:, 0], p[:, 1] + y_top - h, np.full(n, z)]
    back = np.c_[p[:, 0], p[:, 1] + y_top - h, np.full(n, -z)]
    faces = np.concatenate([t, t[:, ::-1] + n])
    pairs = np.concatenate([np.c_[left, left + n], np.c_[right, right + n]])
    return np.concatenate([front, back]), faces, pairs


def proxy_body() -> trimesh.Trimesh:
    """Body of revolution (elliptic section) with hips wider than the waist, 180 cm tall."""
    profile = np.array(
        [[0, 0], [9, 0], [10, 40], [15, 70], [17.5, 85], [16, 95], [13, 105], [15.5, 120], [17, 135],
         [18, 142], [7, 150], [6, 155], [9, 160], [9.5, 170], [6, 178], [0, 180]], float
    )  # fmt: skip
    m = trimesh.creation.revolve(profile, sections=48)
    v = m.vertices
    body = trimesh.Trimesh(np.c_[v[:, 0], v[:, 2], 0.75 * v[:, 1]], m.faces, process=True)
    if body.volume < 0:
        body.invert()
    return body


@pytest.fixture(scope="module")
def scene_data():
    v, f, pairs = tube_skirt()
    return v, f, pairs, proxy_body()


def _gaps(v, pairs):
    return np.linalg.norm(v[pairs[:, 0]] - v[pairs[:, 1]], axis=1)


def _state():
    return {
        k: sorted(x.name for x in getattr(bpy.data, k)) for k in ("objects", "meshes", "scenes", "actions")
    }


def test_proxy_geometry(scene_data):
    v, _, pairs, body = scene_data
    assert 500 <= len(v) <= 1500
    assert body.is_watertight and body.volume > 0
    assert _gaps(v, pairs).min() == pytest.approx(40.0)


def test_drape_sews_and_hangs(scene_data):
    v, f, pairs, body = scene_data
    before = _state()
    calls = []
    res = blender_cloth.drape(
        v, f, pairs, body.vertices, body.faces, frames=50, progress=lambda i, n: calls.append((i, n))
    )
    assert _state() == before  # the temporary scene, objects, meshes and action are gone
    out = res.vertices
    assert out.shape == v.shape and out.dtype == np.float64
    assert np.isfinite(out).all()
    assert res.frames_run == 50 and len(res.history) == 50 and len(res.seam_gap) == 50
    assert calls == [(i, 50) for i in range(1, 51)]
    assert np.abs(out - v).max() > 5.0  # it moved
    gaps = _gaps(out, pairs)
    assert gaps.max() < 2.0 and gaps.mean() < 0.5  # from 40 cm apart
    assert 0 < res.gravity_frame <= 40  # gravity came after the seams closed
    assert signed_distance_inside(body, out).mean() < 0.01
    # still on the hips: not fallen off, not flown away
    assert out[:, 1].max() > 95.0 and out[:, 1].min() > 50.0
    assert res.history[-5:].mean() < 0.3


def test_settle_runs_on_only_while_the_drape_moves(scene_data):
    v, f, pairs, body = scene_data
    moving = blender_cloth.drape(v, f, pairs, body.vertices, body.faces, frames=12, settle=(0.0, 5))
    assert moving.frames_run == 17 and len(moving.history) == 17  # never below 0 cm/frame
    still = blender_cloth.drape(v, f, pairs, body.vertices, body.faces, frames=12, settle=(1e9, 5))
    assert still.frames_run == 12 and len(still.history) == 12  # "settled" at once: no extra frame


def test_vertex_order_preserved(scene_data):
    v, f, pairs, body = scene_data
    res = blender_cloth.drape(v, f, pairs, body.vertices, body.faces, frames=1, lift=0.0)
    free = np.setdiff1d(np.arange(len(v)), pairs.ravel())  # seam vertices jump in frame 1
    d = np.linalg.norm(res.vertices[free][:, None] - v[None], axis=2)
    assert (d.argmin(axis=1) == free).all()
    assert np.median(d[np.arange(len(free)), free]) < 0.5


def test_materials_differ(scene_data):
    v, f, pairs, body = scene_data
    soft = blender_cloth.drape(v, f, pairs, body.vertices, body.faces, material="soft", frames=40).vertices
    stiff = blender_cloth.drape(v, f, pairs, body.vertices, body.faces, material="stiff", frames=40).vertices
    assert np.isfinite(soft).all() and np.isfinite(stiff).all()
    assert np.linalg.norm(soft - stiff, axis=1).mean() > 0.5


def test_materials_and_scaling():
    mats = blender_cloth.MATERIALS
    assert set(mats) == {"soft", "mid", "stiff"}
    assert mats["soft"].bending < mats["mid"].bending < mats["stiff"].bending
    assert mats["stiff"].bending / mats["soft"].bending >= 20
    m = mats["mid"]
    half = m.scaled(blender_cloth.REFERENCE_EDGE_CM / 2)
    assert half.mass == pytest.approx(m.mass / 4)
    assert half.tension == pytest.approx(m.tension / 2)
    assert half.bending == pytest.approx(m.bending * 4)
    assert m.scaled(blender_cloth.REFERENCE_EDGE_CM) == m


def test_bad_input_raises(scene_data):
    v, f, pairs, body = scene_data
    with pytest.raises(ValueError):
        blender_cloth.drape(v, f, pairs + len(v), body.vertices, body.faces, frames=1)
    with pytest.raises(ValueError, match="unknown material"):
        blender_cloth.drape(v, f, pairs, body.vertices, body.faces, material="velvet", frames=1)


def test_loose_pairs_drop_duplicates_and_face_edges():
    faces = np.array([[0, 1, 2], [3, 4, 5]])
    pairs = np.array([[0, 3], [3, 0], [1, 1], [0, 1], [2, 5]])
    assert blender_cloth._loose_pairs(pairs, faces).tolist() == [[0, 3], [2, 5]]


def test_start_vertices_keep_the_box_mesh_as_rest_shape(scene_data):
    """A drape can start elsewhere (rolled panels, a coarser drape): the box mesh stays the rest
    shape, so a sheet started 20 % too large shrinks back to its pattern size."""
    from core.drape_metrics import edge_strain

    _, _, _, body = scene_data
    n = 11
    x, z = np.meshgrid(np.linspace(0, 20, n), np.linspace(0, 20, n))
    flat = np.stack([x.ravel(), np.full(n * n, 300.0), z.ravel()], axis=1)  # far above the body
    idx = np.arange(n * n).reshape(n, n)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
    faces = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
    start = flat.copy()
    start[:, [0, 2]] *= 1.2
    before = _state()
    res = blender_cloth.drape(
        flat, faces, np.zeros((0, 2), int), body.vertices, body.faces, frames=20,
        start_vertices=start, sew_frames=1000,
    )  # fmt: skip
    assert _state() == before  # shape keys and their animation went with the mesh
    assert np.median(edge_strain(start, flat, faces)) == pytest.approx(0.2)
    assert abs(np.median(edge_strain(res.vertices, flat, faces))) < 0.01
    with pytest.raises(ValueError, match="start_vertices"):
        blender_cloth.drape(
            flat, faces, np.zeros((0, 2), int), body.vertices, body.faces, start_vertices=start[:5]
        )
