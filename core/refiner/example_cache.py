"""A disk cache of training chart images: rasterising a garment's conditions and target takes
~3 s a garment and base on 2 cores, the same for every run that trains on the same data.

One ``.npz`` (float16 images, bool masks) per (garment, base) under a folder keyed by the
pitch, the target kind and a hash of the source files that make the images, so that a change
to the features or the rasteriser never reads stale images.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .training_data import ChartExample

SOURCES = (
    "charts.py",
    "features.py",
    "raster.py",
    "training_data.py",
    "upsample.py",
    "field.py",
    "lowpass.py",
)


def code_hash() -> str:
    """Short hash of the modules that decide the chart images."""
    h = hashlib.sha256()
    here = Path(__file__).parent
    for name in SOURCES:
        h.update((here / name).read_bytes())
    return h.hexdigest()[:12]


class ExampleCache:
    """``get_or_make(sample_id, base, make)``: the cached example, or ``make()`` stored."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    @classmethod
    def for_config(cls, cfg) -> ExampleCache:
        if not cfg.cache:
            return cls(None)
        root = Path(cfg.data) / "chart_cache" if cfg.cache == "auto" else Path(cfg.cache)
        name = f"pitch{cfg.pitch:g}_{cfg.target}{cfg.target_sigma_cm:g}_{code_hash()}"
        return cls(root / name)

    def path(self, sample_id: str, base: str) -> Path | None:
        return None if self.folder is None else self.folder / f"{sample_id}_{base}.npz"

    def get_or_make(self, sample_id: str, base: str, make: Callable[[], ChartExample]) -> ChartExample:
        path = self.path(sample_id, base)
        if path is not None and path.is_file():
            return load_example(path)
        example = make()
        if path is not None:
            save_example(example, path)
        return example


def save_example(example: ChartExample, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"material": np.array(example.material), "sample_id": np.array(example.sample_id)}
    arrays["edge_cm"] = np.array(example.edge_cm)
    for k, (c, t, m) in enumerate(zip(example.cond, example.target, example.masks, strict=True)):
        arrays[f"cond_{k}"] = c.astype(np.float16)
        arrays[f"target_{k}"] = t.astype(np.float16)
        arrays[f"mask_{k}"] = m.astype(bool)
    # a name of this process's own: two runs filling the same cache at once must not move
    # each other's half-written files (seen: two trainings started together)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)  # a killed run never leaves half a file under the real name


def load_example(path: Path) -> ChartExample:
    with np.load(path) as z:
        n = sum(1 for k in z.files if k.startswith("mask_"))
        return ChartExample(
            cond=[z[f"cond_{k}"].astype(np.float32) for k in range(n)],
            target=[z[f"target_{k}"].astype(np.float32) for k in range(n)],
            masks=[z[f"mask_{k}"] for k in range(n)],
            material=str(z["material"]),
            sample_id=str(z["sample_id"]),
            edge_cm=float(z["edge_cm"]),
        )
