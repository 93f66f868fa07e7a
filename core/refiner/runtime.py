"""Runtimes that evaluate the denoiser: onnxruntime (bundled, no torch needed) or torch.

Both take numpy arrays ``(x_t (B, 3, H, W), cond (B, C, H, W), t (B,) int64)`` and return
``v`` as a float32 numpy array, so the sampler does not care which one runs.
"""

from __future__ import annotations

import warnings
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

    def __init__(self, path: str | Path, threads: int | None = None, network: dict | None = None):
        """``network``: the description's network, to check the graph's inputs and outputs."""
        try:
            import onnxruntime as ort
            from onnxruntime.capi import onnxruntime_pybind11_state as ort_state
        except ImportError as err:
            raise ModelError(
                "onnxruntime is not installed (the extension bundles it)", source=str(path)
            ) from err
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        opts.log_severity_level = 3
        names = ("Fail", "InvalidArgument", "NoSuchFile", "NoModel", "InvalidProtobuf", "InvalidGraph")
        names += ("NotImplemented", "RuntimeException")
        self.errors = tuple(getattr(ort_state, n) for n in names if hasattr(ort_state, n))
        self.source = str(path)
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except self.errors as err:
            raise ModelError(
                f"onnxruntime cannot open the model: {str(err)[:300]}", source=str(path)
            ) from err
        if network is not None:
            self._check_signature(network)

    def _check_signature(self, network: dict) -> None:
        """The graph takes x_t, cond and t with the description's channel counts."""
        inputs = {i.name: i.shape for i in self.session.get_inputs()}
        want = {"x_t": network["in_channels"], "cond": network["cond_channels"], "t": None}
        outputs = self.session.get_outputs()
        ok = set(inputs) == set(want) and len(outputs) == 1
        for name, channels in want.items():
            shape = inputs.get(name)
            if ok and channels is not None:
                ok = len(shape) == 4 and shape[1] == channels
        if ok:
            shape = outputs[0].shape
            ok = len(shape) == 4 and shape[1] == network["out_channels"]
        if not ok:
            raise ModelError(
                f"the ONNX graph's inputs {inputs} do not match the description (x_t with "
                f"{want['x_t']} channels, cond with {want['cond']}, t)",
                source=self.source,
            )

    def __call__(self, x_t: np.ndarray, cond: np.ndarray, t: np.ndarray) -> np.ndarray:
        feeds = {"x_t": x_t.astype(np.float32), "cond": cond.astype(np.float32), "t": t.astype(np.int64)}
        try:
            return self.session.run(None, feeds)[0]
        except self.errors as err:
            raise ModelError(
                f"onnxruntime failed to run the model: {str(err)[:300]}", source=self.source
            ) from err


class TorchRuntime:
    """The torch module itself (training, validation, and CUDA when present).

    Out of GPU memory, a call is retried in smaller chunks of its batch (down to one chart);
    when even one chart does not fit, the module moves to the CPU for good, with a warning
    (``fell_back`` records it), and the refine goes on there.
    """

    name = "torch"

    def __init__(self, module, device: str = "cpu"):
        import torch

        self.torch = torch
        self.module = module.to(device).eval()
        self.device = device
        self.fell_back = False
        self.chunked = 0  # calls that had to be split

    def _run(self, x_t: np.ndarray, cond: np.ndarray, t: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.no_grad():
            v = self.module(
                torch.from_numpy(np.ascontiguousarray(x_t, np.float32)).to(self.device),
                torch.from_numpy(np.ascontiguousarray(cond, np.float32)).to(self.device),
                torch.from_numpy(np.asarray(t, np.int64)).to(self.device),
            )
        return v.float().cpu().numpy()

    def __call__(self, x_t: np.ndarray, cond: np.ndarray, t: np.ndarray) -> np.ndarray:
        try:
            return self._run(x_t, cond, t)
        except self.torch.cuda.OutOfMemoryError:
            self._free()
        if len(x_t) > 1:  # the batch in halves, each retried the same way
            self.chunked += 1
            h = len(x_t) // 2
            return np.concatenate([self(x_t[:h], cond[:h], t[:h]), self(x_t[h:], cond[h:], t[h:])])
        if self.device == "cpu":
            raise MemoryError("out of memory on the CPU")
        warnings.warn(
            "CUDA ran out of memory even for one chart: the refine goes on on the CPU",
            RuntimeWarning,
            stacklevel=2,
        )
        self.module = self.module.to("cpu")
        self.device, self.fell_back = "cpu", True
        return self._run(x_t, cond, t)

    def _free(self) -> None:
        if self.torch.cuda.is_available():
            self.torch.cuda.empty_cache()
