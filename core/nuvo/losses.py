"""Nuvo's loss terms, one function each (tensors in, a scalar out), and their weighted sum.

Shapes: ``N`` surface points, ``C`` charts, ``M`` UV samples per chart. ``probs`` (N, C) are the
chart assigner's probabilities; per-chart quantities are (C, N, ...). Terms that are defined
per chart at a surface point (cycle 3D->2D->3D, conformal, stretch) are weighted by the
point's chart probabilities, summed over charts and averaged over points (the expectation
under the assignment).

Reductions follow the reference reimplementation (ruiqixu37/Nuvo), whose loss weights
:class:`~.network.LossWeights` copies: terms on UV samples are *summed* over charts (each
chart's mean over its samples), so they grow with the number of charts.

Entropy loss (as in the reference): every chart's UV->3D image of uniform UV samples should be
assigned to that chart, ``-sum_c mean_u log P_c(s_c(u))``; ``C log C`` when the probabilities
are uniform. Together with the Chamfer term (the charts' images cover the surface) this makes
the charts share the surface out instead of one chart taking all of it.

Cluster loss (the paper's "charts should be spatially compact"): the soft k-means inertia
``mean_x sum_c P_c(x) ||x - mu_c||^2`` with ``mu_c`` the probability-weighted centroid of chart
``c``.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from .network import NuvoConfig

EPS = 1e-12


def cycle_3d_loss(points: torch.Tensor, recon: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    """``mean_x sum_c P_c(x) ||x - s_c(t_c(x))||^2``: points (N, 3), recon (C, N, 3), probs (N, C)."""
    err = ((recon - points[None]) ** 2).sum(-1)  # (C, N)
    return (err * probs.T).sum(0).mean()


def cycle_2d_loss(uv: torch.Tensor, recon_uv: torch.Tensor) -> torch.Tensor:
    """``sum_c mean_u ||u - t_c(s_c(u))||^2``: uv and recon_uv (C, M, 2)."""
    return ((recon_uv - uv) ** 2).sum(-1).mean(-1).sum()


def entropy_loss(image_probs: torch.Tensor) -> torch.Tensor:
    """``-sum_c mean_u log P_c(s_c(u))``: image_probs (C, M, C) the chart probabilities of each
    chart's UV->3D images (row c: the images of chart c)."""
    own = image_probs.diagonal(dim1=0, dim2=2)  # (M, C): P_c(s_c(u))
    return -torch.log(own.clamp_min(EPS)).mean(0).sum()


def _nearest(a: torch.Tensor, b: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
    """Index of the nearest row of ``b`` for every row of ``a`` (no gradient, in chunks)."""
    with torch.no_grad():
        return torch.cat([torch.cdist(a[i : i + chunk], b).argmin(dim=1) for i in range(0, len(a), chunk)])


def chamfer_loss(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared bidirectional Chamfer distance between point sets (A, 3) and (B, 3):
    ``mean_a min_b ||a - b||^2 + mean_b min_a ||a - b||^2``. The nearest neighbours are found
    without gradient in chunks (no A x B matrix is kept), then the matched distances are
    recomputed with gradient (the gradient of a min is that of its argmin)."""
    ab = ((a - b[_nearest(a, b)]) ** 2).sum(-1).mean()
    ba = ((b - a[_nearest(b, a)]) ** 2).sum(-1).mean()
    return ab + ba


def surface_loss(surface_samples: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Chamfer between all charts' UV->3D images of uniform UV samples (C, M, 3), pooled, and
    the surface points (N, 3): the union of the charts covers the surface and stays on it."""
    return chamfer_loss(surface_samples.reshape(-1, surface_samples.shape[-1]), points)


def cluster_loss(points: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    """Soft k-means inertia ``mean_x sum_c P_c(x) ||x - mu_c||^2`` with ``mu_c`` the
    probability-weighted centroid of chart c: points (N, 3), probs (N, C)."""
    mass = probs.sum(0)  # (C,)
    centroids = (probs.T @ points) / mass.clamp_min(EPS)[:, None]  # (C, 3)
    d2 = ((points[:, None, :] - centroids[None]) ** 2).sum(-1)  # (N, C)
    return (probs * d2).sum(-1).mean()


def conformal_loss(ja: torch.Tensor, jb: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    """``mean_x sum_c P_c(x) cos^2(J_c a, J_c b)``: ja, jb (C, N, 2) the UV images of two
    orthogonal unit tangents a, b under each chart's 3D->UV Jacobian; probs (N, C)."""
    dot = (ja * jb).sum(-1)
    cos2 = dot**2 / ((ja**2).sum(-1) * (jb**2).sum(-1) + EPS)  # (C, N)
    return (cos2 * probs.T).sum(0).mean()


def stretch_loss(
    ja: torch.Tensor, jb: torch.Tensor, probs: torch.Tensor, sigma: torch.Tensor
) -> torch.Tensor:
    """``mean_x sum_c P_c(x) (|J_c a x J_c b| - sigma)^2``: the UV area of a unit tangent square
    against the learned scale ``sigma`` (one for all charts, so charts get equal UV density)."""
    area = (ja[..., 0] * jb[..., 1] - ja[..., 1] * jb[..., 0]).abs()  # (C, N)
    return (((area - sigma) ** 2) * probs.T).sum(0).mean()


def panel_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the chart logits (N, C) against panel ids (N,) in ``[0, C)``."""
    return F.cross_entropy(logits, labels)


def total_loss(terms: dict[str, torch.Tensor], config: NuvoConfig) -> torch.Tensor:
    """Sum of the terms weighted by ``config.weights`` (term names are its field names)."""
    weights = config.weights
    unknown = [k for k in terms if not hasattr(weights, k)]
    if unknown:
        raise KeyError(f"no weight for loss terms {unknown}")
    return sum((getattr(weights, k) * v for k, v in terms.items()), torch.zeros((), device=_device(terms)))


def _device(terms: dict[str, torch.Tensor]) -> torch.device:
    return next(iter(terms.values())).device if terms else torch.device("cpu")
