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
from safetensors.numpy import load_file, save_file

from ..errors import ModelError

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
    json_path = Path(json_path)
    if not json_path.is_file():
        raise ModelError("model description not found", source=str(json_path))
    try:
        desc = json.loads(json_path.read_text())
    except json.JSONDecodeError as err:
        raise ModelError(f"model description is not JSON: {err}", source=str(json_path)) from err
    if desc.get("format") != FORMAT:
        raise ModelError(f"not a {FORMAT} description (format={desc.get('format')!r})", source=str(json_path))
    return desc


def verified_path(json_path: str | Path, name: str) -> Path:
    """The path of a model file named in the description, after checking its sha256."""
    json_path = Path(json_path)
    desc = read_description(json_path)
    expected = desc["sha256"].get(name)
    path = json_path.with_name(name)
    if expected is None:
        raise ModelError(f"{name} has no checksum in the model description", source=str(json_path))
    if not path.is_file():
        raise ModelError(f"model file {name} is missing", source=str(path))
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
        return desc, load_file(str(weights))
    except Exception as err:  # safetensors raises its own error types
        raise ModelError(f"cannot read weights: {err}", source=str(weights)) from err
