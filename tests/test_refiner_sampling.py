"""The chart sampler: charts batched by padded size, each chart's result independent of the others."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from core.refiner.network import Denoiser, DenoiserConfig  # noqa: E402
from core.refiner.runtime import TorchRuntime  # noqa: E402
from core.refiner.sampling import denoise_charts, size_groups  # noqa: E402
from core.refiner.schedule import NoiseSchedule  # noqa: E402


def test_size_groups_batch_charts_of_equal_rounded_size():
    shapes = [(148, 138), (45, 128), (147, 137), (45, 125), (200, 10)]
    assert size_groups(shapes, 4) == [[0, 2], [1, 3], [4]]
    assert size_groups(shapes, 1) == [[0], [1], [2], [3], [4]]


def _runtime() -> TorchRuntime:
    torch.manual_seed(0)
    net = Denoiser(DenoiserConfig(cond_channels=4, widths=(8, 16), groups=4, stem_stride=2))
    torch.nn.init.normal_(net.head[-1].weight, std=0.1)
    return TorchRuntime(net)


def test_a_chart_comes_out_the_same_alone_or_beside_others():
    rng = np.random.default_rng(1)
    cond = [rng.standard_normal((4, *s)).astype(np.float32) for s in [(30, 22), (13, 40), (29, 21)]]
    plan = NoiseSchedule.default().sampler(3)
    run = _runtime()
    together = denoise_charts(cond, run, plan, multiple=run.module.multiple, stochastic=False)
    for k, c in enumerate(cond):
        alone = denoise_charts([c], run, plan, multiple=run.module.multiple, stochastic=False)[0]
        assert alone.shape == (3, *c.shape[1:])
        np.testing.assert_allclose(together[k], alone, atol=1e-5)
    assert np.abs(together[0]).max() > 1e-3  # the network did something


def test_the_seed_alone_decides_the_noise():
    rng = np.random.default_rng(2)
    cond = [rng.standard_normal((4, *s)).astype(np.float32) for s in [(16, 16), (24, 8)]]
    plan = NoiseSchedule.default().sampler(2)
    run = _runtime()
    a = denoise_charts(cond, run, plan, seed=5, multiple=8)
    b = denoise_charts(cond, run, plan, seed=5, multiple=8)
    c = denoise_charts(cond, run, plan, seed=6, multiple=8)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.allclose(a[0], c[0])
