"""Render Teaser: the active garment (and the mannequin) in a studio scene of its own."""

from __future__ import annotations

from pathlib import Path

import bpy
from bpy.props import BoolProperty, IntProperty, StringProperty

from . import drape_ops, teaser


class GARMENT_OT_render_teaser(bpy.types.Operator):
    """Render the active garment and the mannequin in a studio: a still, a before/after pair and
    optionally a turntable (Cycles on the GPU when there is one)"""

    bl_idname = "garment.render_teaser"
    bl_label = "Render Teaser"
    bl_options = {"REGISTER"}

    directory: StringProperty(name="Folder", subtype="DIR_PATH", default="//teaser/")  # type: ignore[valid-type]
    resolution: IntProperty(name="Resolution", default=768, min=64, max=4096)  # type: ignore[valid-type]
    samples: IntProperty(name="Samples", default=64, min=1, max=4096)  # type: ignore[valid-type]
    before_after: BoolProperty(name="Before / After", default=True)  # type: ignore[valid-type]
    turntable: IntProperty(name="Turntable Frames", default=0, min=0, max=720)  # type: ignore[valid-type]
    mp4: BoolProperty(name="MP4", description="Also encode the turntable as MP4", default=False)  # type: ignore[valid-type]
    with_body: BoolProperty(name="Mannequin", default=True)  # type: ignore[valid-type]

    @classmethod
    def poll(cls, context):
        obj = context.active_object
        if obj is None or obj.type != "MESH":
            cls.poll_message_set("Select a garment mesh")
            return False
        return True

    def execute(self, context):
        out = Path(bpy.path.abspath(self.directory or "//teaser/"))
        body = bpy.data.objects.get(drape_ops.MANNEQUIN) if self.with_body else None
        wm = context.window_manager
        wm.progress_begin(0, 1)
        try:
            report = teaser.render_teaser(
                context.active_object,
                out,
                body,
                self.resolution,
                self.samples,
                self.before_after,
                self.turntable,
                self.mp4,
            )
        except (OSError, RuntimeError) as err:
            self.report({"ERROR"}, f"teaser render failed: {err}")
            return {"CANCELLED"}
        finally:
            wm.progress_end()
        names = ", ".join(Path(p).name for p in report["files"].values())
        self.report({"INFO"}, f"Teaser ({report['device']}) in {out}: {names}")
        return {"FINISHED"}


CLASSES = (GARMENT_OT_render_teaser,)
