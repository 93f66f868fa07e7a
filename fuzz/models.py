"""Model-file mutations over the bundled model: a truncated or bit-flipped file (with and
without its checksum updated, so the damage reaches the parser), a pickle renamed
``.safetensors``, a foreign ONNX graph, tensors of the wrong dtype or shape, a missing file,
and a mutated description."""

from __future__ import annotations

import json
import pickle
import random
import shutil
from pathlib import Path

import numpy as np
from safetensors import SafetensorError

from .mutations import corrupt_bytes, mutate_tree

MODELS = Path(__file__).resolve().parents[1] / "models"
NAMES = ("refiner.json", "refiner.safetensors", "refiner.onnx")


def _rechecksum(folder: Path, name: str) -> None:
    from core.refiner.modelfile import sha256_of

    desc_path = folder / "refiner.json"
    desc = json.loads(desc_path.read_text())
    desc["sha256"][name] = sha256_of(folder / name)
    desc_path.write_text(json.dumps(desc))


def _bytes(folder, rng, name, rechecksum=True):
    data, kind = corrupt_bytes((folder / name).read_bytes(), rng)
    (folder / name).write_bytes(data)
    if rechecksum and rng.random() < 0.6:
        _rechecksum(folder, name)
        return f"{name}:{kind}+sha"
    return f"{name}:{kind}"


def _pickle(folder, rng):
    (folder / "refiner.safetensors").write_bytes(pickle.dumps({"weight": np.zeros(3)}))
    _rechecksum(folder, "refiner.safetensors")
    return "pickle_as_safetensors"


def _foreign_onnx(folder, rng):
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 4])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "foreign", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(folder / "refiner.onnx"))
    _rechecksum(folder, "refiner.onnx")
    return "foreign_onnx"


def _wrong_tensor(folder, rng):
    from safetensors.numpy import load_file, save_file

    path = folder / "refiner.safetensors"
    tensors = load_file(str(path))
    key = rng.choice(sorted(tensors))
    t = tensors[key]
    kind = rng.choice(("dtype", "shape", "drop", "nan"))
    if kind == "dtype":
        tensors[key] = t.astype(rng.choice((np.float16, np.int32, np.float64)))
    elif kind == "shape":
        grow = rng.random() < 0.5
        tensors[key] = np.zeros((*t.shape, 2), t.dtype) if grow else t.reshape(-1)[: max(1, t.size // 2)]
    elif kind == "drop":
        del tensors[key]
    else:
        tensors[key] = np.full_like(t, np.nan)
    save_file(tensors, str(path))
    _rechecksum(folder, "refiner.safetensors")
    return f"tensor_{kind}"


def _missing(folder, rng):
    name = rng.choice(NAMES[1:])
    (folder / name).unlink()
    return f"missing_{name}"


def _description(folder, rng):
    path = folder / "refiner.json"
    tree, ops = mutate_tree(json.loads(path.read_text()), rng)
    try:
        path.write_text(json.dumps(tree))
    except (ValueError, RecursionError):
        path.write_text("{" * 10_000)
    return "json:" + "+".join(ops)


MODEL_OPS = {
    "json": _description,
    "safetensors_bytes": lambda f, r: _bytes(f, r, "refiner.safetensors"),
    "onnx_bytes": lambda f, r: _bytes(f, r, "refiner.onnx"),
    "json_bytes": lambda f, r: _bytes(f, r, "refiner.json", rechecksum=False),
    "pickle": _pickle,
    "foreign_onnx": _foreign_onnx,
    "wrong_tensor": _wrong_tensor,
    "missing": _missing,
}
MODEL_WEIGHTS = {"json": 3, "wrong_tensor": 2}
# what an op may meet when an earlier op of the same case removed or broke its file
_SPOILED = (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError, SafetensorError)


def mutated_model(folder: Path, rng: random.Random) -> tuple[Path, list[str]]:
    """A copy of the bundled model in ``folder`` with one or two mutations; the JSON's path."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        shutil.copyfile(MODELS / name, folder / name)
    names = list(MODEL_OPS)
    weights = [MODEL_WEIGHTS.get(n, 1.0) for n in names]
    ops = []
    for _ in range(rng.randint(1, 2)):
        try:
            ops.append(MODEL_OPS[rng.choices(names, weights)[0]](folder, rng))
        except _SPOILED:
            ops.append("skipped")
    return folder / "refiner.json", ops
