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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..boxmesh import stitch_pairs
from ..errors import MeshError, ModelError
from ..garment_mesh import GarmentMesh
from ..pattern import Pattern
from .charts import Charts, charts_from_panels, charts_from_uv_islands
from .features import MATERIALS, condition_images, point_features
from .field import offset_cap, world_offsets
from .modelfile import load_model, read_description, verified_path
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
            except (ImportError, ModelError):
                pass  # no CUDA torch after all: the CPU path below
        if device in ("cpu", "auto") and has_onnx and kind != "torch":
            try:
                import onnxruntime  # noqa: F401

                return OnnxRuntime(verified_path(self.path, onnx_name))
            except ImportError:
                pass
        try:
            return self._torch_runtime(device)
        except ImportError as err:
            raise ModelError(
                "neither onnxruntime with the model's ONNX export nor torch is available",
                source=str(self.path),
            ) from err

    def _torch_runtime(self, device: str):
        import torch

        from .network import Denoiser, DenoiserConfig

        _, tensors = load_model(self.path)
        net = Denoiser(DenoiserConfig.from_json(self.desc["network"]))
        net.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
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
            return SamplerPlan.from_json(plans[str(k)])
        if self.desc["objective"] == "regression":
            raise ModelError("a one-step regression model runs in 1 step", source=str(self.path))
        return NoiseSchedule.default().sampler(k)

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
    v = np.asarray(base.vertices, np.float64)
    f = np.asarray(base.faces, np.int64)
    upsample = needs_upsampling(v, f, target_edge)
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
