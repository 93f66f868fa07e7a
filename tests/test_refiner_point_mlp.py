"""The per-vertex MLP baseline trains on a real pair and samples per point, seeded."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from core.refiner.modelfile import load_model  # noqa: E402
from core.refiner.point_mlp import N_INPUTS, PointDenoiser, point_inputs, sample_points, train_point_mlp  # noqa: E402
from core.refiner.schedule import NoiseSchedule  # noqa: E402
from core.refiner.training import TrainConfig  # noqa: E402


def test_point_mlp_trains_saves_and_samples_per_seed(v1_sample_folder, tmp_path):
    cfg = TrainConfig.from_dict(
        dict(data=str(v1_sample_folder), out=str(tmp_path), bases=["lowpass"], steps=20)
    )
    path = train_point_mlp(cfg, log=lambda s: None, batch_points=512)
    desc, tensors = load_model(path)
    assert desc["objective"] == "point_mlp" and desc["record"]["points"] > 1000
    model = PointDenoiser()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
    uv = np.random.default_rng(0).uniform(0, 50, (300, 2))
    inputs = point_inputs(np.zeros((300, 11)), uv, "mid", False)
    assert inputs.shape == (300, N_INPUTS)
    plan = NoiseSchedule.default().sampler(5)
    a, b = sample_points(model, inputs, plan, 1), sample_points(model, inputs, plan, 1)
    assert np.array_equal(a, b) and not np.array_equal(a, sample_points(model, inputs, plan, 2))
