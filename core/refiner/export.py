"""Export a trained denoiser to ONNX (the form the extension runs without torch)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from .modelfile import add_file_checksum, load_model

OPSET = 17


def export_onnx(json_path: str | Path) -> Path:
    """Write ``<model>.onnx`` beside the model's JSON and record its sha256 there."""
    import torch

    from .network import Denoiser, DenoiserConfig

    json_path = Path(json_path)
    desc, tensors = load_model(json_path)
    net = Denoiser(DenoiserConfig.from_json(desc["network"])).eval()
    net.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
    cfg = net.config
    x = torch.zeros(2, cfg.in_channels, 32, 40)
    c = torch.zeros(2, cfg.cond_channels, 32, 40)
    t = torch.tensor([999, 1], dtype=torch.int64)
    out = json_path.with_suffix(".onnx")
    axes = {0: "batch", 2: "height", 3: "width"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net,
            (x, c, t),
            str(out),
            input_names=["x_t", "cond", "t"],
            output_names=["v"],
            dynamic_axes={"x_t": axes, "cond": axes, "t": {0: "batch"}, "v": axes},
            opset_version=OPSET,
            dynamo=False,
        )
    add_file_checksum(json_path, out)
    return out


def max_difference(json_path: str | Path, shape: tuple[int, int, int] = (3, 48, 56), seed: int = 0) -> float:
    """Largest |torch - onnxruntime| of the model's output on random inputs of ``shape``."""
    import torch

    from .network import Denoiser, DenoiserConfig
    from .runtime import OnnxRuntime, TorchRuntime

    desc, tensors = load_model(json_path)
    net = Denoiser(DenoiserConfig.from_json(desc["network"]))
    net.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
    rng = np.random.default_rng(seed)
    b, h, w = shape
    x = rng.standard_normal((b, 3, h, w)).astype(np.float32)
    c = rng.standard_normal((b, net.config.cond_channels, h, w)).astype(np.float32)
    t = rng.integers(0, 1000, b)
    a = TorchRuntime(net)(x, c, t)
    o = OnnxRuntime(Path(json_path).with_suffix(".onnx"))(x, c, t)
    return float(np.abs(a - o).max())
