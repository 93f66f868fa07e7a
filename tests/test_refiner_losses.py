"""Each training loss on a case with a known value."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from core.refiner.losses import gradient_structure, gram_structure, masked_l1, masked_mse  # noqa: E402


def _ramp(axis: int, n: int = 16) -> torch.Tensor:
    r = torch.arange(n, dtype=torch.float32)
    img = r[None, :].expand(n, n) if axis == 1 else r[:, None].expand(n, n)
    out = torch.zeros(1, 3, n, n)
    out[0, 2] = img
    return out


def test_masked_means_ignore_pixels_off_the_cloth():
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., :2] = 1
    pred = torch.ones(1, 3, 4, 4)
    pred[..., 2:] = 100.0  # off the cloth: must not count
    target = torch.zeros(1, 3, 4, 4)
    assert masked_mse(pred, target, mask).item() == pytest.approx(1.0)
    assert masked_l1(pred * 3, target, mask).item() == pytest.approx(3.0)


def test_gradient_structure_of_a_ramp_against_flat_is_its_slope_at_each_scale():
    ones = torch.ones(1, 1, 16, 16)
    # slope 1 px^-1 at full size, 2 at half, 4 at quarter: mean over the three scales 7/3
    value = gradient_structure(torch.zeros(1, 3, 16, 16), _ramp(1), ones)
    assert value.item() == pytest.approx(7 / 3, rel=1e-5)
    assert gradient_structure(_ramp(1) + 5.0, _ramp(1), ones).item() == pytest.approx(0.0, abs=1e-6)


def test_gram_structure_tells_fold_orientation_apart_but_not_phase():
    ones = torch.ones(1, 1, 16, 16)
    assert gram_structure(_ramp(1), _ramp(0), ones).item() == pytest.approx(2.0, rel=1e-5)
    assert gram_structure(_ramp(1), -_ramp(1) + 3.0, ones).item() == pytest.approx(0.0, abs=1e-6)
