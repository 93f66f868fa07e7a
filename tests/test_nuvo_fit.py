"""Nuvo sampling, fitting and export: area-weighted samples and frames, the unit-cube
normalisation, a short fit on an open cylinder exported as Charts (faces never span charts,
seams duplicated into shared groups, UV in cm of surface), and a fit seeded from panel ids."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

from core.errors import MeshError  # noqa: E402
from core.nuvo.export import charts_from_nuvo, face_charts  # noqa: E402
from core.nuvo.fit import NuvoFit, fit_nuvo  # noqa: E402
from core.nuvo.network import NuvoConfig  # noqa: E402
from core.nuvo.sampling import Normalisation, SurfaceSampler, face_frames, sample_uv  # noqa: E402

TINY = NuvoConfig(hidden=32, layers=3, points=256, uv_samples=64, lr=3e-3, seed_iterations=150)


def open_cylinder(n_around: int = 24, n_height: int = 10, radius: float = 10.0, height: float = 30.0):
    """An open tube (cm) of n_around x n_height vertices."""
    a = np.linspace(0, 2 * np.pi, n_around, endpoint=False)
    aa, zz = np.meshgrid(a, np.linspace(0, height, n_height))
    v = np.stack([radius * np.cos(aa), radius * np.sin(aa), zz], axis=-1).reshape(-1, 3)
    f = []
    for j in range(n_height - 1):
        for i in range(n_around):
            p, q = j * n_around + i, j * n_around + (i + 1) % n_around
            f += [[p, q, q + n_around], [p, q + n_around, p + n_around]]
    return v, np.array(f)


def folded_sheet(n: int = 10, size: float = 40.0):
    """A sheet folded by 90 degrees along x = 0 (cm); panel 3 is the x < 0 half, panel 7 the rest."""
    x = np.linspace(-1, 1, 2 * n + 1)
    xx, yy = np.meshgrid(x, np.linspace(0, 1, n + 1))
    v = size / 2 * np.stack([np.minimum(xx, 0), yy, np.maximum(xx, 0)], axis=-1).reshape(-1, 3)
    w = len(x)
    f = []
    for j in range(n):
        for i in range(w - 1):
            p = j * w + i
            f += [[p, p + 1, p + w + 1], [p, p + w + 1, p + w]]
    panel = np.where(xx.ravel() < 0, 3, 7)
    panel[np.isclose(xx.ravel(), 0)] = 7  # the crease belongs to one side
    return v, np.array(f), panel


def test_samples_are_area_weighted_with_barycentrics_and_orthonormal_frames():
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 2, 0], [3, 0, 1], [3, 3, 1], [0, 0, 1.0]])
    f = np.array([[0, 1, 2], [3, 4, 5]])  # areas 1 and 4.5
    area, normal, tangent = face_frames(v, f)
    assert area == pytest.approx([1.0, 4.5])
    s = SurfaceSampler(v, f).sample(20_000, np.random.default_rng(0))
    assert np.mean(s.face == 1) == pytest.approx(4.5 / 5.5, abs=0.01)
    assert np.allclose(s.bary.sum(1), 1) and (s.bary >= 0).all()
    assert np.allclose(s.points, np.einsum("nk,nkd->nd", s.bary, v[f[s.face]]))
    for t in (s.tangent_a, s.tangent_b, s.normal):
        assert np.allclose(np.linalg.norm(t, axis=1), 1)
    assert np.allclose((s.tangent_a * s.tangent_b).sum(1), 0, atol=1e-12)
    assert np.allclose((s.tangent_a * s.normal).sum(1), 0, atol=1e-12)
    assert np.allclose(np.cross(s.tangent_a, s.tangent_b), s.normal)  # right-handed
    assert np.allclose(normal[0], [0, 0, 1]) and np.allclose(tangent[0], [1, 0, 0])
    # frames are turned at random in the tangent plane
    assert np.abs(s.tangent_a[s.face == 0] @ [1.0, 0, 0]).std() > 0.2
    uv = sample_uv(3, 50, np.random.default_rng(1))
    assert uv.shape == (3, 50, 2) and (uv >= 0).all() and (uv < 1).all()


def test_normalisation_to_the_unit_cube_and_back():
    v, _ = open_cylinder()
    n = Normalisation.fit(v)
    unit = n.apply(v)
    assert unit.min() >= -0.5 - 1e-12 and unit.max() <= 0.5 + 1e-12
    assert (unit.max(0) - unit.min(0)).max() == pytest.approx(1.0)
    assert np.allclose(unit.max(0) + unit.min(0), 0)
    assert np.allclose(n.invert(unit), v)
    with pytest.raises(ValueError):
        Normalisation.fit(np.zeros((3, 3)))


def _fit_cylinder(**overrides) -> tuple[NuvoFit, np.ndarray, np.ndarray, list]:
    v, f = open_cylinder()
    calls = []
    cfg = NuvoConfig(**{**TINY.__dict__, "n_charts": 3, "iterations": 150, **overrides})
    fit = fit_nuvo(v, f, cfg, seed=0, progress=lambda i, n, losses: calls.append((i, n, losses)))
    return fit, v, f, calls


def test_short_fit_reports_progress_and_per_vertex_outputs():
    fit, v, _, calls = _fit_cylinder()
    assert [c[0] for c in calls] == list(range(1, 151)) and {c[1] for c in calls} == {150}
    terms = ["cycle_3d", "cycle_2d", "entropy", "surface", "cluster", "conformal", "stretch", "total"]
    assert set(calls[-1][2]) == set(terms)
    first, last = calls[0][2]["total"], calls[-1][2]["total"]
    assert last < 0.5 * first
    assert fit.losses == calls[-1][2]
    assert fit.vertex_probs.shape == (len(v), 3) and np.allclose(fit.vertex_probs.sum(1), 1, atol=1e-5)
    assert fit.vertex_uv.shape == (3, len(v), 2)
    assert (fit.vertex_uv >= 0).all() and (fit.vertex_uv <= 1).all()
    assert fit.panel_values is None and fit.n_charts == 3
    probs, uv = fit.evaluate(v[:5])
    assert np.allclose(probs, fit.vertex_probs[:5], atol=1e-6)
    assert np.allclose(uv, fit.vertex_uv[:, :5], atol=1e-6)
    # the charts share the tube out rather than one taking it all
    assert len(np.unique(fit.vertex_chart)) >= 2


def test_fit_is_deterministic_for_a_seed():
    v, f = open_cylinder(12, 5)
    cfg = NuvoConfig(**{**TINY.__dict__, "n_charts": 2, "iterations": 5})
    a, b = fit_nuvo(v, f, cfg, seed=3), fit_nuvo(v, f, cfg, seed=3)
    assert np.array_equal(a.vertex_uv, b.vertex_uv) and np.array_equal(a.vertex_probs, b.vertex_probs)
    assert not np.array_equal(a.vertex_uv, fit_nuvo(v, f, cfg, seed=4).vertex_uv)


def _edge_lengths(points, faces):
    return np.linalg.norm(points[faces] - points[np.roll(faces, 1, axis=1)], axis=2)


def test_exported_charts_never_span_charts_and_are_in_cm():
    fit, v, f, _ = _fit_cylinder()
    charts = charts_from_nuvo(fit, v, f)
    assert charts.source == "nuvo" and not charts.rest_known
    assert charts.n_charts >= 2 and len(charts.cm_per_uv) == charts.n_charts
    # every face lies in one chart, and follows the summed vertex probabilities
    fc = charts.chart[charts.faces]
    assert (fc == fc[:, :1]).all()
    assert np.array_equal(charts.vertex[charts.faces], f)
    used = np.unique(face_charts(fit.vertex_probs, f))
    assert charts.names == [f"nuvo_{c}" for c in used]
    # every mesh vertex has a point per chart it touches; a vertex's copies share one group
    assert set(charts.vertex.tolist()) == set(range(len(v)))
    assert charts.n_points > len(v)  # seams were duplicated
    assert charts.n_groups == len(v)
    assert len(np.unique(np.stack([charts.vertex, charts.group], axis=1), axis=0)) == len(v)
    assert len(np.unique(charts.group * charts.n_charts + charts.chart)) == charts.n_points
    # cm of surface: per chart, UV edge lengths sum to the 3D edge lengths (cm)
    len3 = _edge_lengths(v, f)
    len2 = _edge_lengths(charts.uv, charts.faces)
    face_chart = fc[:, 0]
    for c in range(charts.n_charts):
        m = face_chart == c
        assert len2[m].sum() == pytest.approx(len3[m].sum(), rel=1e-9)
        assert np.allclose(charts.uv[charts.chart == c].min(0), 0)
    ratio = len2 / len3
    assert 0.7 < np.median(ratio) < 1.3  # a short fit already spreads the length evenly
    # units: the same mesh in metres gives the same cm charts
    in_m = charts_from_nuvo(fit, v / 100, f, cm_per_unit=100)
    assert np.allclose(in_m.uv, charts.uv)


def _hand_made_fit(probs: np.ndarray, uv: np.ndarray, panel_values=None) -> NuvoFit:
    return NuvoFit(
        model=None,
        config=NuvoConfig(n_charts=probs.shape[1]),
        normalisation=Normalisation(np.zeros(3), 1.0),
        vertex_probs=probs,
        vertex_uv=uv,
        losses={},
        panel_values=panel_values,
        seconds=0.0,
    )


def test_export_duplicates_seam_vertices_on_a_hand_made_fit():
    # two triangles sharing edge 1-2, chart 0 (of 3) for the first, chart 2 for the second
    v = np.array([[0, 0, 0], [2, 0, 0], [0, 2, 0], [2, 2, 0.0]])
    f = np.array([[0, 1, 2], [1, 3, 2]])
    probs = np.array([[1, 0, 0], [0.5, 0, 0.5], [0.5, 0, 0.5], [0, 0, 1.0]])
    uv = np.zeros((3, 4, 2))
    uv[0] = v[:, :2] / 8  # chart 0: 8 cm per UV unit
    uv[2] = v[:, :2] / 4  # chart 2: 4 cm per UV unit
    charts = charts_from_nuvo(_hand_made_fit(probs, uv, np.array([10, 11, 12])), v, f)
    assert charts.names == ["panel_10", "panel_12"]  # chart 1 owns no face
    assert charts.n_points == 6 and charts.n_groups == 4
    assert np.allclose(charts.cm_per_uv, [8, 4])
    assert np.allclose(charts.uv, v[charts.vertex, :2])  # both charts already start at (0, 0)
    assert charts.vertex[charts.faces].tolist() == f.tolist()
    assert charts.chart[charts.faces].tolist() == [[0, 0, 0], [1, 1, 1]]
    copies = charts.vertex == 1
    assert copies.sum() == 2 and len(set(charts.group[copies].tolist())) == 1
    # stitched vertices (a box mesh's seam pairs) join groups
    stitched = charts_from_nuvo(_hand_made_fit(probs, uv), v, f, seam_pairs=np.array([[0, 3]]))
    assert stitched.n_groups == 3 and stitched.names == ["nuvo_0", "nuvo_2"]
    flat = uv.copy()
    flat[2] = 0.5  # chart 2 maps its face to a point
    with pytest.raises(MeshError):
        charts_from_nuvo(_hand_made_fit(probs, flat), v, f)
    with pytest.raises(MeshError):
        charts_from_nuvo(_hand_made_fit(probs, uv), v[:3], f[:1])


def test_seeded_fit_recovers_the_panels():
    v, f, panel = folded_sheet()
    cfg = NuvoConfig(**{**TINY.__dict__, "n_charts": 8, "iterations": 60})
    fit = fit_nuvo(v, f, cfg, seed=0, panel=panel)
    assert fit.config.n_charts == 2 and fit.panel_values.tolist() == [3, 7]
    assert "panel" in fit.losses
    recovered = fit.panel_values[fit.vertex_chart]
    assert np.mean(recovered == panel) > 0.95
    charts = charts_from_nuvo(fit, v, f)
    assert sorted(charts.names) == ["panel_3", "panel_7"]
    with pytest.raises(ValueError):
        fit_nuvo(v, f, cfg, panel=panel[:-1])
