"""Model files: safetensors + JSON round trip, refused when edited, truncated or missing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.errors import ModelError
from core.refiner.modelfile import add_file_checksum, load_model, save_model, verified_path


def _model(tmp_path):
    tensors = {
        "conv.weight": np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2),
        "conv.bias": np.ones(2, np.float32),
    }
    return save_model(tmp_path / "m", tensors, {"config": {"widths": [2]}}), tensors


def test_round_trip_keeps_tensors_and_description(tmp_path):
    path, tensors = _model(tmp_path)
    desc, loaded = load_model(path)
    assert desc["config"] == {"widths": [2]} and set(desc["sha256"]) == {"m.safetensors"}
    assert all(np.array_equal(loaded[k], v) for k, v in tensors.items())


def test_a_changed_weights_file_is_refused_with_its_checksums(tmp_path):
    path, _ = _model(tmp_path)
    weights = tmp_path / "m.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="checksum mismatch"):
        load_model(path)
    weights.unlink()
    with pytest.raises(ModelError, match="missing"):
        load_model(path)


def test_other_files_are_checked_and_foreign_json_is_refused(tmp_path):
    path, _ = _model(tmp_path)
    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"onnx bytes")
    add_file_checksum(path, onnx)
    assert verified_path(path, "m.onnx") == onnx
    onnx.write_bytes(b"other bytes")
    with pytest.raises(ModelError, match="checksum"):
        verified_path(path, "m.onnx")
    foreign = tmp_path / "x.json"
    foreign.write_text(json.dumps({"weights": "m.safetensors"}))
    with pytest.raises(ModelError, match="format"):
        load_model(foreign)
