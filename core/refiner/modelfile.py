"""Model files: weights as safetensors beside a JSON description (config, sampler, sha256).

``name.safetensors`` holds the tensors (never pickled); ``name.json`` holds everything else
the runtime needs (network config, normalisation, sampler coefficients, training record) and
the sha256 of the weights and of any exported ``.onnx``, checked on every load: a file that
was truncated, swapped or edited is refused with a clear error instead of refining garbage.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from ..errors import ModelError
from ..inputs import input_file

FORMAT = "garment-refiner-model/1"


def sha256_of(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_model(path: str | Path, tensors: dict[str, np.ndarray], description: dict) -> Path:
    """Write ``path``.safetensors and ``path``.json (``path`` without suffix); returns the JSON."""
    base = Path(path).with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    weights = base.with_suffix(".safetensors")
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(weights))
    desc = {
        **description,
        "format": FORMAT,
        "weights": weights.name,
        "sha256": {weights.name: sha256_of(weights)},
    }
    onnx = base.with_suffix(".onnx")
    if onnx.is_file():
        desc["sha256"][onnx.name] = sha256_of(onnx)
    out = base.with_suffix(".json")
    out.write_text(json.dumps(desc, indent=1) + "\n")
    return out


def add_file_checksum(json_path: str | Path, file: str | Path) -> None:
    """Record the sha256 of another file of the model (e.g. its ONNX export) in its JSON."""
    json_path = Path(json_path)
    desc = json.loads(json_path.read_text())
    desc["sha256"][Path(file).name] = sha256_of(file)
    json_path.write_text(json.dumps(desc, indent=1) + "\n")


def read_description(json_path: str | Path) -> dict:
    """The model's JSON, checked for format; raises ModelError."""
    json_path = input_file(json_path, ModelError, "model description not found")
    try:
        desc = json.loads(json_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ModelError(f"model description is not JSON: {err}", source=str(json_path)) from err
    except (UnicodeDecodeError, RecursionError, ValueError) as err:  # ValueError: a huge integer
        raise ModelError(f"model description is not readable JSON: {err}", source=str(json_path)) from err
    if not isinstance(desc, dict) or desc.get("format") != FORMAT:
        got = desc.get("format") if isinstance(desc, dict) else type(desc).__name__
        raise ModelError(f"not a {FORMAT} description (format={got!r})", source=str(json_path))
    return desc


def _file_name(value: object) -> bool:
    return isinstance(value, str) and value not in ("", ".", "..") and Path(value).name == value


def check_description(desc: dict, source: str) -> None:
    """A refiner model's description: the fields inference reads, with their types and ranges;
    raises ModelError naming the field. (The network's own consistency is checked when it is
    built or its session opened.)"""

    def fail(key: str, message: str) -> ModelError:
        return ModelError(message, source=source, where=key)

    def number(key: str, lo: float, hi: float) -> None:
        value = desc.get(key)
        ok = isinstance(value, int | float) and not isinstance(value, bool) and lo <= float(value) <= hi
        if not ok:
            raise fail(key, f"expected a number in [{lo:g}, {hi:g}], got {value!r}")

    if not _file_name(desc.get("weights")):
        raise fail("weights", f"expected a file name beside the description, got {desc.get('weights')!r}")
    sums = desc.get("sha256")
    if not isinstance(sums, dict) or not all(
        _file_name(k) and isinstance(v, str) and len(v) == 64 for k, v in sums.items()
    ):
        raise fail("sha256", "expected an object of file name -> 64-digit sha256")
    net = desc.get("network")
    if not isinstance(net, dict):
        raise fail("network", "expected an object")
    for key in ("in_channels", "cond_channels", "out_channels"):
        v = net.get(key)
        if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 1024:
            raise fail(f"network.{key}", f"expected an integer in 1..1024, got {v!r}")
    widths = net.get("widths")
    if not (
        isinstance(widths, list)
        and 1 <= len(widths) <= 8
        and all(isinstance(w, int) and not isinstance(w, bool) and 1 <= w <= 4096 for w in widths)
    ):
        raise fail("network.widths", f"expected 1-8 integers in 1..4096, got {widths!r}")
    shape = (("stem_stride", 1, 8), ("fine_width", 0, 4096), ("blocks_per_level", 0, 16))
    shape += (("mid_blocks", 0, 16), ("time_dim", 1, 4096), ("groups", 1, 4096))
    for key, low, high in shape:
        v = net.get(key, low)
        if not isinstance(v, int) or isinstance(v, bool) or not low <= v <= high:
            raise fail(f"network.{key}", f"expected an integer in {low}..{high}, got {v!r}")
    from .features import CONDITION_CHANNELS

    channels = list(CONDITION_CHANNELS)
    if desc.get("condition_channels") != channels or net["cond_channels"] != len(channels):
        raise fail(
            "condition_channels",
            "the model was trained on other condition channels than this version computes "
            f"({len(channels)}: {', '.join(channels)})",
        )
    scale = desc.get("residual_scale_cm")
    if not (
        isinstance(scale, list)
        and len(scale) == 3
        and all(isinstance(x, int | float) and not isinstance(x, bool) and 0 < x < 1e3 for x in scale)
    ):
        raise fail("residual_scale_cm", f"expected 3 positive numbers, got {scale!r}")
    number("pitch_cm", 0.05, 10.0)
    number("target_edge_cm", 0.1, 20.0)
    if desc.get("box_edge_cm") is not None:
        number("box_edge_cm", 0.1, 20.0)
    steps = desc.get("default_steps")
    if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= 1000:
        raise fail("default_steps", f"expected an integer in 1..1000, got {steps!r}")
    if desc.get("objective") not in ("diffusion", "regression"):
        raise fail("objective", f"unknown objective {desc.get('objective')!r}")
    if not isinstance(desc.get("sampler"), dict):
        raise fail("sampler", "expected an object of step count -> plan")


def verified_path(json_path: str | Path, name: str) -> Path:
    """The path of a model file named in the description, after checking its sha256."""
    json_path = Path(json_path)
    desc = read_description(json_path)
    expected = desc["sha256"].get(name)
    path = json_path.with_name(name)
    if expected is None:
        raise ModelError(f"{name} has no checksum in the model description", source=str(json_path))
    input_file(path, ModelError, f"model file {name} is missing")
    actual = sha256_of(path)
    if actual != expected:
        raise ModelError(
            f"checksum mismatch: {name} has sha256 {actual[:12]}..., the description expects "
            f"{expected[:12]}... (a damaged or replaced file: reinstall the extension or retrain)",
            source=str(path),
        )
    return path


def load_model(json_path: str | Path) -> tuple[dict, dict[str, np.ndarray]]:
    """(description, tensors) after verifying the weights' checksum; raises ModelError."""
    desc = read_description(json_path)
    weights = verified_path(json_path, desc["weights"])
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as err:
        raise ModelError(f"cannot read weights: {err}", source=str(weights)) from err
    for name, t in tensors.items():
        if t.dtype.kind != "f":
            raise ModelError(f"tensor {name} is {t.dtype}, not floating point", source=str(weights))
        if not np.isfinite(t).all():
            raise ModelError(f"tensor {name} holds values that are not finite", source=str(weights))
    return desc, tensors
