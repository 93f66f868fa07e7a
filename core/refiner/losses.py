"""Training losses over masked chart images (torch).

- :func:`masked_mse`, :func:`masked_l1`: means over cloth pixels only;
- :func:`gradient_structure`: multi-scale gradient matching of the residual's normal channel
  (the fold pattern: where the surface rises and falls, at 1, 2 and 4 pixel scales), an
  offline stand-in for a perceptual loss on normal images;
- :func:`gram_structure`: Gram statistics of those gradients (the fold orientations'
  covariance), which rewards the right texture even where the phase differs.
LPIPS needs a backbone's weights, which are not shipped here: it is not used.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

Tensor = torch.Tensor


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``x`` (B, C, H, W) over pixels where ``mask`` (B, 1, H, W) is 1."""
    m = mask.expand_as(x)
    return (x * m).sum() / m.sum().clamp_min(1.0)


def masked_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return masked_mean((pred - target) ** 2, mask)


def masked_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return masked_mean((pred - target).abs(), mask)


def _gradients(
    x: torch.Tensor, mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Forward differences along rows and columns and the masks where both pixels are cloth."""
    gx = x[..., :, 1:] - x[..., :, :-1]
    gy = x[..., 1:, :] - x[..., :-1, :]
    mx = mask[..., :, 1:] * mask[..., :, :-1]
    my = mask[..., 1:, :] * mask[..., :-1, :]
    return gx, gy, mx, my


def gradient_structure(
    pred: torch.Tensor,
    target: torch.Tensor,
    mask: torch.Tensor,
    channel: int = 2,
    scales: tuple[int, ...] = (1, 2, 4),
) -> torch.Tensor:
    """Mean over scales of the masked L1 between predicted and target gradients of ``channel``."""
    p, t, m = pred[:, channel : channel + 1], target[:, channel : channel + 1], mask
    total = pred.new_zeros(())
    for s in scales:
        if s > 1:
            p, t = F.avg_pool2d(p, 2), F.avg_pool2d(t, 2)
            m = (F.avg_pool2d(m, 2) > 0.999).float()
        pgx, pgy, mx, my = _gradients(p, m)
        tgx, tgy, _, _ = _gradients(t, m)
        total = total + masked_mean((pgx - tgx).abs(), mx) + masked_mean((pgy - tgy).abs(), my)
    return total / len(scales)


def gram_structure(
    pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, channel: int = 2
) -> torch.Tensor:
    """Squared difference of the 2x2 Gram matrices of the (gx, gy) gradient field per image."""

    def gram(x):
        gx, gy, mx, my = _gradients(x[:, channel : channel + 1], mask)
        gx, gy = (gx * mx)[..., :-1, :], (gy * my)[..., :, :-1]
        n = (mx[..., :-1, :] * my[..., :, :-1]).sum(dim=(1, 2, 3)).clamp_min(1.0)
        g = torch.stack(
            [(gx * gx).sum(dim=(1, 2, 3)), (gx * gy).sum(dim=(1, 2, 3)), (gy * gy).sum(dim=(1, 2, 3))], dim=1
        )
        return g / n[:, None]

    return ((gram(pred) - gram(target)) ** 2).sum(dim=1).mean()
