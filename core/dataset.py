"""Bookkeeping of drape datasets: sample plans, splits, atomic sample folders and the manifest.

Layout (documented in docs/dataset.md)::

    DIR/manifest.json                  every planned sample with its status and timings
    DIR/samples/<id>/meta.json         design, body, material, sim statistics, details analysis
    DIR/samples/<id>/pattern.json      GarmentCode specification (cm)
    DIR/samples/<id>/arrays.npz        meshes, panel ids, pattern coordinates (ok samples only)
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .drape_pairs import DERIVED_KEYS, derive_arrays, missing_derived
from .errors import DatasetError
from .inputs import input_file
from .pattern import pattern_from_dict

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class SampleSpec:
    """One planned sample: which garment family, material and design seed, and the split
    shares of its dataset (drapes_v1: 10 % / 10 %)."""

    index: int
    family: str
    material: str
    seed: int
    val_share: float = 0.1
    test_share: float = 0.1

    @property
    def sample_id(self) -> str:
        return f"{self.index:05d}_{self.family}_{self.material}_s{self.seed}"

    @property
    def split(self) -> str:
        return split_for_seed(self.seed, self.val_share, self.test_share)


def split_for_seed(seed: int, val: float = 0.1, test: float = 0.1) -> str:
    """Deterministic train/val/test split by design seed (a hash, so neighbours spread)."""
    u = ((seed * 2654435761) % 2**32) / 2**32
    return "test" if u < test else "val" if u < test + val else "train"


def plan_samples(
    count: int,
    seed: int,
    families: list[str],
    materials: list[str],
    val_share: float = 0.1,
    test_share: float = 0.1,
) -> list[SampleSpec]:
    """``count`` samples cycling through families and materials, each with its own design seed."""
    specs = []
    for i in range(count):
        family = families[i % len(families)]
        material = materials[(i // len(families)) % len(materials)]
        specs.append(SampleSpec(i, family, material, seed * 100_003 + i, val_share, test_share))
    return specs


def parse_shard(text: str | None) -> tuple[int, int]:
    """``"i/N"`` -> (i, N); None -> (0, 1)."""
    if not text:
        return 0, 1
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError as err:
        raise ValueError(f"--shard expects i/N, got {text!r}") from err
    if not (n >= 1 and 0 <= i < n):
        raise ValueError(f"--shard {text!r}: need 0 <= i < N")
    return i, n


def in_shard(spec: SampleSpec, shard: tuple[int, int]) -> bool:
    return spec.index % shard[1] == shard[0]


def sample_dir(root: Path, spec_or_id: SampleSpec | str) -> Path:
    sid = spec_or_id.sample_id if isinstance(spec_or_id, SampleSpec) else spec_or_id
    return Path(root) / "samples" / sid


def is_done(root: Path, spec: SampleSpec) -> bool:
    """A sample is finished (ok or rejected) once its folder holds meta.json."""
    return (sample_dir(root, spec) / "meta.json").is_file()


def write_sample(
    root: Path, spec: SampleSpec, meta: dict[str, Any], pattern: dict | None, arrays: dict | None
) -> Path:
    """Write a sample folder atomically: build it under a temporary name, then rename."""
    final = sample_dir(root, spec)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".tmp-{spec.sample_id}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        if pattern is not None:
            (tmp / "pattern.json").write_text(json.dumps(pattern, indent=1))
        if arrays is not None:
            np.savez_compressed(tmp / "arrays.npz", **arrays)
        (tmp / "meta.json").write_text(json.dumps(_jsonable(meta), indent=1))
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def read_meta(root: Path, spec_or_id: SampleSpec | str) -> dict | None:
    path = sample_dir(root, spec_or_id) / "meta.json"
    return json.loads(path.read_text()) if path.is_file() else None


def read_manifest(root: str | Path) -> dict:
    """``root/manifest.json`` with a ``samples`` list; otherwise a DatasetError naming it."""
    path = Path(root) / "manifest.json"
    if not Path(root).is_dir():
        raise DatasetError("no dataset folder here", source=str(root))
    input_file(path, DatasetError, missing="not a dataset folder (no manifest.json)")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise DatasetError(f"unreadable manifest: {err}", source=str(path)) from err
    rows = doc.get("samples") if isinstance(doc, dict) else None
    if not isinstance(rows, list) or not all(
        isinstance(r, dict) and {"id", "status", "split", "family", "material"} <= set(r) for r in rows
    ):
        raise DatasetError("expected a samples list of id/status/split/family/material", str(path))
    return doc


def load_arrays(root: Path, spec_or_id: SampleSpec | str, derive: bool = True) -> dict[str, np.ndarray]:
    """A sample's arrays; a compact sample (as shipped) gets its derived arrays remade."""
    folder = sample_dir(root, spec_or_id)
    with np.load(folder / "arrays.npz") as data:
        arrays = {k: data[k] for k in data.files}
    if derive and missing_derived(arrays):
        meta = json.loads((folder / "meta.json").read_text())
        pattern = pattern_from_dict(json.loads((folder / "pattern.json").read_text()), str(folder))
        iterations = meta.get("coarse", {}).get("lowpass_iterations") or meta["config"]["lowpass_iterations"]
        arrays = derive_arrays(arrays, pattern, iterations)
    return arrays


def compact_arrays(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Only the arrays that cannot be remade (what a shipped sample keeps)."""
    return {k: v for k, v in arrays.items() if k not in DERIVED_KEYS}


def write_manifest(root: Path, specs: list[SampleSpec], command: str, config: dict) -> dict:
    """Collect every planned sample's status into DIR/manifest.json (atomic) and return it."""
    rows, reasons = [], Counter()
    for spec in specs:
        meta = read_meta(root, spec)
        row = {**asdict(spec), "id": spec.sample_id, "split": spec.split}
        if meta is None:
            row["status"] = "pending"
        else:
            row["status"] = meta["status"]
            row["seconds"] = meta.get("seconds")
            row["vertices_fine"] = meta.get("fine", {}).get("vertices")
            if meta["status"] != "ok":
                reasons[meta["status"].split(":")[0]] += 1
        rows.append(row)
    status = Counter(r["status"] if r["status"] in ("ok", "pending") else "rejected" for r in rows)
    manifest = {
        "command": command,
        "config": config,
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "summary": {
            "planned": len(rows),
            "ok": status["ok"],
            "rejected": status["rejected"],
            "pending": status["pending"],
            "rejections_by_reason": dict(reasons),
            "splits": dict(Counter(r["split"] for r in rows if r["status"] == "ok")),
        },
        "samples": rows,
    }
    path = Path(root) / "manifest.json"
    tmp = path.with_name(f".manifest-{uuid.uuid4().hex[:8]}.json")
    tmp.write_text(json.dumps(manifest, indent=1))
    os.replace(tmp, path)
    return manifest


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
