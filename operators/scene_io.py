"""Blender data in and out: garment meshes, pattern outlines, seam and inspection colours.

Pattern space (cm, +Y up) maps to Blender metres (+Z up) with ``core.frames``. A garment
object carries a ``pattern`` UV map (panel-local pattern coordinates in metres), an integer
``panel`` point attribute, and its sewing pattern as the custom property ``garment_pattern``.
"""

from __future__ import annotations

import json

import bpy
import numpy as np

from ..core.errors import MeshError
from ..core.frames import CM_PER_M, blender_to_pattern, pattern_to_blender
from ..core.garment_mesh import GarmentMesh
from ..core.meshio import BaseMesh, mesh_from_arrays
from ..core.pattern import Pattern, pattern_from_dict, pattern_to_dict
from ..core.stitch_check import SEAM_BAD, SEAM_OK

PATTERN_PROP = "garment_pattern"
STAGE_PROP = "garment_stage"
UV_NAME = "pattern"
PANEL_ATTR = "panel"
SEAM_COLOR_ATTR = "stitch_check"
SEAM_COLORS = {0: (0.55, 0.55, 0.55, 1.0), SEAM_OK: (0.1, 0.75, 0.2, 1.0), SEAM_BAD: (0.95, 0.05, 0.05, 1.0)}


def new_mesh_data(name: str, vertices_m: np.ndarray, faces: np.ndarray) -> bpy.types.Mesh:
    """A Blender mesh from arrays, keeping vertex order (fast ``foreach_set`` path)."""
    me = bpy.data.meshes.new(name)
    me.vertices.add(len(vertices_m))
    me.vertices.foreach_set("co", np.asarray(vertices_m, np.float32).ravel())
    me.loops.add(faces.size)
    me.loops.foreach_set("vertex_index", np.asarray(faces, np.int32).ravel())
    me.polygons.add(len(faces))
    me.polygons.foreach_set("loop_start", np.arange(0, faces.size, 3, dtype=np.int32))
    me.update(calc_edges=True)
    return me


def link_object(name: str, data, collection: bpy.types.Collection | None = None) -> bpy.types.Object:
    obj = bpy.data.objects.new(name, data)
    (collection or bpy.context.scene.collection).objects.link(obj)
    return obj


def garment_to_object(
    mesh: GarmentMesh,
    name: str,
    pattern: Pattern | None = None,
    stage: str = "box",
    collection: bpy.types.Collection | None = None,
) -> bpy.types.Object:
    """Create a mesh object with the ``pattern`` UV map, ``panel`` attribute and pattern."""
    me = new_mesh_data(name, pattern_to_blender(mesh.vertices), mesh.faces)
    uv = me.uv_layers.new(name=UV_NAME)
    uv.uv.foreach_set("vector", (mesh.uv[mesh.faces.ravel()] / CM_PER_M).astype(np.float32).ravel())
    attr = me.attributes.new(PANEL_ATTR, "INT", "POINT")
    attr.data.foreach_set("value", mesh.panel_ids.astype(np.int32))
    for poly in me.polygons:
        poly.use_smooth = True
    obj = link_object(name, me, collection)
    if pattern is not None:
        obj[PATTERN_PROP] = json.dumps(pattern_to_dict(pattern))
    obj[STAGE_PROP] = stage
    return obj


def base_mesh_to_object(mesh: BaseMesh, name: str, collection=None) -> bpy.types.Object:
    """Create an object from a plain base mesh; panel data is written when the file had it."""
    me = new_mesh_data(name, pattern_to_blender(mesh.vertices), mesh.faces)
    if mesh.uv is not None:
        uv = me.uv_layers.new(name=UV_NAME)
        uv.uv.foreach_set("vector", (mesh.uv[mesh.faces.ravel()] / CM_PER_M).astype(np.float32).ravel())
    if mesh.panel_ids is not None:
        me.attributes.new(PANEL_ATTR, "INT", "POINT").data.foreach_set("value", mesh.panel_ids)
    obj = link_object(name, me, collection)
    obj[STAGE_PROP] = "base"
    return obj


def object_pattern(obj: bpy.types.Object) -> Pattern | None:
    """The sewing pattern stored on a garment object, if any."""
    text = obj.get(PATTERN_PROP) if obj is not None else None
    if not text:
        return None
    return pattern_from_dict(json.loads(text), source=f"object {obj.name}", name=obj.name)


def object_to_base_mesh(obj: bpy.types.Object, evaluated: bool = True) -> BaseMesh:
    """Read a mesh object (shape keys and deforming modifiers applied) in pattern space."""
    src = f"object {obj.name}"
    if obj is None or obj.type != "MESH":
        raise MeshError("select a mesh object", source=src)
    me = obj.data
    n = len(me.vertices)
    co = np.empty(n * 3, np.float32)
    if evaluated:
        deps = bpy.context.evaluated_depsgraph_get()
        ev = obj.evaluated_get(deps)
        em = ev.to_mesh()
        try:
            if len(em.vertices) != n:
                raise MeshError("modifiers change the vertex count; apply or disable them", source=src)
            em.vertices.foreach_get("co", co)
        finally:
            ev.to_mesh_clear()
    else:
        me.vertices.foreach_get("co", co)
    me.calc_loop_triangles()
    tris = np.empty(len(me.loop_triangles) * 3, np.int32)
    me.loop_triangles.foreach_get("vertices", tris)
    panel_ids = uv = None
    if PANEL_ATTR in me.attributes and UV_NAME in me.uv_layers:
        panel_ids = np.empty(n, np.int32)
        me.attributes[PANEL_ATTR].data.foreach_get("value", panel_ids)
        loop_uv = np.empty(len(me.loops) * 2, np.float32)
        me.uv_layers[UV_NAME].uv.foreach_get("vector", loop_uv)
        loop_vert = np.empty(len(me.loops), np.int32)
        me.loops.foreach_get("vertex_index", loop_vert)
        uv = np.zeros((n, 2))
        uv[loop_vert] = loop_uv.reshape(-1, 2).astype(np.float64) * CM_PER_M
    return mesh_from_arrays(blender_to_pattern(co.reshape(-1, 3)), tris.reshape(-1, 3), panel_ids, uv, src)


def pattern_to_curves(
    pattern: Pattern, collection: bpy.types.Collection, max_edge: float = 1.0
) -> list[bpy.types.Object]:
    """One closed poly curve per panel outline, placed in 3D like the panel."""
    objects = []
    for panel in pattern.panels.values():
        pts = pattern_to_blender(panel.to_3d(panel.outline(max_edge)))
        cu = bpy.data.curves.new(f"{pattern.name}.{panel.name}", "CURVE")
        cu.dimensions = "3D"
        spline = cu.splines.new("POLY")
        spline.points.add(len(pts) - 1)
        spline.points.foreach_set("co", np.concatenate([pts, np.ones((len(pts), 1))], 1).ravel())
        spline.use_cyclic_u = True
        cu.bevel_depth = 0.002
        objects.append(link_object(f"{pattern.name}.{panel.name}", cu, collection))
    return objects


def set_point_colors(obj: bpy.types.Object, name: str, rgba: np.ndarray, active: bool = True) -> None:
    """Write (V, 4) RGBA floats into the point colour attribute ``name`` of ``obj`` (created, or
    replaced if it has another domain or type); the one helper for every inspection colour."""
    me = obj.data
    rgba = np.asarray(rgba, np.float32)
    if rgba.shape != (len(me.vertices), 4):
        raise MeshError(f"{obj.name}: {rgba.shape} colours for {len(me.vertices)} vertices in '{name}'")
    attr = me.color_attributes.get(name)
    if attr is not None and (attr.domain != "POINT" or attr.data_type != "FLOAT_COLOR"):
        me.color_attributes.remove(attr)
        attr = None
    if attr is None:
        attr = me.color_attributes.new(name, "FLOAT_COLOR", "POINT")
    attr.data.foreach_set("color", rgba.ravel())
    if active:
        me.color_attributes.active_color = attr
    me.update()


def set_seam_colors(obj: bpy.types.Object, status: np.ndarray) -> None:
    """Paint seam vertices green (ok) or red (bad) in the ``stitch_check`` colour attribute."""
    colors = np.array([SEAM_COLORS[int(s)] for s in range(3)], np.float32)[status.astype(int)]
    set_point_colors(obj, SEAM_COLOR_ATTR, colors)


INSPECTION_ATTRS = {"chart": "fit_chart", "collision": "fit_collision", "error": "fit_error"}


def set_inspection_colors(obj: bpy.types.Object, colors: dict[str, np.ndarray], show: str = "error") -> None:
    """The maps of ``core.garment_fit.inspection.inspection_colors`` as colour attributes
    ``fit_chart``, ``fit_collision``, ``fit_error``; ``show`` becomes the active one."""
    for key, rgba in colors.items():
        set_point_colors(obj, INSPECTION_ATTRS[key], rgba, active=key == show)


def new_collection(name: str) -> bpy.types.Collection:
    col = bpy.data.collections.new(name)
    bpy.context.scene.collection.children.link(col)
    return col


WRINKLES_KEY = "Wrinkles"


def object_uv_corners(obj: bpy.types.Object) -> tuple[np.ndarray, np.ndarray] | None:
    """The active UV map as (uv (T, 2), uv_faces (F, 3)) over the loop triangles, with loops
    of the same vertex at the same UV merged (so islands connect), or None without UVs."""
    me = obj.data
    layer = me.uv_layers.active
    if layer is None:
        return None
    loop_uv = np.empty(len(me.loops) * 2, np.float32)
    layer.uv.foreach_get("vector", loop_uv)
    loop_vert = np.empty(len(me.loops), np.int64)
    me.loops.foreach_get("vertex_index", loop_vert)
    me.calc_loop_triangles()
    tri_loops = np.empty(len(me.loop_triangles) * 3, np.int64)
    me.loop_triangles.foreach_get("loops", tri_loops)
    key = np.c_[loop_vert, np.round(loop_uv.reshape(-1, 2).astype(np.float64) * 1e6)]
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    uv = loop_uv.reshape(-1, 2)[first].astype(np.float64)
    return uv, inverse.reshape(-1)[tri_loops].reshape(-1, 3)


def is_wrinkles_key(name: str) -> bool:
    """The refiner's keys: "Wrinkles" and its variants "Wrinkles seed N"."""
    return name == WRINKLES_KEY or name.startswith(WRINKLES_KEY + " ")


def wrinkles_keys(obj: bpy.types.Object) -> list[bpy.types.ShapeKey]:
    keys = obj.data.shape_keys if obj is not None and obj.type == "MESH" else None
    return [k for k in keys.key_blocks if is_wrinkles_key(k.name)] if keys else []


def base_mesh_without_wrinkles(obj: bpy.types.Object) -> BaseMesh:
    """The object as a base mesh with modifiers and shape keys applied, except the Wrinkles
    keys (refining again starts from the base, not from the last result)."""
    blocks = wrinkles_keys(obj) if obj is not None and obj.type == "MESH" else []
    muted = [b.mute for b in blocks]
    for b in blocks:
        b.mute = True
    try:
        return object_to_base_mesh(obj)
    finally:
        for b, m in zip(blocks, muted, strict=True):
            b.mute = m


def write_wrinkles_key(
    obj: bpy.types.Object, offsets_cm: np.ndarray, value: float, name: str = WRINKLES_KEY
) -> bpy.types.ShapeKey:
    """Add (or replace) the shape key ``name``: Basis + offsets, at ``value``."""
    if obj.data.shape_keys is None:
        obj.shape_key_add(name="Basis", from_mix=False)
    keys = obj.data.shape_keys.key_blocks
    if name in keys:
        obj.shape_key_remove(keys[name])
    basis = obj.data.shape_keys.reference_key
    n = len(obj.data.vertices)
    co = np.empty(n * 3, np.float32)
    basis.data.foreach_get("co", co)
    # offsets are directions in pattern space: the same axis change as positions, no origin
    delta = pattern_to_blender(np.asarray(offsets_cm, np.float64))
    key = obj.shape_key_add(name=name, from_mix=False)
    key.data.foreach_set("co", (co.reshape(-1, 3) + delta).astype(np.float32).ravel())
    set_current_wrinkles(obj, key, value)
    return key


CURRENT_KEY_PROP = "garment_wrinkles_key"


def set_current_wrinkles(obj: bpy.types.Object, key: bpy.types.ShapeKey, value: float) -> None:
    """Make ``key`` the wrinkles the strength drives (at ``value``); the other wrinkle keys go to 0."""
    for other in wrinkles_keys(obj):
        if other.name != key.name:
            other.value = 0.0
    key.slider_max = max(1.0, value)
    key.value = value
    obj[CURRENT_KEY_PROP] = key.name


def current_wrinkles_key(obj: bpy.types.Object | None) -> bpy.types.ShapeKey | None:
    """The wrinkle key the strength drives: the last one written (or the only one)."""
    keys = wrinkles_keys(obj)
    if not keys:
        return None
    name = obj.get(CURRENT_KEY_PROP, "")
    return next((k for k in keys if k.name == name), keys[-1])


def variant_key_name(seed: int) -> str:
    return f"{WRINKLES_KEY} seed {seed}"


def next_variant_seed(obj: bpy.types.Object, panel_seed: int) -> int:
    """One more than any seed in use: the panel's and those the variant keys are named by."""
    used = [panel_seed]
    for k in wrinkles_keys(obj):
        tail = k.name[len(WRINKLES_KEY) :].strip()
        if tail.startswith("seed ") and tail[5:].isdigit():
            used.append(int(tail[5:]))
    return max(used) + 1


def uv_mesh_to_object(vertices_cm, faces, uv, uv_faces, name: str, collection=None) -> bpy.types.Object:
    """A mesh object with a UV map given per corner (``uv_faces`` index ``uv``)."""
    me = new_mesh_data(name, pattern_to_blender(vertices_cm), faces)
    layer = me.uv_layers.new(name="UVMap")
    layer.uv.foreach_set("vector", np.asarray(uv, np.float32)[np.asarray(uv_faces).ravel()].ravel())
    for poly in me.polygons:
        poly.use_smooth = True
    obj = link_object(name, me, collection)
    obj[STAGE_PROP] = "refined"
    return obj
