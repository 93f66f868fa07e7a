"""Nuvo's networks: a chart assigner and, per chart, a 3D->UV and a UV->3D map (ReLU MLPs).

- :class:`ChartAssigner`: xyz (positional encoding of degree ``pe_chart``) -> softmax over the
  ``n_charts`` charts.
- :class:`TextureMaps` (3D->UV): xyz (degree ``pe_texture``) -> sigmoid, so every chart's UV lies
  in ``[0, 1]^2``. :meth:`TextureMaps.forward_with_tangents` also pushes tangent vectors
  through the map (forward-mode, by hand), which the conformal and stretch losses need.
- :class:`SurfaceMaps` (UV->3D): uv (degree ``pe_surface``) -> linear xyz.

Per-chart MLPs are one :class:`ChartMLP` holding the weights of all charts stacked as
``(C, fan_in, fan_out)`` tensors: a layer is one batched matmul over the charts (``torch.matmul``
broadcasting a shared input, ``torch.baddbmm`` for per-chart inputs). This keeps the charts'
networks fully independent, as in the paper, at the cost of one kernel per layer; the
alternative (one wider MLP fed a one-hot chart code) would couple the charts through shared
weights.

Points are in the normalised frame of :mod:`.sampling` (the mesh in the centred unit cube).
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import nn
from torch.nn import functional as F

from .config import LossWeights, NuvoConfig
from .encoding import PositionalEncoding

__all__ = [
    "ChartAssigner",
    "ChartMLP",
    "LossWeights",
    "NuvoConfig",
    "NuvoModel",
    "SurfaceMaps",
    "TextureMaps",
]


def _tile_mask(mask: torch.Tensor, k: int) -> torch.Tensor:
    """(C, N, D) -> (C, K*N, D): the mask repeated for each of K tangent blocks."""
    return mask.repeat(1, k, 1)


class ChartMLP(nn.Module):
    """``n`` independent ReLU MLPs ``in_dim -> hidden x (layers - 1) -> out_dim`` run together.

    Input ``(N, in_dim)`` is fed to every chart; ``(C, N, in_dim)`` feeds row ``c`` to chart ``c``.
    Output ``(C, N, out_dim)``. Hidden layers are He-initialised (uniform, zero bias), the
    output layer like ``nn.Linear``.
    """

    def __init__(self, n: int, in_dim: int, out_dim: int, hidden: int, layers: int):
        super().__init__()
        if layers < 1:
            raise ValueError(f"an MLP needs at least one layer, got {layers}")
        dims = [in_dim] + [hidden] * (layers - 1) + [out_dim]
        self.n = n
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for i, (a, b) in enumerate(itertools.pairwise(dims)):
            last = i == layers - 1
            bound = 1.0 / math.sqrt(a) if last else math.sqrt(6.0 / a)
            self.weights.append(nn.Parameter(torch.empty(n, a, b).uniform_(-bound, bound)))
            bias = torch.empty(n, b).uniform_(-bound, bound) if last else torch.zeros(n, b)
            self.biases.append(nn.Parameter(bias))

    def _linear(self, h: torch.Tensor, i: int, bias: bool = True) -> torch.Tensor:
        w = self.weights[i]
        if h.dim() == 2:
            out = torch.matmul(h, w)
            return out + self.biases[i][:, None, :] if bias else out
        if bias:
            return torch.baddbmm(self.biases[i][:, None, :], h, w)
        return torch.bmm(h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for i in range(len(self.weights)):
            h = self._linear(h, i)
            if i < len(self.weights) - 1:
                h = F.relu(h)
        return h

    def forward_with_tangents(self, x: torch.Tensor, dx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Output and its derivatives along K tangents: ``x`` (N, in) or (C, N, in), ``dx``
        (K, N, in) or (C, K, N, in) -> (C, N, out), (C, K, N, out)."""
        k, n = dx.shape[-3], dx.shape[-2]
        h = x
        dh = dx.reshape(-1, dx.shape[-1]) if dx.dim() == 3 else dx.reshape(dx.shape[0], k * n, -1)
        for i in range(len(self.weights)):
            h = self._linear(h, i)
            dh = self._linear(dh, i, bias=False)
            if i < len(self.weights) - 1:
                mask = h > 0
                h = h * mask
                dh = dh * _tile_mask(mask, k)
        return h, dh.reshape(h.shape[0], k, n, -1)


class ChartAssigner(nn.Module):
    """xyz -> chart logits / probabilities ``(N, n_charts)``."""

    def __init__(self, n_charts: int, hidden: int, layers: int, degrees: int):
        super().__init__()
        self.encoding = PositionalEncoding(3, degrees)
        self.mlp = ChartMLP(1, self.encoding.out_dim, n_charts, hidden, layers)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.encoding(x))[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.logits(x), dim=-1)


class TextureMaps(nn.Module):
    """Per-chart 3D->UV maps: (N, 3) or (C, N, 3) -> (C, N, 2) in ``[0, 1]^2``."""

    def __init__(self, n_charts: int, hidden: int, layers: int, degrees: int):
        super().__init__()
        self.encoding = PositionalEncoding(3, degrees)
        self.mlp = ChartMLP(n_charts, self.encoding.out_dim, 2, hidden, layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.mlp(self.encoding(x)))

    def forward_with_tangents(self, x: torch.Tensor, dx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """UV of ``x`` (N, 3) and the Jacobian applied to K tangents ``dx`` (K, N, 3):
        (C, N, 2) and (C, K, N, 2), differentiable with respect to the weights."""
        e, de = self.encoding.forward_with_tangents(x, dx)
        z, dz = self.mlp.forward_with_tangents(e, de)
        uv = torch.sigmoid(z)
        return uv, dz * (uv * (1 - uv))[:, None]


class SurfaceMaps(nn.Module):
    """Per-chart UV->3D maps: (C, N, 2) (or (N, 2) for all charts) -> (C, N, 3)."""

    def __init__(self, n_charts: int, hidden: int, layers: int, degrees: int):
        super().__init__()
        self.encoding = PositionalEncoding(2, degrees)
        self.mlp = ChartMLP(n_charts, self.encoding.out_dim, 3, hidden, layers)

    def forward(self, uv: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.encoding(uv))


class NuvoModel(nn.Module):
    """Chart assigner, texture (3D->UV) and surface (UV->3D) maps, and the stretch loss's
    learned area scale ``sigma`` (UV area per unit of normalised surface area)."""

    def __init__(self, config: NuvoConfig):
        super().__init__()
        c = config
        self.config = config
        self.n_charts = c.n_charts
        self.assigner = ChartAssigner(c.n_charts, c.hidden, c.layers, c.pe_chart)
        self.texture = TextureMaps(c.n_charts, c.hidden, c.layers, c.pe_texture)
        self.surface = SurfaceMaps(c.n_charts, c.hidden, c.layers, c.pe_surface)
        self.sigma = nn.Parameter(torch.tensor(float(c.sigma_init)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Chart probabilities (N, C) and every chart's UV (C, N, 2) of points (N, 3)."""
        return self.assigner(x), self.texture(x)
