"""Chart images for the per-garment fit's stage 2: points keyed by (chart, u, v) to and from
``(n_charts, channels, S, S)`` images over Nuvo's ``[0, 1]^2`` charts (torch).

Texel ``(row j, column i)`` of a chart image is centred at ``u = (i + 0.5) / S``, ``v = (j + 0.5) / S``
(columns run along u, rows along v). :func:`lookup` reads an image bilinearly at points (clamped at
the border, as ``grid_sample`` with ``align_corners=False`` and border padding); :func:`splat` is
its transpose: every point adds its value to the four texels around it with the same bilinear
weights, and the image is the weighted mean where the weight is positive (0 elsewhere) — so a
constant splatted densely reads back as that constant, and a field that is linear in (u, v) reads
back exactly wherever the four texels around a point are covered.
"""

from __future__ import annotations

import torch


def _corners(chart: torch.Tensor, uv: torch.Tensor, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Flat indices (N, 4) into ``n_charts * S * S`` and bilinear weights (N, 4)."""
    p = uv.clamp(0.0, 1.0) * size - 0.5
    p0 = torch.floor(p)
    f = p - p0
    i0 = p0.long()
    i1 = i0 + 1
    i0, i1 = i0.clamp(0, size - 1), i1.clamp(0, size - 1)
    base = chart.long() * size * size
    idx = torch.stack(
        [
            base + i0[:, 1] * size + i0[:, 0],
            base + i0[:, 1] * size + i1[:, 0],
            base + i1[:, 1] * size + i0[:, 0],
            base + i1[:, 1] * size + i1[:, 0],
        ],
        dim=1,
    )
    fu, fv = f[:, 0], f[:, 1]
    w = torch.stack([(1 - fu) * (1 - fv), fu * (1 - fv), (1 - fu) * fv, fu * fv], dim=1)
    return idx, w


def lookup(image: torch.Tensor, chart: torch.Tensor, uv: torch.Tensor) -> torch.Tensor:
    """Bilinear read of ``image`` (n_charts, C, S, S) at points (chart (N,), uv (N, 2)) -> (N, C)."""
    n_charts, c, size, _ = image.shape
    idx, w = _corners(chart, uv, size)
    flat = image.permute(0, 2, 3, 1).reshape(n_charts * size * size, c)
    return (flat[idx] * w.unsqueeze(-1).to(flat.dtype)).sum(dim=1)


def splat(
    chart: torch.Tensor, uv: torch.Tensor, values: torch.Tensor, n_charts: int, size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Bilinear splat of point ``values`` (N, C) -> (weighted-mean image (n_charts, C, S, S),
    weight image (n_charts, 1, S, S))."""
    idx, w = _corners(chart, uv, size)
    c = values.shape[1]
    total = torch.zeros(n_charts * size * size, c, dtype=values.dtype, device=values.device)
    weight = torch.zeros(n_charts * size * size, dtype=values.dtype, device=values.device)
    total.index_add_(0, idx.reshape(-1), (values.unsqueeze(1) * w.unsqueeze(-1)).reshape(-1, c))
    weight.index_add_(0, idx.reshape(-1), w.reshape(-1).to(values.dtype))
    mean = torch.where(weight[:, None] > 0, total / weight.clamp_min(1e-12)[:, None], torch.zeros_like(total))
    img = mean.reshape(n_charts, size, size, c).permute(0, 3, 1, 2).contiguous()
    return img, weight.reshape(n_charts, 1, size, size)


def texel_centres(n_charts: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(chart (n_charts * S * S,), uv (.., 2)) of every texel centre, in image order."""
    g = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    v, u = torch.meshgrid(g, g, indexing="ij")
    uv = torch.stack([u.reshape(-1), v.reshape(-1)], dim=1).repeat(n_charts, 1)
    chart = torch.arange(n_charts).repeat_interleave(size * size)
    return chart, uv


def points_to_image(values: torch.Tensor, n_charts: int, size: int) -> torch.Tensor:
    """Values at :func:`texel_centres` (n_charts * S * S, C) -> image (n_charts, C, S, S)."""
    return values.reshape(n_charts, size, size, -1).permute(0, 3, 1, 2).contiguous()


__all__ = ["lookup", "points_to_image", "splat", "texel_centres"]
