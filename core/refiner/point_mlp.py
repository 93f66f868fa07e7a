"""The per-vertex MLP denoiser, kept as a baseline: the same diffusion over residuals, but
each vertex sees only its own features (no neighbourhood), 8 x 256 as the seed had it.

Per point: the noisy residual (3), the base's point features (``features.POINT_CHANNELS``),
the material (one-hot) and strain flag, Fourier features of the chart position (u, v) and
the timestep embedding. Fed independent noise per vertex it can only output noise or, trained
to be safe, the mean: the reason the refiner works on chart images instead.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .features import MATERIALS, POINT_CHANNELS, STRAIN_CHANNELS
from .lowpass import DEFAULT_SIGMA_CM
from .network import timestep_embedding
from .training_data import BASE_KEYS, base_and_target

FOURIER_FREQS = (1 / 40, 1 / 20, 1 / 10, 1 / 5, 1 / 2.5, 1 / 1.25)  # cycles per cm
TIME_DIM = 32


def point_inputs(feats: np.ndarray, uv: np.ndarray, material: str, strain_known: bool) -> np.ndarray:
    """(P, F) per-point conditioning of the MLP."""
    f = np.array(feats, np.float32)
    if not strain_known:
        f[:, : len(STRAIN_CHANNELS)] = 0
    mat = np.zeros((len(f), len(MATERIALS)), np.float32)
    mat[:, MATERIALS.index(material)] = 1
    ang = 2 * np.pi * uv[:, :, None] * np.asarray(FOURIER_FREQS)[None, None]
    fourier = np.concatenate([np.sin(ang), np.cos(ang)], axis=2).reshape(len(f), -1)
    return np.concatenate([f, mat, np.full((len(f), 1), float(strain_known)), fourier], axis=1).astype(
        np.float32
    )


N_INPUTS = len(POINT_CHANNELS) + len(MATERIALS) + 1 + 4 * len(FOURIER_FREQS)


class PointDenoiser(nn.Module):
    """``forward(x_t (N, 3), cond (N, F), t (N,)) -> v (N, 3)``: depth x width SiLU MLP."""

    def __init__(self, n_inputs: int = N_INPUTS, width: int = 256, depth: int = 8):
        super().__init__()
        layers: list[nn.Module] = [nn.Linear(3 + n_inputs + TIME_DIM, width), nn.SiLU()]
        for _ in range(depth - 2):
            layers += [nn.Linear(width, width), nn.SiLU()]
        layers.append(nn.Linear(width, 3))
        self.net = nn.Sequential(*layers)

    def forward(self, x_t: torch.Tensor, cond: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x_t, cond, timestep_embedding(t, TIME_DIM)], dim=1))


def point_examples(
    samples: list[dict], bases: tuple[str, ...], target: str = "detail", sigma_cm: float = DEFAULT_SIGMA_CM
) -> tuple[np.ndarray, np.ndarray]:
    """(inputs (N, F), residuals (N, 3) cm) over every chart point of every garment and base,
    with the refiner's target (``training_data.base_and_target``)."""
    xs, ys = [], []
    for a in samples:
        for base in bases:
            if BASE_KEYS[base] not in a:
                continue
            charts, _, feats, _, resid = base_and_target(a, base, target, sigma_cm)
            xs.append(point_inputs(feats, charts.uv, a["material"], True))
            ys.append(resid.astype(np.float32))
    return np.concatenate(xs), np.concatenate(ys)


def sample_points(model: PointDenoiser, inputs: np.ndarray, plan, seed: int = 0) -> np.ndarray:
    """(P, 3) normalised residuals by running ``plan`` on per-point noise."""
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.standard_normal((len(inputs), 3)).astype(np.float32))
    c = torch.from_numpy(inputs)
    model.eval()
    with torch.no_grad():
        for t, a, b in zip(plan.timesteps.tolist(), plan.a.tolist(), plan.b.tolist(), strict=True):
            x = a * x + b * model(x, c, torch.full((len(x),), t, dtype=torch.int64))
    return x.numpy()


def train_point_mlp(cfg, log=print, batch_points: int = 4096):
    """Train the baseline on the config's training garments (diffusion on v, same schedule
    and step count as the refiner); writes ``<out>/point_mlp.safetensors`` + ``.json``."""
    from pathlib import Path

    from .modelfile import save_model
    from .schedule import NoiseSchedule
    from .training import split_samples

    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    inputs, resid = point_examples(split_samples(cfg, "train"), cfg.bases, cfg.target, cfg.target_sigma_cm)
    scale = resid.std(axis=0).astype(np.float32)
    target = resid / scale
    model = PointDenoiser()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    alphas = torch.tensor(NoiseSchedule.default().alphas_cumprod, dtype=torch.float32)
    losses = []
    from tqdm import tqdm

    for _ in tqdm(range(cfg.steps), desc="point MLP", unit="step", mininterval=5):
        idx = rng.integers(0, len(inputs), batch_points)
        c, x0 = torch.from_numpy(inputs[idx]), torch.from_numpy(target[idx])
        drop = torch.from_numpy(rng.random(batch_points) < cfg.strain_dropout)
        c[drop, : len(STRAIN_CHANNELS)] = 0
        c[drop, len(POINT_CHANNELS) + len(MATERIALS)] = 0
        t = torch.randint(0, len(alphas), (batch_points,))
        a = alphas[t][:, None]
        noise = torch.randn_like(x0)
        v = model(a.sqrt() * x0 + (1 - a).sqrt() * noise, c, t)
        loss = ((v - (a.sqrt() * noise - (1 - a).sqrt() * x0)) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    schedule = NoiseSchedule.default()
    desc = {
        "kind": "point-mlp-baseline",
        "objective": "point_mlp",
        "residual_scale_cm": scale.tolist(),
        "default_steps": cfg.diffusion_steps,
        "sampler": {str(k): schedule.sampler(k).to_json() for k in (5, 10)},
        "record": {
            "steps_done": cfg.steps,
            "points": len(inputs),
            "loss_last_100": float(np.mean(losses[-100:])),
        },
    }
    tensors = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    log(f"point MLP: {len(inputs):,} training points, loss {desc['record']['loss_last_100']:.4f}")
    return save_model(out / "point_mlp", tensors, desc)
