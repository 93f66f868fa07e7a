"""Fitting a Nuvo atlas to one mesh: from scratch, or seeded from the mesh's panels.

Each iteration draws ``config.points`` area-weighted surface samples (with random tangent
frames) and ``config.uv_samples`` uniform UVs per chart, evaluates every loss term
(:func:`loss_terms`) and takes one Adam step; the rate is cosine annealed from ``config.lr``
(``config.sigma_lr`` for the stretch scale ``sigma``, as in the reference) to 0 over
``config.iterations``.

Seeded fits (per-vertex ``panel`` ids given): there is one chart per distinct panel id (chart
k is panel ``NuvoFit.panel_values[k]``; ``config.n_charts`` is ignored). Before the main loop
the chart assigner alone is pre-trained for ``config.seed_iterations`` Adam steps (rate
``config.seed_lr``) on the cross-entropy against the panel id of each sample (the id of its
face's nearest corner); during the main loop the same cross-entropy stays in the loss with
weight ``config.weights.panel``, so the charts follow the panels unless the distortion terms
push hard against them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch

from .losses import (
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
from .network import NuvoConfig, NuvoModel
from .sampling import Normalisation, SurfaceSampler, SurfaceSamples, sample_uv

Progress = Callable[[int, int, dict[str, float]], None]
"""``progress(i, n, losses)`` after iteration ``i`` of ``n`` (1-based), the unweighted terms
and their weighted ``total``."""


@dataclass
class NuvoFit:
    """A fitted atlas and its outputs at the mesh's vertices."""

    model: NuvoModel
    config: NuvoConfig  # as fitted (``n_charts`` is the number of panels for a seeded fit)
    normalisation: Normalisation  # mesh units -> the unit cube the model works in
    vertex_probs: np.ndarray  # (V, C) chart probabilities
    vertex_uv: np.ndarray  # (C, V, 2) every chart's UV of every vertex, in [0, 1]
    losses: dict[str, float]  # the last iteration's terms and total
    panel_values: np.ndarray | None  # seeded fits: chart k is panel id panel_values[k]
    seconds: float

    @property
    def n_charts(self) -> int:
        return self.vertex_probs.shape[1]

    @property
    def vertex_chart(self) -> np.ndarray:
        """(V,) the most probable chart of each vertex."""
        return self.vertex_probs.argmax(axis=1)

    def evaluate(self, points: np.ndarray, device: str = "cpu") -> tuple[np.ndarray, np.ndarray]:
        """Chart probabilities (N, C) and UVs (C, N, 2) of points given in mesh units."""
        return evaluate(self.model, self.normalisation.apply(points), device)


def evaluate(
    model: NuvoModel, points_unit: np.ndarray, device: str = "cpu", chunk: int = 16384
) -> tuple[np.ndarray, np.ndarray]:
    """Chart probabilities (N, C) and UVs (C, N, 2) of points in the unit cube, in chunks."""
    probs, uvs = [], []
    x = np.asarray(points_unit, np.float32).reshape(-1, 3)
    with torch.no_grad():
        for i in range(0, len(x), chunk):
            p, uv = model(torch.as_tensor(x[i : i + chunk], device=device))
            probs.append(p.cpu().numpy())
            uvs.append(uv.cpu().numpy())
    c = model.n_charts
    if not probs:
        return np.zeros((0, c)), np.zeros((c, 0, 2))
    return np.concatenate(probs).astype(np.float64), np.concatenate(uvs, axis=1).astype(np.float64)


def loss_terms(
    model: NuvoModel,
    points: torch.Tensor,
    tangent_a: torch.Tensor,
    tangent_b: torch.Tensor,
    uv: torch.Tensor,
    labels: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """Every (unweighted) loss term on one batch: surface points, their unit tangents (N, 3),
    uniform UV samples (C, M, 2) and, for seeded fits, the points' chart labels (N,)."""
    logits = model.assigner.logits(points)
    probs = torch.softmax(logits, dim=-1)
    t_uv, jac = model.texture.forward_with_tangents(points, torch.stack([tangent_a, tangent_b]))
    recon = model.surface(t_uv)
    on_surface = model.surface(uv)
    back = model.texture(on_surface)
    image_probs = model.assigner(on_surface.reshape(-1, 3)).reshape(*on_surface.shape[:2], -1)
    terms = {
        "cycle_3d": cycle_3d_loss(points, recon, probs),
        "cycle_2d": cycle_2d_loss(uv, back),
        "entropy": entropy_loss(image_probs),
        "surface": surface_loss(on_surface, points),
        "cluster": cluster_loss(points, probs),
        "conformal": conformal_loss(jac[:, 0], jac[:, 1], probs),
        "stretch": stretch_loss(jac[:, 0], jac[:, 1], probs, model.sigma),
    }
    if labels is not None:
        terms["panel"] = panel_loss(logits, labels)
    return terms


def _tensor(a: np.ndarray, device: str) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a, np.float32), device=device)


def _sample_labels(samples: SurfaceSamples, faces: np.ndarray, vertex_label: np.ndarray) -> np.ndarray:
    """Each sample's label: that of its face's corner with the largest barycentric weight."""
    corner = faces[samples.face, samples.bary.argmax(axis=1)]
    return vertex_label[corner]


def _pretrain_assigner(
    model: NuvoModel,
    sampler: SurfaceSampler,
    vertex_label: np.ndarray,
    config: NuvoConfig,
    rng: np.random.Generator,
    device: str,
) -> None:
    """Cross-entropy steps of the chart assigner alone against the panel labels."""
    opt = torch.optim.Adam(model.assigner.parameters(), lr=config.seed_lr)
    for _ in range(config.seed_iterations):
        s = sampler.sample(config.points, rng)
        labels = torch.as_tensor(_sample_labels(s, sampler.faces, vertex_label), device=device)
        loss = panel_loss(model.assigner.logits(_tensor(s.points, device)), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def fit_nuvo(
    vertices: np.ndarray,
    faces: np.ndarray,
    config: NuvoConfig | None = None,
    seed: int = 0,
    panel: np.ndarray | None = None,
    progress: Progress | None = None,
    device: str = "cpu",
) -> NuvoFit:
    """Fit a Nuvo atlas to a triangle mesh (any units); ``panel`` (V,) seeds one chart per
    distinct panel id. Deterministic for a given seed on one device and thread count."""
    start = time.perf_counter()
    config = config or NuvoConfig()
    vertices = np.asarray(vertices, np.float64).reshape(-1, 3)
    faces = np.asarray(faces, np.int64).reshape(-1, 3)
    normalisation = Normalisation.fit(vertices)
    unit = normalisation.apply(vertices)
    sampler = SurfaceSampler(unit, faces)
    panel_values = vertex_label = None
    if panel is not None:
        panel = np.asarray(panel).reshape(-1)
        if len(panel) != len(vertices):
            raise ValueError(f"{len(panel)} panel ids for {len(vertices)} vertices")
        panel_values, vertex_label = np.unique(panel, return_inverse=True)
        config = replace(config, n_charts=len(panel_values))
    rng = np.random.default_rng(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = NuvoModel(config)
    model = model.to(device)
    model.train()
    if vertex_label is not None:
        _pretrain_assigner(model, sampler, vertex_label, config, rng, device)
    nets = [p for name, p in model.named_parameters() if name != "sigma"]
    opt = torch.optim.Adam([{"params": nets}, {"params": [model.sigma], "lr": config.sigma_lr}], lr=config.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, config.iterations))
    losses: dict[str, float] = {}
    for i in range(config.iterations):
        s = sampler.sample(config.points, rng)
        labels = None
        if vertex_label is not None:
            labels = torch.as_tensor(_sample_labels(s, faces, vertex_label), device=device)
        terms = loss_terms(
            model,
            _tensor(s.points, device),
            _tensor(s.tangent_a, device),
            _tensor(s.tangent_b, device),
            _tensor(sample_uv(config.n_charts, config.uv_samples, rng), device),
            labels,
        )
        loss = total_loss(terms, config)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        schedule.step()
        if progress is not None or i == config.iterations - 1:
            losses = {k: float(v.detach()) for k, v in terms.items()} | {"total": float(loss.detach())}
            if progress is not None:
                progress(i + 1, config.iterations, losses)
    model.eval()
    probs, uv = evaluate(model, unit, device)
    return NuvoFit(
        model=model,
        config=config,
        normalisation=normalisation,
        vertex_probs=probs,
        vertex_uv=uv,
        losses=losses,
        panel_values=panel_values,
        seconds=time.perf_counter() - start,
    )
