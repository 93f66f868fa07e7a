"""Stage 2 of the per-garment fit: a residual-diffusion denoiser that corrects the hash field.

With Nuvo frozen, the keys (chart, u, v) of a fixed *pool* of training surface points stop moving.
The field's error on the pool, ``delta = R / scale - field(key)``, is splatted into chart images
(``core.garment_fit.chart_images``, ``image_size``^2 per Nuvo chart) and divided by its own std
(``delta_scale``, fixed at stage 2's start) so the diffusion sees unit-sized values. The denoiser
is the refiner's U-Net (``core.refiner.network.Denoiser``, v-prediction, the refiner's
zero-terminal-SNR schedule and K-step DDIM sampler, ``core.refiner.schedule``); its condition
images are the **hash features** at the texel centres (the encoding's ``n_levels * F`` outputs),
the field's own prediction (3) and the coverage (1: texels the pool reaches). Its loss is the
v-prediction MSE over covered texels, one random timestep per chart image.

The field keeps learning from its own point loss (so the table's shrinks go on being checked on
the same quantity as in stage 1); the conditions and ``delta`` are recomputed from the current
field every ``refresh_every`` iterations and are detached (the denoiser does not push gradients
into the table). The corrected prediction at a point is ``field(key) + delta_scale * lookup(x0,
key)``, ``x0`` being the K-step DDIM sample from a seeded noise image, times a scalar **gain**
in [0, 1] fitted by least squares on the pool (training points only, never the held-out set), so
that an undertrained denoiser is turned down rather than allowed to add its noise to the field
(the gain is recorded: 0 means the denoiser did not help on its own training points).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from core.hashfield import HashField
from core.refiner.network import Denoiser, DenoiserConfig, parameter_count
from core.refiner.schedule import NoiseSchedule

from .chart_images import lookup, points_to_image, splat, texel_centres


@dataclass
class Stage2Config:
    """``stage2:`` in configs/fit.yaml."""

    denoiser: bool = True  # False: stage 2 trains the field alone (the "without denoiser" arm)
    image_size: int = 64  # texels per Nuvo chart side
    widths: tuple[int, ...] = (16, 32, 48)
    mid_blocks: int = 1
    lr: float = 1e-3
    weight: float = 1.0  # of the diffusion loss beside the field's point loss
    pool_points: int = 65536  # fixed training surface points whose field error is splatted
    refresh_every: int = 10
    sample_seed: int = 0  # the noise image the corrections are sampled from
    extra: dict = field(default_factory=dict)  # DenoiserConfig overrides

    @classmethod
    def from_dict(cls, d: dict | None) -> Stage2Config:
        d = dict(d or {})
        if "widths" in d:
            d["widths"] = tuple(d["widths"])
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown stage2 keys: {', '.join(sorted(unknown))}")
        return cls(**d)

    def to_json(self) -> dict:
        return {**asdict(self), "widths": list(self.widths)}


class Stage2Corrector:
    """The denoiser, its optimizer and the pool's images (see the module docstring)."""

    def __init__(
        self,
        config: Stage2Config,
        hfield: HashField,
        n_charts: int,
        pool_chart: torch.Tensor,
        pool_uv: torch.Tensor,
        pool_target: torch.Tensor,
        seed: int = 0,
    ):
        self.config = config
        self.n_charts = n_charts
        self.size = int(config.image_size)
        self.pool = (pool_chart, pool_uv, pool_target)
        self.texels = texel_centres(n_charts, self.size)
        enc_dim = hfield.encoding.out_dim
        dcfg = DenoiserConfig(
            in_channels=3,
            cond_channels=enc_dim + 4,
            widths=tuple(config.widths),
            mid_blocks=config.mid_blocks,
            **config.extra,
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.denoiser = Denoiser(dcfg)
        self.schedule = NoiseSchedule.default()
        self._ab = torch.as_tensor(self.schedule.alphas_cumprod, dtype=torch.float32)
        self.optimizer = torch.optim.Adam(self.denoiser.parameters(), lr=config.lr)
        self.base_lr = config.lr
        self.gen = torch.Generator().manual_seed(seed + 1)
        self.delta_scale: float | None = None
        self.gain = 1.0
        self.refresh(hfield)
        self.losses: list[float] = []

    @property
    def parameters(self) -> int:
        return parameter_count(self.denoiser)

    @torch.no_grad()
    def refresh(self, hfield: HashField) -> None:
        """Recompute the conditions and the delta image from the current field."""
        chart, uv, target = self.pool
        pred = hfield(chart, uv)
        delta, weight = splat(chart, uv, target - pred, self.n_charts, self.size)
        self.mask = (weight > 0).float()
        if self.delta_scale is None:
            covered = delta.permute(1, 0, 2, 3)[:, self.mask[:, 0] > 0]
            s = float(covered.std()) if covered.numel() > 1 else 1.0
            self.delta_scale = s if s > 0 else 1.0
        self.x0 = delta / self.delta_scale
        tc, tuv = self.texels
        feats = hfield.encoding(tc, tuv)
        tex_pred = hfield.mlp(feats)
        self.cond = torch.cat(
            [
                points_to_image(feats, self.n_charts, self.size),
                points_to_image(tex_pred, self.n_charts, self.size),
                self.mask,
            ],
            dim=1,
        )

    def set_lr_factor(self, factor: float) -> None:
        for g in self.optimizer.param_groups:
            g["lr"] = self.base_lr * factor

    def step(self) -> float:
        """One optimisation step of the denoiser; the masked v-prediction MSE."""
        self.denoiser.train()
        n = self.n_charts
        t = torch.randint(0, self.schedule.n_train, (n,), generator=self.gen)
        eps = torch.randn(self.x0.shape, generator=self.gen)
        a = self._ab[t].view(-1, 1, 1, 1)
        x_t = a.sqrt() * self.x0 + (1 - a).sqrt() * eps
        v = a.sqrt() * eps - (1 - a).sqrt() * self.x0
        v_hat = self.denoiser(x_t, self.cond, t)
        err = ((v_hat - v) ** 2).mean(dim=1, keepdim=True)
        loss = (err * self.mask).sum() / self.mask.sum().clamp_min(1.0)
        self.optimizer.zero_grad(set_to_none=True)
        (self.config.weight * loss).backward()
        self.optimizer.step()
        self.losses.append(float(loss.detach()))
        return self.losses[-1]

    @torch.no_grad()
    def sample(self, steps: int) -> torch.Tensor:
        """The K-step DDIM sample x0 (n_charts, 3, S, S) from the seeded noise image, in units of
        ``delta_scale``."""
        self.denoiser.eval()
        plan = self.schedule.sampler(int(steps))
        g = torch.Generator().manual_seed(int(self.config.sample_seed))
        x = torch.randn(self.x0.shape, generator=g)
        for t, a, b in zip(plan.timesteps, plan.a, plan.b, strict=True):
            tt = torch.full((self.n_charts,), int(t), dtype=torch.long)
            x = float(a) * x + float(b) * self.denoiser(x, self.cond, tt)
        return x

    @torch.no_grad()
    def fit_gain(self, image: torch.Tensor, hfield: HashField) -> float:
        """Set :attr:`gain` to the least-squares scale in [0, 1] of ``image``'s correction against
        the field's error on the pool; returns it."""
        chart, uv, target = self.pool
        c = lookup(image, chart, uv) * float(self.delta_scale)
        r = target - hfield(chart, uv)
        cc = float((c * c).sum())
        self.gain = min(max(float((c * r).sum()) / cc, 0.0), 1.0) if cc > 0 else 0.0
        return self.gain

    @torch.no_grad()
    def correction(self, image: torch.Tensor, chart: torch.Tensor, uv: torch.Tensor) -> torch.Tensor:
        """The correction (N, 3), in the field's units, read from a :meth:`sample` image and scaled
        by :attr:`gain`."""
        return lookup(image, chart, uv) * float(self.delta_scale) * self.gain

    def state_tensors(self, image: torch.Tensor | None) -> dict[str, torch.Tensor]:
        state = self.denoiser.state_dict()
        out = {f"denoiser.{k}": v.detach().contiguous().clone() for k, v in state.items()}
        if image is not None:
            out["stage2.correction"] = image.contiguous().clone()
        return out

    def to_json(self) -> dict:
        return {
            "denoiser": self.denoiser.config.to_json(),
            "parameters": self.parameters,
            "delta_scale": self.delta_scale,
            "image_size": self.size,
            "covered_texels": float(self.mask.mean()),
            "gain": self.gain,
        }


def nuvo_keys(model, x: torch.Tensor, chunk: int = 16384) -> tuple[torch.Tensor, torch.Tensor]:
    """(chart, uv) of points ``x`` (N, 3) in Nuvo's unit cube, without gradients."""
    charts, uvs = [], []
    with torch.no_grad():
        for i in range(0, len(x), chunk):
            probs, uv = model(x[i : i + chunk])
            c = probs.argmax(dim=1)
            charts.append(c)
            uvs.append(uv[c, torch.arange(len(c))])
    return torch.cat(charts), torch.cat(uvs)


def pool_samples(residual, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(face, bary, target) of ``n`` area-uniform training points (its own seed)."""
    s = residual.sample(n, np.random.default_rng(seed))
    return s.face, s.bary, s.target


__all__ = ["Stage2Config", "Stage2Corrector", "nuvo_keys", "pool_samples"]
