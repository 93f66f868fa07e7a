"""Nuvo networks: positional encoding values, per-chart MLP shapes and independence, the
hand-propagated tangents against torch's forward-mode AD, the model's output ranges."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

from core.nuvo.encoding import PositionalEncoding  # noqa: E402
from core.nuvo.network import ChartMLP, LossWeights, NuvoConfig, NuvoModel  # noqa: E402


def test_positional_encoding_values_and_order():
    pe = PositionalEncoding(2, 2)
    assert pe.out_dim == 10
    out = pe(torch.tensor([[0.5, -0.25]]))[0]
    s, c = math.sin, math.cos
    p = math.pi
    expected = [
        0.5, -0.25,  # x
        s(p / 2), s(-p / 4), c(p / 2), c(-p / 4),  # degree 0: sin, cos of pi x
        s(p), s(-p / 2), c(p), c(-p / 2),  # degree 1: sin, cos of 2 pi x
    ]  # fmt: skip
    assert torch.allclose(out, torch.tensor(expected), atol=1e-6)


def test_positional_encoding_degree_zero_is_identity_and_batches():
    x = torch.rand(4, 5, 3)
    assert torch.equal(PositionalEncoding(3, 0)(x), x)
    assert PositionalEncoding(3, 4)(x).shape == (4, 5, 27)
    with pytest.raises(ValueError):
        PositionalEncoding(3, -1)


def test_positional_encoding_tangents_match_forward_mode_ad():
    pe = PositionalEncoding(3, 3)
    x = torch.rand(6, 3, dtype=torch.float64)
    dx = torch.randn(2, 6, 3, dtype=torch.float64)
    value, tangents = pe.forward_with_tangents(x, dx)
    assert torch.allclose(value, pe(x))
    for k in range(2):
        _, jv = torch.func.jvp(pe, (x,), (dx[k],))
        assert torch.allclose(tangents[k], jv, atol=1e-12)


def test_chart_mlp_shapes_and_independent_charts():
    mlp = ChartMLP(3, 5, 2, hidden=16, layers=3)
    shared = torch.rand(7, 5)
    per_chart = torch.rand(3, 7, 5)
    assert mlp(shared).shape == (3, 7, 2)
    assert mlp(per_chart).shape == (3, 7, 2)
    # a shared input equals the same rows fed to every chart
    assert torch.allclose(mlp(shared), mlp(shared.expand(3, 7, 5).contiguous()), atol=1e-6)
    before = mlp(shared).detach().clone()
    with torch.no_grad():
        for w in mlp.weights:
            w[1] += 1.0
    after = mlp(shared)
    assert torch.equal(after[0], before[0]) and torch.equal(after[2], before[2])
    assert not torch.allclose(after[1], before[1])
    assert len(mlp.weights) == 3 and mlp.weights[1].shape == (3, 16, 16)


@pytest.mark.parametrize("per_chart", [False, True])
def test_chart_mlp_tangents_match_forward_mode_ad(per_chart):
    torch.manual_seed(0)
    mlp = ChartMLP(3, 4, 2, hidden=16, layers=4).double()
    x = torch.rand(3, 6, 4, dtype=torch.float64) if per_chart else torch.rand(6, 4, dtype=torch.float64)
    dx = torch.randn(*((3,) if per_chart else ()), 2, 6, 4, dtype=torch.float64)
    value, tangents = mlp.forward_with_tangents(x, dx)
    assert tangents.shape == (3, 2, 6, 2)
    assert torch.allclose(value, mlp(x))
    for k in range(2):
        _, jv = torch.func.jvp(mlp, (x,), (dx[:, k] if per_chart else dx[k],))
        assert torch.allclose(tangents[:, k], jv, atol=1e-12)


def test_texture_tangents_are_the_jacobian_of_the_uv_map():
    torch.manual_seed(1)
    model = NuvoModel(NuvoConfig(n_charts=2, hidden=16, layers=3)).double()
    x = torch.rand(5, 3, dtype=torch.float64) - 0.5
    dx = torch.randn(2, 5, 3, dtype=torch.float64)
    uv, duv = model.texture.forward_with_tangents(x, dx)
    assert torch.allclose(uv, model.texture(x))
    for k in range(2):
        _, jv = torch.func.jvp(model.texture, (x,), (dx[k],))
        assert torch.allclose(duv[:, k], jv, atol=1e-12)


def test_model_shapes_and_ranges():
    torch.manual_seed(0)
    model = NuvoModel(NuvoConfig(n_charts=4, hidden=32, layers=2))
    x = torch.cat([torch.rand(50, 3) - 0.5, 100 * torch.randn(10, 3)])  # far points saturate
    probs, uv = model(x)
    assert probs.shape == (60, 4) and uv.shape == (4, 60, 2)
    assert torch.allclose(probs.sum(1), torch.ones(60), atol=1e-6)
    assert (probs >= 0).all()
    assert (uv >= 0).all() and (uv <= 1).all()
    assert model.surface(torch.rand(4, 9, 2)).shape == (4, 9, 3)
    assert model.surface(torch.rand(9, 2)).shape == (4, 9, 3)
    assert model.assigner.logits(x).shape == (60, 4)


def test_config_defaults_presets_and_json():
    c = NuvoConfig()
    assert (c.n_charts, c.hidden, c.layers) == (8, 256, 8)
    assert (c.pe_chart, c.pe_texture, c.pe_surface) == (1, 4, 4)
    assert (c.iterations, c.points, c.uv_samples, c.lr) == (10_000, 5000, 5000, 1e-4)
    assert c.weights == LossWeights(1.0, 1.0, 0.04, 10.0, 0.5, 0.4, 0.1, 1.0)
    cpu = NuvoConfig.cpu()
    assert (cpu.hidden, cpu.layers) == (128, 4) and cpu.iterations < c.iterations
    assert NuvoConfig.cpu(n_charts=3).n_charts == 3
    assert NuvoConfig.from_json(cpu.to_json()) == cpu
    model = NuvoModel(NuvoConfig(hidden=32, layers=8))
    assert len(model.texture.mlp.weights) == 8
    assert model.texture.encoding.out_dim == 27 and model.surface.encoding.out_dim == 18
    assert model.assigner.encoding.out_dim == 9
