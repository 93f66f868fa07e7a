"""One dataset sample: design -> body -> coarse drape -> fine drape -> checks -> pair arrays.

Uses Blender's cloth modifier through ``sim.blender_cloth`` (needs the bpy module).

Stages (each recorded in the sample's meta under its name):

- ``coarse_sim``: the garment draped at the coarse resolution from its pattern, as an
  artist's quick low-resolution cloth sim would be (Blender's default quality, self-collision
  on). An input, not a target: it is checked only for gross failure
  (:data:`COARSE_SIM_THRESHOLDS`).
- ``fine``: the target, self-collision on, checked with :data:`FINE_THRESHOLDS`. With
  ``fine_start="coarse"`` (default) it starts from the coarse drape carried to the fine
  vertices through (panel, uv) with its seams closed (``core.correspondence.upsample_drape``)
  and the flat pattern as its rest shape: the pair differs by detail rather than by two
  different large-scale drapes, the seams are sewn at the coarse resolution (where they close
  reliably; sewn at 1.5 cm, long dresses' and trousers' seams stayed open) and the fine
  drape needs fewer frames. ``fine_start="pattern"`` drapes it from the pattern instead.

A drape from the pattern starts with the box mesh's panels rolled around the body parts they
dress (``start="wrap"``, ``core.garments.wrap``) or flat as placed (``start="box"``); either
way the flat panels are the cloth's rest shape.
- ``coarse``: the fine drape low-pass filtered (Taubin, seam-welded), sampled at the coarse
  vertices: the base mesh whose residual is the fine detail alone.

Both coarse meshes share the coarse box mesh's topology (``coarse_faces`` etc.).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, fields
from multiprocessing import get_context

import numpy as np

from core.body import BodyParams, make_body, sample_body_params, signed_distance_inside
from core.boxmesh import build_box_mesh
from core.correspondence import upsample_drape
from core.dataset import SampleSpec
from core.detail import surface_detail
from core.drape_metrics import edge_strain
from core.drape_pairs import add_coarse_sim, lowpass_coarse, pair_arrays, pair_details
from core.drape_quality import QualityThresholds, assess_drape
from core.drape_setup import CoarseDrapeSettings, plan_coarse_drape, start_keywords
from core.garment_mesh import GarmentMesh
from core.garments import FAMILIES
from core.garments.base import DesignRejected, sample_pattern
from core.pattern import pattern_to_dict

FINE_THRESHOLDS = QualityThresholds(
    # one fine edge (median 1.2 cm): the mean gap is ~0.05 cm, but the worst pair of a
    # load-bearing seam (a dress's shoulder strap, a trouser's waist) opens to ~1 cm under
    # the garment's weight, and neither a stiffer sewing clamp nor stiffer cloth closed it
    max_seam_gap_cm=1.2,
    max_inside_fraction=0.0,  # not one vertex inside the body
    max_self_intersection_fraction=0.003,  # self-collision is on: crossings are failures
    max_final_speed_cm=0.1,
)
"""Checks of the fine drape (the target)."""

COARSE_SIM_THRESHOLDS = QualityThresholds(
    max_seam_gap_cm=5.0,
    max_inside_fraction=0.005,
    max_self_intersection_fraction=1.0,  # reported, not checked: no self-collision at this stage
    max_final_speed_cm=0.2,
)
"""Checks of the coarse drape (an input): only gross failure rejects it."""

LOWPASS_THRESHOLDS = QualityThresholds(max_inside_fraction=0.005)
"""Checks of the low-pass coarse mesh (seam-welded, so its seams are closed)."""


@dataclass(frozen=True)
class GenerationConfig:
    """Resolution and simulation settings shared by every sample of a dataset."""

    fine_edge_cm: float = 1.5
    coarse_factor: float = 2.67  # coarse edge = fine edge x this
    frames: int = 120  # drapes from the box mesh (the coarse one; the fine one with fine_start="box")
    fine_frames: int = 100  # the fine drape when it starts from the coarse drape
    # at most this many more frames for a drape not settled by then (the check's speed limit):
    # a drape settled in time is unchanged, a slow one gets the chance to settle
    settle_frames: int = 40
    substeps: int = 10  # the fine drape's cloth solver steps per frame
    coarse_substeps: int = 5  # the coarse drape's (Blender's default quality: a quick sim)
    fine_self_collision: bool = True
    coarse_self_collision: bool = True  # crossings a coarse drape makes would be locked into the fine one
    fine_start: str = "coarse"  # "coarse": from the coarse drape, "pattern": like the coarse drape
    fine_sewing_after: float = 10.0  # the fine drape's sewing clamp factor once gravity is on
    start: str = "wrap"  # drapes from the pattern: "wrap" (panels rolled round the body) or "box"
    lift_cm: float = 3.0  # start="box": the flat panels start this much higher (seams close above shoulders)
    body_resolution_cm: float = 2.0
    vary_body: bool = True
    lowpass_iterations: int = 20
    engine: str = "blender"

    def __post_init__(self) -> None:
        if self.fine_start not in ("pattern", "coarse"):
            raise ValueError(f"unknown fine start {self.fine_start!r}, expected 'pattern' or 'coarse'")
        if self.start not in ("wrap", "box"):
            raise ValueError(f"unknown start {self.start!r}, expected 'wrap' or 'box'")
        if self.engine != "blender" and (self.start != "box" or self.fine_start != "pattern"):
            raise ValueError(f"the {self.engine} engine drapes from the flat box mesh only (start='box')")

    @property
    def coarse_edge_cm(self) -> float:
        return self.fine_edge_cm * self.coarse_factor

    @classmethod
    def from_meta(cls, config: dict) -> GenerationConfig:
        """The config a sample's ``meta["config"]`` records (keys this version lacks are dropped,
        ones it added keep their defaults)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in config.items() if k in names})


def fresh_process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool that runs every task in a new process (spawned, one task each).

    Blender cloth's result depends on what its process simulated before (measured: a sample
    drawn as a worker's sixth drape had 1.48 % sharp creases, in a fresh process 0.51 %, three
    fresh runs bit-identical), so a drape must not depend on which drapes its worker made first.
    """
    return ProcessPoolExecutor(max(1, workers), mp_context=get_context("spawn"), max_tasks_per_child=1)


def _drape(engine: str):
    if engine == "blender":
        from sim.blender_cloth import drape
    elif engine == "newton":
        from sim.newton_cloth import drape
    else:
        raise ValueError(f"unknown drape engine {engine!r}")
    return drape


def _assess(pattern, box: GarmentMesh, draped, body, history, thresholds: QualityThresholds):
    v = draped.vertices
    inside = signed_distance_inside(body, v) if np.isfinite(v).all() else np.zeros(0, bool)
    return assess_drape(pattern, draped, inside, history, thresholds, placed=box.vertices)


def _measures(mesh: GarmentMesh, box: GarmentMesh) -> dict:
    """Detail measures (seam-welded) and the cloth's stretch against its pattern."""
    wv, wf, _ = mesh.welded()
    strain = edge_strain(mesh.vertices, box.vertices, box.faces)
    edges = np.linalg.norm(wv[wf] - wv[np.roll(wf, 1, axis=1)], axis=2)
    return {
        **surface_detail(wv, wf),
        "median_edge_cm": float(np.median(edges)),
        "strain": {q: float(np.percentile(strain, p)) for q, p in (("p5", 5), ("median", 50), ("p95", 95))},
    }


def start_from_pattern(pattern, box: GarmentMesh, body_params: BodyParams, cfg: GenerationConfig) -> dict:
    """How a drape of ``box`` starts from the pattern (keywords of ``drape``)."""
    if cfg.engine != "blender":
        return {}
    return start_keywords(pattern, box, body_params, cfg.start, cfg.lift_cm)


def coarse_settings(cfg: GenerationConfig) -> CoarseDrapeSettings:
    """The config's coarse drape as the Drape button runs it (core/drape_setup.py)."""
    return CoarseDrapeSettings(
        edge_cm=cfg.coarse_edge_cm,
        frames=cfg.frames,
        settle_frames=cfg.settle_frames,
        settle_speed_cm=COARSE_SIM_THRESHOLDS.max_final_speed_cm,
        substeps=cfg.coarse_substeps,
        self_collision=cfg.coarse_self_collision,
        start=cfg.start,
        lift_cm=cfg.lift_cm,
        body_resolution_cm=cfg.body_resolution_cm,
    )


def coarse_drape(
    pattern,
    body,
    body_params: BodyParams,
    material: str,
    cfg: GenerationConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
):
    """The quick coarse drape exactly as the dataset makes it (its ``coarse_sim`` stage: the
    input the refiner learns from): ``(coarse box mesh, draped mesh, drape result)``.
    ``body`` is ``make_body(body_params, ...)``; ``cfg`` defaults to the dataset's settings."""
    cfg = cfg or GenerationConfig()
    if cfg.engine == "blender":
        plan = plan_coarse_drape(pattern, body_params, coarse_settings(cfg))
        box, kw = plan.box, plan.kwargs
    else:
        box = build_box_mesh(pattern, cfg.coarse_edge_cm)
        kw = {"frames": cfg.frames, "self_collision": cfg.coarse_self_collision}
    res = _drape(cfg.engine)(
        box.vertices, box.faces, box.seam_pairs, body.vertices, body.faces,
        material=material, progress=progress, **kw,
    )  # fmt: skip
    return box, box.with_vertices(res.vertices), res


def generate_sample(
    spec: SampleSpec,
    cfg: GenerationConfig,
    progress: Callable[[str, int, int], None] | None = None,
    thresholds: dict[str, QualityThresholds] | None = None,
) -> tuple[dict, dict | None, dict | None]:
    """Returns (meta, pattern dict, arrays); a rejected sample has status ``"<stage>: reason"``.

    ``thresholds`` replaces the checks of the stages it names (``coarse_sim``, ``fine``,
    ``coarse``); ``progress(stage, frame, frames)`` follows the drapes.
    """
    t0 = time.perf_counter()
    checks = {"coarse_sim": COARSE_SIM_THRESHOLDS, "fine": FINE_THRESHOLDS, "coarse": LOWPASS_THRESHOLDS}
    checks.update(thresholds or {})
    meta: dict = {"id": spec.sample_id, **asdict(spec), "split": spec.split, "config": asdict(cfg)}
    rng = np.random.default_rng(spec.seed)
    body_params = sample_body_params(rng) if cfg.vary_body else BodyParams()
    meta["body"] = asdict(body_params)
    try:
        pattern, design = sample_pattern(FAMILIES[spec.family], spec.seed, body_params)
    except DesignRejected as err:
        meta.update(status=f"design: {err}", seconds=time.perf_counter() - t0)
        return meta, None, None
    pattern.properties["material"] = spec.material
    meta["design"] = design
    body = make_body(body_params, cfg.body_resolution_cm)
    drape = _drape(cfg.engine)

    def report(stage: str):
        return lambda i, n: progress(stage, i, n) if progress else None

    def keep(stage: str, box: GarmentMesh, mesh: GarmentMesh, quality, **record) -> bool:
        """Record a stage in meta; on failure set the rejection status and return False."""
        meta[stage] = {
            **record,
            "vertices": box.n_vertices,
            "faces": len(box.faces),
            "quality": quality.to_dict(),
        }
        if not quality.ok:
            meta.update(status=f"{stage}: {'; '.join(quality.reasons)}", seconds=time.perf_counter() - t0)
            return False
        return True

    fine_kw = {}
    if cfg.engine == "blender":
        fine_kw["substeps"] = cfg.substeps
        # the generator's own limits, not ``thresholds``: the physics does not follow the checks
        fine_kw["settle"] = (FINE_THRESHOLDS.max_final_speed_cm, cfg.settle_frames)
        fine_kw["sewing_force_after"] = cfg.fine_sewing_after

    coarse_box, coarse_sim, res = coarse_drape(
        pattern, body, body_params, spec.material, cfg, progress=report("coarse_sim")
    )
    quality = _assess(pattern, coarse_box, coarse_sim, body, res.history, checks["coarse_sim"])
    record = {
        "source": "sim",
        "edge_cm": cfg.coarse_edge_cm,
        "sim_seconds": res.seconds,
        "frames": res.frames_run,
    }
    if not keep("coarse_sim", coarse_box, coarse_sim, quality, **record):
        return meta, pattern_to_dict(pattern), None

    fine_box = build_box_mesh(pattern, cfg.fine_edge_cm)
    start = start_from_pattern(pattern, fine_box, body_params, cfg)
    frames = cfg.frames
    if cfg.fine_start == "coarse":
        start = {"start_vertices": upsample_drape(coarse_sim, fine_box), "sew_frames": 0, "gravity_ramp": 1}
        frames = cfg.fine_frames
    res = drape(
        fine_box.vertices, fine_box.faces, fine_box.seam_pairs, body.vertices, body.faces,
        material=spec.material, frames=frames, self_collision=cfg.fine_self_collision,
        progress=report("fine"), **fine_kw, **start,
    )  # fmt: skip
    fine = fine_box.with_vertices(res.vertices)
    quality = _assess(pattern, fine_box, fine, body, res.history, checks["fine"])
    record = {
        "source": "sim",
        "start": cfg.fine_start if cfg.fine_start == "coarse" else cfg.start,
        "edge_cm": cfg.fine_edge_cm,
        "sim_seconds": res.seconds,
        "frames": res.frames_run,
    }
    if not keep("fine", fine_box, fine, quality, **record):
        return meta, pattern_to_dict(pattern), None

    coarse = lowpass_coarse(fine, coarse_box, cfg.lowpass_iterations)
    quality = _assess(pattern, coarse_box, coarse, body, None, checks["coarse"])
    record = {
        "source": "lowpass",
        "edge_cm": cfg.coarse_edge_cm,
        "lowpass_iterations": cfg.lowpass_iterations,
    }
    if not keep("coarse", coarse_box, coarse, quality, **record):
        return meta, pattern_to_dict(pattern), None

    arrays = add_coarse_sim(pair_arrays(fine, coarse, fine_box, cfg.lowpass_iterations), coarse_sim, fine)
    meta["details"] = pair_details(arrays)
    meta["fine"]["measures"] = _measures(fine, fine_box)
    meta["coarse_sim"]["measures"] = _measures(coarse_sim, coarse_box)
    meta.update(status="ok", seconds=time.perf_counter() - t0)
    return meta, pattern_to_dict(pattern), arrays
