"""NeRF-style positional encoding for the Nuvo MLPs, with its forward-mode derivative.

``enc(x) = [x, sin(2^0 pi x), cos(2^0 pi x), ..., sin(2^(d-1) pi x), cos(2^(d-1) pi x)]``: blocks
of ``in_dim`` values, the input first, then one sine block and one cosine block per degree.
Degree 0 is the identity (``out_dim == in_dim``).
"""

from __future__ import annotations

import math

import torch
from torch import nn


class PositionalEncoding(nn.Module):
    """``(..., in_dim) -> (..., in_dim * (1 + 2 * degrees))`` frequency features."""

    def __init__(self, in_dim: int, degrees: int):
        super().__init__()
        if in_dim < 1 or degrees < 0:
            raise ValueError(f"bad positional encoding: in_dim {in_dim}, degrees {degrees}")
        self.in_dim = in_dim
        self.degrees = degrees
        self.register_buffer(
            "freqs", math.pi * 2.0 ** torch.arange(degrees, dtype=torch.float32), persistent=False
        )

    @property
    def out_dim(self) -> int:
        return self.in_dim * (1 + 2 * self.degrees)

    def _angles(self, x: torch.Tensor) -> torch.Tensor:
        """(..., d, in_dim) angles 2^k pi x."""
        return x[..., None, :] * self.freqs.to(x.dtype)[:, None]

    def _interleave(self, x: torch.Tensor, sin: torch.Tensor, cos: torch.Tensor) -> torch.Tensor:
        """[x, sin_0, cos_0, sin_1, cos_1, ...] flattened along the last axis."""
        blocks = torch.stack([sin, cos], dim=-2)  # (..., d, 2, in_dim)
        return torch.cat([x, blocks.flatten(-3)], dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.degrees == 0:
            return x
        a = self._angles(x)
        return self._interleave(x, torch.sin(a), torch.cos(a))

    def forward_with_tangents(self, x: torch.Tensor, dx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoding of ``x`` (..., in_dim) and its derivative along ``dx`` (K, ..., in_dim)."""
        if self.degrees == 0:
            return x, dx
        a = self._angles(x)
        s, c = torch.sin(a), torch.cos(a)
        w = self.freqs.to(x.dtype)[:, None]
        da = dx[..., None, :] * w  # (K, ..., d, in_dim)
        return self._interleave(x, s, c), self._interleave(dx, c * da, -s * da)
