"""Nuvo's settings as plain dataclasses (no torch): the losses' weights and the fit's network
shape, sampling and optimisation, so that options can be checked before torch loads."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace


@dataclass
class LossWeights:
    """Weights of the loss terms (reference configs); ``panel`` only applies to seeded fits."""

    cycle_3d: float = 1.0  # x -> uv -> x, weighted by the chart probabilities
    cycle_2d: float = 1.0  # uv -> x -> uv
    entropy: float = 0.04  # each chart's UV->3D images assigned to that chart (cross-entropy)
    surface: float = 10.0  # squared Chamfer between UV->3D images of uniform UVs and the surface
    cluster: float = 0.5  # charts spatially compact (soft k-means inertia)
    conformal: float = 0.4  # cos^2 between the UV images of two orthogonal tangents
    stretch: float = 0.1  # (|a x b| - sigma)^2
    panel: float = 1.0  # cross-entropy of the chart assignment against panel ids (seeded fits)


@dataclass
class NuvoConfig:
    """Network shape, sampling and optimisation of a Nuvo fit; the defaults are the reference's."""

    n_charts: int = 8
    hidden: int = 256
    layers: int = 8  # linear layers per MLP (the last one is the output layer)
    pe_chart: int = 1
    pe_texture: int = 4
    pe_surface: int = 4
    iterations: int = 10_000
    points: int = 5000  # area-weighted surface samples per iteration
    uv_samples: int = 5000  # uniform UV samples per chart and iteration
    lr: float = 1e-4  # Adam, cosine annealed to 0 over ``iterations``
    sigma_lr: float = 0.1  # the stretch scale's own rate (reference), annealed the same way
    sigma_init: float = 1.0  # initial value of the stretch loss's learned area scale
    seed_iterations: int = 300  # seeded fits: chart-assigner pre-training steps on the panel ids
    seed_lr: float = 1e-3
    weights: LossWeights = field(default_factory=LossWeights)

    @classmethod
    def cpu(cls, **overrides) -> NuvoConfig:
        """A reduced preset for a CPU: 4 x 128 MLPs, 500 points and 64 UV samples per chart,
        500 iterations at lr 1e-3 (fewer steps need a larger rate), 100 seed steps.

        Measured on the 2-core development machine, ``torch.set_num_threads(1)``, while another
        job kept both cores busy: a 5,000-vertex open cylinder (r 20 cm, h 60 cm), 8 charts,
        0.08 s per iteration alone and 0.10-0.12 s under that load: 54 s for the whole fit.
        The charts come out compact but their UV maps are not yet fold-free (18% of that
        cylinder's faces flip within their chart): 500 steps are far from the reference's 10k.
        """
        base = cls(
            hidden=128,
            layers=4,
            iterations=500,
            points=500,
            uv_samples=64,
            lr=1e-3,
            seed_iterations=100,
        )
        return replace(base, **overrides)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> NuvoConfig:
        d = dict(d)
        weights = LossWeights(**d.pop("weights", {}))
        return cls(**d, weights=weights)
