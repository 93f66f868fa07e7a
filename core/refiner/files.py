"""Base meshes in, refined meshes out, for the CLI (the Blender button reads and writes
Blender data instead).

In: OBJ (``vt`` per corner: UV islands; with ``--pattern`` and ``g`` groups named after the
pattern's panels, the ``vt`` are taken as pattern coordinates in cm, as this project writes
them), PLY with ``panel``, ``u``, ``v`` vertex properties, or GLB. Out, by suffix: OBJ keeps
UVs (pattern coordinates with one group per panel, or the original UV corners), PLY keeps
panel ids and pattern uv.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from ..errors import MeshError
from ..garment_mesh import GarmentMesh
from ..meshio import load_mesh, read_obj_corners, save_garment_mesh
from ..outputs import write_bytes_atomic, write_text_atomic
from ..pattern import Pattern
from .refine import RefineInput, RefineResult


def read_base(path: str | Path, pattern: Pattern | None = None, scale: float = 1.0) -> RefineInput:
    """A base mesh file as a :class:`RefineInput` (cm, +Y up; ``scale`` converts file units)."""
    path = Path(path)
    if path.suffix.lower() == ".obj":
        obj = read_obj_corners(path, scale)
        names = list(pattern.panels) if pattern is not None else []
        if (
            pattern is not None
            and obj.face_groups
            and obj.uv_faces is not None
            and set(obj.face_groups) <= set(names)
        ):
            panel = np.full(len(obj.vertices), -1, np.int32)
            uv = np.zeros((len(obj.vertices), 2))
            fg = np.array([names.index(g) for g in obj.face_groups])
            for k in range(3):
                panel[obj.faces[:, k]] = fg
                uv[obj.faces[:, k]] = obj.uv[obj.uv_faces[:, k]]
            if (panel >= 0).all():
                return RefineInput(obj.vertices, obj.faces, panel, uv, pattern=pattern, source=str(path))
        return RefineInput(
            obj.vertices,
            obj.faces,
            uv=obj.uv if obj.uv_faces is not None else None,
            uv_faces=obj.uv_faces,
            pattern=pattern,
            source=str(path),
        )
    mesh = load_mesh(path, scale)
    return RefineInput(mesh.vertices, mesh.faces, mesh.panel_ids, mesh.uv, pattern=pattern, source=str(path))


def write_refined(result: RefineResult, path: str | Path, panel_names: list[str] | None = None) -> Path:
    """Write the refined mesh; the format follows the suffix (.obj, .ply, .glb)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if result.panel_ids is not None and suffix in (".obj", ".ply"):
        names = panel_names or [f"panel_{i}" for i in range(int(result.panel_ids.max()) + 1)]
        return save_garment_mesh(
            GarmentMesh(result.vertices, result.faces, result.panel_ids, result.pattern_uv, names), path
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".obj":
        lines = ["# Garment Refiner refined mesh: cm, +Y up"]
        lines += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in result.vertices]
        if result.uv is not None:
            lines += [f"vt {u:.6f} {v:.6f}" for u, v in result.uv]
            lines += [
                f"f {a}/{d} {b}/{e} {c}/{f}"
                for (a, b, c), (d, e, f) in zip(result.faces + 1, result.uv_faces + 1, strict=True)
            ]
        else:
            lines += [f"f {a} {b} {c}" for a, b, c in result.faces + 1]
        write_text_atomic(path, "\n".join(lines) + "\n")
        return path
    if suffix in (".ply", ".glb"):
        mesh = trimesh.Trimesh(result.vertices, result.faces, process=False)
        write_bytes_atomic(path, mesh.export(file_type=suffix[1:]))
        return path
    raise MeshError("write refined meshes as .obj, .ply or .glb", source=str(path))
