"""Runtimes that evaluate the denoiser: onnxruntime (bundled, no torch needed) or torch.

Both take numpy arrays ``(x_t (B, 3, H, W), cond (B, C, H, W), t (B,) int64)`` and return
``v`` as a float32 numpy array, so the sampler does not care which one runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import ModelError


class Runtime(Protocol):
    name: str

    def __call__(self, x_t: np.ndarray, cond: np.ndarray, t: np.ndarray) -> np.ndarray: ...


class OnnxRuntime:
    """An ONNX export of the denoiser run by onnxruntime on the CPU."""

    name = "onnxruntime"

    def __init__(self, path: str | Path, threads: int | None = None):
        try:
            import onnxruntime as ort
        except ImportError as err:
            raise ModelError(
                "onnxruntime is not installed (the extension bundles it)", source=str(path)
            ) from err
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def __call__(self, x_t: np.ndarray, cond: np.ndarray, t: np.ndarray) -> np.ndarray:
        feeds = {"x_t": x_t.astype(np.float32), "cond": cond.astype(np.float32), "t": t.astype(np.int64)}
        return self.session.run(None, feeds)[0]


class TorchRuntime:
    """The torch module itself (training, validation, and CUDA when present)."""

    name = "torch"

    def __init__(self, module, device: str = "cpu"):
        import torch

        self.torch = torch
        self.module = module.to(device).eval()
        self.device = device

    def __call__(self, x_t: np.ndarray, cond: np.ndarray, t: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.no_grad():
            v = self.module(
                torch.from_numpy(np.ascontiguousarray(x_t, np.float32)).to(self.device),
                torch.from_numpy(np.ascontiguousarray(cond, np.float32)).to(self.device),
                torch.from_numpy(np.asarray(t, np.int64)).to(self.device),
            )
        return v.float().cpu().numpy()
