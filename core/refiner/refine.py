"""The one inference call the CLI and the Blender button share: base mesh (+ pattern) ->
refined mesh, offsets, charts and a report.

Stages (each timed in the report): charts (pattern > UV islands > Nuvo charts fitted to the
mesh, which needs torch; without torch a clear error), upsampling to the model's edge when the
base is coarser than 1.3x it, conditioning features, rasterising, denoising (K sampler steps
through onnxruntime or torch), sampling the residual back, seam averaging and the offset cap.
Without upsampling the vertex order is kept exactly; with it the refined mesh is the
re-tessellated one and keeps charts and UVs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .. import limits
from ..boxmesh import stitch_pairs
from ..errors import BudgetError, MeshError, ModelError
from ..garment_mesh import GarmentMesh
from ..meshio import mesh_from_arrays
from ..pattern import Pattern
from .charts import Charts, charts_from_panels, charts_from_uv_islands
from .features import MATERIALS, condition_images, point_features
from .field import offset_cap, world_offsets
from .modelfile import check_description, load_model, read_description, verified_path
from .raster import DEFAULT_MAX_TEXELS, build_rasterizer
from .runtime import OnnxRuntime, TorchRuntime
from .sampling import denoise_charts
from .schedule import NoiseSchedule, SamplerPlan
from .upsample import defacet, median_edge, needs_upsampling, upsample_uv_mesh, upsample_with_pattern

MIN_NUVO_FACES = 64
"""Fewer faces than this cannot be charted by a fit: such a mesh is refused."""

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "refiner.json"


@dataclass
class RefineInput:
    """A base mesh in pattern space (cm, +Y up) and what it knows about its cloth."""

    vertices: np.ndarray
    faces: np.ndarray
    panel_ids: np.ndarray | None = None  # per vertex, with pattern_uv: charts from the pattern
    pattern_uv: np.ndarray | None = None  # per vertex, cm
    uv: np.ndarray | None = None  # UV coordinates (per corner index with uv_faces)
    uv_faces: np.ndarray | None = None
    pattern: Pattern | None = None
    source: str = "<mesh>"


@dataclass
class RefineOptions:
    seed: int = 0
    steps: int | None = None  # default: the model's
    strength: float = 1.0
    material: str | None = None  # default: the pattern's, else mid
    edge_length: float | None = None  # default: the model's training edge
    device: str = "auto"  # auto | cpu | cuda
    max_texels: int = DEFAULT_MAX_TEXELS
    nuvo: dict | None = None  # NuvoConfig overrides for a mesh with no charts (default: the CPU preset)
    time_budget_s: float | None = None  # checked at every progress report (Nuvo iterations, denoise calls)
    progress: Callable[[str, int, int], None] | None = None  # (stage, done, total) of long stages


@dataclass
class RefineResult:
    vertices: np.ndarray  # (V, 3) refined
    base_vertices: np.ndarray  # (V, 3) the base as given, or the upsampled one (seams closed, de-faceted)
    faces: np.ndarray
    offsets: np.ndarray  # vertices - base_vertices (strength applied)
    charts: Charts
    upsampled: bool
    panel_ids: np.ndarray | None = None
    pattern_uv: np.ndarray | None = None
    uv: np.ndarray | None = None
    uv_faces: np.ndarray | None = None
    report: dict = field(default_factory=dict)


def cuda_may_work() -> bool:
    """An NVIDIA driver and an installed torch: only then is torch imported (1.5 s) to ask it
    for CUDA; everywhere else the CPU path starts at once."""
    import importlib.util
    import shutil

    try:
        if importlib.util.find_spec("torch") is None:
            return False
    except (ImportError, ValueError):  # a broken or blocked torch
        return False
    return Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None


class Refiner:
    """A loaded model: its description, sampler plans and a runtime."""

    def __init__(self, model: str | Path = DEFAULT_MODEL, device: str = "auto", runtime: str = "auto"):
        """``device``: auto | cpu | cuda; ``runtime``: auto (torch on CUDA when there is an
        NVIDIA GPU and a CUDA torch, else onnxruntime on the CPU when the model has an ONNX
        export and onnxruntime is installed, else torch) | onnx | torch."""
        self.path = Path(model)
        t0 = time.perf_counter()
        self.desc = read_description(self.path)
        check_description(self.desc, str(self.path))
        self.runtime = self._runtime(device, runtime)
        self.load_seconds = time.perf_counter() - t0
        self.scale = np.asarray(self.desc["residual_scale_cm"], np.float32)

    def _runtime(self, device: str, kind: str):
        onnx_name = self.path.with_suffix(".onnx").name
        has_onnx = onnx_name in self.desc.get("sha256", {})
        if kind == "onnx" and not has_onnx:
            raise ModelError("the model has no ONNX export", source=str(self.path))
        if device == "auto" and kind == "auto" and cuda_may_work():
            try:
                return self._torch_runtime("cuda")
            except (ImportError, OSError, ModelError):
                pass  # no (working) CUDA torch after all: the CPU path below
        if device in ("cpu", "auto") and has_onnx and kind != "torch":
            try:
                import onnxruntime  # noqa: F401

                return OnnxRuntime(verified_path(self.path, onnx_name), network=self.desc["network"])
            except (ImportError, OSError):  # missing, or a broken install (a library that will not load)
                pass
        try:
            return self._torch_runtime(device)
        except (ImportError, OSError) as err:
            raise ModelError(
                "neither onnxruntime (with the model's ONNX export) nor torch could be loaded "
                f"({type(err).__name__}: {err}). The extension bundles onnxruntime: reinstall it from "
                "Edit > Preferences > Get Extensions, or use Preferences > Garment Refiner > "
                "Install GPU Support for torch, then restart Blender",
                source=str(self.path),
            ) from err

    def _torch_runtime(self, device: str):
        import torch

        from .network import Denoiser, DenoiserConfig

        _, tensors = load_model(self.path)
        try:
            net = Denoiser(DenoiserConfig.from_json(self.desc["network"]))
        except (TypeError, ValueError, RuntimeError, ZeroDivisionError) as err:
            raise ModelError(
                f"the description's network does not build: {err}", source=str(self.path)
            ) from err
        try:
            net.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
        except (RuntimeError, TypeError) as err:  # missing, extra or mis-shaped tensors
            raise ModelError(
                f"the weights do not fit the description's network: {str(err)[:300]}", source=str(self.path)
            ) from err
        dev = "cuda" if device in ("auto", "cuda") and torch.cuda.is_available() else "cpu"
        if device == "cuda" and dev != "cuda":
            raise ModelError("--device cuda asked for, but torch sees no CUDA device", source=str(self.path))
        return TorchRuntime(net, dev)

    @property
    def multiple(self) -> int:
        """Chart images are padded to multiples of this for the denoiser's levels."""
        net = self.desc["network"]
        return 2 ** (len(net["widths"]) - 1) * net.get("stem_stride", 1)

    def plan(self, steps: int | None) -> SamplerPlan:
        k = steps or self.desc["default_steps"]
        plans = self.desc["sampler"]
        if str(k) in plans:
            return self._stored_plan(plans[str(k)], f"sampler.{k}")
        if self.desc["objective"] == "regression":
            raise ModelError("a one-step regression model runs in 1 step", source=str(self.path))
        return NoiseSchedule.default().sampler(k)

    def _stored_plan(self, raw: object, where: str) -> SamplerPlan:
        try:
            plan = SamplerPlan.from_json(raw)  # type: ignore[arg-type]
            ok = (
                plan.timesteps.ndim == plan.a.ndim == plan.b.ndim == 1
                and len(plan.timesteps) == len(plan.a) == len(plan.b) >= 1
                and np.isfinite(plan.a).all()
                and np.isfinite(plan.b).all()
                and ((plan.timesteps >= 0) & (plan.timesteps < 10_000)).all()
            )
        except (KeyError, TypeError, ValueError, OverflowError):
            ok = False
        if not ok:
            raise ModelError(
                "expected timesteps, a and b: equal-length lists of numbers",
                source=str(self.path),
                where=where,
            )
        return plan

    def refine(self, base: RefineInput, options: RefineOptions | None = None) -> RefineResult:
        return refine(base, self, options or RefineOptions())


def _material(base: RefineInput, options: RefineOptions) -> str:
    m = options.material
    if m is None and base.pattern is not None and base.pattern.material in MATERIALS:
        m = base.pattern.material
    m = m or "mid"
    if m not in MATERIALS:
        raise MeshError(f"material must be one of {', '.join(MATERIALS)}, got {m!r}", source=base.source)
    return m


def prepare_base(
    base: RefineInput,
    target_edge: float,
    box_edge: float | None = None,
    options: RefineOptions | None = None,
):
    """(vertices, faces, charts, extras for the result, upsampled) of the base at the model's edge."""
    per_vertex = base.panel_ids is not None and base.pattern_uv is not None
    checked = mesh_from_arrays(  # shapes, NaN, indices, extents
        base.vertices,
        base.faces,
        base.panel_ids if per_vertex else None,
        base.pattern_uv if per_vertex else None,
        source=base.source,
    )
    v, f = checked.vertices, checked.faces
    upsample = needs_upsampling(v, f, target_edge)
    if upsample:
        check_upsampled_size(v, f, target_edge, base.source)
    if base.panel_ids is not None and base.pattern_uv is not None:
        if base.pattern is None and upsample:
            raise MeshError(
                "a coarse mesh with panel ids needs its pattern to be upsampled", source=base.source
            )
        names = (
            list(base.pattern.panels)
            if base.pattern is not None
            else [f"panel_{i}" for i in range(int(np.max(base.panel_ids)) + 1)]
        )
        check_pattern_charts(base, names, f, upsample)
        mesh = GarmentMesh(v, f, base.panel_ids, base.pattern_uv, names)
        if upsample:
            mesh = upsample_with_pattern(mesh, base.pattern, target_edge, box_edge)
        else:
            pairs = (
                stitch_pairs(base.pattern, mesh) if base.pattern is not None else np.zeros((0, 2), np.int64)
            )
            mesh = GarmentMesh(v, f, base.panel_ids, base.pattern_uv, names, pairs)
        charts = charts_from_panels(mesh.panel_ids, mesh.uv, mesh.faces, mesh.panel_names, mesh.seam_pairs)
        return (
            mesh.vertices,
            mesh.faces,
            charts,
            {"panel_ids": mesh.panel_ids, "pattern_uv": mesh.uv},
            upsample,
        )
    if base.uv is not None:
        uv = np.asarray(base.uv, np.float64)
        uv_faces = f if base.uv_faces is None else np.asarray(base.uv_faces, np.int64)
        if upsample:
            v, f, uv, uv_faces = upsample_uv_mesh(v, f, uv, uv_faces, target_edge)
        charts = charts_from_uv_islands(v, f, uv, uv_faces, source=base.source)
        return v, f, charts, {"uv": uv, "uv_faces": uv_faces}, upsample
    uv, uv_faces = nuvo_uv(v, f, options or RefineOptions(), base.source)
    if upsample:
        v, f, uv, uv_faces = upsample_uv_mesh(v, f, uv, uv_faces, target_edge)
    charts = charts_from_uv_islands(v, f, uv, uv_faces, source=base.source)
    charts.source = "nuvo"
    return v, f, charts, {"uv": uv, "uv_faces": uv_faces}, upsample


def with_time_budget(options: RefineOptions, source: str) -> RefineOptions:
    """``options`` whose progress reports raise BudgetError once ``time_budget_s`` has passed."""
    if options.time_budget_s is None:
        return options
    deadline = time.perf_counter() + float(options.time_budget_s)
    inner = options.progress

    def progress(stage: str, done: int, total: int) -> None:
        if time.perf_counter() > deadline:
            raise BudgetError(
                f"the refine passed its time budget of {options.time_budget_s:g} s during {stage} "
                f"({done}/{total}); give it more with time_budget_s",
                source=source,
            )
        if inner is not None:
            inner(stage, done, total)

    return replace(options, progress=progress)


def check_options(options: RefineOptions, source: str) -> None:
    """Options in their ranges (a script or a panel may pass anything); MeshError naming the option."""

    def fail(name: str, message: str) -> MeshError:
        return MeshError(message, source=source, where=f"options.{name}")

    def is_int(x: object) -> bool:
        return isinstance(x, int | np.integer) and not isinstance(x, bool)

    if not is_int(options.seed) or not 0 <= int(options.seed) < 2**32:
        raise fail("seed", f"expected an integer in 0..2**32-1, got {options.seed!r}")
    if options.steps is not None and (not is_int(options.steps) or not 1 <= int(options.steps) <= 1000):
        raise fail("steps", f"expected 1..1000 denoising steps, got {options.steps!r}")
    if not isinstance(options.strength, int | float) or not -10.0 <= float(options.strength) <= 10.0:
        raise fail("strength", f"expected a number in -10..10, got {options.strength!r}")
    if options.material is not None and options.material not in MATERIALS:
        raise fail("material", f"expected one of {', '.join(MATERIALS)}, got {options.material!r}")
    if options.edge_length is not None and (
        not isinstance(options.edge_length, int | float) or not 0.1 <= float(options.edge_length) <= 50.0
    ):
        raise fail("edge_length", f"expected an edge length of 0.1-50 cm, got {options.edge_length!r}")
    if options.device not in ("auto", "cpu", "cuda"):
        raise fail("device", f"expected auto, cpu or cuda, got {options.device!r}")
    budget = options.time_budget_s
    if budget is not None and (not isinstance(budget, int | float) or not 0 < float(budget) < 1e7):
        raise fail("time_budget_s", f"expected a positive number of seconds, got {budget!r}")
    if not is_int(options.max_texels) or options.max_texels < 1:
        raise fail("max_texels", f"expected a positive integer, got {options.max_texels!r}")
    if options.nuvo is not None:
        check_nuvo_overrides(options.nuvo, source)


NUVO_RANGES = {
    "n_charts": (1, 64),
    "hidden": (1, 4096),
    "layers": (2, 32),
    "pe_chart": (0, 16),
    "pe_texture": (0, 16),
    "pe_surface": (0, 16),
    "iterations": (1, 1_000_000),
    "points": (3, 1_000_000),
    "uv_samples": (1, 1_000_000),
    "lr": (1e-12, 10.0),
    "sigma_lr": (0.0, 10.0),
    "sigma_init": (1e-9, 1e9),
    "seed_iterations": (0, 1_000_000),
    "seed_lr": (1e-12, 10.0),
}


def check_nuvo_overrides(nuvo: object, source: str) -> None:
    """``RefineOptions.nuvo``: a mapping of NuvoConfig fields in their ranges (MeshError)."""
    from ..config_check import check_config
    from ..errors import ConfigError
    from ..nuvo.config import NuvoConfig  # plain dataclasses: no torch to check options

    if not isinstance(nuvo, dict):
        kind = type(nuvo).__name__
        raise MeshError(
            f"expected a mapping of Nuvo settings, got {kind}", source=source, where="options.nuvo"
        )
    try:
        check_config(NuvoConfig, {k: v for k, v in nuvo.items() if k != "weights"}, source, NUVO_RANGES)
    except ConfigError as err:
        where = f"options.nuvo.{err.where}" if err.where else "options.nuvo"
        raise MeshError(err.message, source=source, where=where) from err
    if "weights" in nuvo and not isinstance(nuvo["weights"], dict):
        raise MeshError("expected a mapping of loss weights", source=source, where="options.nuvo.weights")


def surface_area(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Total triangle area (NaN when a coordinate is not finite)."""
    a, b, c = (np.asarray(vertices)[faces[:, k]] for k in range(3))
    return 0.5 * float(np.linalg.norm(np.cross(b - a, c - a), axis=1).sum())


def check_upsampled_size(vertices: np.ndarray, faces: np.ndarray, target_edge: float, source: str) -> None:
    """Refuse, before upsampling, a base whose surface at ``target_edge`` would pass the limit."""
    estimate = (
        surface_area(vertices, faces) / (np.sqrt(3) / 4 * target_edge**2) / 2
    )  # about two triangles a vertex
    limits.check(
        "max_upsampled_vertices",
        estimate,
        MeshError,
        source,
        what=f"estimated vertices after upsampling to {target_edge:.3g} cm edges",
    )


def check_pattern_charts(base: RefineInput, names: list[str], faces: np.ndarray, upsample: bool) -> None:
    """Panel ids that name the pattern's panels, finite pattern coordinates, and (to be
    upsampled through the pattern) triangles on every panel of the pattern."""
    ids = np.asarray(base.panel_ids).reshape(-1)
    if len(ids) != len(base.vertices) or np.asarray(base.pattern_uv).size != 2 * len(base.vertices):
        raise MeshError("panel ids and pattern coordinates need one entry per vertex", source=base.source)
    bad = np.flatnonzero((ids < 0) | (ids >= len(names)))
    if len(bad):
        raise MeshError(
            f"panel id {int(ids[bad[0]])} is not a panel of the pattern (0..{len(names) - 1})",
            source=base.source,
            where=f"vertex {int(bad[0])}",
        )
    uv = np.asarray(base.pattern_uv, np.float64).reshape(-1, 2)
    if not np.isfinite(uv).all():
        i = int(np.flatnonzero(~np.isfinite(uv).all(axis=1))[0])
        raise MeshError("pattern coordinates are not finite", source=base.source, where=f"vertex {i}")
    if upsample:
        present = set(np.unique(ids[faces[:, 0]]).tolist())
        missing = [n for i, n in enumerate(names) if i not in present]
        if missing:
            raise MeshError(
                f"the pattern's panel {missing[0]!r} has no triangles in the base mesh (of "
                f"{len(missing)} missing): the mesh does not belong to this pattern",
                source=base.source,
            )


def nuvo_uv(
    vertices: np.ndarray, faces: np.ndarray, options: RefineOptions, source: str
) -> tuple[np.ndarray, np.ndarray]:
    """A packed UV map (per corner, uv_faces) from Nuvo charts fitted to a mesh that has none."""
    try:
        from ..nuvo.network import NuvoConfig
        from ..nuvo.unwrap import nuvo_unwrap
    except ImportError as exc:  # torch is not installed (a plain Blender)
        raise MeshError(
            "the mesh has neither panel ids with pattern coordinates nor UVs, and fitting Nuvo "
            f"charts needs torch ({exc}): give it its pattern, UV-unwrap it, or install torch",
            source=source,
        ) from exc
    if len(faces) < MIN_NUVO_FACES:
        raise MeshError(
            "the mesh has neither panel ids with pattern coordinates nor UVs, and its "
            f"{len(faces)} faces are too few to fit Nuvo charts (at least {MIN_NUVO_FACES})",
            source=source,
        )
    if not surface_area(vertices, faces) > 0:
        raise MeshError("the mesh has no surface area to fit Nuvo charts to", source=source)
    config = NuvoConfig.cpu(**(options.nuvo or {}))

    def report(i: int, n: int, _losses: dict) -> None:
        if options.progress is not None:
            options.progress("nuvo", i, n)

    unwrap = nuvo_unwrap(vertices, faces, config, seed=options.seed, progress=report, source=source)
    return unwrap.uv, unwrap.uv_faces


def refine(base: RefineInput, refiner: Refiner, options: RefineOptions) -> RefineResult:
    """Refine ``base`` with ``refiner``'s model (see the module docstring)."""
    times: dict[str, float] = {"load": refiner.load_seconds}
    t = time.perf_counter()
    check_options(options, base.source)
    options = with_time_budget(options, base.source)

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        times[name] = now - t
        t = now
        report(name, 1, 1)

    def report(stage: str, done: int, total: int) -> None:
        if options.progress is not None:
            options.progress(stage, done, total)

    report("charts", 0, 1)

    material = _material(base, options)
    target_edge = options.edge_length or refiner.desc["target_edge_cm"]
    # re-tessellate exactly as the training data was, unless the user asked for another edge
    box_edge = None if options.edge_length else refiner.desc.get("box_edge_cm")
    n_in = len(base.vertices)
    verts, faces, charts, extras, upsampled = prepare_base(base, target_edge, box_edge, options)
    closed = charts.close_seams(verts)  # seams closed before refining; offsets share them
    if upsampled:
        closed = defacet(closed, charts)  # the coarse triangles' creases are not wrinkles
    lap("charts")
    feats, frames = point_features(closed, charts)
    rast = build_rasterizer(
        charts, refiner.desc["pitch_cm"], max_texels=options.max_texels, source=base.source
    )
    cond = condition_images(rast, feats, material)
    lap("raster")
    plan = refiner.plan(options.steps)
    stochastic = refiner.desc["objective"] != "regression"
    images = denoise_charts(
        cond,
        refiner.runtime,
        plan,
        options.seed,
        refiner.multiple,
        stochastic=stochastic,
        progress=lambda i, n: report("denoise", i, n),
    )
    lap("denoise")
    if not all(np.isfinite(img).all() for img in images):
        raise ModelError("the model produced values that are not finite", source=str(refiner.path))
    images = [img * refiner.scale[:, None, None] for img in images]
    wrinkles = world_offsets(rast, images, frames, len(verts), cap=offset_cap(verts))
    if upsampled:  # a new mesh: its base is the surface the model read (seams closed, no facets)
        base_out, offsets = closed, wrinkles * options.strength
    else:  # the user's own vertices stay the base, exactly; closing the seams is part of the key
        base_out, offsets = verts, (closed - verts + wrinkles) * options.strength
    lap("sample_back")
    report = {
        "vertices_in": n_in,
        "vertices_out": len(verts),
        "median_edge_in_cm": median_edge(base.vertices, base.faces),
        "median_edge_out_cm": median_edge(verts, faces),
        "upsampled": upsampled,
        "charts": {"source": charts.source, "count": charts.n_charts, "rest_known": charts.rest_known},
        "texels": rast.n_texels,
        "material": material,
        "steps": len(plan.timesteps),
        "seed": options.seed,
        "strength": options.strength,
        "runtime": refiner.runtime.name,
        "runtime_fell_back_to_cpu": bool(getattr(refiner.runtime, "fell_back", False)),
        "model": str(refiner.path),
        "offset_cm": {
            "mean": float(np.linalg.norm(offsets, axis=1).mean()),
            "max": float(np.linalg.norm(offsets, axis=1).max()),
        },
        "seconds": times,
    }
    return RefineResult(
        vertices=base_out + offsets,
        base_vertices=base_out,
        faces=faces,
        offsets=offsets,
        charts=charts,
        upsampled=upsampled,
        report=report,
        **extras,
    )
