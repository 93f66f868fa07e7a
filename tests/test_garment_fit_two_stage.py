"""The two stages of the per-garment fit (core/garment_fit/two_stage.py) on one real drapes_v2 sample with a
tiny config, and the details analysis (core/garment_fit/details.py) on hand-made meshes."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

from paths import extract_v2_sample  # noqa: E402

from core.dataset import load_arrays  # noqa: E402
from core.garment_fit.details import curvature_proxy, details_analysis, normal_variation  # noqa: E402
from core.garment_fit.two_stage import FitConfig, _set_table, fit_garment, key_occupancy  # noqa: E402
from core.hashfield import HashEncoding, HashGridConfig, resize  # noqa: E402

TINY = {
    "iterations": 200,  # stage 1: 0-100, stage 2: 100-200
    "nuvo": {"n_charts": 4, "hidden": 32, "layers": 2, "points": 200, "uv_samples": 16},
    "hash": {"n_levels": 4},
    "network": {"n_neurons": 32},
    "residual_points": 512,
    "heldout_points": 2048,
    "eval_every": 25,
    # shrinks at 40, 60, 80 (stage 1) and 120 (stage 2); loss checked 10 iterations after each
    "schedule": {
        "points": [[0.2, 0.5], [0.3, 0.25], [0.4, 0.125], [0.6, 0.0625]],
        "check_after": 500,
        "window": 500,
    },
    "stage2": {"image_size": 16, "widths": [8, 16], "pool_points": 4096, "refresh_every": 5},
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """(arrays, pattern dict) of the first ok sample of the first drapes_v2 part (as in
    tests/test_garment_fit.py)."""
    root, row, _ = extract_v2_sample(tmp_path_factory.mktemp("v2two"))
    pattern = json.loads((root / "samples" / row["id"] / "pattern.json").read_text())
    return load_arrays(root, row["id"]), pattern


@pytest.fixture(scope="module")
def fitted(sample, tmp_path_factory):
    arrays, pattern = sample
    out = tmp_path_factory.mktemp("fit_out")
    seen: list[tuple[int, int, int]] = []
    cfg = FitConfig.from_dict({**TINY, "diffusion_steps": 10})
    result = fit_garment(
        arrays,
        cfg,
        progress=lambda i, n, info: seen.append((i, info["table_size"], info["table_rows"])),
        out=out,
        pattern=pattern,
    )
    return cfg, result, seen, out


def test_the_table_really_shrinks_at_the_scheduled_iterations(fitted):
    _, result, seen, _ = fitted
    rec = result.record
    t_full = rec["hash"]["t_full"]
    assert rec["stage1"]["iterations"] == 100 and len(seen) == 200
    done = rec["schedule"]["shrinks_done"]
    assert [(e["iteration"], e["table_size"], e["stage"]) for e in done] == [
        (40, round(t_full / 2), 1),
        (60, round(t_full / 4), 1),
        (80, round(t_full / 8), 1),
        (120, round(t_full / 16), 2),
    ]
    enc_cfg = result.field.encoding.config
    rows_for = {size: HashEncoding(replace(enc_cfg, table_size=size)).table.shape[0] for size in {t_full}}
    for e in done:
        rows_for[e["table_size"]] = HashEncoding(replace(enc_cfg, table_size=e["table_size"])).table.shape[0]
    # progress i (1-based) reports the table after iteration i - 1: the new size from i = shrink + 1 on
    for i, size, rows in seen:
        expected = t_full
        for e in done:
            if i - 1 >= e["iteration"]:
                expected = e["table_size"]
        assert size == expected and rows == rows_for[expected]
    assert rows_for[round(t_full / 16)] < rows_for[round(t_full / 8)] < rows_for[t_full]
    # the final encoding holds the final table, at most T_full / 4
    assert enc_cfg.hashmap_size == round(t_full / 16) <= t_full / 4
    assert result.field.encoding.table.shape[0] == rows_for[round(t_full / 16)]
    assert rec["target"]["table_met"] and rec["target"]["table_size"] == round(t_full / 16)
    # every shrink's loss check is recorded (its verdict is whatever it was)
    for e in done:
        assert e["check_iteration"] == e["iteration"] + 10
        assert e["loss_before"] > 0 and e["loss_after"] > 0
        assert e["within_5pct"] == (e["loss_after"] <= 1.05 * e["loss_before"])
        assert 0.0 < e["occupied_share"] < 1.0  # distilled over the texels the cloth's keys hold


def test_heldout_error_ends_below_the_zero_predictor(fitted):
    rec = fitted[1].record
    curve = rec["curves"]["heldout_mm"]
    assert [c["iteration"] for c in curve] == [25, 50, 75, 100, 125, 150, 175, 200]
    assert [c["stage"] for c in curve] == [1, 1, 1, 1, 2, 2, 2, 2]
    # the field learns (a 100-iteration denoiser may still add noise: its learning is tested in
    # tests/test_garment_fit_chart_images.py)
    assert curve[-1]["field_mm"] < min(curve[0]["field_mm"], rec["curves"]["zero_predictor_mm"])
    assert rec["target"]["heldout_mm"] == curve[-1]["heldout_mm"]
    # stage 2 records the field alone and the corrected prediction; in stage 1 they are one
    assert all(c["field_mm"] == c["heldout_mm"] for c in curve[:4])
    s2 = rec["stage2"]
    assert s2["nuvo"] == "frozen" and s2["diffusion_steps"] == 10
    assert s2["corrected_mm"] == curve[-1]["heldout_mm"] and s2["field_mm"] == curve[-1]["field_mm"]
    assert len(s2["denoiser_loss"]) == 100 and s2["parameters"] > 0
    # the correction's gain is fitted on the training pool: in [0, 1], recorded at every evaluation
    assert all(0.0 <= c["gain"] <= 1.0 for c in curve[4:]) and s2["gain"] == curve[-1]["gain"]


def test_nuvo_is_frozen_in_stage_2(sample, tmp_path):
    """Stage 2 leaves Nuvo's weights as they were at stage 1's end; without the denoiser the
    prediction is the field's own and no denoiser tensors are written."""
    from safetensors.torch import load_file

    arrays, _ = sample
    snapshots = {}

    def progress(i, n, info):
        if i in (30, 60):
            snapshots[i] = {k: v.detach().clone() for k, v in model_ref[0].state_dict().items()}

    model_ref = []
    cfg = FitConfig.from_dict(
        {**TINY, "iterations": 60, "eval_every": 30, "stage2": {"denoiser": False}, "schedule": {}}
    )
    import core.garment_fit.two_stage as two_stage

    original = two_stage.NuvoModel

    class Recorded(original):  # records the instance so the test can read its weights
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            model_ref.append(self)

    two_stage.NuvoModel = Recorded
    try:
        result = fit_garment(arrays, cfg, progress=progress, out=tmp_path)
    finally:
        two_stage.NuvoModel = original
    for k, v in snapshots[30].items():
        assert torch.equal(v, snapshots[60][k]), k
    rec = result.record
    assert rec["stage2"]["corrected_mm"] is None
    assert rec["curves"]["heldout_mm"][-1]["heldout_mm"] == rec["curves"]["heldout_mm"][-1]["field_mm"]
    assert not any(
        k.startswith(("denoiser.", "stage2.")) for k in load_file(str(tmp_path / "field.safetensors"))
    )


def test_outputs_are_written_and_loadable(fitted):
    from safetensors.torch import load_file

    _, result, _, out = fitted
    weights = load_file(str(out / "field.safetensors"))
    table = weights["hash.encoding.table"]
    assert table.shape == result.field.encoding.table.shape
    assert torch.equal(table, result.field.encoding.table.detach())
    assert any(k.startswith("hash.mlp.") for k in weights)
    assert any(k.startswith("nuvo.texture.") for k in weights) and "nuvo.sigma" in weights
    rec = json.loads((out / "fit.json").read_text())
    assert rec["diffusion_steps"] == 10
    assert any(k.startswith("denoiser.") for k in weights)
    assert weights["stage2.correction"].shape == (4, 3, 16, 16)
    assert len(rec["schedule"]["shrinks_done"]) == 4
    assert set(rec["details"]["checks"]) == {
        "input_details_present",
        "residuals_significant",
        "high_frequency_present",
    }
    for name in ("base", "fine"):
        assert set(rec["details"][name]) == {"normal_variation", "curvature_proxy"}
    assert rec["residual_std_cm"]["after_scaling"] == pytest.approx(1.0)
    assert rec["residual_std_cm"]["before_scaling"] > 0
    assert 0 <= rec["scores"]["bijectivity"] <= 1 and 0 <= rec["scores"]["cluster"] <= 1
    assert "panel_l2_cm" in rec["scores"]
    assert len(rec["hash"]["collisions"]) == 4


def _grid(n: int = 8):
    x, y = np.meshgrid(np.arange(n + 1.0), np.arange(n + 1.0), indexing="xy")
    v = np.stack([x.ravel(), y.ravel(), np.zeros(x.size)], axis=1)
    idx = np.arange((n + 1) ** 2).reshape(n + 1, n + 1)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
    faces = np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)])
    return v, faces


def test_details_of_a_flat_grid_with_a_constant_residual():
    base, faces = _grid()
    fine = base + np.array([0.0, 0.0, 1.0])
    d = details_analysis(base, fine, faces)
    for name in ("base", "fine"):
        assert d[name]["normal_variation"]["max"] == pytest.approx(0.0, abs=1e-6)
        assert d[name]["curvature_proxy"]["max"] == pytest.approx(0.0, abs=1e-9)
    r = d["residual_cm"]
    assert (
        r["mean"] == pytest.approx(1.0) and r["min"] == pytest.approx(1.0) and r["max"] == pytest.approx(1.0)
    )
    assert r["std"] == pytest.approx(0.0, abs=1e-12)
    assert d["high_frequency_cm"]["max"] == pytest.approx(0.0, abs=1e-9)
    checks = d["checks"]
    assert not checks["input_details_present"]["ok"]
    assert checks["residuals_significant"]["ok"]
    assert not checks["high_frequency_present"]["ok"]


def test_details_see_a_checkerboard_residual_and_a_fold():
    base, faces = _grid()
    ij = base[:, 0] + base[:, 1]
    fine = base.copy()
    fine[:, 2] = np.where(ij % 2 == 0, 0.5, -0.5)  # a vertex-scale ripple: all high frequency
    d = details_analysis(base, fine, faces)
    assert d["residual_cm"]["mean"] == pytest.approx(0.5)
    assert d["high_frequency_cm"]["mean"] > 0.25
    assert all(c["ok"] for c in d["checks"].values())
    # a 90 degree fold along x = 4: normals differ by pi/2 across it, zero elsewhere
    folded = base.copy()
    right = folded[:, 0] > 4
    folded[right, 2] = folded[right, 0] - 4
    folded[right, 0] = 4
    nv = normal_variation(folded, faces)
    far = (base[:, 0] <= 2) | (base[:, 0] >= 6)
    assert np.allclose(nv[far], 0.0, atol=1e-6) and nv[~far].max() > 0.3
    assert curvature_proxy(folded, faces)[~far].max() > 0.1


def test_config_rejects_unknown_keys_and_other_kinds():
    with pytest.raises(ValueError, match="unknown"):
        FitConfig.from_dict({"iterations": 10, "bogus": 1})
    with pytest.raises(ValueError, match="kind"):
        FitConfig.from_dict({"kind": "refiner"})


def test_key_occupancy_marks_the_texels_holding_keys_dilated_by_one():
    chart = torch.tensor([0, 0, 1])
    uv = torch.tensor([[0.05, 0.55], [0.999, 0.0], [0.5, 0.5]])
    m = key_occupancy(chart, uv, 3, 10)
    assert [x.shape for x in m] == [(10, 10)] * 3
    # (u, v) = (0.05, 0.55) is texel row 5, column 0; a one-texel dilation adds its 4-neighbours
    assert m[0][5, 0] and m[0][4, 0] and m[0][6, 0] and m[0][5, 1] and not m[0][4, 1]
    assert m[0][0, 9] and m[0][1, 9] and m[0][0, 8]  # u = 0.999 clipped into the last column
    assert m[0].sum() == 4 + 3 and m[1].sum() == 5 and not m[2].any()


def test_a_shrink_carries_the_tables_adam_moments_into_the_new_indexing():
    cfg = HashGridConfig(n_levels=4, base_resolution=4, per_level_scale=2.0, n_charts=2, log2_hashmap_size=12)
    old = HashEncoding(cfg)
    mlp = torch.nn.Linear(old.out_dim, 1)
    opt = torch.optim.Adam([{"params": list(mlp.parameters())}, {"params": [old.table]}])
    g = torch.Generator().manual_seed(0)
    chart, uv = torch.randint(0, 2, (500,), generator=g), torch.rand(500, 2, generator=g)
    for _ in range(3):
        opt.zero_grad()
        mlp(old(chart, uv)).pow(2).mean().backward()
        opt.step()
    new = resize(old, table_size=300)
    _set_table(opt, 1, old, new, None)
    state = opt.state[new.table]
    assert old.table not in opt.state and opt.param_groups[1]["params"] == [new.table]
    assert int(state["step"]) == 3  # Adam's bias correction goes on where it was
    assert state["exp_avg_sq"].shape == new.table.shape and state["exp_avg_sq"].sum() > 0
    opt.zero_grad()
    mlp(new(chart, uv)).pow(2).mean().backward()
    opt.step()  # the optimiser steps the new table with the carried state
