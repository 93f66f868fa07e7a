"""Evaluation measures on a real drape pair with known answers: the reference against itself,
a flipped residual, folds along and across compression, another mesh of the same surface."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.dataset import load_arrays
from core.refiner.evaluation import evaluate, fold_direction, large_scale_error, placement
from core.refiner.features import CONDITION_CHANNELS


@pytest.fixture(scope="module")
def pair(v1_sample_folder):
    row = json.loads((v1_sample_folder / "manifest.json").read_text())["samples"][0]
    a = load_arrays(v1_sample_folder, row["id"])
    return a["coarse_at_fine"].astype(np.float64), a["fine_vertices"].astype(np.float64), a["fine_faces"], a


def test_the_reference_scores_perfectly_against_itself(pair):
    base, fine, faces, a = pair
    r = evaluate(fine, fine, faces, base=base, seam_pairs=a["fine_seam_pairs"])
    assert r["large_scale_error"]["mean_cm"] == pytest.approx(0, abs=1e-9)
    assert r["normal_consistency"] == pytest.approx(1.0) and r["signed_dihedral_rmse_deg"] == pytest.approx(
        0, abs=1e-6
    )
    assert r["mean_curvature_diff"] == pytest.approx(0, abs=1e-9)
    assert r["placement"]["overall"] == pytest.approx(1.0) and r["placement"]["band_2_4cm"] == pytest.approx(
        1.0
    )
    assert r["detail"]["refined"] == r["detail"]["reference"]
    assert r["detail"]["base"]["detail"]["1"] < r["detail"]["reference"]["detail"]["1"]
    assert r["large_scale_error_base"]["mean_cm"] < 1.0  # the low-pass base keeps the large scale


def test_a_flipped_residual_is_placed_exactly_wrong(pair):
    base, fine, faces, _ = pair
    flipped = base - (fine - base)
    p = placement(base, flipped, fine, faces)
    assert p["overall"] < -0.9 and p["band_2_4cm"] < -0.9


def test_chamfer_of_another_tessellation_of_the_same_surface_is_small(pair):
    import trimesh

    _, fine, faces, _ = pair
    v2, f2 = trimesh.remesh.subdivide(fine, faces)
    err = large_scale_error(fine, v2, faces, ref_faces=f2)
    assert err["kind"].startswith("chamfer") and err["mean_cm"] < 0.5


def test_fold_direction_is_plus_one_across_compression_and_minus_one_along():
    h, w = 40, 60
    u = np.arange(w)[None, :].repeat(h, 0).astype(float)
    res = np.zeros((3, h, w))
    res[2] = np.sin(2 * np.pi * u / 10)  # varies along u: ridges run along v
    cond = np.zeros((len(CONDITION_CHANNELS), h, w))
    ci = CONDITION_CHANNELS.index("compress_cos2")
    cond[ci] = 1.0  # compressed along u
    mask = np.ones((h, w))
    assert fold_direction([res], [cond], [mask]) == pytest.approx(1.0, abs=1e-6)
    cond[ci] = -1.0  # compressed along v
    assert fold_direction([res], [cond], [mask]) == pytest.approx(-1.0, abs=1e-6)
