"""Fields over chart coordinates: an encoding (hash grid, or the dense per-chart UV grid
baseline) followed by a tiny MLP, described by a JSON-able dict in tiny-cuda-nn's style::

    {"encoding": {"otype": "HashGrid", "n_levels": 16, ...},
     "network": {"otype": "MLP", "n_neurons": 64, "n_hidden_layers": 2, "activation": "ReLU",
                 "output_activation": "None", "out_dim": 3}}

Every encoding and field has ``forward(chart (N,) long, uv (N, 2)) -> (N, out_dim)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .encoding import _INIT_RANGE, HashEncoding, HashGridConfig, _corners

_ACTIVATIONS = {"ReLU": nn.ReLU, "SiLU": nn.SiLU, "Tanh": nn.Tanh, "Sigmoid": nn.Sigmoid, "None": nn.Identity}


@dataclass
class DenseGridConfig:
    """A dense per-chart grid: ``resolution`` cells per side, (resolution + 1)^2 vertices of
    ``n_features`` features per chart."""

    resolution: int = 64
    n_features: int = 3
    n_charts: int = 1

    def __post_init__(self) -> None:
        if min(self.resolution, self.n_features, self.n_charts) < 1:
            raise ValueError("resolution, n_features and n_charts must be >= 1")

    def to_dict(self) -> dict:
        return {"otype": "DenseGrid", **asdict(self)}

    @classmethod
    def from_dict(cls, d: dict) -> DenseGridConfig:
        d = dict(d)
        otype = d.pop("otype", "DenseGrid")
        if otype != "DenseGrid":
            raise ValueError(f"not a DenseGrid config: otype {otype!r}")
        return cls(**d)


class DenseUVGrid(nn.Module):
    """The dense UV grid baseline: per chart a ``(R + 1)^2`` grid of features, read bilinearly
    with the same vertex convention as ``HashEncoding`` (vertex (x, y) at (u, v) = (x, y) / R,
    stored at row ``chart * (R + 1)^2 + y * (R + 1) + x`` of ``table``).

    ``forward(chart, uv) -> (N, n_features)``; ``in_dim`` = 2, ``out_dim`` = ``n_features``.
    Initialised uniformly in ±1e-4 (``zero=True``: zeros, to use it as a residual field itself).
    """

    def __init__(self, config: DenseGridConfig | dict | None = None, *, zero: bool = False):
        super().__init__()
        if config is None:
            config = DenseGridConfig()
        elif isinstance(config, dict):
            config = DenseGridConfig.from_dict(config)
        self.config = config
        self.in_dim = 2
        side = config.resolution + 1
        table = torch.zeros(config.n_charts * side * side, config.n_features)
        if not zero:
            table.uniform_(-_INIT_RANGE, _INIT_RANGE)
        self.table = nn.Parameter(table)
        self.register_buffer("_res", torch.tensor([config.resolution]), persistent=False)

    @property
    def out_dim(self) -> int:
        return self.config.n_features

    def to_dict(self) -> dict:
        return self.config.to_dict()

    @classmethod
    def from_dict(cls, d: dict, **kwargs) -> DenseUVGrid:
        return cls(DenseGridConfig.from_dict(d), **kwargs)

    def forward(self, chart: torch.Tensor, uv: torch.Tensor) -> torch.Tensor:
        x, y, w = _corners(uv, self._res)  # (N, 1, 4)
        side = self.config.resolution + 1
        idx = (chart.long().view(-1, 1, 1) * side + y) * side + x
        return (self.table[idx[:, 0]] * w[:, 0].unsqueeze(-1).to(self.table.dtype)).sum(dim=1)


@dataclass
class MLPConfig:
    """A plain MLP: ``n_hidden_layers`` hidden layers of ``n_neurons``, then ``out_dim``."""

    n_neurons: int = 64
    n_hidden_layers: int = 2
    activation: str = "ReLU"
    output_activation: str = "None"
    out_dim: int = 3

    def __post_init__(self) -> None:
        for a in (self.activation, self.output_activation):
            if a not in _ACTIVATIONS:
                raise ValueError(f"unknown activation {a!r}; one of {sorted(_ACTIVATIONS)}")

    def to_dict(self) -> dict:
        return {"otype": "MLP", **asdict(self)}

    @classmethod
    def from_dict(cls, d: dict) -> MLPConfig:
        d = dict(d)
        d.pop("otype", None)
        return cls(**d)

    def build(self, in_dim: int) -> nn.Sequential:
        layers: list[nn.Module] = []
        width = in_dim
        for _ in range(self.n_hidden_layers):
            layers += [nn.Linear(width, self.n_neurons), _ACTIVATIONS[self.activation]()]
            width = self.n_neurons
        layers += [nn.Linear(width, self.out_dim), _ACTIVATIONS[self.output_activation]()]
        return nn.Sequential(*layers)


def build_encoding(d: dict, *, compile: bool = False) -> HashEncoding | DenseUVGrid:
    """An encoding from its dict: ``otype`` "HashGrid" (the default) or "DenseGrid"."""
    otype = d.get("otype", "HashGrid")
    if otype == "HashGrid":
        return HashEncoding(HashGridConfig.from_dict(d), compile=compile)
    if otype == "DenseGrid":
        return DenseUVGrid(DenseGridConfig.from_dict(d))
    raise ValueError(f"unknown encoding otype {otype!r}")


class HashField(nn.Module):
    """Encoding + tiny MLP: ``forward(chart (N,), uv (N, 2)) -> (N, out_dim)`` (3: a residual).

    ``config``: ``{"encoding": ..., "network": ...}`` (see the module docstring); missing parts
    take their defaults (a 16-level HashGrid, 2 x 64 ReLU to 3).
    """

    def __init__(self, config: dict | None = None, *, compile: bool = False):
        super().__init__()
        config = config or {}
        self.encoding = build_encoding(config.get("encoding", {}), compile=compile)
        self.network_config = MLPConfig.from_dict(config.get("network", {}))
        self.mlp = self.network_config.build(self.encoding.out_dim)
        self.in_dim = 2

    @property
    def out_dim(self) -> int:
        return self.network_config.out_dim

    def to_dict(self) -> dict:
        return {"encoding": self.encoding.to_dict(), "network": self.network_config.to_dict()}

    @classmethod
    def from_dict(cls, d: dict, **kwargs) -> HashField:
        return cls(d, **kwargs)

    def forward(self, chart: torch.Tensor, uv: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.encoding(chart, uv))
