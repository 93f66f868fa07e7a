"""Drape: the active garment's pattern sewn onto the project's mannequin with Blender cloth at
the coarse resolution (core/drape_setup.py: the dataset's coarse drape), baked to a plain mesh
that keeps the ``panel`` attribute and the ``pattern`` UVs — the base Refine Garment expects.

Cloth must stay on the main thread: with a UI a modal operator steps the drape a few frames per
timer tick (progress in the panel and status bar, Esc or Cancel ends it); in background mode the
drape runs through. The simulation lives in a temporary scene that is removed on finish, cancel
or failure, so the user's scene only ever gains the finished result (one undo step).
"""

from __future__ import annotations

import time
from dataclasses import fields

import bpy

from ..core.body import BodyParams, make_body
from ..core.drape_setup import CoarseDrapeSettings, DrapePlan, plan_coarse_drape
from ..core.errors import GarmentError
from ..core.garment_mesh import GarmentMesh
from ..core.pattern import Pattern
from ..sim.blender_cloth import MATERIALS, ClothDrape
from . import scene_io

MANNEQUIN = "Garment Mannequin"
TICK_BUDGET_S = 0.05  # frames simulated per timer tick: as many as fit in this (at least one)

ACTIVE: DrapeJob | None = None

BODY_FIELDS = ("height", "bust", "waist", "hips", "shoulder_width", "arm_length", "inseam", "arm_angle_deg")
_BODY_CACHE: dict[tuple, object] = {}


def body_params(settings) -> BodyParams:
    """The panel's body measurements (raises ValueError for an implausible body)."""
    return BodyParams(**{f: float(getattr(settings, f)) for f in BODY_FIELDS})


def body_mesh(params: BodyParams, resolution_cm: float):
    key = (tuple(getattr(params, f.name) for f in fields(params)), resolution_cm)
    if key not in _BODY_CACHE:
        _BODY_CACHE.clear()
        _BODY_CACHE[key] = make_body(params, resolution_cm)
    return _BODY_CACHE[key]


def show_mannequin(body) -> bpy.types.Object:
    """The body as the scene's mannequin object (its mesh replaced when the measurements change)."""
    import numpy as np

    from ..core.frames import pattern_to_blender

    me = scene_io.new_mesh_data(
        MANNEQUIN, pattern_to_blender(np.asarray(body.vertices)), np.asarray(body.faces)
    )
    for poly in me.polygons:
        poly.use_smooth = True
    obj = bpy.data.objects.get(MANNEQUIN)
    if obj is None:
        obj = scene_io.link_object(MANNEQUIN, me)
    else:
        old = obj.data
        obj.data = me
        if old.users == 0:
            bpy.data.meshes.remove(old)
    obj.hide_select = True
    return obj


def drape_material(context, pattern: Pattern) -> str:
    m = context.scene.garment.refine_material
    if m == "AUTO":
        m = pattern.material if pattern.material in MATERIALS else "mid"
    return m


class DrapeJob:
    """One drape of one garment object: planned on construction, stepped, finished or cancelled."""

    def __init__(self, context, obj: bpy.types.Object, settings: CoarseDrapeSettings | None = None):
        pattern = scene_io.object_pattern(obj)
        if pattern is None:
            raise GarmentError("the active object has no sewing pattern: load one first", source=obj.name)
        self.object_name, self.pattern = obj.name, pattern
        self.settings = settings or CoarseDrapeSettings()
        try:
            self.body_params = body_params(context.scene.garment.body)
        except ValueError as err:
            raise GarmentError(str(err), source="body measurements") from err
        self.material = drape_material(context, pattern)
        self.plan: DrapePlan = plan_coarse_drape(pattern, self.body_params, self.settings)
        self.body = body_mesh(self.body_params, self.settings.body_resolution_cm)
        self.sim: ClothDrape | None = None
        self.cancel_requested = False
        self.fraction, self.label = 0.0, "Starting"

    def start(self) -> DrapeJob:
        b = self.plan.box
        self.sim = ClothDrape(
            b.vertices,
            b.faces,
            b.seam_pairs,
            self.body.vertices,
            self.body.faces,
            self.material,
            **self.plan.kwargs,
        )
        return self

    def step(self, budget_s: float = TICK_BUDGET_S) -> bool:
        """Simulate frames for about ``budget_s``; False once the drape is done."""
        t0 = time.perf_counter()
        going = True
        while going:
            going = self.sim.step()
            if time.perf_counter() - t0 > budget_s:
                break
        total = self.sim.frames
        self.fraction = min(1.0, self.sim.i / total) if going else 1.0
        self.label = f"frame {self.sim.i}/{total}" + (" (settling)" if self.sim.i > total else "")
        return going

    def cancel(self) -> None:
        if self.sim is not None:
            self.sim.close()

    def finish(self, context) -> bpy.types.Object:
        """The drape as a new base object beside the mannequin; the box mesh hidden."""
        result = self.sim.result()
        self.sim.close()
        mesh: GarmentMesh = self.plan.box.with_vertices(result.vertices)
        source = bpy.data.objects.get(self.object_name)
        collection = source.users_collection[0] if source is not None and source.users_collection else None
        target = scene_io.garment_to_object(
            mesh, f"{self.object_name} draped", self.pattern, "base", collection
        )
        target["garment_drape"] = {
            "frames": result.frames_run,
            "seconds": round(result.seconds, 2),
            "material": self.material,
            "edge_cm": self.settings.edge_cm,
            "final_speed_cm": float(result.history[-3:].mean()) if len(result.history) else 0.0,
            "max_seam_gap_cm": float(result.seam_gap[-1])
            if result.seam_gap is not None and len(result.seam_gap)
            else 0.0,
        }
        show_mannequin(self.body)
        if source is not None:
            source.hide_set(True)
        for o in context.view_layer.objects:
            o.select_set(False)
        target.select_set(True)
        context.view_layer.objects.active = target
        self.target_name = target.name
        return target


class GARMENT_OT_drape(bpy.types.Operator):
    """Drape the active garment's pattern on the mannequin with Blender cloth (a coarse base for
    Refine Garment)"""

    bl_idname = "garment.drape"
    bl_label = "Drape"
    bl_options = {"REGISTER", "UNDO"}

    frames: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Frames",
        description="0: the dataset's coarse drape",
        default=0,
        min=0,
        options={"SKIP_SAVE", "HIDDEN"},
    )

    _timer = None

    @classmethod
    def poll(cls, context):
        obj = context.active_object
        if obj is None or obj.type != "MESH" or scene_io.PATTERN_PROP not in obj:
            cls.poll_message_set("Select a garment made from a sewing pattern (Load Pattern)")
            return False
        if ACTIVE is not None and ACTIVE.sim is not None and not ACTIVE.sim.closed:
            cls.poll_message_set("A drape is running")
            return False
        return True

    def _job(self, context) -> DrapeJob | None:
        try:
            settings = CoarseDrapeSettings(frames=self.frames) if self.frames else None
            return DrapeJob(context, context.active_object, settings).start()
        except (GarmentError, ValueError) as err:
            self.report({"ERROR"}, str(err))
            return None

    def _finish(self, context, job: DrapeJob) -> set[str]:
        target = job.finish(context)
        d = target["garment_drape"]
        self.report(
            {"INFO"},
            f"{target.name}: {len(target.data.vertices):,} vertices draped in {d['frames']} frames "
            f"({d['seconds']:.1f} s, {d['material']})",
        )
        return {"FINISHED"}

    def execute(self, context):
        job = self._job(context)
        if job is None:
            return {"CANCELLED"}
        try:
            while job.step(budget_s=float("inf")):
                pass
        except BaseException:
            job.cancel()
            raise
        return self._finish(context, job)

    def invoke(self, context, event):
        global ACTIVE
        if bpy.app.background or context.window is None:
            return self.execute(context)
        job = self._job(context)
        if job is None:
            return {"CANCELLED"}
        ACTIVE = job
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.01, window=context.window)
        wm.progress_begin(0, 100)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def _end(self, context) -> None:
        wm = context.window_manager
        if self._timer is not None:
            wm.event_timer_remove(self._timer)
            self._timer = None
        wm.progress_end()
        if context.workspace is not None:
            context.workspace.status_text_set(None)

    def modal(self, context, event):
        job = ACTIVE
        if event.type == "ESC" or job.cancel_requested:
            job.cancel()
            self._end(context)
            self.report({"WARNING"}, "Drape cancelled: the scene is unchanged")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        try:
            going = job.step()
        except Exception as err:  # the temporary drape scene must go, whatever failed
            job.cancel()
            self._end(context)
            self.report({"ERROR"}, f"the drape failed: {err}")
            return {"CANCELLED"}
        context.window_manager.progress_update(int(100 * job.fraction))
        if context.workspace is not None:
            context.workspace.status_text_set(f"Draping {job.object_name}: {job.label}  (Esc to cancel)")
        for area in context.screen.areas if context.screen else []:
            if area.type == "VIEW_3D":
                area.tag_redraw()
        if going:
            return {"RUNNING_MODAL"}
        self._end(context)
        return self._finish(context, job)


class GARMENT_OT_drape_cancel(bpy.types.Operator):
    """Stop the running drape; the scene stays as it was"""

    bl_idname = "garment.drape_cancel"
    bl_label = "Cancel Drape"

    @classmethod
    def poll(cls, context):
        return ACTIVE is not None and ACTIVE.sim is not None and not ACTIVE.sim.closed

    def execute(self, context):
        ACTIVE.cancel_requested = True
        return {"FINISHED"}


CLASSES = (GARMENT_OT_drape, GARMENT_OT_drape_cancel)
