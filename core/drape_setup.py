"""How a coarse drape is set up (no bpy): the box mesh at the coarse edge, where its cloth
starts and the cloth solver's settings — the dataset's ``coarse_sim`` stage, which is also what
the Drape button runs, so the base a user drapes is the kind of base the refiner learned from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .body import BodyParams
from .boxmesh import build_box_mesh
from .garment_mesh import GarmentMesh
from .garments.wrap import wrapped_start
from .pattern import Pattern


@dataclass(frozen=True)
class CoarseDrapeSettings:
    """The dataset's coarse drape (sim/generate.py's ``GenerationConfig`` defaults)."""

    edge_cm: float = 1.5 * 2.67  # fine edge x coarse factor
    frames: int = 120
    settle_frames: int = 40  # at most this many more frames while the cloth still moves
    settle_speed_cm: float = 0.2  # ... faster than this (cm/frame, the coarse check's limit)
    substeps: int = 5
    self_collision: bool = True
    start: str = "wrap"  # "wrap": panels rolled round the body; "box": flat panels lifted
    lift_cm: float = 3.0
    body_resolution_cm: float = 2.0

    def __post_init__(self) -> None:
        if self.start not in ("wrap", "box"):
            raise ValueError(f"unknown start {self.start!r}, expected 'wrap' or 'box'")
        if not self.edge_cm > 0 or self.frames < 1:
            raise ValueError(f"edge {self.edge_cm} cm and frames {self.frames} must be positive")


@dataclass
class DrapePlan:
    """A drape ready to run: the box mesh (the rest shape) and the drape's keyword arguments
    beyond the meshes (``sim.blender_cloth.drape`` / ``ClothDrape``)."""

    box: GarmentMesh
    kwargs: dict = field(default_factory=dict)


def start_keywords(
    pattern: Pattern, box: GarmentMesh, body_params: BodyParams, start: str, lift_cm: float
) -> dict:
    """Where the cloth starts: rolled panels (``start_vertices``) or the flat ones lifted."""
    if start == "box":
        return {"lift": lift_cm}
    # rolled panels hug the body: lifted, the sleeves would start inside the arms
    return {"start_vertices": wrapped_start(pattern, box, body_params)}


def plan_coarse_drape(
    pattern: Pattern, body_params: BodyParams, settings: CoarseDrapeSettings | None = None
) -> DrapePlan:
    s = settings or CoarseDrapeSettings()
    box = build_box_mesh(pattern, s.edge_cm)
    kwargs = {
        "frames": s.frames,
        "self_collision": s.self_collision,
        "substeps": s.substeps,
        "settle": (s.settle_speed_cm, s.settle_frames),
        **start_keywords(pattern, box, body_params, s.start, s.lift_cm),
    }
    return DrapePlan(box, kwargs)


def body_mesh_arrays(body) -> tuple[np.ndarray, np.ndarray]:
    """(vertices (cm), faces) of a ``make_body`` mesh."""
    return np.asarray(body.vertices, np.float64), np.asarray(body.faces, np.int64)
