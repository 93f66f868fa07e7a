"""Safe models: only safetensors and ONNX, each checksummed against the model's JSON; a pickle,
a foreign ONNX graph, mis-shaped or non-finite tensors and bad description fields are refused
with a message naming the file; a refine opens no socket."""

from __future__ import annotations

import json
import pickle
import shutil
import socket

import numpy as np
import pytest
from paths import PRESETS, ROOT

from core.errors import ModelError
from core.refiner.modelfile import add_file_checksum, load_model
from core.refiner.refine import RefineOptions, Refiner

pytest.importorskip("onnxruntime")


@pytest.fixture
def model(tmp_path):
    """A copy of the bundled model that a test may damage."""
    for name in ("refiner.json", "refiner.safetensors", "refiner.onnx"):
        shutil.copyfile(ROOT / "models" / name, tmp_path / name)
    return tmp_path / "refiner.json"


def test_a_pickle_renamed_safetensors_is_refused_even_with_its_checksum(model):
    weights = model.with_name("refiner.safetensors")
    weights.write_bytes(pickle.dumps({"conv.weight": np.zeros(3)}))
    add_file_checksum(model, weights)  # a file that passes the checksum: the format still refuses it
    with pytest.raises(ModelError, match="cannot read weights") as err:
        load_model(model)
    assert "refiner.safetensors" in str(err.value)
    with pytest.raises(ModelError):
        Refiner(model, device="cpu", runtime="torch")


def test_a_foreign_onnx_graph_is_refused_when_opened(model):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 4])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "foreign", [x], [y])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    path = model.with_name("refiner.onnx")
    onnx.save(m, str(path))
    add_file_checksum(model, path)
    with pytest.raises(ModelError, match="do not match the description") as err:
        Refiner(model, device="cpu", runtime="onnx")
    assert "refiner.onnx" in str(err.value)


def test_a_truncated_onnx_with_a_matching_checksum_is_a_model_error(model):
    path = model.with_name("refiner.onnx")
    path.write_bytes(path.read_bytes()[:1000])
    add_file_checksum(model, path)
    with pytest.raises(ModelError, match="onnxruntime cannot open"):
        Refiner(model, device="cpu", runtime="onnx")


@pytest.mark.parametrize("kind", ["shape", "nan", "int"])
def test_mis_shaped_or_non_finite_tensors_are_refused(model, kind):
    from safetensors.numpy import load_file, save_file

    weights = model.with_name("refiner.safetensors")
    tensors = load_file(str(weights))
    key = min(tensors)
    t = tensors[key]
    tensors[key] = {
        "shape": np.zeros((*t.shape, 2), t.dtype),
        "nan": np.full_like(t, np.nan),
        "int": t.astype(np.int32),
    }[kind]
    save_file(tensors, str(weights))
    add_file_checksum(model, weights)
    match = {"shape": "do not fit", "nan": "not finite", "int": "not floating point"}[kind]
    with pytest.raises(ModelError, match=match):
        Refiner(model, device="cpu", runtime="torch")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("weights", "../../elsewhere.safetensors"),
        ("pitch_cm", -1),
        ("residual_scale_cm", [1.0, float("nan"), 1.0]),
        ("condition_channels", ["mask"]),
        ("default_steps", 10**9),
        ("sampler", {"5": {"timesteps": [1, 2], "a": [1.0], "b": [0.5, 0.5]}}),
    ],
)
def test_bad_description_fields_are_refused_naming_the_field(model, field, value):
    desc = json.loads(model.read_text())
    desc[field] = value
    if field == "sampler":
        desc["default_steps"] = 5
    model.write_text(json.dumps(desc))
    with pytest.raises(ModelError) as err:
        Refiner(model, device="cpu").plan(None)
    assert "refiner.json" in str(err.value) and field.split("_")[0] in str(err.value)


def test_a_refine_opens_no_socket(monkeypatch):
    """No network at run time: every way of making a connection raises during a refine."""
    from core.boxmesh import build_box_mesh
    from core.pattern import load_pattern
    from core.refiner.refine import RefineInput

    def refuse(*args, **kwargs):
        raise AssertionError(f"network use during refine: {args[:2]}")

    class NoSocket(socket.socket):
        def __init__(self, *args, **kwargs):
            refuse("socket", args)

    monkeypatch.setattr(socket, "socket", NoSocket)
    for name in ("create_connection", "getaddrinfo", "gethostbyname"):
        monkeypatch.setattr(socket, name, refuse)
    pattern = load_pattern(PRESETS / "skirt.json")
    m = build_box_mesh(pattern, 4.0)
    refiner = Refiner(device="cpu")
    result = refiner.refine(
        RefineInput(m.vertices, m.faces, m.panel_ids, m.uv, pattern=pattern), RefineOptions(steps=1)
    )
    assert np.isfinite(result.vertices).all() and np.abs(result.offsets).max() > 0
