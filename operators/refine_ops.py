"""Refine Garment: the bundled refiner on the active mesh, written as a "Wrinkles" shape key.

With a UI the refine runs in a worker (``refine_job.RefineJob``; a subprocess by default) and a
modal operator drains its progress from a timer into the panel and the status bar; Esc or the
panel's Cancel ends it and leaves the scene as it was. In background mode (no timers, no modal
handlers) the same job runs synchronously. At unchanged resolution the key goes on the object
itself (Basis kept, value = strength); when the base is coarser than the model's edge, a new
object holds the upsampled base as Basis plus the key. The result is one undo step.
"""

from __future__ import annotations

import bpy
from bpy.props import EnumProperty, StringProperty

from ..core.errors import GarmentError
from ..core.jobs import JobState
from . import refine_job, scene_io
from .refine_job import RefineJob, model_path

_RUNNER_ITEMS = [
    ("DEFAULT", "Default", "The add-on preference's runner"),
    ("subprocess", "Worker Process", "Blender's own Python in a separate process"),
    ("thread", "Worker Thread", "A thread in Blender's process"),
    ("sync", "Synchronous", "In the operator call itself (Blender waits)"),
]


def _poll_mesh(cls, context) -> bool:
    obj = context.active_object
    if obj is None or obj.type != "MESH":
        cls.poll_message_set("Select a garment mesh")
        return False
    if not model_path(context).is_file():
        cls.poll_message_set("No refiner model found")
        return False
    if refine_job.ACTIVE is not None and not refine_job.ACTIVE.state.finished:
        cls.poll_message_set("A refine is running")
        return False
    return True


def _redraw(context) -> None:
    for window in context.window_manager.windows:
        for area in window.screen.areas:
            if area.type == "VIEW_3D":
                area.tag_redraw()


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
    runner: EnumProperty(  # type: ignore[valid-type]
        name="Runner", items=_RUNNER_ITEMS, default="DEFAULT", options={"SKIP_SAVE", "HIDDEN"}
    )
    seed: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Seed", description="-1: the panel's seed", default=-1, min=-1, options={"SKIP_SAVE", "HIDDEN"}
    )
    key_name: StringProperty(  # type: ignore[valid-type]
        name="Key", default=scene_io.WRINKLES_KEY, options={"SKIP_SAVE", "HIDDEN"}
    )

    _timer = None

    @classmethod
    def poll(cls, context):
        return _poll_mesh(cls, context)

    def _job(self, context, runner: str) -> RefineJob | None:
        try:
            return RefineJob(
                context,
                context.active_object,
                None if runner == "DEFAULT" else runner,
                seed=None if self.seed < 0 else self.seed,
            )
        except GarmentError as err:
            self.report({"ERROR"}, str(err))
            return None

    def _done(self, context, job: RefineJob) -> set[str]:
        if job.state is JobState.DONE:
            try:
                target = job.finish(context, self.report_path, self.key_name)
            except RuntimeError as err:
                self.report({"ERROR"}, str(err))
                return {"CANCELLED"}
            self.report({"INFO"}, refine_job.summary(target, job.runner.outcome.report))
            return {"FINISHED"}
        if job.state is JobState.CANCELLED:
            self.report({"WARNING"}, "Refine cancelled: the scene is unchanged")
        else:
            self.report({"ERROR"}, job.error or "the refine failed")
        return {"CANCELLED"}

    def execute(self, context):
        """The synchronous path (background mode, scripts, ``runner='sync'``)."""
        job = self._job(context, "sync")
        if job is None:
            return {"CANCELLED"}
        job.start().step()
        return self._done(context, job)

    def invoke(self, context, event):
        if bpy.app.background or self.runner == "sync" or context.window is None:
            return self.execute(context)
        job = self._job(context, self.runner)
        if job is None:
            return {"CANCELLED"}
        refine_job.ACTIVE = job.start()
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.1, window=context.window)
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
        _redraw(context)

    def modal(self, context, event):
        job = refine_job.ACTIVE
        if event.type == "ESC" or job.cancel_requested:
            job.cancel()
            self._end(context)
            return self._done(context, job)
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        state = job.step()
        context.window_manager.progress_update(int(100 * job.fraction))
        if context.workspace is not None:
            context.workspace.status_text_set(f"Refining {job.object_name}: {job.label}  (Esc to cancel)")
        _redraw(context)
        if not state.finished:
            return {"PASS_THROUGH"}
        self._end(context)
        return self._done(context, job)


class GARMENT_OT_refine_cancel(bpy.types.Operator):
    """Stop the running refine; the scene stays as it was"""

    bl_idname = "garment.refine_cancel"
    bl_label = "Cancel Refine"

    @classmethod
    def poll(cls, context):
        return refine_job.ACTIVE is not None and not refine_job.ACTIVE.state.finished

    def execute(self, context):
        refine_job.ACTIVE.cancel_requested = True
        return {"FINISHED"}


class GARMENT_OT_new_variant(bpy.types.Operator):
    """Refine again with a new seed into another shape key named by its seed; the other
    wrinkle keys are set to 0"""

    bl_idname = "garment.new_variant"
    bl_label = "New Variant"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return _poll_mesh(cls, context)

    def execute(self, context):
        obj = context.active_object
        settings = context.scene.garment
        old_seed = settings.refine_seed
        seed = scene_io.next_variant_seed(obj, old_seed)
        settings.refine_seed = seed
        how = "EXEC_DEFAULT" if bpy.app.background or context.window is None else "INVOKE_DEFAULT"
        try:  # a refine that reports an error raises here (bpy.ops turns its report into one)
            result = bpy.ops.garment.refine(how, seed=seed, key_name=scene_io.variant_key_name(seed))
        except RuntimeError as err:
            settings.refine_seed = old_seed
            self.report({"ERROR"}, str(err).removeprefix("Error: ").strip())
            return {"CANCELLED"}
        if "CANCELLED" in result:  # nothing made: the panel's seed goes back too
            settings.refine_seed = old_seed
        return result


CLASSES = (GARMENT_OT_refine, GARMENT_OT_refine_cancel, GARMENT_OT_new_variant)
