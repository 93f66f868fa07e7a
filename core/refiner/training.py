"""Training the denoiser (torch): patches from every panel of every training garment, the
diffusion (v-prediction) or one-step regression objective, periodic validation with the
detail measure on whole validation garments, resumable safetensors checkpoints, DDP when
launched by torchrun.

Files in ``out``: ``refiner.safetensors`` + ``refiner.json`` (the model, as
:mod:`.modelfile` writes it: network config, residual scale, sampler plans, training
record; the weights are the exponential moving average of the trained ones when
``ema_decay`` > 0, as diffusion models are usually sampled), ``train_state.safetensors`` (the
raw weights, for resuming), ``optimizer.pt`` (the optimizer's state, read back with
``weights_only=True``) and ``history.json`` (losses and validation rows).
"""

from __future__ import annotations

import copy
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import load_file, save_file

from ..config_check import check_config
from ..dataset import load_arrays, read_manifest
from ..detail import surface_detail
from ..errors import ConfigError, DatasetError
from ..garment_mesh import GarmentMesh
from .features import CONDITION_CHANNELS, STRAIN_CHANNELS
from .field import offset_cap, world_offsets
from .losses import gradient_structure, gram_structure, masked_l1, masked_mse
from .lowpass import SurfaceLowpass
from .modelfile import load_model, save_model
from .network import Denoiser, DenoiserConfig, parameter_count
from .raster import build_rasterizer
from .runtime import TorchRuntime
from .sampling import denoise_charts, regression_plan
from .schedule import NoiseSchedule
from .training_data import BASE_KEYS, LOWPASS_KEY, ChartExample, chart_example, random_patches, sample_charts

STRAIN_KNOWN = CONDITION_CHANNELS.index("strain_known")


BIG = 1e9
TRAIN_RANGES = {
    "max_garments": (1, BIG),
    "sample_idx": (0, BIG),
    "pitch": (0.01, 100.0),
    "patch": (8, 4096),
    "batch": (1, 4096),
    "steps": (1, BIG),
    "lr": (1e-12, 10.0),
    "warmup": (0, BIG),
    "lr_min_share": (0.0, 1.0),
    "ema_decay": (0.0, 0.999999),
    "target_sigma_cm": (0.01, 1000.0),
    "diffusion_steps": (1, 1000),
    "l1_weight": (0.0, 1e6),
    "structure_weight": (0.0, 1e6),
    "gram_weight": (0.0, 1e6),
    "strain_dropout": (0.0, 1.0),
    "val_every": (1, BIG),
    "val_garments": (0, 1e6),
    "seed": (0, 2**32 - 1),
    "threads": (0, 4096),
}
TRAIN_CHOICES = {
    "lr_schedule": ("cosine", "constant"),
    "objective": ("diffusion", "regression"),
    "target": ("highpass", "detail", "residual"),
    "device": ("auto", "cpu", "cuda"),
}


@dataclass
class TrainConfig:
    """Everything a training run reads (``configs/refiner.yaml``; CLI flags override)."""

    data: str = "data/drapes_v2"
    out: str = "runs/refiner"
    bases: tuple[str, ...] = ("coarse_sim", "lowpass")
    families: tuple[str, ...] | None = None  # only these families (None: all)
    exclude_families: tuple[str, ...] = ()  # leave-one-family-out
    materials: tuple[str, ...] | None = None
    max_garments: int | None = None
    sample_idx: int | None = None  # train on this one training garment only
    pitch: float = 0.5
    patch: int = 64
    batch: int = 16
    steps: int = 4000
    lr: float = 3e-4
    warmup: int = 100
    lr_schedule: str = "cosine"  # or "constant" after the warm-up
    lr_min_share: float = 0.1  # the cosine's floor as a share of ``lr``
    ema_decay: float = 0.999  # 0: save the raw weights
    objective: str = "diffusion"  # or "regression" (the one-step baseline)
    target: str = "highpass"  # high-pass of fine - base ("detail", "residual": core/refiner/training_data.py)
    target_sigma_cm: float = 4.0  # the high-pass's scale
    diffusion_steps: int = 5  # the sampler's default K at inference
    l1_weight: float = 0.5
    structure_weight: float = 0.1
    gram_weight: float = 0.0  # unpaired gradient statistics of the normal offset (losses.gram_structure)
    strain_dropout: float = 0.3
    cache: str = ""  # chart-image cache: "" none, "auto" <data>/chart_cache, else a folder
    val_every: int = 500
    val_garments: int = 2
    seed: int = 0
    device: str = "auto"
    threads: int = 0
    network: dict = field(default_factory=dict)

    @classmethod
    def check(cls, d: dict, source: str = "<config>") -> None:
        """ConfigError for an unknown key, a wrong type or a value out of range."""
        check_config(cls, d, source, TRAIN_RANGES, TRAIN_CHOICES)

    @classmethod
    def from_dict(cls, d: dict, source: str = "<config>") -> TrainConfig:
        cls.check(d, source)
        d = dict(d)
        for key in ("bases", "families", "exclude_families", "materials"):
            if d.get(key) is not None:
                d[key] = tuple(d[key])
        return cls(**d)


def pick_device(name: str) -> str:
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("asked for CUDA, but torch sees no CUDA device", source="--device")
    return name


def _tensors_file(cfg: TrainConfig, split: str) -> Path | None:
    """``<data>/<split>.npz`` or ``<data>/tensors/<split>.npz`` (scripts/export_tensors.py)."""
    for p in (Path(cfg.data) / f"{split}.npz", Path(cfg.data) / "tensors" / f"{split}.npz"):
        if p.is_file():
            return p
    return None


def _filter(cfg: TrainConfig, rows: list[dict], split: str) -> list[dict]:
    if cfg.families:
        rows = [r for r in rows if r["family"] in cfg.families]
    rows = [r for r in rows if r["family"] not in cfg.exclude_families]
    if cfg.materials:
        rows = [r for r in rows if r["material"] in cfg.materials]
    if cfg.sample_idx is not None and split == "train":
        if not 0 <= cfg.sample_idx < len(rows):
            raise DatasetError(f"the split has {len(rows)} garments", source=cfg.data, where="--sample_idx")
        rows = [rows[cfg.sample_idx]]
    return rows[: cfg.max_garments] if cfg.max_garments else rows


def split_samples(cfg: TrainConfig, split: str) -> list[dict]:
    """The split's ok garments as dicts of arrays (+ ``id``, ``family``, ``material``): from
    the exported training tensors when present (numpy only, fast), else from the dataset
    folder (derives the base meshes on load: needs trimesh and scipy, ~10 s a garment)."""
    tensors = _tensors_file(cfg, split)
    if tensors is not None:
        from ..training_tensors import load_split

        return _filter(cfg, load_split(tensors), split)
    manifest = read_manifest(cfg.data)
    rows = [r for r in manifest["samples"] if r["status"] == "ok" and r["split"] == split]
    rows = _filter(cfg, rows, split)
    return [
        {**load_arrays(cfg.data, r["id"]), "id": r["id"], "family": r["family"], "material": r["material"]}
        for r in rows
    ]


def load_examples(cfg: TrainConfig, split: str, progress: Callable | None = None) -> list[ChartExample]:
    """Chart examples of every ok garment of ``split`` with every base kind of the config
    (read from the chart cache when an earlier run made them, see :mod:`.example_cache`)."""
    from .example_cache import ExampleCache

    samples = split_samples(cfg, split)
    cache = ExampleCache.for_config(cfg)
    out = []
    for i, arrays in enumerate(samples):
        for base in cfg.bases:
            if BASE_KEYS[base] in arrays:
                out.append(
                    cache.get_or_make(
                        arrays["id"],
                        base,
                        lambda a=arrays, b=base: chart_example(
                            a, a["material"], b, cfg.pitch, a["id"], cfg.target, cfg.target_sigma_cm
                        ),
                    )
                )
        if progress:
            progress(i + 1, len(samples))
    if not out:
        raise DatasetError(f"no ok {split} garments for this config", source=cfg.data)
    return out


def dataset_box_edge(cfg: TrainConfig) -> float | None:
    """The dataset's fine box-mesh edge (its manifest's ``fine_edge_cm``), when known."""
    for p in (Path(cfg.data) / "manifest.json", Path(cfg.data).parent / "manifest.json"):
        if p.is_file():
            return json.loads(p.read_text()).get("config", {}).get("fine_edge_cm")
    return None


def residual_scale(examples: list[ChartExample]) -> np.ndarray:
    """(3,) std of the residual's (t_u, t_v, n) components over cloth pixels (cm)."""
    vals = np.concatenate([t[:, m] for e in examples for t, m in zip(e.target, e.masks, strict=True)], axis=1)
    return vals.std(axis=1).astype(np.float32)


@dataclass
class ValGarment:
    """A validation garment kept whole: its charts and arrays for refining and measuring."""

    sample_id: str
    material: str
    base: str
    arrays: dict
    example: ChartExample


def load_val(cfg: TrainConfig) -> list[ValGarment]:
    out = []
    for arrays in split_samples(cfg, "val")[: cfg.val_garments]:
        base = cfg.bases[0] if BASE_KEYS[cfg.bases[0]] in arrays else "lowpass"
        example = chart_example(
            arrays, arrays["material"], base, cfg.pitch, target=cfg.target, sigma_cm=cfg.target_sigma_cm
        )
        out.append(ValGarment(arrays["id"], arrays["material"], base, arrays, example))
    return out


def refine_example_vertices(
    garment: ValGarment, runtime, plan, scale: np.ndarray, pitch: float, seed: int, stochastic: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The validation garment's base as the refiner sees it (seams closed, de-faceted) and
    that base refined by the model: two (V, 3) arrays."""
    from .features import point_features

    a = garment.arrays
    charts = sample_charts(a)
    base = charts.close_seams(a[BASE_KEYS[garment.base]])
    if garment.base == "coarse_sim":
        from .upsample import defacet

        base = defacet(base, charts)
    _, frames = point_features(base, charts)
    rast = build_rasterizer(charts, pitch)
    multiple = runtime.module.multiple if hasattr(runtime, "module") else 4
    images = denoise_charts(garment.example.cond, runtime, plan, seed, multiple, stochastic=stochastic)
    images = [img * scale[:, None, None] for img in images]
    return base, base + world_offsets(rast, images, frames, len(base), cap=offset_cap(base))


def detail_of(vertices: np.ndarray, arrays: dict) -> dict:
    mesh = GarmentMesh(
        vertices, arrays["fine_faces"], arrays["fine_panel"], arrays["fine_uv"], [], arrays["fine_seam_pairs"]
    )
    wv, wf, _ = mesh.welded()
    return surface_detail(wv, wf)["detail"]


def learning_rate(cfg: TrainConfig, step: int) -> float:
    """Linear warm-up, then constant or cosine down to ``lr_min_share`` of ``lr`` at the last step."""
    warm = min(1.0, (step + 1) / max(cfg.warmup, 1))
    if cfg.lr_schedule == "constant":
        return cfg.lr * warm
    if cfg.lr_schedule != "cosine":
        raise ValueError(f"lr_schedule {cfg.lr_schedule!r}: use cosine or constant")
    done = min(1.0, max(0.0, (step - cfg.warmup) / max(cfg.steps - cfg.warmup, 1)))
    floor = cfg.lr_min_share
    return cfg.lr * warm * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * done)))


@torch.no_grad()
def update_ema(ema: torch.nn.Module, model: torch.nn.Module, decay: float, step: int) -> None:
    """ema <- d ema + (1 - d) model, with d warmed up as min(decay, (1 + step) / (10 + step))."""
    d = min(decay, (1 + step) / (10 + step))
    for e, p in zip(ema.parameters(), model.parameters(), strict=True):
        e.lerp_(p.detach(), 1 - d)
    for e, b in zip(ema.buffers(), model.buffers(), strict=True):
        e.copy_(b)


def _batch(examples, cfg, rng, device):
    cond, target, mask = random_patches(examples, cfg.batch, cfg.patch, rng)
    drop = rng.random(cfg.batch) < cfg.strain_dropout
    cond[drop, : len(STRAIN_CHANNELS)] = 0.0
    cond[drop, STRAIN_KNOWN] = 0.0
    return (torch.from_numpy(a).to(device) for a in (cond, target, mask))


def _loss(model, schedule_t, cfg, cond, x0, mask, gen):
    """(total, parts) for one batch of normalised residual patches ``x0``."""
    b = x0.shape[0]
    if cfg.objective == "regression":
        t = torch.full((b,), 999, device=x0.device)
        pred_x0 = model(torch.zeros_like(x0), cond, t)
        main = masked_mse(pred_x0, x0, mask)
    else:
        t = torch.randint(0, len(schedule_t), (b,), device=x0.device, generator=gen)
        a = schedule_t[t][:, None, None, None]
        noise = torch.randn(x0.shape, device=x0.device, generator=gen)
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * noise
        v_target = a.sqrt() * noise - (1 - a).sqrt() * x0
        v = model(x_t, cond, t)
        main = masked_mse(v, v_target, mask)
        pred_x0 = a.sqrt() * x_t - (1 - a).sqrt() * v
    l1 = masked_l1(pred_x0, x0, mask)
    structure = gradient_structure(pred_x0, x0, mask)
    total = main + cfg.l1_weight * l1 + cfg.structure_weight * structure
    parts = {"main": main.item(), "l1": l1.item(), "structure": structure.item()}
    if cfg.gram_weight:
        gram = gram_structure(pred_x0, x0, mask)
        total = total + cfg.gram_weight * gram
        parts["gram"] = gram.item()
    return total, parts


def model_description(cfg: TrainConfig, net_cfg: DenoiserConfig, scale: np.ndarray, record: dict) -> dict:
    schedule = NoiseSchedule.default()
    plans = (
        {"1": regression_plan().to_json()}
        if cfg.objective == "regression"
        else {str(k): schedule.sampler(k).to_json() for k in (1, 2, 5, 10, 20)}
    )
    return {
        "kind": "garment-refiner",
        "objective": cfg.objective,
        "target": cfg.target,
        "target_sigma_cm": cfg.target_sigma_cm,
        "network": net_cfg.to_json(),
        "condition_channels": list(CONDITION_CHANNELS),
        "pitch_cm": cfg.pitch,
        "target_edge_cm": record["target_edge_cm"],
        "box_edge_cm": record.get("box_edge_cm"),
        "residual_scale_cm": [float(s) for s in scale],
        "default_steps": 1 if cfg.objective == "regression" else cfg.diffusion_steps,
        "sampler": plans,
        "train_config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(cfg).items()},
        "record": record,
    }


def train(cfg: TrainConfig, resume: bool = False, log: Callable[[str], None] = print, progress=None) -> Path:
    """Train (or resume) and return the model's JSON path."""
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    device = pick_device(cfg.device)
    rank = 0
    if distributed:
        torch.distributed.init_process_group("nccl" if device == "cuda" else "gloo")
        rank = torch.distributed.get_rank()
        if device == "cuda":
            device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
            torch.cuda.set_device(device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed + rank)
    rng = np.random.default_rng(cfg.seed + 1000 * rank)
    t0 = time.perf_counter()
    examples = load_examples(cfg, "train", progress)
    val = load_val(cfg) if cfg.val_garments else []
    scale = residual_scale(examples)
    for e in examples:
        e.target = [t / scale[:, None, None] for t in e.target]
    net_cfg = DenoiserConfig(cond_channels=len(CONDITION_CHANNELS), **cfg.network)
    model = Denoiser(net_cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    start, history = 0, {"train": [], "val": []}
    json_path = out / "refiner.json"
    ema = copy.deepcopy(model).requires_grad_(False) if cfg.ema_decay > 0 else None
    if resume and json_path.is_file():
        desc, tensors = load_model(json_path)
        state = out / "train_state.safetensors"
        raw = load_file(str(state)) if state.is_file() else tensors
        model.load_state_dict({k: torch.from_numpy(v) for k, v in raw.items()})
        if ema is not None:
            ema.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
        opt.load_state_dict(torch.load(out / "optimizer.pt", weights_only=True, map_location=device))
        history = json.loads((out / "history.json").read_text())
        start = desc["record"]["steps_done"]
        scale = np.asarray(desc["residual_scale_cm"], np.float32)
        log(f"resumed at step {start}")
    ddp = torch.nn.parallel.DistributedDataParallel(model) if distributed else model
    schedule_t = torch.tensor(NoiseSchedule.default().alphas_cumprod, dtype=torch.float32, device=device)
    gen = torch.Generator(device=device).manual_seed(cfg.seed + rank + start)
    log(
        f"{len(examples)} chart examples, {parameter_count(model):,} parameters, device {device}; "
        f"residual std (cm, t_u t_v n): {' '.join(f'{s:.3f}' for s in scale)} -> 1 after scaling"
    )
    load_seconds = time.perf_counter() - t0

    def save(step: int) -> None:
        if rank:
            return
        record = {
            "steps_done": step,
            "train_garments": len({e.sample_id for e in examples}),
            "examples": len(examples),
            "target_edge_cm": float(np.median([e.edge_cm for e in examples])),
            "box_edge_cm": dataset_box_edge(cfg),
            "parameters": parameter_count(model),
            "seconds": time.perf_counter() - t0,
            "device": device,
            "last_val": history["val"][-1] if history["val"] else None,
        }

        def arrays(m):
            return {k: v.detach().cpu().numpy() for k, v in m.state_dict().items()}

        save_model(out / "refiner", arrays(ema or model), model_description(cfg, net_cfg, scale, record))
        save_file(arrays(model), str(out / "train_state.safetensors"))
        torch.save(opt.state_dict(), out / "optimizer.pt")
        (out / "history.json").write_text(json.dumps(history) + "\n")

    for step in range(start, cfg.steps):
        model.train()
        lr = learning_rate(cfg, step)
        for g in opt.param_groups:
            g["lr"] = lr
        cond, x0, mask = _batch(examples, cfg, rng, device)
        total, parts = _loss(ddp, schedule_t, cfg, cond, x0, mask, gen)
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if ema is not None:
            update_ema(ema, model, cfg.ema_decay, step)
        history["train"].append({"step": step + 1, "loss": total.item(), "lr": lr, **parts})
        if progress:
            progress(step + 1 - start, cfg.steps - start, loss=total.item())
        last = step + 1 == cfg.steps
        if (step + 1) % cfg.val_every == 0 or last:
            if val and not rank:
                history["val"].append({"step": step + 1, **validate(ema or model, val, cfg, scale, device)})
                log(f"step {step + 1}: {json.dumps(history['val'][-1])}")
            save(step + 1)
    if distributed:
        torch.distributed.destroy_process_group()
    log(f"trained {cfg.steps - start} steps in {time.perf_counter() - t0 - load_seconds:.0f} s")
    return json_path


def world_target(arrays: dict, base: np.ndarray, cfg: TrainConfig) -> np.ndarray:
    """(V, 3) the offsets the model is trained to add to ``base`` (as the refiner sees it),
    in world coordinates: what its validation placement is measured against."""
    fine = np.asarray(arrays["fine_vertices"], np.float64)
    if cfg.target == "detail":
        return fine - arrays[LOWPASS_KEY]
    if cfg.target == "highpass":
        charts = sample_charts(arrays)
        return SurfaceLowpass(base, charts.faces, charts.group, cfg.target_sigma_cm).highpass(fine - base)
    return fine - base


def validate(model, val: list[ValGarment], cfg: TrainConfig, scale: np.ndarray, device: str) -> dict:
    """Detail at 1, 2 and 4 cm of the refined validation garments against their fine drapes
    (mean ratio refined / fine; 1 is right), and the large-scale error (cm) of the refined
    drape low-passed against the base."""
    runtime = TorchRuntime(model, device)
    plan = (
        regression_plan()
        if cfg.objective == "regression"
        else NoiseSchedule.default().sampler(cfg.diffusion_steps)
    )
    ratios = {r: [] for r in ("1", "2", "4")}
    base_ratios = {r: [] for r in ratios}
    moved, placement = [], []
    for g in val:
        base, refined = refine_example_vertices(
            g, runtime, plan, scale, cfg.pitch, 0, cfg.objective != "regression"
        )
        d_ref, d_fine = detail_of(refined, g.arrays), detail_of(g.arrays["fine_vertices"], g.arrays)
        d_base = detail_of(base, g.arrays)
        for r in ratios:
            ratios[r].append(d_ref[r] / max(d_fine[r], 1e-9))
            base_ratios[r].append(d_base[r] / max(d_fine[r], 1e-9))
        added = refined - base
        true = world_target(g.arrays, base, cfg)
        norm = np.linalg.norm(added) * np.linalg.norm(true)
        placement.append(float((added * true).sum() / max(norm, 1e-12)))
        moved.append(float(np.linalg.norm(added, axis=1).mean()))
    model.train()
    return {
        **{f"detail_ratio_{r}": float(np.mean(v)) for r, v in ratios.items()},
        **{f"base_detail_ratio_{r}": float(np.mean(v)) for r, v in base_ratios.items()},
        "placement": float(np.mean(placement)),  # cosine of the added offsets and the true target
        "mean_offset_cm": float(np.mean(moved)),
    }
