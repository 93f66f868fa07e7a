"""One dataset sample: design -> body -> fine and coarse drapes -> checks -> pair arrays.

Uses Blender's cloth modifier through ``sim.blender_cloth`` (needs the bpy module).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from core.body import BodyParams, make_body, sample_body_params, signed_distance_inside
from core.boxmesh import build_box_mesh
from core.dataset import SampleSpec
from core.drape_pairs import pair_arrays, pair_details
from core.drape_quality import QualityThresholds, assess_drape
from core.garments import FAMILIES
from core.garments.base import DesignRejected, sample_pattern
from core.pattern import pattern_to_dict


@dataclass(frozen=True)
class GenerationConfig:
    """Resolution and simulation settings shared by every sample of a dataset."""

    fine_edge_cm: float = 1.5
    coarse_factor: float = 2.5  # coarse edge = fine edge x this
    frames: int = 120
    fine_self_collision: bool = False
    body_resolution_cm: float = 2.0
    vary_body: bool = True
    lowpass_iterations: int = 20
    engine: str = "blender"


def _drape(engine: str):
    if engine == "blender":
        from sim.blender_cloth import drape
    elif engine == "newton":
        from sim.newton_cloth import drape
    else:
        raise ValueError(f"unknown drape engine {engine!r}")
    return drape


def generate_sample(
    spec: SampleSpec,
    cfg: GenerationConfig,
    thresholds: QualityThresholds | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[dict, dict | None, dict | None]:
    """Returns (meta, pattern dict, arrays); a rejected sample has status ``"<stage>: reason"``."""
    t0 = time.perf_counter()
    thresholds = thresholds or QualityThresholds()
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
    results = {}
    for stage, edge, self_col in (
        ("coarse", cfg.fine_edge_cm * cfg.coarse_factor, False),
        ("fine", cfg.fine_edge_cm, cfg.fine_self_collision),
    ):
        box = build_box_mesh(pattern, edge)

        def report(i: int, n: int, stage: str = stage) -> None:
            if progress:
                progress(stage, i, n)

        res = drape(
            box.vertices,
            box.faces,
            box.seam_pairs,
            body.vertices,
            body.faces,
            material=spec.material,
            frames=cfg.frames,
            self_collision=self_col,
            progress=report,
        )
        draped = box.with_vertices(res.vertices)
        inside = signed_distance_inside(body, res.vertices) if np.isfinite(res.vertices).all() else None
        quality = assess_drape(
            pattern, draped, inside if inside is not None else np.zeros(0, bool), res.history, thresholds
        )
        meta[stage] = {
            "edge_cm": edge,
            "vertices": box.n_vertices,
            "faces": len(box.faces),
            "sim_seconds": res.seconds,
            "frames": res.frames_run,
            "quality": quality.to_dict(),
        }
        if not quality.ok:
            meta.update(status=f"{stage}: {'; '.join(quality.reasons)}", seconds=time.perf_counter() - t0)
            return meta, pattern_to_dict(pattern), None
        results[stage] = (box, draped)
    arrays = pair_arrays(results["fine"][1], results["coarse"][1], results["fine"][0], cfg.lowpass_iterations)
    meta["details"] = pair_details(arrays)
    meta.update(status="ok", seconds=time.perf_counter() - t0)
    return meta, pattern_to_dict(pattern), arrays
