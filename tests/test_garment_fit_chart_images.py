"""Chart images of the per-garment fit's stage 2 (core/garment_fit/chart_images.py) and the
stage-2 corrector (core/garment_fit/stage2.py) on hand-made cases with known answers."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

from core.garment_fit.chart_images import lookup, points_to_image, splat, texel_centres  # noqa: E402
from core.garment_fit.stage2 import Stage2Config, Stage2Corrector  # noqa: E402
from core.hashfield import HashField  # noqa: E402


def test_lookup_at_texel_centres_returns_the_texels():
    img = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).reshape(2, 3, 4, 4)
    chart, uv = texel_centres(2, 4)
    got = lookup(img, chart, uv)
    assert torch.equal(points_to_image(got, 2, 4), img)


def test_lookup_is_bilinear_between_texel_centres():
    # image = u + 10 v at the texel centres: exact for interior points
    _, uv = texel_centres(1, 8)
    img = points_to_image((uv[:, :1] + 10 * uv[:, 1:]), 1, 8)
    pts = torch.tensor([[0.3, 0.4], [0.5, 0.5], [0.0625, 0.9375], [0.71, 0.13]])
    got = lookup(img, torch.zeros(4, dtype=torch.long), pts)[:, 0]
    assert torch.allclose(got, pts[:, 0] + 10 * pts[:, 1], atol=1e-5)
    # clamped at the border: below the first centre reads the first centre's value
    edge = lookup(img, torch.zeros(1, dtype=torch.long), torch.tensor([[0.0, 0.0]]))
    assert edge.item() == pytest.approx(0.0625 + 10 * 0.0625, abs=1e-5)


def test_splat_of_a_constant_reads_back_the_constant_and_zero_outside():
    g = torch.Generator().manual_seed(0)
    uv = torch.rand(5000, 2, generator=g) * 0.5  # the lower-left quarter of chart 1 only
    chart = torch.ones(5000, dtype=torch.long)
    img, weight = splat(chart, uv, torch.full((5000, 2), 3.0), n_charts=2, size=16)
    assert img.shape == (2, 2, 16, 16) and weight.shape == (2, 1, 16, 16)
    covered = weight[1, 0] > 0
    assert torch.allclose(img[1][:, covered], torch.tensor(3.0))
    assert torch.all(img[0] == 0) and torch.all(weight[0] == 0)
    assert not covered[12:, 12:].any()  # nothing splatted far from the quarter
    # the weights are the bilinear ones: they sum to the number of points
    assert weight.sum().item() == pytest.approx(5000, rel=1e-5)


def test_splat_then_lookup_recovers_a_linear_field():
    g = torch.Generator().manual_seed(1)
    uv = torch.rand(40000, 2, generator=g)
    chart = torch.zeros(40000, dtype=torch.long)
    values = (2 * uv[:, :1] - uv[:, 1:]).contiguous()
    img, _ = splat(chart, uv, values, 1, 16)
    pts = torch.tensor([[0.4, 0.6], [0.25, 0.75]])
    got = lookup(img, torch.zeros(2, dtype=torch.long), pts)[:, 0]
    assert torch.allclose(got, 2 * pts[:, 0] - pts[:, 1], atol=0.02)


def _toy_corrector(seed: int = 0) -> tuple[Stage2Corrector, HashField, torch.Tensor, torch.Tensor]:
    """A zero field and a pool whose residual is a smooth bump: the whole residual is the field's
    error, which the denoiser must learn."""
    hfield = HashField(
        {
            "encoding": {
                "otype": "HashGrid",
                "n_levels": 2,
                "n_features_per_level": 2,
                "base_resolution": 4,
                "finest_resolution": 8,
                "table_size": 4096,
                "n_charts": 2,
            },
            "network": {"n_neurons": 16, "n_hidden_layers": 1, "out_dim": 3},
        }
    )
    with torch.no_grad():
        for p in hfield.mlp.parameters():
            p.zero_()
    g = torch.Generator().manual_seed(seed)
    uv = torch.rand(8000, 2, generator=g)
    chart = torch.randint(0, 2, (8000,), generator=g)
    bump = torch.exp(-((uv - 0.5) ** 2).sum(1, keepdim=True) / 0.05) * (1 + chart[:, None])
    target = torch.cat([bump, -bump, 0.5 * bump], dim=1)
    cfg = Stage2Config(image_size=16, widths=(8, 16), lr=3e-3, pool_points=8000)
    return Stage2Corrector(cfg, hfield, 2, chart, uv, target, seed=seed), hfield, chart, uv


def test_the_corrector_learns_the_fields_error():
    corr, hfield, chart, uv = _toy_corrector()
    assert corr.cond.shape == (2, hfield.encoding.out_dim + 4, 16, 16)
    assert corr.x0.shape == (2, 3, 16, 16) and corr.delta_scale > 0
    target = corr.pool[2]
    before = float(((corr.correction(corr.sample(5), chart, uv) - target) ** 2).mean())
    for _ in range(250):
        corr.step()
    assert sum(corr.losses[-50:]) / 50 < 0.8 * sum(corr.losses[:50]) / 50
    after = float(((corr.correction(corr.sample(5), chart, uv) - target) ** 2).mean())
    zero = float((target**2).mean())
    assert after < 0.5 * zero and after < before
    # sampling is deterministic (seeded noise image)
    assert torch.equal(corr.sample(5), corr.sample(5))


def test_stage2_config_rejects_unknown_keys():
    with pytest.raises(ValueError, match="unknown stage2 keys: colour"):
        Stage2Config.from_dict({"colour": 1})
    assert Stage2Config.from_dict({"widths": [8, 16]}).widths == (8, 16)


def test_the_gain_keeps_a_correction_that_helps_and_turns_down_one_that_hurts():
    corr, hfield, chart, uv = _toy_corrector()
    target = corr.pool[2]
    zero = float((target**2).mean())
    # the pool's own error image, read back bilinearly: close to the error, gain near 1
    assert corr.fit_gain(corr.x0, hfield) > 0.8
    assert float(((corr.correction(corr.x0, chart, uv) - target) ** 2).mean()) < 0.2 * zero
    # least squares, clamped to [0, 1]: doubling an (over-sized) correction halves its gain
    g2 = corr.fit_gain(2 * corr.x0, hfield)
    assert 0.3 < g2 < 0.7 and corr.fit_gain(4 * corr.x0, hfield) == pytest.approx(0.5 * g2, rel=1e-4)
    # the error's opposite: clamped to 0, the correction vanishes (never worse than the field)
    assert corr.fit_gain(-corr.x0, hfield) == 0.0
    assert float(corr.correction(-corr.x0, chart, uv).abs().max()) == 0.0
    assert corr.to_json()["gain"] == 0.0
