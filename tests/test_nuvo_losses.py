"""Nuvo losses: each term's value on a hand-made case, and each term going down when a tiny
model is optimised on it alone on a toy surface (a bent plane)."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

from core.nuvo.fit import loss_terms  # noqa: E402
from core.nuvo.losses import (  # noqa: E402
    chamfer_loss,
    cluster_loss,
    conformal_loss,
    cycle_2d_loss,
    cycle_3d_loss,
    entropy_loss,
    panel_loss,
    stretch_loss,
    surface_loss,
    total_loss,
)
from core.nuvo.network import LossWeights, NuvoConfig, NuvoModel  # noqa: E402
from core.nuvo.sampling import Normalisation, SurfaceSampler, sample_uv  # noqa: E402


def test_cycle_3d_is_the_probability_weighted_squared_error():
    points = torch.rand(10, 3)
    recon = torch.stack([points, points + torch.tensor([0.0, 0.0, 2.0])])  # chart 1 off by 2
    probs = torch.tensor([[0.25, 0.75]]).expand(10, 2)
    assert cycle_3d_loss(points, recon, probs).item() == pytest.approx(0.75 * 4)
    assert cycle_3d_loss(points, recon, torch.tensor([[1.0, 0.0]]).expand(10, 2)).item() == 0


def test_cycle_2d_sums_charts_of_mean_squared_error():
    uv = torch.rand(3, 20, 2)
    assert cycle_2d_loss(uv, uv).item() == 0
    shifted = uv + torch.tensor([0.1, 0.0])
    assert cycle_2d_loss(uv, shifted).item() == pytest.approx(3 * 0.01, rel=1e-5)


def test_entropy_uniform_is_c_log_c_and_own_chart_is_zero():
    c, m = 4, 7
    assert entropy_loss(torch.full((c, m, c), 1 / c)).item() == pytest.approx(c * math.log(c), rel=1e-6)
    own = torch.eye(c)[:, None, :].expand(c, m, c)  # chart k's images all assigned to chart k
    assert entropy_loss(own).item() == pytest.approx(0.0, abs=1e-9)
    half = torch.full((2, 5, 2), 0.5)
    half[0, :, 0], half[0, :, 1] = 0.9, 0.1  # chart 0's images: P_0 = 0.9; chart 1's: P_1 = 0.5
    assert entropy_loss(half).item() == pytest.approx(-math.log(0.9) - math.log(0.5), rel=1e-6)


def test_chamfer_known_value_and_pooled_surface_loss():
    a = torch.tensor([[0.0, 0.0, 0.0]])
    b = torch.tensor([[1.0, 0.0, 0.0], [3.0, 0.0, 0.0]])
    assert chamfer_loss(a, b).item() == pytest.approx(1 + (1 + 9) / 2)
    samples = torch.tensor([[[0.0, 0.0, 0.0]], [[3.0, 0.0, 0.0]]])  # two charts, one sample each
    assert surface_loss(samples, b).item() == pytest.approx((1 + 0) / 2 + (1 + 0) / 2)


def test_chamfer_in_chunks_equals_brute_force_and_its_gradient():
    from core.nuvo import losses

    torch.manual_seed(0)
    a = torch.rand(300, 3, requires_grad=True)
    b = torch.rand(200, 3)
    d = torch.cdist(a, b) ** 2
    brute = d.min(1).values.mean() + d.min(0).values.mean()
    assert losses._nearest(a, b, chunk=7).tolist() == d.argmin(1).tolist()
    value = chamfer_loss(a, b)
    assert value.item() == pytest.approx(brute.item(), rel=1e-5)
    (g1,) = torch.autograd.grad(value, a)
    (g2,) = torch.autograd.grad(brute, a)
    assert torch.allclose(g1, g2, atol=1e-6)


def test_cluster_is_the_soft_kmeans_inertia():
    points = torch.tensor([[-1.0, 0, 0], [-1.0, 0, 0], [1.0, 0, 0], [1.0, 0, 0]])
    hard = torch.tensor([[1.0, 0], [1.0, 0], [0, 1.0], [0, 1.0]])
    assert cluster_loss(points, hard).item() == pytest.approx(0.0)
    one_chart = torch.tensor([[1.0, 0]]).expand(4, 2)
    assert cluster_loss(points, one_chart).item() == pytest.approx(1.0)  # the variance
    assert cluster_loss(points, torch.full((4, 2), 0.5)).item() == pytest.approx(1.0)
    wrong = hard.flip(0)[[1, 0, 3, 2]]  # still two clean clusters, charts swapped
    assert cluster_loss(points, wrong).item() == pytest.approx(0.0)


def _plane_jacobian_images(angle: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Images of two orthonormal tangents of the plane z = 0, turned by ``angle``, under the
    linear map u = 2x, v = y (Jacobian [[2, 0, 0], [0, 1, 0]])."""
    jac = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    a = torch.tensor([math.cos(angle), math.sin(angle), 0.0])
    b = torch.tensor([-math.sin(angle), math.cos(angle), 0.0])
    return (jac @ a)[None, None], (jac @ b)[None, None]  # (C=1, N=1, 2)


def test_conformal_on_a_plane_with_known_jacobian():
    one = torch.ones(1, 1)
    ja, jb = _plane_jacobian_images(0.0)  # the axes stay orthogonal under an axis scaling
    assert conformal_loss(ja, jb, one).item() == pytest.approx(0.0, abs=1e-12)
    ja, jb = _plane_jacobian_images(math.pi / 4)  # (2, 1) / sqrt2 and (-2, 1) / sqrt2: cos^2 = 0.36
    assert conformal_loss(ja, jb, one).item() == pytest.approx(0.36, rel=1e-5)
    # a similarity (rotation and scale) keeps a right angle
    similar_a, similar_b = torch.tensor([[[3.0, 1.5]]]), torch.tensor([[[-1.5, 3.0]]])
    assert conformal_loss(similar_a, similar_b, one).item() == pytest.approx(0.0, abs=1e-12)


def test_stretch_on_a_plane_with_known_jacobian():
    one = torch.ones(1, 1)
    for angle in (0.0, 0.3, math.pi / 4):  # the area scale det = 2 whatever the frame's angle
        ja, jb = _plane_jacobian_images(angle)
        assert stretch_loss(ja, jb, one, torch.tensor(1.0)).item() == pytest.approx(1.0, rel=1e-5)
        assert stretch_loss(ja, jb, one, torch.tensor(2.0)).item() == pytest.approx(0.0, abs=1e-10)
    # weighted by chart probabilities: chart 1 (area 0) only counts for the point's share of it
    ja2 = torch.cat([ja, torch.zeros_like(ja)])
    jb2 = torch.cat([jb, torch.zeros_like(jb)])
    probs = torch.tensor([[0.25, 0.75]])
    assert stretch_loss(ja2, jb2, probs, torch.tensor(1.0)).item() == pytest.approx(0.25 * 1 + 0.75 * 1)


def test_panel_loss_uniform_logits_is_log_c():
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    assert panel_loss(torch.zeros(6, 3), labels).item() == pytest.approx(math.log(3))


def test_total_loss_uses_the_config_weights():
    cfg = NuvoConfig()
    names = [f for f in LossWeights.__dataclass_fields__]
    total = total_loss({k: torch.tensor(1.0) for k in names}, cfg)
    assert total.item() == pytest.approx(sum(getattr(cfg.weights, k) for k in names))
    assert total_loss({"surface": torch.tensor(2.0)}, cfg).item() == pytest.approx(20.0)
    with pytest.raises(KeyError):
        total_loss({"texture": torch.tensor(1.0)}, cfg)


def _bent_plane(n: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """A 2 x 1 plane folded by 90 degrees along x = 0 (an L in the xz plane), n x n quads per side."""
    x = np.linspace(-1, 1, 2 * n + 1)
    y = np.linspace(0, 1, n + 1)
    xx, yy = np.meshgrid(x, y)
    v = np.stack([np.minimum(xx, 0), yy, np.maximum(xx, 0)], axis=-1).reshape(-1, 3)
    w = len(x)
    f = []
    for j in range(len(y) - 1):
        for i in range(w - 1):
            p = j * w + i
            f += [[p, p + 1, p + w + 1], [p, p + w + 1, p + w]]
    return v, np.array(f)


@pytest.mark.parametrize(
    "term", ["cycle_3d", "cycle_2d", "entropy", "surface", "cluster", "conformal", "stretch", "panel"]
)
def test_each_term_decreases_when_optimised_on_a_toy_surface(term):
    v, f = _bent_plane()
    unit = Normalisation.fit(v).apply(v)
    rng = np.random.default_rng(0)
    s = SurfaceSampler(unit, f).sample(256, rng)
    tensors = [torch.as_tensor(a, dtype=torch.float32) for a in (s.points, s.tangent_a, s.tangent_b)]
    uv = torch.as_tensor(sample_uv(2, 64, rng), dtype=torch.float32)
    labels = torch.as_tensor((s.points[:, 0] > 0).astype(np.int64))  # the two sides of the fold
    torch.manual_seed(0)
    model = NuvoModel(NuvoConfig(n_charts=2, hidden=32, layers=2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)

    def value() -> torch.Tensor:
        return loss_terms(model, *tensors, uv, labels)[term]

    first = value().item()
    for _ in range(40):
        opt.zero_grad()
        value().backward()
        opt.step()
    last = value().item()
    assert last < 0.8 * first, (term, first, last)
