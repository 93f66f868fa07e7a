"""The noise schedule and the few-step sampler of the residual diffusion, in numpy.

Training noises a residual image ``x0`` to ``x_t = sqrt(a_t) x0 + sqrt(1 - a_t) eps`` and the
denoiser predicts ``v = sqrt(a_t) eps - sqrt(1 - a_t) x0`` (v-prediction). The betas are the
"scaled linear" ones rescaled to zero terminal SNR (Lin et al. 2024, "Common diffusion noise
schedules and sample steps are flawed"): the last step is pure noise, so sampling starts from
what training saw. Sampling is deterministic DDIM over ``K`` "trailing" timesteps; each step is
``x_prev = A x_t + B v``, and the coefficients (A, B) with the timesteps are all that inference
needs: they are stored in the model's JSON, so the runtime needs neither diffusers nor torch.
The same numbers as diffusers' ``DDIMScheduler`` (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TRAIN_TIMESTEPS = 1000


def rescale_zero_terminal_snr(betas: np.ndarray) -> np.ndarray:
    """Shift and scale sqrt(alpha_bar) so that it ends at exactly 0, keeping its start."""
    sab = np.sqrt(np.cumprod(1.0 - betas))
    first, last = sab[0], sab[-1]
    sab = (sab - last) * first / (first - last)
    ab = sab**2
    alphas = np.concatenate([ab[:1], ab[1:] / ab[:-1]])
    return 1.0 - alphas


def scaled_linear_betas(
    steps: int = TRAIN_TIMESTEPS, start: float = 0.00085, end: float = 0.012, zero_snr: bool = True
) -> np.ndarray:
    """Stable Diffusion's schedule (linear in sqrt(beta)), optionally zero-terminal-SNR."""
    betas = np.linspace(start**0.5, end**0.5, steps, dtype=np.float64) ** 2
    return rescale_zero_terminal_snr(betas) if zero_snr else betas


@dataclass
class SamplerPlan:
    """A K-step deterministic sampler: per step the network's timestep and (A, B)."""

    timesteps: np.ndarray  # (K,) int, descending
    a: np.ndarray  # (K,) coefficient of x_t
    b: np.ndarray  # (K,) coefficient of the predicted v

    def to_json(self) -> dict:
        return {"timesteps": self.timesteps.tolist(), "a": self.a.tolist(), "b": self.b.tolist()}

    @classmethod
    def from_json(cls, d: dict) -> SamplerPlan:
        return cls(np.asarray(d["timesteps"], np.int64), np.asarray(d["a"]), np.asarray(d["b"]))

    def run(self, denoise, x_t: np.ndarray) -> np.ndarray:
        """Run the steps: ``denoise(x_t, t) -> v`` (any array type supporting * and +)."""
        for t, a, b in zip(self.timesteps.tolist(), self.a.tolist(), self.b.tolist(), strict=True):
            x_t = a * x_t + b * denoise(x_t, t)
        return x_t


@dataclass
class NoiseSchedule:
    """Cumulative alphas of the training process and the helpers built on them."""

    alphas_cumprod: np.ndarray  # (T,)

    @classmethod
    def default(cls, steps: int = TRAIN_TIMESTEPS) -> NoiseSchedule:
        return cls(np.cumprod(1.0 - scaled_linear_betas(steps)))

    @property
    def n_train(self) -> int:
        return len(self.alphas_cumprod)

    def add_noise(self, x0: np.ndarray, noise: np.ndarray, t: np.ndarray) -> np.ndarray:
        """x_t for per-sample timesteps ``t`` (broadcast over the trailing axes)."""
        a = self._per_sample(t, x0.ndim)
        return np.sqrt(a) * x0 + np.sqrt(1 - a) * noise

    def velocity(self, x0: np.ndarray, noise: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The v-prediction target."""
        a = self._per_sample(t, x0.ndim)
        return np.sqrt(a) * noise - np.sqrt(1 - a) * x0

    def predicted_x0(self, x_t: np.ndarray, v: np.ndarray, t: np.ndarray) -> np.ndarray:
        a = self._per_sample(t, x_t.ndim)
        return np.sqrt(a) * x_t - np.sqrt(1 - a) * v

    def _per_sample(self, t: np.ndarray, ndim: int) -> np.ndarray:
        a = self.alphas_cumprod[np.asarray(t, np.int64)]
        return a.reshape(a.shape + (1,) * (ndim - a.ndim))

    def timesteps(self, k: int) -> np.ndarray:
        """K "trailing" timesteps: the first is the last training step (pure noise)."""
        if not 1 <= k <= self.n_train:
            raise ValueError(f"steps must be in 1..{self.n_train}, got {k}")
        return (np.round(np.arange(self.n_train, 0, -self.n_train / k)) - 1).astype(np.int64)

    def sampler(self, k: int) -> SamplerPlan:
        """Deterministic DDIM with v-prediction over :meth:`timesteps` (the last step lands
        on the clean image: alpha_prev = 1)."""
        ts = self.timesteps(k)
        a_t = self.alphas_cumprod[ts]
        prev = ts - self.n_train // k
        a_prev = np.where(prev >= 0, self.alphas_cumprod[np.maximum(prev, 0)], 1.0)
        s_t, n_t = np.sqrt(a_t), np.sqrt(1 - a_t)
        s_p, n_p = np.sqrt(a_prev), np.sqrt(1 - a_prev)
        # x0 = s_t x - n_t v ; eps = n_t x + s_t v ; x_prev = s_p x0 + n_p eps
        return SamplerPlan(ts, s_p * s_t + n_p * n_t, -s_p * n_t + n_p * s_t)
