"""Inspection maps in the viewport: chart id, wrinkle offset, strain against the pattern and the
distance to a reference drape, as point colour attributes (the same helper the fit inspection
uses), shown with the viewport's attribute colours and a min/max readout in the panel."""

from __future__ import annotations

import bpy
import numpy as np
from bpy.props import EnumProperty

from ..core.errors import GarmentError, MeshError
from ..core.frames import blender_to_pattern
from ..core.inspection_maps import MAPS, InspectionMap, chart_map, error_map, residual_map, strain_map
from . import scene_io

MAP_ITEMS = [(k, k.title(), v) for k, v in MAPS.items()]


def attribute_name(kind: str) -> str:
    return f"inspect_{kind}"


def key_offsets_cm(obj: bpy.types.Object) -> np.ndarray:
    """The current wrinkle key's offsets from Basis, in pattern cm (its value not applied)."""
    key = scene_io.current_wrinkles_key(obj)
    if key is None:
        raise MeshError("no Wrinkles shape key: refine the garment first", source=obj.name)
    n = len(obj.data.vertices)
    basis, co = np.empty(n * 3, np.float32), np.empty(n * 3, np.float32)
    obj.data.shape_keys.reference_key.data.foreach_get("co", basis)
    key.data.foreach_get("co", co)
    return blender_to_pattern((co - basis).reshape(-1, 3).astype(np.float64)) - blender_to_pattern(
        np.zeros((1, 3))
    )


def compute_map(context, obj: bpy.types.Object, kind: str) -> InspectionMap:
    """The map of ``obj`` (its shape as shown: shape keys and modifiers applied)."""
    base = scene_io.object_to_base_mesh(obj)
    if kind == "chart":
        if base.panel_ids is None:
            raise MeshError(
                "no chart ids: the mesh has no 'panel' attribute with 'pattern' UVs", source=obj.name
            )
        return chart_map(base.panel_ids)
    if kind == "residual":
        return residual_map(key_offsets_cm(obj))
    if kind == "strain":
        if base.uv is None:
            raise MeshError("no pattern to strain against: the mesh has no 'pattern' UVs", source=obj.name)
        return strain_map(base.vertices, base.uv, base.faces)
    ref = context.scene.garment.inspect_reference
    if ref is None or ref.type != "MESH":
        raise GarmentError("pick a reference drape (a mesh object) for the error map", source=obj.name)
    return error_map(base.vertices, scene_io.object_to_base_mesh(ref).vertices)


def show_attribute_colors(context) -> None:
    """Solid shading with attribute colours in every 3D viewport (none in background mode)."""
    screen = context.screen
    for area in screen.areas if screen is not None else []:
        if area.type == "VIEW_3D":
            for space in area.spaces:
                if space.type == "VIEW_3D":
                    space.shading.type = "SOLID"
                    space.shading.color_type = "VERTEX"
            area.tag_redraw()


class GARMENT_OT_show_inspection(bpy.types.Operator):
    """Colour the active garment by an inspection map"""

    bl_idname = "garment.show_inspection"
    bl_label = "Show Inspection Map"
    bl_options = {"REGISTER", "UNDO"}

    map: EnumProperty(name="Map", items=MAP_ITEMS, default="residual")  # type: ignore[valid-type]

    @classmethod
    def poll(cls, context):
        obj = context.active_object
        if obj is None or obj.type != "MESH":
            cls.poll_message_set("Select a garment mesh")
            return False
        return True

    def execute(self, context):
        obj = context.active_object
        try:
            m = compute_map(context, obj, self.map)
        except GarmentError as err:
            self.report({"ERROR"}, str(err))
            return {"CANCELLED"}
        scene_io.set_point_colors(obj, attribute_name(self.map), m.colors)
        g = context.scene.garment
        g.inspect_map, g.inspect_readout = self.map, m.readout
        g.inspect_min, g.inspect_max = m.vmin, m.vmax
        show_attribute_colors(context)
        self.report({"INFO"}, f"{obj.name}: {m.readout}")
        return {"FINISHED"}


CLASSES = (GARMENT_OT_show_inspection,)
