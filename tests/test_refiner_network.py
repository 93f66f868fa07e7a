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


def _shift_error(m: Denoiser) -> float:
    """How far ``m`` is from answering a one-texel shift of an impulse with its output shifted
    by one texel (relative to the output's size; away from the borders)."""
    impulse = torch.zeros(1, 3, 24, 32)
    impulse[0, 2, 12, 15] = 1.0
    zeros, t = torch.zeros(1, 18, 24, 32), torch.tensor([5])
    with torch.no_grad():
        a, b = m(impulse, zeros, t), m(torch.roll(impulse, 1, dims=3), zeros, t)
    return float((torch.roll(a, 1, dims=3)[..., 4:-4] - b[..., 4:-4]).abs().max() / a.abs().max())


def test_full_resolution_branch_starts_at_zero_and_makes_single_texel_detail():
    """The fine branch adds nothing before training and keeps every shape; unlike the
    space-to-depth U-Net, it answers a one-texel shift with its output shifted by one texel."""
    cfg = DenoiserConfig(widths=(16, 32), mid_blocks=1, stem_stride=2, fine_width=8)
    m = Denoiser(cfg).eval()
    with torch.no_grad():
        assert (
            torch.count_nonzero(m(torch.randn(1, 3, 24, 32), torch.randn(1, 18, 24, 32), torch.tensor([7])))
            == 0
        )
    assert parameter_count(m) > parameter_count(
        Denoiser(DenoiserConfig(**{**cfg.to_json(), "fine_width": 0}))
    )
    torch.manual_seed(0)
    coarse = Denoiser(cfg).eval()
    torch.nn.init.normal_(coarse.head[-1].weight)  # the U-Net alone
    torch.nn.init.normal_(m.fine["head"][-1].weight)  # the fine branch alone, fed nothing by the U-Net
    torch.nn.init.zeros_(m.fine["lift"][0].weight)
    torch.nn.init.zeros_(m.fine["lift"][0].bias)
    assert _shift_error(coarse) > 0.1
    assert _shift_error(m) < 1e-4


def test_full_resolution_branch_exports_to_onnx_equal_to_torch(tmp_path):
    import numpy as np

    from core.refiner.export import export_onnx, max_difference
    from core.refiner.modelfile import save_model

    cfg = DenoiserConfig(widths=(16, 32), mid_blocks=1, stem_stride=2, fine_width=8)
    torch.manual_seed(1)
    m = Denoiser(cfg)
    torch.nn.init.normal_(m.head[-1].weight, std=0.05)
    torch.nn.init.normal_(m.fine["head"][-1].weight, std=0.05)
    tensors = {k: v.detach().numpy() for k, v in m.state_dict().items()}
    desc = {"network": cfg.to_json(), "residual_scale_cm": [1.0, 1.0, 1.0]}
    path = save_model(tmp_path / "fine", tensors, desc)
    export_onnx(path)
    assert np.isfinite(max_difference(path, shape=(2, 24, 40))) and max_difference(path, (2, 24, 40)) < 1e-4
