"""The per-garment residual field (core/garment_fit): keys and their cm scale, area-uniform
barycentric samples, the fixed held-out set, texel occupancy, the compared stores' outputs and
parameter counts, fit_store's budgets, and a smoke run of bench/field_claim.py, on one real
drapes_v2 sample (the first ok one of the first shipped part)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

from paths import extract_v2_sample, run_script  # noqa: E402

from core.dataset import load_arrays  # noqa: E402
from core.garment_fit import (  # noqa: E402
    DeepMLP,
    DenseGridStore,
    HashStore,
    PerVertexStore,
    build_store,
    evaluate,
    fit_store,
    garment_residual,
    hash_t_full,
    zero_error,
)
from core.hashfield import t_full  # noqa: E402


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """(dataset root, manifest row, arrays) of the first ok sample of the first drapes_v2 part; the
    root's manifest lists only that sample, relabelled ``test`` (for the benchmark's smoke run)."""
    root, row, manifest = extract_v2_sample(tmp_path_factory.mktemp("v2fit"))
    row = {**row, "split": "test"}
    (root / "manifest.json").write_text(json.dumps({**manifest, "samples": [row]}))
    return root, row, load_arrays(root, row["id"])


@pytest.fixture(scope="module")
def res(sample):
    return garment_residual(sample[2], "lowpass")


def test_keys_lie_in_the_unit_square_and_a_texel_is_the_same_cm_on_every_chart(sample, res):
    arrays = sample[2]
    assert res.n_charts == len(np.unique(arrays["fine_panel"])) >= 2
    assert res.uv.min() >= 0.0 and res.uv.max() <= 1.0
    assert res.uv.max() == pytest.approx(1.0)  # the largest chart spans the whole square
    extents = []
    for c in range(res.n_charts):
        m = res.chart == c
        assert res.uv[m].min(axis=0) == pytest.approx([0.0, 0.0], abs=1e-12)  # each chart at its corner
        extents.append(np.ptp(res.uv_cm[m], axis=0).max())
        # the key is the pattern point shifted and divided by ONE scale: differences in uv times
        # scale_cm are the pattern's differences in cm, on every chart alike
        d_uv = (res.uv[m] - res.uv[m][0]) * res.scale_cm
        d_cm = arrays["fine_uv"][m].astype(np.float64) - arrays["fine_uv"][m][0]
        np.testing.assert_allclose(d_uv, d_cm, atol=1e-9)
    assert res.scale_cm == pytest.approx(max(extents))
    n = res.resolution_for(0.25)
    assert res.texel_cm(n) <= 0.25 < res.texel_cm(n - 1)
    assert res.texel_cm(n) == pytest.approx(res.scale_cm / n)
    np.testing.assert_allclose(
        res.residual, arrays["fine_vertices"].astype(np.float64) - arrays["coarse_at_fine"], atol=0
    )
    for base, key in (("coarse_sim", "coarse_sim_at_fine"), ("box", "fine_box_vertices")):
        other = garment_residual(arrays, base)
        np.testing.assert_allclose(other.residual, arrays["fine_vertices"].astype(np.float64) - arrays[key])
    with pytest.raises(ValueError):
        garment_residual(arrays, "nothing")
    st = res.stats()
    mag = np.linalg.norm(res.residual, axis=1)
    assert st["mean_cm"] == pytest.approx(mag.mean()) and st["max_cm"] == pytest.approx(mag.max())
    assert st["std_cm"] == pytest.approx(mag.std()) and st["area_cm2"] == pytest.approx(res.face_area.sum())


def test_barycentric_samples_reproduce_the_vertex_values_and_are_area_uniform(res):
    rng = np.random.default_rng(3)
    face = rng.integers(0, len(res.faces), 500)
    for k in range(3):
        bary = np.zeros((len(face), 3))
        bary[:, k] = 1.0
        chart, uv, target = res.at(face, bary)
        v = res.faces[face, k]
        assert np.array_equal(chart, res.chart[v])
        assert np.array_equal(uv, res.uv[v]) and np.array_equal(target, res.residual[v])
    s = res.sample(40000, 7)
    assert s.chart.shape == (40000,) and s.uv.shape == (40000, 2) and s.target.shape == (40000, 3)
    assert np.all(s.bary >= 0) and np.allclose(s.bary.sum(axis=1), 1.0, atol=1e-6)
    assert np.array_equal(s.chart, res.face_chart[s.face])
    chart, uv, target = res.at(s.face, s.bary)
    np.testing.assert_allclose(s.uv, uv, atol=1e-6)
    np.testing.assert_allclose(s.target, target, atol=1e-6)
    # area-uniform: the share of points per chart follows the chart's share of the drape's area
    share = np.bincount(res.face_chart, weights=res.face_area, minlength=res.n_charts) / res.face_area.sum()
    got = np.bincount(s.chart, minlength=res.n_charts) / len(s)
    np.testing.assert_allclose(got, share, atol=0.01)


def test_the_heldout_set_is_fixed_by_its_seed(sample, res):
    again = garment_residual(sample[2])
    for a, b in zip(res.heldout, again.heldout, strict=True):
        assert np.array_equal(a, b)
    assert len(res.heldout) == res.heldout_points
    assert not np.array_equal(res.heldout.face, res.validation.face)
    other = garment_residual(sample[2], heldout_seed=1)
    assert not np.array_equal(other.heldout.face, res.heldout.face)
    assert np.array_equal(res.sample(100, 5).face, res.sample(100, 5).face)
    assert zero_error(res.heldout)[0] == pytest.approx(
        10 * np.linalg.norm(res.heldout.target.astype(np.float64), axis=1).mean()
    )


def test_occupancy_covers_the_cloth_and_bounds_t_full(res):
    n = res.resolution_for(0.5)
    occ = res.occupancy(n)
    assert len(occ) == res.n_charts and all(m.shape == (n, n) and m.dtype == bool for m in occ)
    # every held-out point falls in an occupied texel (rows v, columns u)
    h = res.heldout
    cell = np.clip(np.floor(h.uv.astype(np.float64) * n).astype(int), 0, n - 1)
    hit = np.array([occ[c][y, x] for c, x, y in zip(h.chart, cell[:, 0], cell[:, 1], strict=True)])
    assert hit.mean() > 0.999
    # the occupied texels' area is the pattern's area plus at most a band of boundary texels
    tri = res.uv_cm[res.faces]
    pattern_area = 0.5 * np.abs(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])).sum()
    occupied = sum(int(m.sum()) for m in occ) * res.texel_cm(n) ** 2
    assert pattern_area * 0.99 < occupied < pattern_area * 1.15
    tf = t_full(n, res.n_charts, occ)
    assert sum(int(m.sum()) for m in occ) < tf < res.n_charts * (n + 1) ** 2


def test_the_per_vertex_store_with_the_true_residual_reproduces_the_heldout_targets(res):
    store = PerVertexStore(res.faces, res.n_vertices).load(res.residual)
    h = res.heldout
    pred = store(
        torch.from_numpy(h.chart), torch.from_numpy(h.uv), torch.from_numpy(h.face), torch.from_numpy(h.bary)
    )
    np.testing.assert_allclose(pred.detach().numpy(), h.target, atol=1e-5)  # cm: float32 rounding only
    assert evaluate(store, h)[1] < 1e-4  # mm
    with pytest.raises(ValueError):
        store(torch.from_numpy(h.chart), torch.from_numpy(h.uv))


def test_each_store_gives_n_by_3_and_the_parameter_count_of_its_definition(res):
    s = res.sample(64, 0)
    args = [torch.from_numpy(a) for a in (s.chart, s.uv, s.face, s.bary)]
    k, v = res.n_charts, res.n_vertices

    mlp = build_store("deep_mlp", res, seed=0)
    assert isinstance(mlp, DeepMLP) and (mlp.depth, mlp.width, mlp.n_frequencies) == (8, 256, 10)
    d_in = 2 + 4 * 10 + 16
    assert mlp.parameter_count == k * 16 + (d_in + 1) * 256 + 7 * 257 * 256 + 257 * 3

    n, tf = hash_t_full(res, 0.25)
    assert res.texel_cm(n) <= 0.25 and tf == t_full(n, k, res.occupancy(n))
    for share in (1.0, 1 / 4, 1 / 16):
        h = build_store("hash", res, table_share=share, seed=0)
        assert isinstance(h, HashStore)
        cfg = h.field.encoding.config
        t = round(tf * share)
        assert cfg.hashmap_size == t and cfg.resolutions()[-1] == n and cfg.n_levels == 12
        assert cfg.n_features_per_level == 2 and cfg.base_resolution == 16
        rows = sum(min(k * (r + 1) ** 2, t) for r in cfg.resolutions())
        assert h.parameter_count == rows * 2 + (12 * 2 + 1) * 64 + 65 * 64 + 65 * 3

    dense = build_store("dense", res)
    r = res.resolution_for(0.5)
    assert isinstance(dense, DenseGridStore) and dense.grid.config.resolution == r
    assert dense.parameter_count == k * (r + 1) ** 2 * 3

    pv = build_store("per_vertex", res)
    assert pv.parameter_count == 3 * v

    for store in (mlp, h, dense, pv):
        out = store(*args)
        assert out.shape == (64, 3) and torch.isfinite(out).all()
        (out - 1.0).square().sum().backward()  # zero-initialised stores too get a gradient
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in store.parameters())
    with pytest.raises(ValueError):
        build_store("octree", res)


def test_fit_store_lowers_the_heldout_error_of_a_hash_field_on_a_real_residual(res):
    store = build_store("hash", res, table_share=0.25, finest_texel_cm=0.5, n_levels=8, seed=0)
    r = fit_store(store, res, iterations=300, lr=1e-2, batch=2048, seed=0, curve_points=4)
    zero = zero_error(res.heldout)[0]
    assert r.curve[0].iteration == 0 and r.mean_mm < 0.6 * r.curve[0].mean_mm
    assert r.iterations == 300 and r.curve[-1].iteration == 300 and not r.diverged
    assert [p.iteration for p in r.curve] == [0, 75, 150, 225, 300]
    assert r.mean_mm < 0.6 * zero and r.mean_mm <= r.curve[1].mean_mm
    assert r.mean_mm == pytest.approx(evaluate(store, res.heldout)[0])
    assert r.parameter_count == store.parameter_count and r.max_mm >= r.mean_mm


def test_a_wall_time_budget_stops_the_loop(res):
    store = build_store("per_vertex", res)
    r = fit_store(store, res, seconds=0.6, lr=1e-2, batch=1024, seed=1)
    assert 0.6 <= r.seconds < 1.2 and r.seconds == r.wall_seconds and r.iterations > 5
    times = [p.seconds for p in r.curve]
    assert times == sorted(times) and times[-1] == pytest.approx(r.seconds)
    assert r.error_at(0.3) == next(p.mean_mm for p in r.curve if p.seconds >= 0.3)
    capped = fit_store(build_store("per_vertex", res), res, seconds=60, iterations=7, lr=1e-2, batch=256)
    assert capped.iterations == 7 and capped.seconds < 60
    cpu = fit_store(build_store("per_vertex", res), res, seconds=0.2, lr=1e-2, batch=256, clock="cpu")
    assert cpu.clock == "cpu" and cpu.seconds == cpu.cpu_seconds >= 0.2
    with pytest.raises(ValueError):
        fit_store(store, res, lr=1e-2)


def test_the_benchmark_runs_small_and_writes_its_table(sample, tmp_path):
    root, row, _ = sample
    out = tmp_path / "claim.json"
    proc = run_script(
        "bench/field_claim.py",
        *("--data", str(root), "--garments", "1", "--seconds", "0.3", "--lrs", "1e-2,1e-1"),
        *("--stores", "hash T_full/16,per-vertex", "--finest-cm", "0.5", "--out", str(out)),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "| zero (predict 0) |" in proc.stdout and "| per-vertex |" in proc.stdout
    result = json.loads(Path(out).read_text())
    g = result["garments"][0]
    assert g["id"] == row["id"] and len(g["runs"]) == 4
    assert [s["store"] for s in result["summary"]] == ["hash T_full/16", "per-vertex"]
    for s in result["summary"]:
        assert s["best_lr"] in (1e-2, 1e-1) and s["mean_mm"] < g["zero_mm"]
        assert s["val_by_lr"][str(s["best_lr"])] == min(s["val_by_lr"].values())
