"""The denoiser's shapes, its receptive field at the chart pitch, and its config round trip."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from core.refiner.network import Denoiser, DenoiserConfig, parameter_count  # noqa: E402


def test_any_image_size_keeps_its_shape_and_the_head_starts_at_zero():
    m = Denoiser()
    x, c = torch.randn(2, 3, 37, 53), torch.randn(2, 18, 37, 53)
    y = m(x, c, torch.tensor([0, 999]))
    assert y.shape == (2, 3, 37, 53) and torch.count_nonzero(y) == 0
    assert 100_000 < parameter_count(m) < 1_000_000


def test_receptive_field_spans_more_than_ten_cm_at_half_a_cm_per_pixel():
    torch.manual_seed(0)
    m = Denoiser()
    torch.nn.init.normal_(m.head[-1].weight)
    x = torch.zeros(1, 3, 96, 96, requires_grad=True)
    m(x, torch.zeros(1, 18, 96, 96), torch.tensor([500]))[0, 0, 48, 48].backward()
    rows = torch.nonzero(x.grad[0].abs().sum(0)).T[0]
    assert (rows.max() - rows.min() + 1) * 0.5 >= 10.0


def test_config_round_trips_through_json():
    cfg = DenoiserConfig(widths=(16, 32), mid_blocks=1)
    assert DenoiserConfig.from_json(cfg.to_json()) == cfg
    assert Denoiser(cfg)(torch.zeros(1, 3, 8, 8), torch.zeros(1, 18, 8, 8), torch.tensor([3])).shape == (
        1,
        3,
        8,
        8,
    )


def test_space_to_depth_stem_keeps_even_shapes_at_a_third_of_the_cost():
    from torch.utils.flop_counter import FlopCounterMode

    def kmac(cfg):
        m = Denoiser(cfg).eval()
        with FlopCounterMode(display=False) as f, torch.no_grad():
            y = m(torch.zeros(1, 3, 64, 96), torch.zeros(1, 18, 64, 96), torch.tensor([5]))
        assert y.shape == (1, 3, 64, 96)
        return f.get_total_flops() / 2 / (64 * 96) / 1e3

    strided = DenoiserConfig(widths=(32, 48, 64), stem_stride=2)
    assert Denoiser(strided).multiple == 8
    assert kmac(strided) < 0.45 * kmac(DenoiserConfig())
