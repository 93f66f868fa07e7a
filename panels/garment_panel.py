"""Sidebar panels (N-panel, tab "Garment"): pattern, base mesh, stitches and refiner."""

from __future__ import annotations

import bpy

from ..operators import drape_ops, refine_job, scene_io

MAX_LINES = 8


class _GarmentTab:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Garment"


class GARMENT_PT_main(_GarmentTab, bpy.types.Panel):
    bl_idname = "GARMENT_PT_main"
    bl_label = "Garment Refiner"

    def draw(self, context):
        g = context.scene.garment
        col = self.layout.column(align=True)
        col.label(text="Sewing Pattern", icon="MOD_CLOTH")
        col.prop(g, "edge_length", text="Edge Length (cm)")
        op = col.operator("garment.load_pattern", icon="FILEBROWSER")
        op.edge_length = g.edge_length
        col.separator()
        col.label(text="Base Mesh", icon="MESH_DATA")
        col.operator("garment.load_base_mesh", icon="IMPORT")
        col.operator("garment.assign_pattern", icon="LINKED")
        if g.pattern_path:
            col.label(text=f"Pattern: {bpy.path.basename(g.pattern_path)}", icon="FILE")


class GARMENT_PT_stitches(_GarmentTab, bpy.types.Panel):
    bl_idname = "GARMENT_PT_stitches"
    bl_label = "Stitches"
    bl_parent_id = "GARMENT_PT_main"

    def draw(self, context):
        g = context.scene.garment
        layout = self.layout
        row = layout.row(align=True)
        row.prop(g, "length_tol", text="Length Tol (cm)")
        row.prop(g, "gap_tol", text="Gap Tol (cm)")
        layout.operator("garment.check_stitches", icon="CHECKMARK")
        if g.report_stitches < 0:
            layout.label(text="No stitch report yet")
            return
        box = layout.box()
        box.label(text=f"{g.report_object}: {g.report_stitches} stitches")
        icon = "CHECKMARK" if not g.report_lines else "ERROR"
        box.label(text=f"Stitch accuracy {g.report_accuracy:.1f}%", icon=icon)
        if g.report_max_gap >= 0:
            box.label(text=f"Largest seam gap {g.report_max_gap:.2f} cm")
        for line in list(g.report_lines)[:MAX_LINES]:
            box.label(text=line.text, icon="DOT")
        if len(g.report_lines) > MAX_LINES:
            box.label(text=f"... and {len(g.report_lines) - MAX_LINES} more")


class GARMENT_PT_drape(_GarmentTab, bpy.types.Panel):
    bl_idname = "GARMENT_PT_drape"
    bl_label = "Drape"
    bl_parent_id = "GARMENT_PT_main"

    def draw(self, context):
        g = context.scene.garment
        layout = self.layout
        col = layout.column(align=True)
        col.label(text="Mannequin (cm)", icon="ARMATURE_DATA")
        for name in drape_ops.BODY_FIELDS:
            col.prop(g.body, name)
        job = drape_ops.ACTIVE
        if job is not None and job.sim is not None and not job.sim.closed:
            box = layout.box()
            box.progress(factor=job.fraction, type="BAR", text=f"{job.object_name}: {job.label}")
            box.operator("garment.drape_cancel", icon="CANCEL", text="Cancel")
        else:
            layout.operator("garment.drape", icon="MOD_CLOTH")


class GARMENT_PT_refine(_GarmentTab, bpy.types.Panel):
    bl_idname = "GARMENT_PT_refine"
    bl_label = "Refine Garment"
    bl_parent_id = "GARMENT_PT_main"

    def draw(self, context):
        g = context.scene.garment
        layout = self.layout
        for kind in ("quality", "material"):
            row = layout.row(align=True)
            row.label(text=kind.title())
            row.menu(f"GARMENT_MT_{kind}_presets", text="Presets")
            row.operator(f"garment.{kind}_preset_add", text="", icon="ADD")
            row.operator(f"garment.{kind}_preset_add", text="", icon="REMOVE").remove_active = True
        col = layout.column(align=True)
        col.prop(g, "refine_material")
        row = col.row(align=True)
        row.prop(g, "refine_seed")
        row.prop(g, "refine_steps")
        col.prop(g, "refine_edge_length", text="Mesh Edge (cm)")
        col.prop(g, "refine_device")
        col.prop(g, "refine_strength", slider=True)
        job = refine_job.ACTIVE
        if job is not None and not job.state.finished:
            box = layout.box()
            box.progress(factor=job.fraction, type="BAR", text=f"{job.object_name}: {job.label}")
            box.operator("garment.refine_cancel", icon="CANCEL", text="Cancel")
        else:
            row = layout.row(align=True)
            row.operator("garment.refine", icon="MOD_CLOTH")
            row.operator("garment.new_variant", icon="ADD", text="New Variant")
        keys = scene_io.wrinkles_keys(context.active_object)
        if len(keys) > 1:
            current = scene_io.current_wrinkles_key(context.active_object)
            box = layout.box()
            for k in keys:
                box.label(
                    text=f"{k.name}: {k.value:.2f}", icon="RADIOBUT_ON" if k == current else "RADIOBUT_OFF"
                )
        layout.prop(g, "model_path")
        row = layout.row(align=True)
        row.operator("garment.bake_maps", icon="TEXTURE")
        row.operator("garment.render_teaser", icon="RENDER_STILL")


class GARMENT_PT_inspect(_GarmentTab, bpy.types.Panel):
    bl_idname = "GARMENT_PT_inspect"
    bl_label = "Inspection Maps"
    bl_parent_id = "GARMENT_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        g = context.scene.garment
        layout = self.layout
        row = layout.row(align=True)
        for kind, label in (
            ("chart", "Chart"),
            ("residual", "Wrinkles"),
            ("strain", "Strain"),
            ("error", "Error"),
        ):
            row.operator("garment.show_inspection", text=label, depress=g.inspect_map == kind).map = kind
        layout.prop(g, "inspect_reference")
        if g.inspect_readout:
            layout.label(text=g.inspect_readout, icon="INFO")


CLASSES = (GARMENT_PT_main, GARMENT_PT_stitches, GARMENT_PT_drape, GARMENT_PT_refine, GARMENT_PT_inspect)
