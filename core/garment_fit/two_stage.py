"""The per-garment fit (thesis: ``train.py --config configs/fit.yaml``), in two stages.

Stage 1 (iterations ``[0, stage2_start * iterations)``): a Nuvo atlas (``core.nuvo``) is fitted on
the *base* mesh (the fine topology at the base's vertices, in Nuvo's unit cube) while a hash field
(``core.hashfield.HashField``: multiresolution hash grid keyed by Nuvo's ``(chart, u, v)`` + a
tiny MLP) learns the residual ``R = fine - base``. Every iteration sums

* Nuvo's own loss terms on ``nuvo.points`` surface samples of the base (``core.nuvo.fit.loss_terms``
  weighted by ``total_loss``, exactly as ``fit_nuvo`` does), and
* ``residual_weight`` x the residual MSE: ``residual_points`` area-uniform samples of the
  garment (``GarmentResidual.sample``), their base points (barycentric on the base vertices) ->
  Nuvo -> key = (argmax chart, that chart's uv) -> field -> predicted ``R / scale`` against the
  target ``R / scale`` (``scale`` = the residual's component std, so the network sees ~unit
  values). The chart choice is discrete; the uv is differentiable, so the gradient reaches both
  the hash table / MLP and Nuvo's 3D->UV maps (the keys move during stage 1).

Stage 2 (the rest): Nuvo is frozen (the keys stop moving; its parameter groups leave the
optimizer), the field goes on with its point loss alone, and with ``stage2.denoiser`` the
residual-diffusion denoiser of ``core.garment_fit.stage2`` joins: conditioned on the hash features
over chart images, it learns the field's remaining error and corrects it (prediction = field +
the K-step DDIM sample's correction, K = ``diffusion_steps``). The held-out curve records both the
field alone (``field_mm``) and the corrected prediction (``heldout_mm``, the fit's result).

One Adam over four groups (Nuvo nets, Nuvo's sigma, hash table, MLP), every rate cosine-annealed
over the whole fit's ``iterations``; the denoiser has its own Adam on the same cosine.

HashSize schedule (``HashSizeSchedule``) over the whole fit: T_full = ``n_charts * (N + 1)^2``,
N = the finest resolution for ``finest_texel_cm`` at the garment's pattern scale
(``GarmentResidual.resolution_for``; Nuvo's [0, 1]^2 charts have no cm scale of their own before
the fit, so this is a nominal texel). At each shrink the encoding is ``resize``-d (slot-mean
distillation) over the grid vertices the cloth reads *now* (an occupancy mask from the current
Nuvo keys of dense surface samples, ``key_occupancy``: empty chart space would dilute every
shared slot's mean towards the random initialisation), and the table's Adam moments are carried
into the new indexing the same way (``remap_rows``; restarting them would make every slot's
first steps full-size sign steps). The other groups keep their state. The field's residual loss
averaged over the ``window`` iterations before the shrink is compared with the mean over
``window`` iterations ending ``check_after`` after it (both given at the thesis's
10,000-iteration scale and scaled to ``iterations``); within 5% passes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from core.config_check import check_config
from core.errors import ConfigError
from core.hashfield import HashEncoding, HashField, remap_rows, resize
from core.nuvo.fit import NuvoFit, evaluate, loss_terms
from core.nuvo.losses import total_loss
from core.nuvo.network import LossWeights, NuvoConfig, NuvoModel
from core.nuvo.sampling import Normalisation, SurfaceSampler, sample_uv

from .details import details_analysis
from .hash_schedule import DEFAULT_POINTS, HashSizeSchedule
from .residual import GarmentResidual, garment_residual
from .stage2 import Stage2Config, Stage2Corrector, nuvo_keys, pool_samples
from .stores import FINEST_TEXEL_CM, HASH_BASE_RESOLUTION, HASH_FEATURES, HASH_LEVELS

THESIS_ITERATIONS = 10_000
SHRINK_TOLERANCE = 0.05  # the loss after a shrink within 5% of the loss before
TARGET_MM = 1.0
TARGET_TABLE_SHARE = 0.25  # final table <= T_full / 4

Progress = Callable[[int, int, dict], None]
"""``progress(i, n, info)`` after iteration ``i`` of ``n`` stage-1 iterations (1-based)."""


FIT_RANGES = {
    "iterations": (1, 1e9),
    "stage2_start": (1e-9, 1.0),
    "lr_table": (1e-12, 10.0),
    "lr_mlp": (1e-12, 10.0),
    "residual_weight": (0.0, 1e6),
    "residual_points": (1, 1e7),
    "residual_scale": (1e-9, 1e6),
    "eval_every": (1, 1e9),
    "heldout_points": (1, 1e7),
    "seed": (0, 2**32 - 1),
    "threads": (0, 4096),
    "diffusion_steps": (1, 1000),
    "sample_idx": (0, 1e9),
}


@dataclass
class FitConfig:
    """The per-garment fit, from ``configs/fit.yaml`` (``from_dict``)."""

    kind: str = "garment_fit"
    data: str = "data/drapes_v2"
    out: str = "runs/fit"
    base: str = "lowpass"
    iterations: int = 2000  # the whole fit (thesis: 10000); stage 1 is the first stage2_start share
    stage2_start: float = 0.5
    nuvo: dict = field(default_factory=lambda: {"n_charts": 8})  # overrides of NuvoConfig.cpu()
    hash: dict = field(default_factory=dict)  # n_levels, n_features, base_resolution, finest_texel_cm
    network: dict = field(default_factory=dict)  # tiny MLP: n_neurons, n_hidden_layers
    lr_table: float = 1e-2
    lr_mlp: float = 1e-3
    residual_weight: float = 1.0
    residual_points: int = 2048
    residual_scale: str | float = "std"  # "std": divide by the residual's component std; or a cm value
    schedule: dict = field(default_factory=dict)  # points, check_after, window (at 10k its), min_size
    stage2: dict = field(default_factory=dict)  # Stage2Config: denoiser, image_size, widths, lr, ...
    eval_every: int = 100
    heldout_points: int | None = None  # None: GarmentResidual's default (16384)
    seed: int = 0
    threads: int = 0
    diffusion_steps: int | None = None  # stage 2's K (recorded only)
    sample_idx: int | None = None
    material: str | None = None

    @classmethod
    def check(cls, d: dict, source: str = "<config>") -> None:
        """ConfigError for an unknown key, a wrong type or a value out of range."""
        check_config(cls, d, source, FIT_RANGES, {"kind": ("garment_fit",)})
        if isinstance(d.get("residual_scale"), str) and d["residual_scale"] != "std":
            raise ConfigError("expected 'std' or a scale in cm", source=source, where="residual_scale")

    @classmethod
    def from_dict(cls, d: dict, source: str = "<config>") -> FitConfig:
        cls.check(d, source)
        cfg = cls(**d)
        cfg.stage2_config()  # unknown stage2 keys fail here
        return cfg

    def to_json(self) -> dict:
        return asdict(self)

    @property
    def stage1_iterations(self) -> int:
        return max(1, round(self.stage2_start * self.iterations))

    def stage2_config(self) -> Stage2Config:
        return Stage2Config.from_dict(self.stage2)

    def nuvo_config(self) -> NuvoConfig:
        d = dict(self.nuvo)
        weights = LossWeights(**d.pop("weights", {}))
        return NuvoConfig.cpu(**d, iterations=self.iterations, weights=weights)

    def hash_shape(self) -> dict:
        h = {
            "n_levels": HASH_LEVELS,
            "n_features": HASH_FEATURES,
            "base_resolution": HASH_BASE_RESOLUTION,
            "finest_texel_cm": FINEST_TEXEL_CM,
        }
        unknown = set(self.hash) - set(h)
        if unknown:
            raise ValueError(f"unknown hash keys: {', '.join(sorted(unknown))}")
        return {**h, **self.hash}

    def make_schedule(self, t_full: int) -> tuple[HashSizeSchedule, int]:
        """The schedule over the whole fit and the loss window, both scaled to ``iterations``."""
        s = dict(self.schedule)
        points = tuple(tuple(p) for p in s.pop("points", DEFAULT_POINTS))
        factor = self.iterations / THESIS_ITERATIONS
        window = max(5, round(s.pop("window", 50) * factor))
        check_after = max(window, round(s.pop("check_after", 200) * factor))
        min_size = int(s.pop("min_size", 64))
        if s:
            raise ValueError(f"unknown schedule keys: {', '.join(sorted(s))}")
        return HashSizeSchedule(t_full, self.iterations, points, check_after, min_size), window


@dataclass
class FitOutput:
    """What ``fit_garment`` returns (``record`` is fit.json's content)."""

    nuvo: NuvoModel
    field: HashField
    normalisation: Normalisation
    residual: GarmentResidual
    record: dict
    paths: dict[str, str]


def _tensor(a, device="cpu") -> torch.Tensor:
    return torch.as_tensor(np.asarray(a, np.float32), device=device)


def _keys(model: NuvoModel, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(chart (N,), uv (N, 2)): the most probable chart and its UV (differentiable in uv)."""
    probs, uv = model(x)
    chart = probs.argmax(dim=1)
    return chart, uv[chart, torch.arange(len(chart), device=x.device)]


def _base_points(base_unit: np.ndarray, faces: np.ndarray, face: np.ndarray, bary: np.ndarray) -> np.ndarray:
    return np.einsum("nk,nkd->nd", np.asarray(bary, np.float64), base_unit[faces[face]])


@torch.no_grad()
def predict_cm(model, hfield, base_unit, faces, face, bary, scale, chunk: int = 8192) -> np.ndarray:
    """Predicted residual (cm) at barycentric points (face, bary) of the base."""
    x = _base_points(base_unit, faces, face, bary)
    out = []
    for i in range(0, len(x), chunk):
        chart, uv = _keys(model, _tensor(x[i : i + chunk]))
        out.append(hfield(chart, uv).numpy())
    return np.concatenate(out).astype(np.float64) * scale


def heldout_error_mm(model, hfield, base_unit, residual: GarmentResidual, scale) -> float:
    h = residual.heldout
    pred = predict_cm(model, hfield, base_unit, residual.faces, h.face, h.bary, scale)
    return float(np.linalg.norm(pred - h.target, axis=1).mean() * 10.0)


def _error_mm(pred: torch.Tensor, target: np.ndarray, scale: float) -> float:
    """Mean Euclidean error (mm) of a prediction in units of ``scale`` cm."""
    return float(np.linalg.norm(pred.numpy().astype(np.float64) * scale - target, axis=1).mean() * 10.0)


def _set_table(
    opt: torch.optim.Optimizer,
    group: int,
    old_encoding: HashEncoding,
    new_encoding: HashEncoding,
    occupancy: list[np.ndarray] | None,
) -> None:
    """Swap the table parameter in its group, its Adam moments carried into the new indexing
    (``remap_rows``, the same slot means as the table's); the other groups keep theirs."""
    old, new = old_encoding.table, new_encoding.table
    state = opt.state.pop(old, None)
    opt.param_groups[group]["params"] = [new]
    if state:
        opt.state[new] = {
            k: remap_rows(old_encoding, new_encoding, v, occupancy) if k.startswith("exp_avg") else v
            for k, v in state.items()
        }


OCCUPANCY_POINTS = 131072  # surface samples whose Nuvo keys mark the occupied texels at a shrink
OCCUPANCY_RESOLUTION = 128  # texels per chart side of the occupancy mask (dilated by one texel)


def key_occupancy(chart: torch.Tensor, uv: torch.Tensor, n_charts: int, resolution: int) -> list[np.ndarray]:
    """One (resolution, resolution) bool mask per chart (rows along v): the texels holding a key,
    dilated by one texel so the gaps between samples count as cloth."""
    from scipy.ndimage import binary_dilation

    c = chart.cpu().numpy()
    ij = np.clip((uv.cpu().numpy() * resolution).astype(np.int64), 0, resolution - 1)
    masks = []
    for k in range(n_charts):
        m = np.zeros((resolution, resolution), dtype=bool)
        sel = c == k
        m[ij[sel, 1], ij[sel, 0]] = True
        masks.append(binary_dilation(m, iterations=1))
    return masks


def _nuvo_scores(model, normalisation, base, arrays: dict, pattern: dict | None, seed: int) -> dict:
    from core.nuvo.export import charts_from_nuvo
    from core.nuvo.scores import score_charts

    faces = np.asarray(arrays["fine_faces"], np.int64)
    probs, uv = evaluate(model, normalisation.apply(base))
    fit = NuvoFit(model, model.config, normalisation, probs, uv, {}, None, 0.0)
    charts = charts_from_nuvo(fit, base, faces, seam_pairs=arrays.get("fine_seam_pairs"), source="fit")
    outlines = names = panel = None
    if pattern is not None:
        from core.pattern import pattern_from_dict

        pat = pattern_from_dict(pattern, strict=False)
        names = list(pat.panels)
        outlines = [pat.panels[n].outline() for n in names]
        panel = np.asarray(arrays["fine_panel"], np.int64)
    s = score_charts(charts, base, faces, panel, outlines, names, seed=seed)
    s["charts"] = charts.n_charts
    return s


def fit_garment(
    arrays: dict,
    config: FitConfig,
    progress: Progress | None = None,
    out: str | Path | None = None,
    pattern: dict | None = None,
    log: Callable[[str], None] | None = None,
) -> FitOutput:
    """Stage 1 of the per-garment fit of one sample's ``arrays`` (``core.dataset.load_arrays``);
    ``pattern`` (the sample's pattern.json dict) adds the Panel L2 scores. Writes
    ``out/field.safetensors`` and ``out/fit.json`` (``out`` defaults to ``config.out``)."""
    t0 = time.perf_counter()
    log = log or (lambda s: None)
    if config.threads:
        torch.set_num_threads(int(config.threads))
    kwargs = {} if config.heldout_points is None else {"heldout_points": int(config.heldout_points)}
    residual = garment_residual(arrays, config.base, **kwargs)
    faces = residual.faces
    fine = np.asarray(arrays["fine_vertices"], np.float64)
    base = fine - residual.residual
    t_details = time.perf_counter()
    details = details_analysis(base, fine, faces)
    t_details = time.perf_counter() - t_details

    std_before = float(residual.residual.std())
    scale = std_before if config.residual_scale == "std" else float(config.residual_scale)
    if not scale > 0:
        scale = 1.0
    std_after = float((residual.residual / scale).std())

    normalisation = Normalisation.fit(base)
    base_unit = normalisation.apply(base)
    sampler = SurfaceSampler(base_unit, faces)
    ncfg = config.nuvo_config()
    hshape = config.hash_shape()
    n_finest = residual.resolution_for(hshape["finest_texel_cm"])
    n_charts = ncfg.n_charts
    t_full = n_charts * (n_finest + 1) ** 2
    schedule, window = config.make_schedule(t_full)
    n1 = config.stage1_iterations

    rng = np.random.default_rng(config.seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = NuvoModel(ncfg)
        hfield = HashField(
            {
                "encoding": {
                    "otype": "HashGrid",
                    "n_levels": int(hshape["n_levels"]),
                    "n_features_per_level": int(hshape["n_features"]),
                    "base_resolution": min(int(hshape["base_resolution"]), n_finest),
                    "finest_resolution": n_finest,
                    "table_size": t_full,
                    "n_charts": n_charts,
                },
                "network": {"n_neurons": 64, "n_hidden_layers": 2, **config.network, "out_dim": 3},
            }
        )
    gen = torch.Generator().manual_seed(config.seed)
    with torch.no_grad():
        hfield.encoding.table.uniform_(-1e-4, 1e-4, generator=gen)
    model.train()
    nets = [p for name, p in model.named_parameters() if name != "sigma"]
    groups = [
        {"params": nets, "lr": ncfg.lr},
        {"params": [model.sigma], "lr": ncfg.sigma_lr},
        {"params": [hfield.encoding.table], "lr": config.lr_table, "eps": 1e-15},
        {"params": list(hfield.mlp.parameters()), "lr": config.lr_mlp},
    ]
    base_lrs = [g["lr"] for g in groups]
    opt = torch.optim.Adam(groups, betas=(0.9, 0.99))
    table_group = 2

    zero_mm = float(np.linalg.norm(residual.heldout.target, axis=1).mean() * 10.0)
    shrinks = {it: size for it, size in schedule.shrinks()}
    shrink_log: list[dict] = []
    res_losses: list[float] = []
    curve: list[dict] = []
    nuvo_curve: list[dict] = []
    resize_seconds = 0.0
    n_total = config.iterations
    s2cfg = config.stage2_config()
    corrector: Stage2Corrector | None = None
    held = residual.heldout
    held_x = _tensor(_base_points(base_unit, faces, held.face, held.bary))
    held_keys = None  # cached once Nuvo is frozen
    correction_image = None
    stage_seconds = [0.0, 0.0]
    log(
        f"stage 1: iterations 0-{n1}, stage 2: {n1}-{n_total} "
        f"({'denoiser' if s2cfg.denoiser else 'no denoiser'}); T_full {t_full} "
        f"({n_charts} charts x ({n_finest} + 1)^2); shrinks {schedule.shrinks()}; "
        f"check {schedule.check_after} its after, window {window}"
    )

    def evaluate_heldout() -> dict:
        nonlocal correction_image
        if held_keys is None:
            model.eval()
            err = heldout_error_mm(model, hfield, base_unit, residual, scale)
            model.train()
            return {"heldout_mm": err, "field_mm": err}
        with torch.no_grad():
            pred = hfield(*held_keys)
            field_mm = _error_mm(pred, held.target, scale)
            if corrector is None:
                return {"heldout_mm": field_mm, "field_mm": field_mm}
            correction_image = corrector.sample(steps)
            corrector.fit_gain(correction_image, hfield)
            corrected = pred + corrector.correction(correction_image, *held_keys)
        return {
            "heldout_mm": _error_mm(corrected, held.target, scale),
            "field_mm": field_mm,
            "gain": corrector.gain,
        }

    steps = int(config.diffusion_steps or 10)
    t_loop = time.perf_counter()
    for i in range(n_total):
        t_it = time.perf_counter()
        stage = 1 if i < n1 else 2
        if i == n1:
            # stage 2: Nuvo frozen, the keys of the held-out set and of the pool fixed
            model.eval()
            for p in model.parameters():
                p.requires_grad_(False)
            for g in opt.param_groups[:2]:
                g["params"] = []
            held_keys = nuvo_keys(model, held_x)
            if s2cfg.denoiser:
                face, bary, target = pool_samples(residual, s2cfg.pool_points, config.seed + 7)
                chart_p, uv_p = nuvo_keys(model, _tensor(_base_points(base_unit, faces, face, bary)))
                corrector = Stage2Corrector(
                    s2cfg, hfield, n_charts, chart_p, uv_p, _tensor(target / scale), seed=config.seed
                )
            log(
                f"stage 2 from iteration {i}: Nuvo frozen; "
                + (
                    f"denoiser {corrector.parameters} parameters over {n_charts} x "
                    f"{s2cfg.image_size}^2 chart images, delta std {corrector.delta_scale:.4f}, "
                    f"{corrector.to_json()['covered_texels']:.2f} of the texels covered"
                    if corrector is not None
                    else "no denoiser (the field alone)"
                )
            )
        if i in shrinks:
            ts = time.perf_counter()
            old = hfield.encoding
            before = float(np.mean(res_losses[-window:])) if res_losses else math.nan
            occ_s = residual.sample(OCCUPANCY_POINTS, np.random.default_rng(config.seed + 11))
            occ_x = _tensor(_base_points(base_unit, faces, occ_s.face, occ_s.bary))
            occ_chart, occ_uv = nuvo_keys(model, occ_x)
            occupancy = key_occupancy(occ_chart, occ_uv, n_charts, OCCUPANCY_RESOLUTION)
            hfield.encoding = resize(old, table_size=shrinks[i], occupancy=occupancy, seed=config.seed + i)
            _set_table(opt, table_group, old, hfield.encoding, occupancy)
            if corrector is not None:
                corrector.refresh(hfield)
            resize_seconds += time.perf_counter() - ts
            entry = {
                "iteration": i,
                "stage": stage,
                "table_size": shrinks[i],
                "table_rows": int(hfield.encoding.table.shape[0]),
                "occupied_share": float(np.mean([m.mean() for m in occupancy])),
                "share_of_t_full": shrinks[i] / t_full,
                "loss_before": before,
                "check_iteration": i + schedule.check_after,
                "loss_after": None,
                "ratio": None,
                "within_5pct": None,
            }
            shrink_log.append(entry)
            log(f"  iteration {i}: table {t_full} -> {shrinks[i]} rows/level max; loss before {before:.5f}")
        decay = 0.5 * (1.0 + math.cos(math.pi * i / n_total))
        for g, lr0 in zip(opt.param_groups, base_lrs, strict=True):
            g["lr"] = lr0 * decay
        rs = residual.sample(config.residual_points, rng)
        x = _tensor(_base_points(base_unit, faces, rs.face, rs.bary))
        if stage == 1:
            s = sampler.sample(ncfg.points, rng)
            terms = loss_terms(
                model,
                _tensor(s.points),
                _tensor(s.tangent_a),
                _tensor(s.tangent_b),
                _tensor(sample_uv(ncfg.n_charts, ncfg.uv_samples, rng)),
            )
            nuvo_loss = total_loss(terms, ncfg)
            chart, uv = _keys(model, x)
        else:
            nuvo_loss = torch.zeros(())
            chart, uv = nuvo_keys(model, x)
        pred = hfield(chart, uv)
        res_loss = torch.mean((pred - _tensor(rs.target / scale)) ** 2)
        loss = nuvo_loss + config.residual_weight * res_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        res_losses.append(float(res_loss.detach()))
        info = {
            "stage": stage,
            "nuvo": float(nuvo_loss.detach()),
            "residual": res_losses[-1],
            "table_size": hfield.encoding.config.hashmap_size,
            "table_rows": int(hfield.encoding.table.shape[0]),
        }
        if corrector is not None:
            if (i - n1) % s2cfg.refresh_every == 0:
                corrector.refresh(hfield)
            corrector.set_lr_factor(decay)
            info["denoiser"] = corrector.step()
        for e in shrink_log:
            if e["loss_after"] is None and i + 1 == e["check_iteration"]:
                after = float(np.mean(res_losses[-window:]))
                e["loss_after"] = after
                e["ratio"] = after / e["loss_before"] if e["loss_before"] else math.nan
                e["within_5pct"] = bool(after <= (1.0 + SHRINK_TOLERANCE) * e["loss_before"])
                log(
                    f"  check at {i + 1}: loss {after:.5f} vs {e['loss_before']:.5f} before the shrink at "
                    f"{e['iteration']} (x{e['ratio']:.3f}) -> "
                    f"{'within 5%' if e['within_5pct'] else 'NOT within 5%'}"
                )
        stage_seconds[stage - 1] += time.perf_counter() - t_it
        if (i + 1) % config.eval_every == 0 or i + 1 == n_total or i + 1 == n1:
            ev = evaluate_heldout()
            curve.append({"iteration": i + 1, "stage": stage, **ev, "table_size": schedule.size_at(i)})
            if stage == 1:
                nuvo_curve.append(
                    {
                        "iteration": i + 1,
                        **{k: float(v.detach()) for k, v in terms.items()},
                        "total": info["nuvo"],
                    }
                )
            info.update(ev)
        if progress is not None:
            progress(i + 1, n_total, info)
    loop_seconds = time.perf_counter() - t_loop
    model.eval()
    for e in shrink_log:
        if e["loss_after"] is None:
            e["pending"] = "check iteration beyond the fit's end"

    final_mm = curve[-1]["heldout_mm"]
    final_size = schedule.size_at(n_total - 1)
    table_ok = final_size <= TARGET_TABLE_SHARE * t_full
    target = {
        "heldout_mm": final_mm,
        "field_mm": curve[-1]["field_mm"],
        "target_mm": TARGET_MM,
        "table_size": final_size,
        "t_full": t_full,
        "table_share": final_size / t_full,
        "error_met": bool(final_mm <= TARGET_MM),
        "table_met": bool(table_ok),
        "met": bool(final_mm <= TARGET_MM and table_ok),
    }
    stage1_end = next((c for c in curve if c["iteration"] == n1), None)
    if n1 < n_total:
        stage2 = {
            "iterations": n_total - n1,
            "config": s2cfg.to_json(),
            "nuvo": "frozen",
            "diffusion_steps": steps if corrector is not None else None,
            "heldout_mm_at_stage1_end": stage1_end["heldout_mm"] if stage1_end else None,
            "field_mm": curve[-1]["field_mm"],
            "corrected_mm": curve[-1]["heldout_mm"] if corrector is not None else None,
        }
        if corrector is not None:
            stage2 |= {**corrector.to_json(), "denoiser_loss": corrector.losses}
    else:
        stage2 = "not run (stage2_start = 1)"

    ts = time.perf_counter()
    scores = _nuvo_scores(model, normalisation, base, arrays, pattern, config.seed)
    scores_seconds = time.perf_counter() - ts
    ts = time.perf_counter()
    collisions = [{**asdict(c), "excess": c.excess} for c in hfield.encoding.collision_counts()]
    collision_seconds = time.perf_counter() - ts

    record = {
        "config": config.to_json(),
        "nuvo_config": ncfg.to_json(),
        "sample": {k: arrays[k] for k in ("id", "family", "material") if k in arrays},
        "residual": residual.stats(),
        "residual_std_cm": {"before_scaling": std_before, "after_scaling": std_after, "scale_cm": scale},
        "normalisation": {"center": normalisation.center.tolist(), "scale": float(normalisation.scale)},
        "details": details,
        "stage1": {"iterations": n1, "of": n_total, "stage2_start": config.stage2_start},
        "stage2": stage2,
        "diffusion_steps": config.diffusion_steps,
        "hash": {
            **hshape,
            "finest_resolution": n_finest,
            "resolutions": hfield.encoding.config.resolutions(),
            "t_full": t_full,
            "final_table_size": final_size,
            "final_table_rows": int(hfield.encoding.table.shape[0]),
            "collisions": collisions,
        },
        "schedule": {**schedule.to_json(), "window": window, "shrinks_done": shrink_log},
        "curves": {
            "heldout_mm": curve,
            "zero_predictor_mm": zero_mm,
            "residual_loss": res_losses,
            "nuvo_terms": nuvo_curve,
        },
        "target": target,
        "scores": scores,
        "timings_s": {
            "details": t_details,
            "loop": loop_seconds,
            "per_iteration": loop_seconds / n_total,
            "stage1_per_iteration": stage_seconds[0] / max(n1, 1),
            "stage2_per_iteration": stage_seconds[1] / max(n_total - n1, 1),
            "resize": resize_seconds,
            "scores": scores_seconds,
            "collisions": collision_seconds,
            "total": time.perf_counter() - t0,
        },
    }
    out = Path(config.out if out is None else out)
    extra = corrector.state_tensors(correction_image) if corrector is not None else {}
    paths = save_fit(out, model, hfield, record, extra)
    record["timings_s"]["total"] = time.perf_counter() - t0
    return FitOutput(model, hfield, normalisation, residual, record, paths)


def save_fit(
    out: Path, model: NuvoModel, hfield: HashField, record: dict, extra: dict | None = None
) -> dict[str, str]:
    """``out/field.safetensors`` (``hash.*``: table and MLP, ``nuvo.*``, and with stage 2's
    denoiser ``denoiser.*`` and its sampled ``stage2.correction`` image) and ``out/fit.json``."""
    import json

    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    tensors = {f"hash.{k}": v.detach().contiguous().clone() for k, v in hfield.state_dict().items()}
    tensors |= {f"nuvo.{k}": v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    tensors |= dict(extra or {})
    weights, js = out / "field.safetensors", out / "fit.json"
    save_file(tensors, str(weights), metadata={"field": json.dumps(hfield.to_dict())})
    js.write_text(json.dumps(_jsonable(record), indent=1, allow_nan=True))
    return {"weights": str(weights), "json": str(js)}


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    return x


__all__ = ["FitConfig", "FitOutput", "fit_garment", "heldout_error_mm", "predict_cm", "save_fit"]
