"""The noise schedule and the few-step sampler: zero terminal SNR, v targets, DDIM as diffusers."""

from __future__ import annotations

import numpy as np
import pytest

from core.refiner.schedule import NoiseSchedule, SamplerPlan, scaled_linear_betas


def test_zero_terminal_snr_ends_in_pure_noise_and_keeps_the_start():
    plain, rescaled = scaled_linear_betas(zero_snr=False), scaled_linear_betas()
    ab_plain, ab = np.cumprod(1 - plain), np.cumprod(1 - rescaled)
    assert ab[-1] == pytest.approx(0.0, abs=1e-12) and ab_plain[-1] > 1e-3
    assert ab[0] == pytest.approx(ab_plain[0]) and np.all(np.diff(ab) < 0)


def test_v_target_recovers_x0_and_noise():
    s = NoiseSchedule.default()
    rng = np.random.default_rng(0)
    x0, eps = rng.normal(size=(4, 3, 8, 8)), rng.normal(size=(4, 3, 8, 8))
    t = np.array([0, 10, 500, 999])
    xt, v = s.add_noise(x0, eps, t), s.velocity(x0, eps, t)
    assert np.allclose(s.predicted_x0(xt, v, t), x0)
    assert np.allclose(xt[3], eps[3])  # the last step is pure noise


@pytest.mark.parametrize("k", [1, 5, 10])
def test_sampler_matches_diffusers_ddim(k):
    torch = pytest.importorskip("torch")
    diffusers = pytest.importorskip("diffusers")
    ref = diffusers.DDIMScheduler(
        num_train_timesteps=1000,
        beta_schedule="scaled_linear",
        beta_start=0.00085,
        beta_end=0.012,
        prediction_type="v_prediction",
        rescale_betas_zero_snr=True,
        timestep_spacing="trailing",
        clip_sample=False,
        set_alpha_to_one=True,
    )
    ref.set_timesteps(k)
    plan = NoiseSchedule.default().sampler(k)
    assert plan.timesteps.tolist() == ref.timesteps.tolist()
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 6, 6))
    fake_v = [rng.normal(size=x.shape) for _ in range(k)]
    ours, theirs = x.copy(), torch.tensor(x)
    for i, t in enumerate(plan.timesteps.tolist()):
        ours = plan.a[i] * ours + plan.b[i] * fake_v[i]
        theirs = ref.step(torch.tensor(fake_v[i]), t, theirs).prev_sample
    assert np.allclose(ours, theirs.numpy(), atol=1e-5)


def test_a_perfect_denoiser_lands_on_the_clean_image_in_any_step_count():
    s = NoiseSchedule.default()
    rng = np.random.default_rng(2)
    x0 = rng.normal(size=(1, 3, 5, 5))
    for k in (1, 5, 10):
        plan = s.sampler(k)
        noise = rng.normal(size=x0.shape)
        x_t = noise  # pure noise at the first trailing step (zero terminal SNR)

        def oracle(x, t):
            a = s.alphas_cumprod[t]
            eps = (x - np.sqrt(a) * x0) / np.sqrt(1 - a)
            return np.sqrt(a) * eps - np.sqrt(1 - a) * x0

        assert np.allclose(plan.run(oracle, x_t), x0, atol=1e-8)
        again = SamplerPlan.from_json(plan.to_json())
        assert np.allclose(again.run(oracle, x_t), x0, atol=1e-8)


def test_bad_step_counts_are_refused():
    with pytest.raises(ValueError, match="steps"):
        NoiseSchedule.default().timesteps(0)
