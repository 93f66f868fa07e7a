"""The stores compared on a garment's residual field: every one an ``nn.Module`` with
``forward(chart (N,) long, uv (N, 2), face=None, bary=None) -> (N, 3)`` (the residual, cm) and
``parameter_count`` (its trainable scalars).

* ``DeepMLP``: the deep coordinate network, 8 hidden layers x 256 ReLU over a NeRF positional
  encoding of (u, v) (``n_frequencies`` octaves ``sin / cos(2^k pi u)``, k = 0 .. n-1, plus u, v
  themselves) concatenated with a learned chart embedding.
* ``HashStore``: ``core.hashfield.HashField`` (multiresolution hash grid + tiny MLP), its table
  sized from ``T_full`` (``hash_t_full``: the finest level's grid vertices that the occupied
  texels read, at a finest texel given in cm).
* ``DenseGridStore``: ``core.hashfield.DenseUVGrid`` holding the 3 residual components directly
  (zero-initialised, no MLP), at a resolution given in cm.
* ``PerVertexStore``: a (V, 3) parameter, read by barycentric interpolation of the sample's face
  (needs ``face`` and ``bary``; the mesh's own piecewise-linear field).

``build_store(kind, residual, ...)`` makes any of them for a ``GarmentResidual``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from core.hashfield import DenseGridConfig, DenseUVGrid, HashField, t_full

from .residual import GarmentResidual

FINEST_TEXEL_CM = 0.25
"""Default finest texel of the hash grid (cm): 5 texels along a 1.28 cm edge of the fine drape."""
DENSE_TEXEL_CM = 0.5
"""Default texel of the dense UV grid (cm)."""
HASH_LEVELS = 12
HASH_FEATURES = 2
HASH_BASE_RESOLUTION = 16
TINY_MLP = {"n_neurons": 64, "n_hidden_layers": 2}


class Store(nn.Module):
    """Base of the stores: ``forward(chart, uv, face=None, bary=None) -> (N, 3)``."""

    kind = "store"
    needs_surface = False  # True: forward needs face and bary

    @property
    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def describe(self) -> dict:
        """A JSON-able description (kind, shape parameters, parameter count)."""
        return {"kind": self.kind, "parameters": self.parameter_count}


class DeepMLP(Store):
    """``depth`` hidden layers of ``width`` ReLU over [PE(u, v), chart embedding] -> 3.

    PE(u, v) = (u, v, sin(2^k pi u), sin(2^k pi v), cos(2^k pi u), cos(2^k pi v)) for k = 0 ..
    ``n_frequencies - 1``: ``2 + 4 n_frequencies`` features. Parameters:
    ``n_charts * chart_dim + (d_in + 1) w + (depth - 1)(w + 1) w + (w + 1) 3`` with
    ``d_in = 2 + 4 n_frequencies + chart_dim``.
    """

    kind = "deep_mlp"

    def __init__(
        self, n_charts: int, depth: int = 8, width: int = 256, n_frequencies: int = 10, chart_dim: int = 16
    ):
        super().__init__()
        self.n_charts, self.depth, self.width = int(n_charts), int(depth), int(width)
        self.n_frequencies, self.chart_dim = int(n_frequencies), int(chart_dim)
        self.embedding = nn.Embedding(self.n_charts, self.chart_dim)
        nn.init.normal_(self.embedding.weight, std=1.0)
        self.register_buffer(
            "_freq", math.pi * 2.0 ** torch.arange(self.n_frequencies, dtype=torch.float32), persistent=False
        )
        layers: list[nn.Module] = []
        d = self.in_dim
        for _ in range(self.depth):
            layers += [nn.Linear(d, self.width), nn.ReLU()]
            d = self.width
        layers.append(nn.Linear(d, 3))
        self.mlp = nn.Sequential(*layers)

    @property
    def in_dim(self) -> int:
        return 2 + 4 * self.n_frequencies + self.chart_dim

    def encode(self, chart: torch.Tensor, uv: torch.Tensor) -> torch.Tensor:
        x = uv.unsqueeze(-1) * self._freq  # (N, 2, n_freq)
        pe = torch.cat([uv, torch.sin(x).flatten(1), torch.cos(x).flatten(1)], dim=1)
        return torch.cat([pe, self.embedding(chart.long())], dim=1)

    def forward(self, chart, uv, face=None, bary=None) -> torch.Tensor:
        return self.mlp(self.encode(chart, uv))

    def describe(self) -> dict:
        return {
            **super().describe(),
            "depth": self.depth,
            "width": self.width,
            "n_frequencies": self.n_frequencies,
            "chart_dim": self.chart_dim,
        }


class HashStore(Store):
    """``HashField`` (hash grid of ``n_levels`` x ``n_features`` from ``base_resolution`` to
    ``finest_resolution``, table size ``table_size``; then the tiny MLP ``network``) -> 3.
    Parameters: the table's rows x F plus the MLP's weights and biases."""

    kind = "hash"

    def __init__(
        self,
        n_charts: int,
        finest_resolution: int,
        table_size: int,
        n_levels: int = HASH_LEVELS,
        n_features: int = HASH_FEATURES,
        base_resolution: int = HASH_BASE_RESOLUTION,
        network: dict | None = None,
        seed: int | None = None,
    ):
        super().__init__()
        base_resolution = min(int(base_resolution), int(finest_resolution))
        self.field = HashField(
            {
                "encoding": {
                    "otype": "HashGrid",
                    "n_levels": int(n_levels),
                    "n_features_per_level": int(n_features),
                    "base_resolution": base_resolution,
                    "finest_resolution": int(finest_resolution),
                    "table_size": int(table_size),
                    "n_charts": int(n_charts),
                },
                "network": {**TINY_MLP, **(network or {}), "out_dim": 3},
            }
        )
        if seed is not None:  # reproducible table (HashField draws it from the global generator)
            gen = torch.Generator().manual_seed(int(seed))
            with torch.no_grad():
                self.field.encoding.table.uniform_(-1e-4, 1e-4, generator=gen)

    def forward(self, chart, uv, face=None, bary=None) -> torch.Tensor:
        return self.field(chart, uv)

    def describe(self) -> dict:
        enc = self.field.encoding
        return {
            **super().describe(),
            "config": self.field.to_dict(),
            "resolutions": enc.config.resolutions(),
            "table_rows": int(enc.table.shape[0]),
            "dense_levels": sum(lv.dense for lv in enc.levels),
        }


class DenseGridStore(Store):
    """``DenseUVGrid`` of ``resolution`` cells per chart side holding the residual's 3 components
    directly (zero-initialised). Parameters: ``n_charts (resolution + 1)^2 3``."""

    kind = "dense"

    def __init__(self, n_charts: int, resolution: int):
        super().__init__()
        self.grid = DenseUVGrid(DenseGridConfig(int(resolution), 3, int(n_charts)), zero=True)

    def forward(self, chart, uv, face=None, bary=None) -> torch.Tensor:
        return self.grid(chart, uv)

    def describe(self) -> dict:
        return {**super().describe(), "resolution": self.grid.config.resolution}


class PerVertexStore(Store):
    """A (V, 3) parameter ``values`` (zero-initialised), read at ``(face, bary)`` as
    ``sum_k bary_k values[faces[face, k]]``. Parameters: ``3 V``."""

    kind = "per_vertex"
    needs_surface = True

    def __init__(self, faces, n_vertices: int):
        super().__init__()
        self.register_buffer("faces", torch.as_tensor(faces, dtype=torch.long), persistent=False)
        self.values = nn.Parameter(torch.zeros(int(n_vertices), 3))

    @torch.no_grad()
    def load(self, values) -> PerVertexStore:
        """Set the per-vertex values (V, 3); returns self."""
        self.values.copy_(torch.as_tensor(values, dtype=self.values.dtype))
        return self

    def forward(self, chart, uv, face=None, bary=None) -> torch.Tensor:
        if face is None or bary is None:
            raise ValueError("the per-vertex store is read at surface points: give face and bary")
        tri = self.faces[face.long()]  # (N, 3)
        return (self.values[tri] * bary.to(self.values.dtype).unsqueeze(-1)).sum(dim=1)


def hash_t_full(residual: GarmentResidual, finest_texel_cm: float = FINEST_TEXEL_CM) -> tuple[int, int]:
    """(finest resolution N, T_full): N = ``residual.resolution_for(finest_texel_cm)`` and T_full =
    the finest level's grid vertices read by the occupied texels at N, over all charts."""
    n = residual.resolution_for(finest_texel_cm)
    key = ("t_full", n)
    if key not in residual._cache:
        residual._cache[key] = t_full(n, residual.n_charts, residual.occupancy(n))
    return n, residual._cache[key]


STORE_KINDS = ("deep_mlp", "hash", "dense", "per_vertex")


def build_store(
    kind: str,
    residual: GarmentResidual,
    *,
    table_share: float = 1.0,
    finest_texel_cm: float = FINEST_TEXEL_CM,
    dense_texel_cm: float = DENSE_TEXEL_CM,
    n_levels: int = HASH_LEVELS,
    seed: int | None = None,
    **kwargs,
) -> Store:
    """A store of ``kind`` (``STORE_KINDS``) for ``residual``. ``hash``: table size
    ``round(T_full * table_share)`` at the finest texel ``finest_texel_cm``; ``dense``: resolution
    for ``dense_texel_cm``; extra ``kwargs`` go to the store's constructor. ``seed`` seeds the
    initialisation (the global torch generator is forked, not disturbed)."""
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(int(seed))
        if kind == "deep_mlp":
            return DeepMLP(residual.n_charts, **kwargs)
        if kind == "hash":
            n, tf = hash_t_full(residual, finest_texel_cm)
            return HashStore(
                residual.n_charts, n, max(1, round(tf * table_share)), n_levels=n_levels, seed=seed, **kwargs
            )
        if kind == "dense":
            return DenseGridStore(residual.n_charts, residual.resolution_for(dense_texel_cm))
        if kind == "per_vertex":
            return PerVertexStore(residual.faces, residual.n_vertices)
    raise ValueError(f"unknown store kind {kind!r}; one of {STORE_KINDS}")
