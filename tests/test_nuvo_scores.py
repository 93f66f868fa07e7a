"""Scores of a chart map, each on a small mesh whose answer is known by construction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.nuvo.scores import bijectivity as bijectivity_score
from core.nuvo.scores import (
    boundary_loops,
    chart_boundary,
    cluster,
    collisions,
    panel_scores,
    sample_charts,
    score_charts,
)
from core.refiner.charts import Charts, charts_from_uv_islands


def grid(nx: int, ny: int, h: float = 1.0, x0: float = 0.0, y0: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(V, 3) vertices at z=0 and (F, 3) faces of an nx x ny cell grid, two triangles a cell."""
    x, y = np.meshgrid(x0 + h * np.arange(nx + 1), y0 + h * np.arange(ny + 1))
    v = np.stack([x.ravel(), y.ravel(), np.zeros(x.size)], axis=1)
    i = (np.arange(ny)[:, None] * (nx + 1) + np.arange(nx)[None, :]).ravel()
    f = np.concatenate([np.stack([i, i + 1, i + nx + 2], 1), np.stack([i, i + nx + 2, i + nx + 1], 1)])
    return v, f


def n_grid_edges(nx: int, ny: int) -> int:
    return nx * (ny + 1) + ny * (nx + 1) + nx * ny  # horizontal, vertical, one diagonal a cell


def point_charts(chart: np.ndarray, uv: np.ndarray, faces: np.ndarray) -> Charts:
    """One chart point per vertex (vertex i is point i)."""
    n = len(chart)
    return Charts(
        vertex=np.arange(n),
        chart=np.asarray(chart, np.int32),
        uv=np.asarray(uv, np.float64),
        faces=np.asarray(faces, np.int64),
        group=np.arange(n),
        names=[f"c{c}" for c in range(int(np.max(chart)) + 1)],
        source="nuvo",
        rest_known=False,
    )


def compact(v: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop the vertices no face uses."""
    used, f = np.unique(f, return_inverse=True)
    return v[used], f.reshape(-1, 3)


# --- bijectivity and cluster -------------------------------------------------------------------


def test_flat_grid_with_its_own_coordinates_is_bijective_and_clustered():
    v, f = grid(10, 10)
    ch = point_charts(np.zeros(len(v)), v[:, :2], f)
    b = bijectivity_score(ch, v, seed=1)
    assert b.score == 1.0 and b.n_colliding == 0
    assert b.n_samples == 1600  # 16 per cm² of 100 cm²
    assert b.min_dist_3d_cm == pytest.approx(0.75) and b.unmapped_area_share == 0.0
    c = cluster(ch, v, f)
    assert c.score == 1.0 and c.n_edges == n_grid_edges(10, 10) and c.n_cut == c.n_stretched == 0


def test_folded_map_collides_almost_everywhere_and_counts_match_brute_force():
    v, f = grid(20, 10, x0=-10.0)  # x in [-10, 10]: the fold x = 0 is a vertex column
    ch = point_charts(np.zeros(len(v)), np.stack([np.abs(v[:, 0]), v[:, 1]], 1), f)
    b = bijectivity_score(ch, v, n_samples=3000, seed=2)
    assert b.score < 0.15
    # the same seeded samples, collisions counted pair by pair
    chart, uv, xyz, _ = sample_charts(ch, v, 3000, seed=2)
    np.testing.assert_allclose(uv, np.stack([np.abs(xyz[:, 0]), xyz[:, 1]], 1), atol=1e-12)
    hit = np.zeros(len(uv), bool)
    for i in range(0, len(uv), 500):
        d_uv = np.linalg.norm(uv[i : i + 500, None] - uv[None], axis=2)
        d_3d = np.linalg.norm(xyz[i : i + 500, None] - xyz[None], axis=2)
        hit[i : i + 500] = ((d_uv <= 0.25) & (d_3d > 0.75)).any(axis=1)
    assert b.n_colliding == hit.sum()
    np.testing.assert_array_equal(collisions(chart, uv, xyz), hit)
    # a sample far from the fold is caught unless no mirror sample lands within 0.25 cm:
    # about 1 - exp(-15 per cm² * pi * 0.25²) of them
    far = np.abs(xyz[:, 0]) > 1.0
    assert b.detection == pytest.approx(1 - math.exp(-15 * math.pi * 0.0625))
    assert hit[far].mean() == pytest.approx(b.detection, abs=0.03)
    assert not hit[np.abs(xyz[:, 0]) < 0.25].any()  # a mirror partner there is under 0.75 cm away


def test_shrinking_map_collides_but_stays_clustered_and_stretching_the_opposite():
    v, f = grid(10, 10)
    shrunk = point_charts(np.zeros(len(v)), 0.25 * v[:, :2], f)  # 3D/UV = 4 > 3
    assert bijectivity_score(shrunk, v, seed=0).score < 0.5
    assert cluster(shrunk, v).score == 1.0  # UV edges are shorter than 3x their 3D length
    stretched = point_charts(np.zeros(len(v)), 4.0 * v[:, :2], f)
    assert bijectivity_score(stretched, v, seed=0).score == 1.0
    c = cluster(stretched, v)
    assert c.score == 0.0 and c.n_stretched == c.n_edges == n_grid_edges(10, 10) and c.n_cut == 0


def test_cut_into_two_charts_loses_the_edges_across_the_cut():
    nx, ny = 8, 4
    v, f = grid(nx, ny)
    chart = (v[:, 0] > 3.5).astype(np.int32)  # cut between vertex columns x = 3 and x = 4
    spanning = chart[f].min(axis=1) != chart[f].max(axis=1)
    assert spanning.sum() == 2 * ny  # the cells between the two columns
    ch = point_charts(chart, v[:, :2], f[~spanning])  # the chart map leaves those cells out
    c = cluster(ch, v, f)
    crossing = (ny + 1) + ny  # horizontal edges between the columns + one diagonal a cell
    assert c.n_edges == n_grid_edges(nx, ny) and c.n_cut == crossing and c.n_stretched == 0
    assert c.score == pytest.approx(1 - crossing / n_grid_edges(nx, ny))
    assert bijectivity_score(ch, v, seed=0).score == 1.0
    # the same charts keeping the cells across the cut: those faces span charts, so bijectivity
    # leaves them unsampled (their area is reported) and cluster, from the charts' faces, agrees
    spans = point_charts(chart, v[:, :2], f)
    assert cluster(spans, v).n_cut == crossing
    b = bijectivity_score(spans, v, seed=0)
    assert b.score == 1.0 and b.unmapped_area_share == pytest.approx(1 / nx)


def test_seam_vertices_duplicated_into_two_charts_keep_their_edges():
    nx, ny = 8, 4
    v, f = grid(nx, ny)
    right = v[f].mean(axis=1)[:, 0] > 4.0
    uv = np.concatenate([v[:, :2], v[:, :2] + [50.0, 0.0]])  # the right half's own UV copy
    uv_faces = np.where(right[:, None], f + len(v), f)
    ch = charts_from_uv_islands(v, f, uv, uv_faces)
    assert ch.n_charts == 2 and ch.n_points == len(v) + ny + 1  # the seam column x = 4 twice
    c = cluster(ch, v, f)
    assert c.score == 1.0 and c.n_cut == 0 and c.n_edges == n_grid_edges(nx, ny)
    assert bijectivity_score(ch, v, seed=0).score == 1.0


# --- panels ------------------------------------------------------------------------------------

L_OUTLINE = np.array([[0, 0], [8, 0], [8, 4], [4, 4], [4, 6], [0, 6]], float)


def l_mesh() -> tuple[np.ndarray, np.ndarray]:
    """An L-shaped panel, 2 cm cells: [0, 8] x [0, 6] less [4, 8] x [4, 6]."""
    v, f = grid(4, 3, h=2.0)
    centre = v[f].mean(axis=1)
    return compact(v, f[~((centre[:, 0] > 4) & (centre[:, 1] > 4))])


def rigid(p: np.ndarray, angle: float, shift: tuple[float, float], mirror: bool) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    q = p * [1.0, -1.0] if mirror else p
    return q @ np.array([[c, -s], [s, c]]).T + shift


def test_boundary_loops_of_a_grid_with_a_hole():
    v, f = grid(3, 3)
    centre = v[f].mean(axis=1)
    f = f[~((np.abs(centre[:, 0] - 1.5) < 0.5) & (np.abs(centre[:, 1] - 1.5) < 0.5))]
    loops = sorted(boundary_loops(f), key=len)
    assert [len(lp) for lp in loops] == [4, 12]
    ch = point_charts(np.zeros(len(v)), v[:, :2], f)
    assert len(chart_boundary(ch, 0)) == 12  # the outer loop is the longest


@pytest.mark.parametrize("mirror", [False, True])
def test_chart_that_is_the_panel_moved_rigidly_scores_zero(mirror):
    v, f = l_mesh()
    ch = point_charts(np.zeros(len(v)), rigid(v[:, :2], 0.65, (5.0, -3.0), mirror), f)
    ps = panel_scores(ch, np.zeros(len(v), np.int64), [L_OUTLINE], ["L"])
    p = ps.panels[0]
    assert p.chart == 0 and p.recovered and p.mirrored == mirror
    assert ps.l2_cm < 1e-6 and ps.l2_sym_cm < 1e-6 and ps.recovered_share == 1.0


def test_chart_scaled_by_ten_percent_scores_the_analytic_distance():
    s, a = 10.0, 0.5  # a square of side s scaled by 1.1 about its centre: its sides 0.05 s out
    v, f = grid(10, 10)
    uv = rigid(1.1 * (v[:, :2] - 5.0) + 5.0, 1.0, (2.0, 7.0), False)
    ch = point_charts(np.zeros(len(v)), uv, f)
    square = np.array([[0, 0], [s, 0], [s, s], [0, s]], float)
    ps = panel_scores(ch, np.zeros(len(v), np.int64), [square])
    # big square -> small: a along each side's middle s, sqrt(u² + a²) for u in [0, a] near
    # each of the 8 side ends; small -> big: a everywhere (centred alignment, by symmetry)
    to_outline = (s * a + a * a * (math.sqrt(2) + math.asinh(1))) / (1.1 * s)
    assert ps.l2_cm == pytest.approx(to_outline, abs=5e-4)
    assert ps.l2_sym_cm == pytest.approx(0.5 * (to_outline + a), abs=5e-4)
    assert ps.recovered_share == 1.0  # recovery is about vertices, not scale


def test_two_panels_merged_into_one_chart_are_not_recovered():
    # panels 0 (x < 4) and 1 (x >= 4) of one welded 8 x 4 cm grid, all one chart; panels 2 and 3
    # separate 4 x 4 cm grids, one chart each
    v0, f0 = grid(8, 4)
    v2, f2 = grid(4, 4, x0=10.0)
    v3, f3 = grid(4, 4, x0=16.0)
    v = np.concatenate([v0, v2, v3])
    f = np.concatenate([f0, f2 + len(v0), f3 + len(v0) + len(v2)])
    panel = np.concatenate([(v0[:, 0] >= 4).astype(int), np.full(len(v2), 2), np.full(len(v3), 3)])
    chart = np.concatenate([np.zeros(len(v0), int), np.ones(len(v2), int), np.full(len(v3), 2)])
    ch = point_charts(chart, v[:, :2], f)
    square = np.array([[0, 0], [4, 0], [4, 4], [0, 4]], float)
    ps = panel_scores(ch, panel, [square] * 4)  # outlines in panel-local coordinates
    assert ps.recovered_share == 0.5 and ps.n_matched == 3
    assert [p.recovered for p in ps.panels] == [False, False, True, True]
    p0, p1 = ps.panels[:2]
    # chart 0 holds 20 vertices of panel 0 (x = 0..3) and 25 of panel 1 (x = 4..8): it goes to 1
    assert (p0.chart, p1.chart) == (-1, 0) and math.isnan(p0.l2_cm)
    assert (p1.overlap, p1.vertex_share, p1.chart_purity) == (25, 1.0, 25 / 45)
    assert ps.panels[2].l2_cm < 1e-6 and ps.panels[3].l2_cm < 1e-6
    assert p1.l2_cm > 1.0  # an 8 x 4 boundary against a 4 x 4 outline
    assert ps.l2_cm == pytest.approx(p1.l2_cm / 3)


def test_score_charts_returns_every_score():
    v, f = l_mesh()
    ch = point_charts(np.zeros(len(v)), v[:, :2], f)
    out = score_charts(ch, v, f, panel_ids=np.zeros(len(v), np.int64), outlines=[L_OUTLINE])
    assert out["bijectivity"] == 1.0 and out["cluster"] == 1.0
    assert out["panel_l2_cm"] < 1e-6 and out["panels_recovered"] == 1.0
    assert out["panels"][0]["chart"] == 0
    assert "panel_l2_cm" not in score_charts(ch, v)
