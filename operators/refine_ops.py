"""Refine Garment: the bundled refiner on the active mesh, written as a "Wrinkles" shape key.

At unchanged resolution the key goes on the object itself (Basis kept, value = strength);
when the base is coarser than the model's edge, a new object holds the upsampled base as
Basis plus the key. Everything is computed before the scene is touched, so a failure
reports an error and leaves the scene as it was; one undo step removes the result.
"""

from __future__ import annotations

import json
from pathlib import Path

import bpy
from bpy.props import StringProperty

from ..core.errors import GarmentError
from ..core.garment_mesh import GarmentMesh
from ..core.refiner.refine import DEFAULT_MODEL, RefineInput, RefineOptions, Refiner
from . import scene_io

_REFINERS: dict[tuple[str, float], Refiner] = {}


def model_path(context) -> Path:
    custom = context.scene.garment.model_path
    return Path(bpy.path.abspath(custom)) if custom else DEFAULT_MODEL


def cached_refiner(path: Path) -> Refiner:
    """Load a model once per Blender session (and again when its file changes)."""
    key = (str(path), path.stat().st_mtime if path.exists() else 0.0)
    if key not in _REFINERS:
        _REFINERS.clear()
        _REFINERS[key] = Refiner(path)
    return _REFINERS[key]


def refine_input(obj: bpy.types.Object) -> RefineInput:
    """The active object as the refiner's input: pattern charts when it has its pattern and
    panel data, else its active UV map."""
    base = scene_io.base_mesh_without_wrinkles(obj)
    vertices = base.vertices
    pattern = scene_io.object_pattern(obj)
    if base.panel_ids is not None and base.uv is not None:
        return RefineInput(vertices, base.faces, base.panel_ids, base.uv, pattern=pattern, source=base.source)
    corners = scene_io.object_uv_corners(obj)
    uv, uv_faces = corners or (None, None)
    return RefineInput(vertices, base.faces, uv=uv, uv_faces=uv_faces, pattern=pattern, source=base.source)


class GARMENT_OT_refine(bpy.types.Operator):
    """Add the wrinkles of a fine cloth simulation to the active garment as a shape key"""

    bl_idname = "garment.refine"
    bl_label = "Refine Garment"
    bl_options = {"REGISTER", "UNDO"}

    report_path: StringProperty(  # type: ignore[valid-type]
        name="Report",
        description="Also write the refiner's report (timings, vertex counts, charts) as JSON here",
        default="",
        subtype="FILE_PATH",
        options={"SKIP_SAVE"},
    )

    @classmethod
    def poll(cls, context):
        obj = context.active_object
        if obj is None or obj.type != "MESH":
            cls.poll_message_set("Select a garment mesh")
            return False
        if not model_path(context).is_file():
            cls.poll_message_set("No refiner model found")
            return False
        return True

    def execute(self, context):
        obj = context.active_object
        g = context.scene.garment
        options = RefineOptions(
            seed=g.refine_seed,
            steps=g.refine_steps or None,
            strength=1.0,  # the key holds the full offsets; its value is the strength
            material=None if g.refine_material == "AUTO" else g.refine_material,
        )
        try:
            refiner = cached_refiner(model_path(context))
            result = refiner.refine(refine_input(obj), options)
        except (GarmentError, ValueError) as err:
            self.report({"ERROR"}, str(err))
            return {"CANCELLED"}
        target = obj
        if result.upsampled:
            pattern = scene_io.object_pattern(obj)
            if result.panel_ids is not None:
                names = (
                    list(pattern.panels)
                    if pattern
                    else [f"panel_{i}" for i in range(result.panel_ids.max() + 1)]
                )
                mesh = GarmentMesh(
                    result.base_vertices, result.faces, result.panel_ids, result.pattern_uv, names
                )
                target = scene_io.garment_to_object(mesh, f"{obj.name} refined", pattern, stage="refined")
            else:
                target = scene_io.uv_mesh_to_object(
                    result.base_vertices, result.faces, result.uv, result.uv_faces, f"{obj.name} refined"
                )
            target.matrix_world = obj.matrix_world.copy()
            obj.hide_set(True)
        scene_io.write_wrinkles_key(target, result.offsets, g.refine_strength)
        if target is not obj:
            for o in context.view_layer.objects:
                o.select_set(False)
            target.select_set(True)
            context.view_layer.objects.active = target
        r = result.report
        if self.report_path:
            path = Path(bpy.path.abspath(self.report_path))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"object": target.name, **r}, indent=1))
        self.report(
            {"INFO"},
            f"{target.name}: Wrinkles on {r['vertices_out']:,} vertices ({r['charts']['count']} charts from "
            f"{r['charts']['source']}, {r['steps']} steps) in {sum(r['seconds'].values()):.1f} s",
        )
        return {"FINISHED"}


CLASSES = (GARMENT_OT_refine,)
