"""Refine Garment as a job: the request copied out of Blender on the main thread, a runner
(core/jobs) doing the work, ``step`` draining its events into the progress readout, and
``finish`` writing the outcome into the scene in one go. Until ``finish`` nothing in Blender
changes, so a cancelled or failed job leaves the scene exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path

import bpy

from ..core.garment_mesh import GarmentMesh
from ..core.jobs import RUNNERS, JobState, RefineOutcome, RefineRequest
from ..core.jobs.events import overall_fraction
from ..core.refiner.refine import RefineInput, RefineOptions
from . import preferences, scene_io

DEFAULT_RUNNER = "subprocess"  # bench/worker_gap.py; the preference can choose the thread

ACTIVE: RefineJob | None = None
"""The job the panel shows (progress, Cancel), one at a time."""


def model_path(context) -> Path:
    """The scene's model, else the preference's, else the bundled one."""
    custom = context.scene.garment.model_path
    return Path(bpy.path.abspath(custom)) if custom else preferences.preferred_model(context)


def device(context) -> str:
    d = context.scene.garment.refine_device
    return preferences.preferred_device(context) if d == "PREFS" else d


def refine_input(obj: bpy.types.Object) -> RefineInput:
    """The object as the refiner's input: pattern charts when it has its pattern and panel data,
    else its active UV map (else none: the refiner fits Nuvo charts or refuses)."""
    base = scene_io.base_mesh_without_wrinkles(obj)
    pattern = scene_io.object_pattern(obj)
    if base.panel_ids is not None and base.uv is not None:
        return RefineInput(
            base.vertices, base.faces, base.panel_ids, base.uv, pattern=pattern, source=base.source
        )
    corners = scene_io.object_uv_corners(obj)
    uv, uv_faces = corners or (None, None)
    return RefineInput(
        base.vertices, base.faces, uv=uv, uv_faces=uv_faces, pattern=pattern, source=base.source
    )


def build_request(context, obj: bpy.types.Object, seed: int | None = None) -> RefineRequest:
    """Everything the worker needs, copied out of Blender data (main thread)."""
    g = context.scene.garment
    options = RefineOptions(
        seed=g.refine_seed if seed is None else seed,
        steps=g.refine_steps or None,
        material=None if g.refine_material == "AUTO" else g.refine_material,
        edge_length=g.refine_edge_length or None,
        device=device(context),
    )
    return RefineRequest.from_input(model_path(context), refine_input(obj), options)


REFINED_FROM = "garment_refined_from"


def _remove_earlier_refined(base: bpy.types.Object) -> None:
    """A base refined again replaces the object its last refine made (not a pile of copies)."""
    for o in list(bpy.data.objects):
        if o.get(REFINED_FROM) == base.name and o is not base:
            mesh = o.data
            bpy.data.objects.remove(o)
            if mesh is not None and mesh.users == 0:
                bpy.data.meshes.remove(mesh)


def apply_outcome(
    context, obj: bpy.types.Object, outcome: RefineOutcome, key_name: str = "Wrinkles"
) -> bpy.types.Object:
    """Write the outcome: a shape key on ``obj`` or, for an upsampled base, a new object holding
    it (``obj`` hidden). Returns the object that holds the key, made active."""
    g = context.scene.garment
    target = obj
    if outcome.upsampled:
        _remove_earlier_refined(obj)
        pattern = scene_io.object_pattern(obj)
        if outcome.panel_ids is not None:
            names = (
                list(pattern.panels)
                if pattern
                else [f"panel_{i}" for i in range(outcome.panel_ids.max() + 1)]
            )
            mesh = GarmentMesh(
                outcome.base_vertices, outcome.faces, outcome.panel_ids, outcome.pattern_uv, names
            )
            target = scene_io.garment_to_object(mesh, f"{obj.name} refined", pattern, stage="refined")
        else:
            target = scene_io.uv_mesh_to_object(
                outcome.base_vertices, outcome.faces, outcome.uv, outcome.uv_faces, f"{obj.name} refined"
            )
        target.matrix_world = obj.matrix_world.copy()
        target[REFINED_FROM] = obj.name
        obj.hide_set(True)
    scene_io.write_wrinkles_key(target, outcome.offsets, g.refine_strength, name=key_name)
    if target is not obj:
        for o in context.view_layer.objects:
            o.select_set(False)
        target.select_set(True)
        context.view_layer.objects.active = target
    return target


def summary(target: bpy.types.Object, report: dict) -> str:
    charts, seconds = report["charts"], sum(report["seconds"].values())
    return (
        f"{target.name}: Wrinkles on {report['vertices_out']:,} vertices ({charts['count']} charts "
        f"from {charts['source']}, {report['steps']} steps) in {seconds:.1f} s"
    )


class RefineJob:
    """One refine of one object by one runner."""

    def __init__(self, context, obj: bpy.types.Object, runner: str | None = None, seed: int | None = None):
        self.object_name = obj.name
        self.request = build_request(context, obj, seed)  # raises GarmentError before anything starts
        self.runner = RUNNERS[runner or preferences.preferred_runner(context)]()
        self.fraction = 0.0
        self.label = "Starting"
        self.target_name: str | None = None
        self.cancel_requested = False  # set by the panel's Cancel; the modal operator acts on it

    @property
    def state(self) -> JobState:
        return self.runner.state

    @property
    def error(self) -> str | None:
        return self.runner.error

    def start(self) -> RefineJob:
        self.runner.start(self.request)
        return self

    def step(self) -> JobState:
        """Drain the runner's events into ``fraction`` and ``label`` (the timer's call)."""
        for ev in self.runner.poll():
            if ev.kind == "progress":
                self.fraction = max(self.fraction, overall_fraction(ev.stage, ev.done, ev.total))
                self.label = ev.label
        return self.runner.state

    def cancel(self) -> None:
        self.runner.cancel()
        self.step()

    def finish(self, context, report_path: str = "", key_name: str = "Wrinkles") -> bpy.types.Object:
        """Write the finished job's outcome into the scene (only after ``state`` is DONE)."""
        if self.state is not JobState.DONE:
            raise RuntimeError(f"the refine job is {self.state.value}, not done")
        obj = bpy.data.objects.get(self.object_name)
        if obj is None:
            raise RuntimeError(f"object {self.object_name!r} was removed while it was refined")
        target = apply_outcome(context, obj, self.runner.outcome, key_name)
        self.target_name = target.name
        if report_path:
            path = Path(bpy.path.abspath(report_path))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"object": target.name, **self.runner.outcome.report}, indent=1))
        return target
