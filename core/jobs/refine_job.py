"""A refine as plain data: the request a runner carries to its worker, the outcome it brings
back, and ``run_refine``, the one function every runner (and the synchronous path) calls."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from ..pattern import pattern_from_dict, pattern_to_dict
from ..refiner.refine import RefineInput, RefineOptions, Refiner, RefineResult
from .events import JobCancelled, JobEvent

_ARRAYS_IN = ("vertices", "faces", "panel_ids", "pattern_uv", "uv", "uv_faces")
_ARRAYS_OUT = ("base_vertices", "faces", "offsets", "panel_ids", "pattern_uv", "uv", "uv_faces")
_REFINERS: dict[tuple, Refiner] = {}


def cached_refiner(model: str | Path, device: str = "auto") -> Refiner:
    """A model loaded once per process (and again when its file or the device changes)."""
    path = Path(model)
    key = (str(path), path.stat().st_mtime if path.exists() else 0.0, device)
    if key not in _REFINERS:
        _REFINERS.clear()
        _REFINERS[key] = Refiner(path, device=device)
    return _REFINERS[key]


def _save_npz(path: Path, arrays: dict[str, np.ndarray | None]) -> None:
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})


def _load_npz(path: Path, names: tuple[str, ...]) -> dict[str, np.ndarray | None]:
    with np.load(path, allow_pickle=False) as z:
        return {k: (np.array(z[k]) if k in z.files else None) for k in names}


@dataclass
class RefineRequest:
    """Everything a refine needs, copied out of Blender: the base (cm, pattern space), what it
    knows of its cloth, the options and the model."""

    model: str
    vertices: np.ndarray
    faces: np.ndarray
    panel_ids: np.ndarray | None = None
    pattern_uv: np.ndarray | None = None
    uv: np.ndarray | None = None
    uv_faces: np.ndarray | None = None
    pattern: dict | None = None  # pattern_to_dict
    source: str = "<mesh>"
    seed: int = 0
    steps: int | None = None
    material: str | None = None
    edge_length: float | None = None
    device: str = "auto"

    @classmethod
    def from_input(cls, model: str | Path, base: RefineInput, options: RefineOptions) -> RefineRequest:
        return cls(
            model=str(model),
            **{k: getattr(base, k) for k in _ARRAYS_IN},
            pattern=pattern_to_dict(base.pattern) if base.pattern is not None else None,
            source=base.source,
            seed=options.seed,
            steps=options.steps,
            material=options.material,
            edge_length=options.edge_length,
            device=options.device,
        )

    def refine_input(self) -> RefineInput:
        pattern = pattern_from_dict(self.pattern, source=self.source, strict=False) if self.pattern else None
        return RefineInput(**{k: getattr(self, k) for k in _ARRAYS_IN}, pattern=pattern, source=self.source)

    def options(self, progress: Callable[[str, int, int], None] | None = None) -> RefineOptions:
        return RefineOptions(
            seed=self.seed,
            steps=self.steps,
            strength=1.0,  # the key holds the full offsets; its value is the strength
            material=self.material,
            edge_length=self.edge_length,
            device=self.device,
            progress=progress,
        )

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        _save_npz(folder / "request.npz", {k: getattr(self, k) for k in _ARRAYS_IN})
        rest = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _ARRAYS_IN}
        _write_atomic(folder / "request.json", json.dumps(rest))

    @classmethod
    def load(cls, folder: Path) -> RefineRequest:
        rest = json.loads((folder / "request.json").read_text())
        return cls(**_load_npz(folder / "request.npz", _ARRAYS_IN), **rest)


@dataclass
class RefineOutcome:
    """What the operator writes into Blender: the base it refined (the user's own vertices, or
    an upsampled mesh), the Wrinkles offsets (cm) and the report."""

    base_vertices: np.ndarray
    faces: np.ndarray
    offsets: np.ndarray
    upsampled: bool
    panel_ids: np.ndarray | None = None
    pattern_uv: np.ndarray | None = None
    uv: np.ndarray | None = None
    uv_faces: np.ndarray | None = None
    report: dict = field(default_factory=dict)

    @classmethod
    def from_result(cls, result: RefineResult) -> RefineOutcome:
        return cls(
            **{k: getattr(result, k) for k in _ARRAYS_OUT}, upsampled=result.upsampled, report=result.report
        )

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / "outcome.tmp.npz"
        _save_npz(tmp, {k: getattr(self, k) for k in _ARRAYS_OUT})
        os.replace(tmp, folder / "outcome.npz")
        rest = {"upsampled": self.upsampled, "report": self.report}
        _write_atomic(folder / "outcome.json", json.dumps(rest))

    @classmethod
    def load(cls, folder: Path) -> RefineOutcome:
        rest = json.loads((folder / "outcome.json").read_text())
        return cls(**_load_npz(folder / "outcome.npz", _ARRAYS_OUT), **rest)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def run_refine(
    request: RefineRequest,
    emit: Callable[[JobEvent], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> RefineOutcome:
    """Refine ``request`` with its (cached) model, reporting progress events to ``emit``; raises
    ``JobCancelled`` at the next progress report once ``cancelled()`` is true."""

    def progress(stage: str, done: int, total: int) -> None:
        if cancelled is not None and cancelled():
            raise JobCancelled(stage)
        if emit is not None:
            emit(JobEvent("progress", stage, int(done), int(total)))

    progress("load", 0, 1)
    refiner = cached_refiner(request.model, request.device)
    result = refiner.refine(request.refine_input(), request.options(progress))
    progress("sample_back", 1, 1)
    return RefineOutcome.from_result(result)


__all__ = ["RefineOutcome", "RefineRequest", "cached_refiner", "run_refine"]
