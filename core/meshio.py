"""Read and write base meshes (OBJ, PLY, GLB) without reordering or splitting vertices."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from . import limits
from .errors import MeshError
from .garment_mesh import GarmentMesh
from .inputs import input_file

MESH_SUFFIXES = (".obj", ".ply", ".glb", ".gltf")


@dataclass
class BaseMesh:
    """A triangle mesh in pattern space (cm, +Y up), optionally with panel ids and pattern coords."""

    vertices: np.ndarray  # (V, 3)
    faces: np.ndarray  # (F, 3)
    panel_ids: np.ndarray | None = None
    uv: np.ndarray | None = None
    source: str = "<mesh>"

    def as_garment(self, panel_names: list[str]) -> GarmentMesh:
        """The mesh as a GarmentMesh; needs per-vertex panel ids and pattern coordinates."""
        if self.panel_ids is None or self.uv is None:
            raise MeshError("mesh has no per-vertex panel ids and pattern coordinates", source=self.source)
        if self.panel_ids.size and (self.panel_ids.min() < 0 or self.panel_ids.max() >= len(panel_names)):
            raise MeshError(
                f"panel ids range {self.panel_ids.min()}..{self.panel_ids.max()} but the pattern "
                f"has {len(panel_names)} panels",
                source=self.source,
            )
        return GarmentMesh(self.vertices, self.faces, self.panel_ids, self.uv, list(panel_names))


def mesh_from_arrays(
    vertices: np.ndarray,
    faces: np.ndarray,
    panel_ids: np.ndarray | None = None,
    uv: np.ndarray | None = None,
    source: str = "<mesh>",
) -> BaseMesh:
    """Validate raw arrays (from a file or a Blender object) into a BaseMesh."""
    v = np.asarray(vertices, np.float64)
    f = np.asarray(faces)
    if v.ndim != 2 or v.shape[1] != 3 or len(v) == 0:
        raise MeshError(f"expected (N, 3) vertices, got shape {v.shape}", source=source)
    if f.size == 0:
        raise MeshError("mesh has no faces", source=source)
    limits.check("max_mesh_vertices", len(v), MeshError, source, what="vertex count")
    limits.check("max_mesh_faces", len(f), MeshError, source, what="face count")
    if f.ndim != 2 or f.shape[1] != 3:
        raise MeshError(f"expected triangles (F, 3), got shape {f.shape}", source=source)
    if not np.isfinite(v).all():
        bad = int(np.flatnonzero(~np.isfinite(v).all(axis=1))[0])
        raise MeshError("vertex coordinates are not finite", source=source, where=f"vertex {bad}")
    limits.check("max_extent_cm", float(np.abs(v).max()), MeshError, source, what="coordinate (cm)")
    f = f.astype(np.int64)
    if f.min() < 0 or f.max() >= len(v):
        raise MeshError(f"face indices out of range 0..{len(v) - 1}", source=source)
    for name, arr, width in (("panel_ids", panel_ids, 1), ("uv", uv, 2)):
        if arr is not None and np.asarray(arr).size != len(v) * width:
            raise MeshError(
                f"{name} must have one entry per vertex "
                f"({np.asarray(arr).size // width} for {len(v)} vertices)",
                source=source,
            )
    if uv is not None:
        uv_cm = np.asarray(uv, np.float64).reshape(-1, 2)
        if not np.isfinite(uv_cm).all():
            bad = int(np.flatnonzero(~np.isfinite(uv_cm).all(axis=1))[0])
            raise MeshError("UV coordinates are not finite", source=source, where=f"vertex {bad}")
        if uv_cm.size:  # pattern coordinates (cm): as bounded as positions
            limits.check("max_extent_cm", float(np.abs(uv_cm).max()), MeshError, source, what="UV (cm)")
    return BaseMesh(
        v,
        f,
        None if panel_ids is None else np.asarray(panel_ids, np.int32).reshape(-1),
        None if uv is None else np.asarray(uv, np.float64).reshape(-1, 2),
        source,
    )


def load_mesh(path: str | Path, scale: float = 1.0) -> BaseMesh:
    """Load OBJ/PLY/GLB in vertex order (``process=False``); ``scale`` converts file units to cm.

    PLY vertex properties ``panel``, ``u`` and ``v`` (as :func:`save_garment_mesh` writes
    them) become panel ids and pattern coordinates.
    """
    path = input_file(path, MeshError)
    src = str(path)
    if path.suffix.lower() not in MESH_SUFFIXES:
        raise MeshError(
            f"unsupported mesh format {path.suffix!r} (use {', '.join(MESH_SUFFIXES)})", source=src
        )
    try:
        loaded = trimesh.load(str(path), process=False, maintain_order=True)
    except Exception as err:  # trimesh raises many kinds on corrupt files
        raise MeshError(f"cannot read mesh: {err}", source=src) from err
    if isinstance(loaded, trimesh.Scene):
        geoms = [g for g in loaded.dump() if isinstance(g, trimesh.Trimesh)]
        if not geoms:
            raise MeshError("file holds no triangle mesh", source=src)
        loaded = geoms[0] if len(geoms) == 1 else trimesh.util.concatenate(geoms)
    if not isinstance(loaded, trimesh.Trimesh):
        raise MeshError(f"file holds no triangle mesh (got {type(loaded).__name__})", source=src)
    panel_ids = uv = None
    columns = _ply_vertex_columns(loaded.metadata.get("_ply_raw", {}).get("vertex", {}).get("data"))
    if {"panel", "u", "v"} <= set(columns):
        panel_ids = np.asarray(columns["panel"]).reshape(-1)
        uv = np.stack([np.asarray(columns["u"]).reshape(-1), np.asarray(columns["v"]).reshape(-1)], axis=1)
    return mesh_from_arrays(np.asarray(loaded.vertices) * scale, np.asarray(loaded.faces), panel_ids, uv, src)


def _ply_vertex_columns(raw) -> dict[str, np.ndarray]:
    """A PLY's vertex properties by name: trimesh keeps a structured array for binary files
    and a dict of columns for ASCII ones."""
    if isinstance(raw, dict):
        return {str(k): np.asarray(v) for k, v in raw.items()}
    names = getattr(getattr(raw, "dtype", None), "names", None)
    return {name: raw[name] for name in names} if names else {}


def save_garment_mesh(mesh: GarmentMesh, path: str | Path) -> Path:
    """Write a garment mesh: PLY keeps panel ids and pattern coords as vertex properties; OBJ
    writes pattern coords as ``vt`` (cm) and one group per panel."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if path.suffix.lower() == ".ply":
        t = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)
        t.vertex_attributes["panel"] = mesh.panel_ids.astype(np.int32)
        t.vertex_attributes["u"] = mesh.uv[:, 0]
        t.vertex_attributes["v"] = mesh.uv[:, 1]
        tmp.write_bytes(t.export(file_type="ply"))
    elif path.suffix.lower() == ".obj":
        lines = ["# Garment Refiner garment mesh: cm, +Y up; vt = pattern coordinates (cm)"]
        lines += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in mesh.vertices]
        lines += [f"vt {u:.6f} {v:.6f}" for u, v in mesh.uv]
        face_panel = mesh.panel_ids[mesh.faces[:, 0]]
        for pid, name in enumerate(mesh.panel_names):
            lines.append(f"g {name}")
            for a, b, c in mesh.faces[face_panel == pid] + 1:
                lines.append(f"f {a}/{a} {b}/{b} {c}/{c}")
        tmp.write_text("\n".join(lines) + "\n")
    else:
        raise MeshError("write garment meshes as .ply or .obj", source=str(path))
    tmp.replace(path)
    return path


@dataclass
class ObjCorners:
    """An OBJ's positions and UVs with their own face indices (a vertex on a UV seam has one
    ``vt`` per island), in file order; polygons are fanned into triangles."""

    vertices: np.ndarray  # (V, 3)
    faces: np.ndarray  # (F, 3) into vertices
    uv: np.ndarray  # (T, 2)
    uv_faces: np.ndarray | None  # (F, 3) into uv, None when the file has no vt on its faces
    face_groups: list[str] | None = None  # per face: the ``g`` group it was read under


def read_obj_corners(path: str | Path, scale: float = 1.0) -> ObjCorners:
    """Read ``v``, ``vt`` and ``f`` of an OBJ keeping the file's vertex order and UV corners."""
    path = input_file(path, MeshError)
    verts, uvs, faces, uv_faces, groups = [], [], [], [], []
    group = ""
    with_uv = True
    for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        tag, _, rest = line.strip().partition(" ")
        try:
            if tag in ("v", "vt"):
                width = 3 if tag == "v" else 2
                xs = [float(x) for x in rest.split()[:width]]
                if len(xs) != width:
                    raise MeshError(f"{tag!r} needs {width} numbers", source=str(path), where=f"line {n}")
                (verts if tag == "v" else uvs).append(xs)
            elif tag in ("g", "o"):
                group = rest.strip()
            elif tag == "f":
                corners = [c.split("/") for c in rest.split()]
                vi = [int(c[0]) for c in corners]
                ti = [int(c[1]) if len(c) > 1 and c[1] else 0 for c in corners]
                with_uv &= all(ti)
                for k in range(1, len(vi) - 1):
                    faces.append([vi[0], vi[k], vi[k + 1]])
                    uv_faces.append([ti[0], ti[k], ti[k + 1]])
                    groups.append(group)
        except (ValueError, IndexError) as err:
            raise MeshError(f"cannot parse {tag!r} line: {err}", source=str(path), where=f"line {n}") from err
    if not verts or not faces:
        raise MeshError("file holds no triangle mesh", source=str(path))
    v = np.asarray(verts, np.float64) * scale
    try:
        f = np.asarray(faces, np.int64)
        tf = np.asarray(uv_faces, np.int64)
    except OverflowError as err:
        raise MeshError("a face index is too large", source=str(path)) from err
    f = np.where(f < 0, f + len(v), f - 1)  # OBJ indices are 1-based, negative = from the end
    t = np.asarray(uvs, np.float64).reshape(-1, 2)
    if not np.isfinite(t).all():
        raise MeshError("a vt coordinate is not finite", source=str(path))
    tf = np.where(tf < 0, tf + len(t), tf - 1) if with_uv and len(t) else None
    mesh_from_arrays(v, f, source=str(path))  # the usual checks of positions and faces
    if tf is not None and (tf.min() < 0 or tf.max() >= len(t)):
        raise MeshError(f"vt indices out of range 1..{len(t)}", source=str(path))
    return ObjCorners(v, f, t, tf, groups if any(groups) else None)
