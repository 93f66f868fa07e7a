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
from core.drape_pairs import lowpass_coarse, pair_arrays, pair_details
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
    # "lowpass": the coarse mesh is the fine drape with its folds filtered out, sampled at the
    # coarse resolution (same large-scale shape, so the residual is the detail only);
    # "sim": a second, independent drape at the coarse resolution.
    coarse_source: str = "lowpass"

    def __post_init__(self) -> None:
        if self.coarse_source not in ("lowpass", "sim"):
            raise ValueError(f"unknown coarse source {self.coarse_source!r}, expected 'lowpass' or 'sim'")


def _drape(engine: str):
    if engine == "blender":
        from sim.blender_cloth import drape
    elif engine == "newton":
        from sim.newton_cloth import drape
    else:
        raise ValueError(f"unknown drape engine {engine!r}")
    return drape


def _assess(pattern, draped, body, history, thresholds: QualityThresholds):
    v = draped.vertices
    inside = signed_distance_inside(body, v) if np.isfinite(v).all() else np.zeros(0, bool)
    return assess_drape(pattern, draped, inside, history, thresholds)


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
    results: dict[str, tuple] = {}

    def keep(stage: str, box, mesh, quality, **record) -> bool:
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
        results[stage] = (box, mesh)
        return True

    stages = [("fine", cfg.fine_edge_cm, cfg.fine_self_collision)]
    if cfg.coarse_source == "sim":
        stages.append(("coarse", cfg.fine_edge_cm * cfg.coarse_factor, False))
    for stage, edge, self_col in stages:
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
        quality = _assess(pattern, draped, body, res.history, thresholds)
        record = {"source": "sim", "edge_cm": edge, "sim_seconds": res.seconds, "frames": res.frames_run}
        if not keep(stage, box, draped, quality, **record):
            return meta, pattern_to_dict(pattern), None
    if cfg.coarse_source == "lowpass":
        edge = cfg.fine_edge_cm * cfg.coarse_factor
        box = build_box_mesh(pattern, edge)
        coarse = lowpass_coarse(results["fine"][1], box, cfg.lowpass_iterations)
        quality = _assess(pattern, coarse, body, None, thresholds)
        record = {"source": "lowpass", "edge_cm": edge, "lowpass_iterations": cfg.lowpass_iterations}
        if not keep("coarse", box, coarse, quality, **record):
            return meta, pattern_to_dict(pattern), None
    arrays = pair_arrays(results["fine"][1], results["coarse"][1], results["fine"][0], cfg.lowpass_iterations)
    meta["details"] = pair_details(arrays)
    meta.update(status="ok", seconds=time.perf_counter() - t0)
    return meta, pattern_to_dict(pattern), arrays
