"""Fold-free re-flattening of chart maps (core/nuvo/flatten.py) on meshes with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

torch.set_num_threads(1)

from core.nuvo.export import charts_from_nuvo, face_charts  # noqa: E402
from core.nuvo.fit import fit_nuvo  # noqa: E402
from core.nuvo.flatten import (  # noqa: E402
    FlattenReport,
    _grow_disks,
    flatten_charts,
    flatten_with_report,
    unwrap_xatlas,
)
from core.nuvo.network import NuvoConfig  # noqa: E402
from core.nuvo.scores import bijectivity, boundary_loops, cluster  # noqa: E402
from core.nuvo.unwrap import nuvo_unwrap  # noqa: E402
from core.refiner.charts import Charts  # noqa: E402

TINY = NuvoConfig(hidden=32, layers=2, iterations=30, points=256, uv_samples=32, n_charts=4, lr=3e-3)


# --- meshes (cm) -------------------------------------------------------------------------------


def grid(nx: int, ny: int, x0: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A flat nx x ny grid of 1 cm cells at z = 0, two triangles a cell (counter-clockwise)."""
    x, y = np.meshgrid(x0 + np.arange(nx + 1.0), np.arange(ny + 1.0))
    v = np.stack([x.ravel(), y.ravel(), np.zeros(x.size)], axis=1)
    i = (np.arange(ny)[:, None] * (nx + 1) + np.arange(nx)[None, :]).ravel()
    f = np.concatenate([np.stack([i, i + 1, i + nx + 2], 1), np.stack([i, i + nx + 2, i + nx + 1], 1)])
    return v, f


def open_cylinder(n_around: int = 24, n_height: int = 10, radius: float = 10.0, height: float = 30.0):
    """An open tube: an annulus, two boundary loops (not a disk)."""
    a = np.linspace(0, 2 * np.pi, n_around, endpoint=False)
    aa, zz = np.meshgrid(a, np.linspace(0, height, n_height))
    v = np.stack([radius * np.cos(aa), radius * np.sin(aa), zz], axis=-1).reshape(-1, 3)
    f = []
    for j in range(n_height - 1):
        for i in range(n_around):
            p, q = j * n_around + i, j * n_around + (i + 1) % n_around
            f += [[p, q, q + n_around], [p, q + n_around, p + n_around]]
    return v, np.array(f)


def sphere(radius: float = 10.0):
    import trimesh

    s = trimesh.creation.icosphere(subdivisions=3, radius=radius)
    return np.asarray(s.vertices, np.float64), np.asarray(s.faces, np.int64)


def hemisphere(radius: float = 10.0):
    v, f = sphere(radius)
    keep = v[f].mean(axis=1)[:, 2] > 0
    used, f = np.unique(f[keep], return_inverse=True)
    return v[used], f.reshape(-1, 3)


def one_chart(uv: np.ndarray, faces: np.ndarray, group: np.ndarray | None = None) -> Charts:
    """One chart holding every vertex (point i is vertex i)."""
    n = len(uv)
    return Charts(
        vertex=np.arange(n),
        chart=np.zeros(n, np.int32),
        uv=np.asarray(uv, np.float64),
        faces=np.asarray(faces, np.int64),
        group=np.arange(n) if group is None else group,
        names=["nuvo_0"],
        source="nuvo",
        rest_known=False,
    )


# --- checks ------------------------------------------------------------------------------------


def face_chart(ch: Charts) -> np.ndarray:
    fc = ch.chart[ch.faces]
    assert (fc == fc[:, :1]).all(), "a face spans charts"
    return fc[:, 0]


def signed_areas(ch: Charts, faces: np.ndarray) -> np.ndarray:
    t = ch.uv[faces]
    a, b = t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]
    return 0.5 * (a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])


def is_disk(faces: np.ndarray) -> bool:
    e = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    n_edges = len(np.unique(e, axis=0))
    return len(np.unique(faces)) - n_edges + len(faces) == 1 and len(boundary_loops(faces)) == 1


def assert_well_formed(out: Charts, v: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Every face kept in order, faces inside one chart, every chart a flip-free disk, every
    vertex with a point, points of one vertex in one group (and vertices apart); returns the
    face charts."""
    np.testing.assert_array_equal(out.vertex[out.faces], f)
    fc = face_chart(out)
    assert np.bincount(out.vertex, minlength=len(v)).min() >= 1
    for vert in range(len(v)):
        assert len(np.unique(out.group[out.vertex == vert])) == 1
    assert out.n_groups == len(v)
    assert out.n_charts == len(out.names) == len(out.cm_per_uv) == int(out.chart.max()) + 1
    for c in range(out.n_charts):
        faces = out.faces[fc == c]
        assert is_disk(faces), out.names[c]
        assert (signed_areas(out, faces) > 0).all(), out.names[c]
        assert np.allclose(out.uv[out.chart == c].min(axis=0), 0.0)
    assert out.source == "nuvo" and not out.rest_known
    return fc


def edge_lengths(points: np.ndarray, faces: np.ndarray) -> np.ndarray:
    return np.linalg.norm(points[faces] - points[np.roll(faces, 1, axis=1)], axis=2)


# --- flatten_charts ----------------------------------------------------------------------------


def test_a_folded_flat_grid_flattens_isometrically():
    v, f = grid(20, 10, x0=-10.0)
    group = np.arange(len(v))
    group[5] = group[0]  # two points stitched together (as seam pairs do) ...
    group[group > 5] -= 1
    ch = one_chart(np.stack([np.abs(v[:, 0]), v[:, 1]], 1), f, group)  # folded at x = 0
    assert bijectivity(ch, v, seed=0).score < 0.15
    out, rep = flatten_with_report(ch, v)
    assert isinstance(rep, FlattenReport)
    assert (rep.pieces, rep.splits, rep.bad_pieces, rep.flipped_faces, rep.grown) == (1, 0, 0, 0, 0)
    assert out.names == ["nuvo_0.1"] and rep.parent == [0] and out.n_points == len(v)
    assert bijectivity(out, v, seed=0).score == 1.0
    assert cluster(out, v, f).score == 1.0
    # a plane flattens isometrically: uv edge lengths are the 3D ones, so uv is xy moved rigidly
    np.testing.assert_allclose(edge_lengths(out.uv, out.faces), edge_lengths(v, f), atol=1e-6)
    assert rep.min_distortion == pytest.approx(1.0, abs=1e-6)
    assert rep.max_distortion == pytest.approx(1.0, abs=1e-6)
    assert out.cm_per_uv.shape == (1,) and 0.5 < out.cm_per_uv[0] < 2.0
    # ... and still stitched: the group ids are kept up to renumbering
    assert out.group[0] == out.group[5] and out.n_groups == len(v) - 1
    np.testing.assert_array_equal(np.unique(group, return_inverse=True)[1], out.group)


def test_an_open_cylinder_is_cut_into_flat_disks():
    v, f = open_cylinder()
    ch = one_chart(v[:, :2], f)  # the tube projected on its cross-section: everything collides
    assert bijectivity(ch, v, seed=0).score < 0.1
    out, rep = flatten_with_report(ch, v)
    fc = assert_well_formed(out, v, f)
    assert out.n_charts >= 2 and rep.pieces == out.n_charts and rep.splits >= 1
    assert rep.bad_pieces == rep.flipped_faces == 0
    assert out.names[:2] == ["nuvo_0.1", "nuvo_0.2"] and set(rep.parent) == {0}
    assert len(np.unique(fc)) == out.n_charts
    assert bijectivity(out, v, seed=0).score == 1.0
    assert cluster(out, v, f).score == 1.0  # the cut runs along mesh edges: no edge is lost
    # the polyhedral tube is developable: each piece is an isometry
    np.testing.assert_allclose(edge_lengths(out.uv, out.faces), edge_lengths(v, f), atol=1e-6)
    # seam vertices are duplicated, every other vertex has one point
    copies = np.bincount(out.vertex, minlength=len(v))
    assert copies.max() == 2 and copies.sum() == out.n_points > len(v)


def test_a_hemisphere_is_one_disk_with_bounded_distortion():
    v, f = hemisphere()
    out, rep = flatten_with_report(one_chart(v[:, :2], f), v)
    assert_well_formed(out, v, f)
    assert rep.pieces == 1 and rep.splits == 0 and rep.bad_pieces == 0
    assert bijectivity(out, v, seed=0).score == 1.0
    # LSCM of a hemisphere (icosphere, 624 faces): linear scale sqrt(UV / 3D area) in
    # [0.74, 1.47] per face, measured; rim and pole differ, as for any conformal map
    assert 0.6 < rep.min_distortion < rep.median_distortion < rep.max_distortion < 1.6


def test_a_closed_sphere_at_depth_zero_is_cut_into_disks_by_region_growing():
    v, f = sphere()
    out, rep = flatten_with_report(one_chart(v[:, :2], f), v, max_split_depth=0)
    fc = face_chart(out)
    np.testing.assert_array_equal(out.vertex[out.faces], f)
    assert rep.splits == 0 and rep.grown == rep.pieces == out.n_charts >= 2
    assert all(is_disk(out.faces[fc == c]) for c in range(out.n_charts))
    assert rep.not_disk_pieces == 0 and rep.bad_pieces >= 1  # a near-sphere flattens badly
    # with splits allowed, the sphere becomes two good halves
    out, rep = flatten_with_report(one_chart(v[:, :2], f), v)
    assert_well_formed(out, v, f)
    assert rep.pieces == 2 and rep.bad_pieces == 0 and bijectivity(out, v, seed=0).score == 1.0


def test_grown_regions_are_disks_covering_every_face():
    v, f = open_cylinder(12, 5)
    regions = _grow_disks(f, v[f].mean(axis=1)[:, 2])
    assert np.array_equal(np.sort(np.concatenate(regions)), np.arange(len(f)))
    assert all(is_disk(f[r]) for r in regions) and len(regions) >= 2


def test_flattening_a_real_nuvo_fit_keeps_its_face_assignment():
    v, f = open_cylinder()
    fit = fit_nuvo(v, f, TINY, seed=1)
    ch = charts_from_nuvo(fit, v, f)
    assert ch.n_charts >= 2
    before = bijectivity(ch, v, seed=0).score
    assert before < 0.9  # a 30-step fit folds
    out, rep = flatten_with_report(ch, v)
    fc = assert_well_formed(out, v, f)
    assert bijectivity(out, v, seed=0).score >= 0.99
    # every face stays in a piece of the chart it was assigned to
    old = face_chart(ch)
    np.testing.assert_array_equal(np.asarray(rep.parent)[fc], old)
    np.testing.assert_array_equal(old, np.unique(face_charts(fit.vertex_probs, f), return_inverse=True)[1])
    for c in range(out.n_charts):
        assert out.names[c].startswith(ch.names[rep.parent[c]] + ".")
    assert flatten_charts(ch, v).n_charts == out.n_charts


def test_nuvo_unwrap_flattens_by_default():
    v, f = open_cylinder()
    flat = nuvo_unwrap(v, f, TINY, seed=1)
    raw = nuvo_unwrap(v, f, TINY, seed=1, flatten=False)
    assert raw.charts.n_charts == raw.report["charts"] == raw.report["fitted_charts"]
    assert "flatten" not in raw.report
    assert flat.report["fitted_charts"] == raw.charts.n_charts
    assert flat.charts.n_charts == flat.report["charts"] == flat.report["flatten"]["pieces"]
    assert flat.report["flatten"]["bad_pieces"] == 0
    assert flat.uv.min() >= 0 and flat.uv.max() <= 1 and flat.uv_faces.shape == f.shape


# --- xatlas ------------------------------------------------------------------------------------


def test_xatlas_unwraps_the_cylinder_into_charts_in_cm():
    v, f = open_cylinder()
    out = unwrap_xatlas(v, f)
    np.testing.assert_array_equal(out.vertex[out.faces], f)
    fc = face_chart(out)  # no face spans charts
    assert out.source == "xatlas" and out.n_charts >= 2 and len(np.unique(fc)) == out.n_charts
    assert np.bincount(out.vertex, minlength=len(v)).min() >= 1
    for vert in range(len(v)):
        assert len(np.unique(out.group[out.vertex == vert])) == 1
    area3 = 0.5 * np.linalg.norm(np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]), axis=1)
    area2 = np.abs(signed_areas(out, out.faces))
    for c in range(out.n_charts):
        assert area2[fc == c].sum() == pytest.approx(area3[fc == c].sum(), rel=1e-6)
        assert np.allclose(out.uv[out.chart == c].min(axis=0), 0.0)
    assert bijectivity(out, v, seed=0).score >= 0.99
