"""The denoiser: a small fully convolutional U-Net over chart images (torch; training and
export only: inference runs its ONNX export through onnxruntime).

Input: the noisy residual image x_t (3 channels: t_u, t_v, n components, normalised) stacked
with the condition images (``features.CONDITION_CHANNELS``); the timestep enters every block
as a FiLM scale and shift. Output: the v-prediction (3 channels). Three levels (full, 1/2,
1/4 resolution): at 0.5 cm/px the receptive field spans about 40 cm, several fold
wavelengths, while the parameter count stays in the few hundred thousands that the CPU budget
allows.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class DenoiserConfig:
    """Shape of the denoiser (stored in the model JSON)."""

    in_channels: int = 3  # the residual being denoised
    cond_channels: int = 18
    out_channels: int = 3
    widths: tuple[int, ...] = (24, 48, 64)
    blocks_per_level: int = 1
    mid_blocks: int = 2
    time_dim: int = 64
    groups: int = 8
    stem_stride: int = 1  # 2: space-to-depth in and out (the U-Net runs at twice the pitch, 1/4 the cost)
    fine_width: int = 0  # > 0 with stem_stride > 1: a full-resolution branch of this width (see Denoiser)

    def to_json(self) -> dict:
        return {**asdict(self), "widths": list(self.widths)}

    @classmethod
    def from_json(cls, d: dict) -> DenoiserConfig:
        return cls(**{**d, "widths": tuple(d["widths"])})


def timestep_embedding(t: torch.Tensor, dim: int, n_train: int = 1000) -> torch.Tensor:
    """Sinusoidal embedding of integer timesteps (B,) -> (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = (t.float() / n_train * 1000.0)[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv twice with a timestep FiLM in between, and a skip."""

    def __init__(self, c_in: int, c_out: int, time_dim: int, groups: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(min(groups, c_in), c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.film = nn.Linear(time_dim, 2 * c_out)
        self.norm2 = nn.GroupNorm(min(groups, c_out), c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.film(temb)[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(F.silu(h))
        return h + self.skip(x)


class Denoiser(nn.Module):
    """U-Net: ``forward(x_t, cond, t) -> v``; images of any size divisible by 2^(levels-1).

    With ``stem_stride`` r > 1 the U-Net runs at r times the pitch and its output is put back
    to full resolution by depth-to-space; features narrower than about two coarse pixels are
    then hard to make (the fine drape's 1-1.5 cm ripples at 1 cm/px). ``fine_width`` > 0 adds a
    small branch at full resolution: the raw input through one conv, beside the U-Net's last
    features put back to full resolution (1x1 conv + depth-to-space), one residual block and a
    head whose output is added to the U-Net's (zero at initialisation).
    """

    def __init__(self, config: DenoiserConfig | None = None):
        super().__init__()
        self.config = cfg = config or DenoiserConfig()
        w = cfg.widths
        self.time = nn.Sequential(
            nn.Linear(cfg.time_dim, cfg.time_dim), nn.SiLU(), nn.Linear(cfg.time_dim, cfg.time_dim)
        )
        r = cfg.stem_stride
        self.unshuffle = nn.PixelUnshuffle(r) if r > 1 else nn.Identity()
        self.shuffle = nn.PixelShuffle(r) if r > 1 else nn.Identity()
        self.stem = nn.Conv2d((cfg.in_channels + cfg.cond_channels) * r * r, w[0], 3, padding=1)
        self.down = nn.ModuleList()
        self.pool = nn.ModuleList()
        for i, c in enumerate(w):
            c_prev = w[max(i - 1, 0)]
            blocks = [
                ResBlock(c_prev if k == 0 else c, c, cfg.time_dim, cfg.groups)
                for k in range(cfg.blocks_per_level)
            ]
            self.down.append(nn.ModuleList(blocks))
            self.pool.append(nn.Conv2d(c, c, 3, stride=2, padding=1) if i < len(w) - 1 else nn.Identity())
        self.mid = nn.ModuleList(
            [ResBlock(w[-1], w[-1], cfg.time_dim, cfg.groups) for _ in range(cfg.mid_blocks)]
        )
        self.up = nn.ModuleList()
        for i in reversed(range(len(w) - 1)):
            self.up.append(
                nn.ModuleList(
                    [
                        nn.Conv2d(w[i + 1], w[i], 3, padding=1),
                        ResBlock(2 * w[i], w[i], cfg.time_dim, cfg.groups),
                    ]
                )
            )
        self.head = nn.Sequential(
            nn.GroupNorm(min(cfg.groups, w[0]), w[0]),
            nn.SiLU(),
            nn.Conv2d(w[0], cfg.out_channels * r * r, 3, padding=1),
        )
        nn.init.zeros_(self.head[-1].weight)
        nn.init.zeros_(self.head[-1].bias)
        self.fine = None
        if cfg.fine_width > 0 and r > 1:
            fw = cfg.fine_width
            self.fine = nn.ModuleDict(
                {
                    "stem": nn.Conv2d(cfg.in_channels + cfg.cond_channels, fw, 3, padding=1),
                    "lift": nn.Sequential(nn.Conv2d(w[0], fw * r * r, 1), nn.PixelShuffle(r)),
                    "block": ResBlock(2 * fw, fw, cfg.time_dim, cfg.groups),
                    "head": nn.Sequential(
                        nn.GroupNorm(min(cfg.groups, fw), fw),
                        nn.SiLU(),
                        nn.Conv2d(fw, cfg.out_channels, 3, padding=1),
                    ),
                }
            )
            nn.init.zeros_(self.fine["head"][-1].weight)
            nn.init.zeros_(self.fine["head"][-1].bias)

    @property
    def multiple(self) -> int:
        """Image sizes divisible by this keep every level aligned (any size works when
        ``stem_stride`` is 1; with space-to-depth sizes must be even)."""
        return 2 ** (len(self.config.widths) - 1) * self.config.stem_stride

    def forward(self, x_t: torch.Tensor, cond: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        temb = self.time(timestep_embedding(t, self.config.time_dim))
        full = torch.cat([x_t, cond], dim=1)
        h = self.stem(self.unshuffle(full))
        skips = []
        for blocks, pool in zip(self.down, self.pool, strict=True):
            for block in blocks:
                h = block(h, temb)
            skips.append(h)
            h = pool(h)
        for block in self.mid:
            h = block(h, temb)
        skips.pop()  # the deepest level feeds the middle, not a skip
        for (conv, block), skip in zip(self.up, reversed(skips), strict=True):
            h = conv(F.interpolate(h, size=skip.shape[-2:], mode="nearest"))
            h = block(torch.cat([h, skip], dim=1), temb)
        v = self.shuffle(self.head(h))
        if self.fine is not None:
            f = torch.cat([self.fine["stem"](full), self.fine["lift"](h)], dim=1)
            v = v + self.fine["head"](self.fine["block"](f, temb))
        return v


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
