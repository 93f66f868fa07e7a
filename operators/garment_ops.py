"""Operators of the Garment tab: thin wrappers that read Blender data, call core, write results.

Each operator computes everything first and touches the scene only when that succeeded, so
a bad file reports an error and leaves the scene as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import bpy
from bpy.props import EnumProperty, FloatProperty, StringProperty
from bpy_extras.io_utils import ImportHelper

from ..core.errors import GarmentError
from ..core.meshio import load_mesh
from ..core.pattern import pattern_to_dict
from ..core.pipeline import prepare_garment, read_pattern_file
from ..core.stitch_check import StitchReport, check_stitches, seam_vertex_status
from . import scene_io


def _fail(op: bpy.types.Operator, err: Exception) -> set[str]:
    op.report({"ERROR"}, str(err))
    return {"CANCELLED"}


def store_report(scene: bpy.types.Scene, obj_name: str, report: StitchReport) -> None:
    """Copy the report summary and its bad stitches into ``scene.garment`` for the panel."""
    g = scene.garment
    g.report_object = obj_name
    g.report_stitches = len(report.stitches)
    g.report_accuracy = 100.0 * report.stitch_accuracy
    g.report_max_gap = -1.0 if report.max_gap_cm is None else report.max_gap_cm
    g.report_lines.clear()
    for s in report.bad_stitches:
        g.report_lines.add().text = f"#{s.index} {s.a} / {s.b}: {'; '.join(s.reasons)}"


def make_active(context: bpy.types.Context, obj: bpy.types.Object) -> None:
    """Select ``obj`` alone and make it the active object."""
    for o in context.view_layer.objects:
        o.select_set(False)
    obj.select_set(True)
    context.view_layer.objects.active = obj


class GARMENT_OT_load_pattern(bpy.types.Operator, ImportHelper):
    """Load a sewing pattern (GarmentCode JSON or SVG) and build its box mesh"""

    bl_idname = "garment.load_pattern"
    bl_label = "Load Pattern"
    bl_options = {"REGISTER", "UNDO"}

    filter_glob: StringProperty(default="*.json;*.svg", options={"HIDDEN"})  # type: ignore[valid-type]
    edge_length: FloatProperty(  # type: ignore[valid-type]
        name="Edge Length (cm)",
        description="Target triangle edge length of the box mesh",
        default=2.0,
        min=0.3,
        max=20.0,
    )

    def execute(self, context):
        wm = context.window_manager
        wm.progress_begin(0, 3)
        try:
            job = prepare_garment(self.filepath, self.edge_length, context.scene.garment.length_tol)
            wm.progress_update(1)
            col = scene_io.new_collection(job.pattern.name)
            outlines = scene_io.new_collection(f"{job.pattern.name} outlines")
            bpy.context.scene.collection.children.unlink(outlines)
            col.children.link(outlines)
            scene_io.pattern_to_curves(job.pattern, outlines)
            wm.progress_update(2)
            obj = scene_io.garment_to_object(job.mesh, job.pattern.name, job.pattern, "box", col)
        except GarmentError as err:
            return _fail(self, err)
        finally:
            wm.progress_end()
        make_active(context, obj)
        context.scene.garment.pattern_path = self.filepath
        store_report(context.scene, obj.name, job.report)
        self.report(
            {"INFO"},
            f"{job.pattern.name}: {len(job.pattern.panels)} panels, {job.mesh.n_vertices} vertices, "
            f"stitch accuracy {job.report.stitch_accuracy:.0%}",
        )
        return {"FINISHED"}


class GARMENT_OT_load_base_mesh(bpy.types.Operator, ImportHelper):
    """Load a base mesh (OBJ, PLY or GLB) in its own vertex order"""

    bl_idname = "garment.load_base_mesh"
    bl_label = "Load Base Mesh"
    bl_options = {"REGISTER", "UNDO"}

    filter_glob: StringProperty(default="*.obj;*.ply;*.glb;*.gltf", options={"HIDDEN"})  # type: ignore[valid-type]
    units: EnumProperty(  # type: ignore[valid-type]
        name="File Units",
        items=[("CM", "Centimetres", "Coordinates in cm (GarmentCode)"), ("M", "Metres", "Coordinates in m")],
        default="CM",
    )

    def execute(self, context):
        try:
            mesh = load_mesh(self.filepath, scale=1.0 if self.units == "CM" else 100.0)
        except GarmentError as err:
            return _fail(self, err)
        name = Path(self.filepath).stem
        obj = scene_io.base_mesh_to_object(mesh, name)
        pattern_path = context.scene.garment.pattern_path
        if mesh.panel_ids is not None and pattern_path:
            try:
                pattern = read_pattern_file(bpy.path.abspath(pattern_path))
                if mesh.panel_ids.max() < len(pattern.panels):
                    obj[scene_io.PATTERN_PROP] = json.dumps(pattern_to_dict(pattern))
            except GarmentError:
                pass  # the mesh is still useful without its pattern
        make_active(context, obj)
        self.report({"INFO"}, f"{name}: {len(mesh.vertices)} vertices, {len(mesh.faces)} triangles")
        return {"FINISHED"}


class GARMENT_OT_check_stitches(bpy.types.Operator):
    """Check the stitches of the active garment and colour good (green) and bad (red) seams"""

    bl_idname = "garment.check_stitches"
    bl_label = "Check Stitches"
    bl_options = {"REGISTER", "UNDO"}

    report_path: StringProperty(  # type: ignore[valid-type]
        name="Report File",
        description="Also write the full report as JSON to this file (optional)",
        subtype="FILE_PATH",
        options={"SKIP_SAVE"},
    )

    @classmethod
    def poll(cls, context):
        obj = context.active_object
        return obj is not None and obj.type == "MESH" and scene_io.PATTERN_PROP in obj

    def execute(self, context):
        obj = context.active_object
        g = context.scene.garment
        try:
            pattern = scene_io.object_pattern(obj)
            base = scene_io.object_to_base_mesh(obj)
            mesh = base.as_garment(list(pattern.panels))
            # a box mesh keeps its panels apart on purpose: its 3D gaps say nothing yet
            measure = obj.get(scene_io.STAGE_PROP) != "box"
            report = check_stitches(pattern, mesh if measure else None, g.length_tol, g.gap_tol)
            status = report.vertex_status if measure else seam_vertex_status(pattern, mesh, report)
        except GarmentError as err:
            return _fail(self, err)
        if self.report_path:
            path = Path(bpy.path.abspath(self.report_path))
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(report.to_dict(), indent=2), encoding="utf-8")
            except OSError as err:
                return _fail(self, err)
        scene_io.set_seam_colors(obj, status)
        space = context.space_data
        if space is not None and space.type == "VIEW_3D":
            space.shading.color_type = "VERTEX"
        store_report(context.scene, obj.name, report)
        level = {"INFO"} if not report.bad_stitches else {"WARNING"}
        self.report(
            level,
            f"{len(report.stitches)} stitches, accuracy {report.stitch_accuracy:.0%}, "
            f"{len(report.bad_stitches)} bad",
        )
        return {"FINISHED"}


class GARMENT_OT_assign_pattern(bpy.types.Operator):
    """Use the selected mesh as the base mesh of the last loaded pattern (needs its panel data)"""

    bl_idname = "garment.assign_pattern"
    bl_label = "Use Selected as Base Mesh"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        obj = context.active_object
        return obj is not None and obj.type == "MESH" and bool(context.scene.garment.pattern_path)

    def execute(self, context):
        obj = context.active_object
        try:
            pattern = read_pattern_file(bpy.path.abspath(context.scene.garment.pattern_path))
            scene_io.object_to_base_mesh(obj).as_garment(list(pattern.panels))
        except GarmentError as err:
            return _fail(self, err)
        obj[scene_io.PATTERN_PROP] = json.dumps(pattern_to_dict(pattern))
        if obj.get(scene_io.STAGE_PROP) in (None, "box"):
            obj[scene_io.STAGE_PROP] = "base"
        self.report({"INFO"}, f"{obj.name} now uses pattern {pattern.name}")
        return {"FINISHED"}


CLASSES = (
    GARMENT_OT_load_pattern,
    GARMENT_OT_load_base_mesh,
    GARMENT_OT_assign_pattern,
    GARMENT_OT_check_stitches,
)
