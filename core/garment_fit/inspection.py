"""Inspection of a per-garment fit: per-vertex chart id, hash-collision flag and residual error,
written into a PLY (values and colours) and drawn as the charts' UV layouts (PNG).

``load_fit(folder)`` reads what ``two_stage.save_fit`` wrote (``field.safetensors`` with safetensors,
never a pickle, and ``fit.json``). ``inspect_vertices`` evaluates the fit at the base mesh's
vertices:

- ``chart``, ``uv``: Nuvo's keys (most probable chart and its UV);
- ``collision_levels``: at how many hashed levels the grid vertex nearest the vertex's key shares
  its table slot with another grid vertex the garment occupies (dense levels never collide);
  ``collision`` is ``collision_levels > 0``;
- ``error_mm``: distance of the field's residual (stage 1 and 2's field, without the stage-2
  correction image) from the true residual ``fine - base``, mm.

The colours come from ``core.inspection_colors``, the same ones Blender's colour attributes get
(``operators/scene_io.set_inspection_colors``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.hashfield import HashField
from core.inspection_colors import chart_colors, flag_colors, scalar_colors, to_uint8
from core.nuvo.network import NuvoConfig, NuvoModel
from core.nuvo.sampling import Normalisation

from .stage2 import nuvo_keys


@dataclass
class LoadedFit:
    """A fit read back from its folder."""

    nuvo: NuvoModel
    field: HashField
    normalisation: Normalisation
    scale_cm: float
    record: dict


@dataclass
class VertexInspection:
    """Per-vertex values of a fit (see the module docstring); arrays of length V."""

    chart: np.ndarray
    uv: np.ndarray
    collision_levels: np.ndarray
    error_mm: np.ndarray
    predicted_cm: np.ndarray

    @property
    def collision(self) -> np.ndarray:
        return self.collision_levels > 0

    def summary(self) -> dict:
        return {
            "vertices": len(self.chart),
            "charts_used": len(np.unique(self.chart)),
            "collision_share": float(self.collision.mean()),
            "error_mm_mean": float(self.error_mm.mean()),
            "error_mm_p99": float(np.percentile(self.error_mm, 99)),
            "error_mm_max": float(self.error_mm.max()),
        }


def load_fit(folder: str | Path) -> LoadedFit:
    """The Nuvo model, hash field, normalisation and record of ``folder`` (``field.safetensors``
    + ``fit.json``); raises ``FileNotFoundError`` / ``ValueError`` with the file named."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    folder = Path(folder)
    weights, js = folder / "field.safetensors", folder / "fit.json"
    for p in (weights, js):
        if not p.is_file():
            raise FileNotFoundError(f"{p}: missing (a fit folder holds field.safetensors and fit.json)")
    record = json.loads(js.read_text())
    if "normalisation" not in record or "nuvo_config" not in record:
        raise ValueError(f"{js}: no normalisation / nuvo_config (written by an older fit)")
    with safe_open(str(weights), "pt") as f:
        meta = f.metadata() or {}
    if "field" not in meta:
        raise ValueError(f"{weights}: no 'field' metadata: not a fit written by save_fit")
    tensors = load_file(str(weights))
    field = HashField.from_dict(json.loads(meta["field"]))
    field.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("hash.")})
    nuvo = NuvoModel(NuvoConfig.from_json(record["nuvo_config"]))
    nuvo.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("nuvo.")})
    nuvo.eval()
    n = record["normalisation"]
    norm = Normalisation(center=np.asarray(n["center"], np.float64), scale=float(n["scale"]))
    return LoadedFit(nuvo, field, norm, float(record["residual_std_cm"]["scale_cm"]), record)


@torch.no_grad()
def collision_levels(field: HashField, chart: torch.Tensor, uv: torch.Tensor) -> np.ndarray:
    """(V,) per vertex, the hashed levels at which its nearest grid vertex shares a slot with
    another grid vertex nearest some vertex (the occupied set)."""
    enc = field.encoding
    out = np.zeros(len(chart), np.int64)
    for info in enc.levels:
        if info.dense:
            continue
        res = info.resolution
        xy = torch.round(uv.clamp(0.0, 1.0) * res).long()
        gid = (chart.long() * (res + 1) + xy[:, 1]) * (res + 1) + xy[:, 0]
        uniq, inverse = torch.unique(gid, return_inverse=True)
        side = res + 1
        c, rem = uniq // (side * side), uniq % (side * side)
        slots = enc.vertex_slots(info.level, c, rem % side, rem // side)
        counts = torch.bincount(slots, minlength=info.table_size)
        out += (counts[slots][inverse] > 1).numpy()
    return out


def inspect_vertices(fit: LoadedFit, base: np.ndarray, fine: np.ndarray) -> VertexInspection:
    """The fit evaluated at ``base``'s vertices (V, 3), against ``fine`` (V, 3) (cm)."""
    x = torch.as_tensor(fit.normalisation.apply(base), dtype=torch.float32)
    chart, uv = nuvo_keys(fit.nuvo, x)
    with torch.no_grad():
        pred = fit.field(chart, uv).numpy().astype(np.float64) * fit.scale_cm
    err = np.linalg.norm(pred - (np.asarray(fine, np.float64) - base), axis=1) * 10.0
    return VertexInspection(
        chart=chart.numpy(),
        uv=uv.numpy().astype(np.float64),
        collision_levels=collision_levels(fit.field, chart, uv),
        error_mm=err,
        predicted_cm=pred,
    )


def write_inspection_ply(
    path: str | Path, vertices: np.ndarray, faces: np.ndarray, ins: VertexInspection, color_by: str = "error"
) -> Path:
    """A binary PLY of the mesh with vertex properties ``chart``, ``collision``, ``error_mm`` and
    RGBA colours by ``color_by`` (``error`` | ``chart`` | ``collision``); written atomically."""
    import trimesh

    colors = inspection_colors(ins)[color_by]
    mesh = trimesh.Trimesh(np.asarray(vertices, np.float64), np.asarray(faces), process=False)
    mesh.visual.vertex_colors = to_uint8(colors)
    mesh.vertex_attributes["chart"] = ins.chart.astype(np.int32)
    mesh.vertex_attributes["collision"] = ins.collision.astype(np.uint8)
    mesh.vertex_attributes["error_mm"] = ins.error_mm.astype(np.float32)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(trimesh.exchange.ply.export_ply(mesh, encoding="binary", include_attributes=True))
    tmp.replace(path)
    return path


def inspection_colors(ins: VertexInspection, error_max_mm: float | None = None) -> dict[str, np.ndarray]:
    """(V, 4) RGBA per map: ``chart``, ``collision``, ``error`` (0 to ``error_max_mm``, default
    its 99th percentile)."""
    return {
        "chart": chart_colors(ins.chart),
        "collision": flag_colors(ins.collision),
        "error": scalar_colors(ins.error_mm, 0.0, error_max_mm),
    }


def write_uv_layouts(
    out: str | Path, faces: np.ndarray, ins: VertexInspection, dpi: int = 110
) -> dict[str, str]:
    """``out/uv_charts.png`` (triangles in UV coloured by chart) and ``out/uv_error.png``
    (coloured by the residual error, mm, with a colour bar), one panel per chart; triangles whose
    vertices fall in different charts are left out (their count is in each title)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    faces = np.asarray(faces)
    fc = ins.chart[faces]
    same = (fc[:, 0] == fc[:, 1]) & (fc[:, 1] == fc[:, 2])
    charts = np.unique(ins.chart)
    cols = min(4, len(charts))
    rows = int(np.ceil(len(charts) / cols))
    emax = float(np.percentile(ins.error_mm, 99)) or 1.0
    paths = {}
    for kind in ("charts", "error"):
        fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows), squeeze=False)
        mappable = None
        for ax, c in zip(axes.ravel(), charts, strict=False):
            sel = faces[same & (fc[:, 0] == c)]
            polys = ins.uv[sel]
            if kind == "charts":
                colour = chart_colors(np.array([c]))[0]
                pc = PolyCollection(polys, facecolors=colour, edgecolors=(0, 0, 0, 0.25), linewidths=0.1)
            else:
                pc = PolyCollection(polys, cmap="viridis", edgecolors="none")
                pc.set_array(ins.error_mm[sel].mean(axis=1))
                pc.set_clim(0.0, emax)
                mappable = pc
            ax.add_collection(pc)
            ax.set_xlim(0, 1), ax.set_ylim(0, 1), ax.set_aspect("equal")
            ax.set_title(f"chart {c}: {len(sel)} tris", fontsize=8)
            ax.tick_params(labelsize=6)
        for ax in axes.ravel()[len(charts) :]:
            ax.axis("off")
        split = int((~same).sum())
        title = "Nuvo charts (UV)" if kind == "charts" else "residual error of the field (mm)"
        fig.suptitle(f"{title}; {split} triangles span two charts", fontsize=9)
        if mappable is not None:
            fig.colorbar(mappable, ax=axes.ravel().tolist(), shrink=0.6, label="mm")
        p = out / f"uv_{kind}.png"
        fig.savefig(p, dpi=dpi)
        plt.close(fig)
        paths[kind] = str(p)
    return paths


__all__ = [
    "LoadedFit",
    "VertexInspection",
    "collision_levels",
    "inspect_vertices",
    "inspection_colors",
    "load_fit",
    "write_inspection_ply",
    "write_uv_layouts",
]
