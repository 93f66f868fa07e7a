"""The Garment panels' draw() on their real properties: the bpy module offers no UI layout in
background mode, so draw() runs on a recording layout (a stand-in for Blender's UILayout only),
and every property it shows must exist on the real data and every button name a registered
operator — in each state a user meets (no job, a refine and a drape running, variants, readout)."""

from __future__ import annotations

from importlib import import_module

import pytest

bpy = pytest.importorskip("bpy")


class Recorder:
    """Records prop()/operator()/menu() calls; nested layouts record into the same lists."""

    def __init__(self, log=None):
        self.log = log if log is not None else {"props": [], "operators": [], "menus": [], "labels": []}

    def _child(self, *a, **k):
        return Recorder(self.log)

    column = row = box = split = _child

    def prop(self, data, name, **k):
        self.log["props"].append((data, name))

    def operator(self, idname, **k):
        self.log["operators"].append(idname)

        class Props:  # operator properties set by the panel (e.g. .map = "chart")
            def __setattr__(self, key, value):
                object.__setattr__(self, key, value)

        return Props()

    def menu(self, idname, **k):
        self.log["menus"].append(idname)

    def label(self, **k):
        self.log["labels"].append(k.get("text", ""))

    def separator(self, **k):
        pass

    def progress(self, **k):
        self.log["labels"].append(f"progress {k.get('factor', 0):.2f} {k.get('text', '')}")


def draw_all(ext, context) -> dict:
    panels = import_module(f"{ext.__name__}.panels.garment_panel")
    rec = Recorder()
    host = type("PanelHost", (), {"layout": rec})()  # what draw() reads of its panel: the layout
    for cls in panels.CLASSES:
        cls.draw(host, context)
    return rec.log


def check(log) -> None:
    for data, name in log["props"]:
        assert name in data.bl_rna.properties, f"{type(data).__name__} has no property {name!r}"
    for idname in log["operators"]:
        mod, _, op = idname.partition(".")
        assert hasattr(getattr(bpy.ops, mod), op) and getattr(getattr(bpy.ops, mod), op).idname(), idname
    for idname in log["menus"]:
        assert hasattr(bpy.types, idname), idname


def test_every_panel_shows_real_properties_and_operators(ext, scene, garment_obj):
    log = draw_all(ext, bpy.context)
    check(log)
    buttons = {"garment.load_pattern", "garment.drape", "garment.refine", "garment.new_variant",
               "garment.show_inspection", "garment.bake_maps", "garment.render_teaser"}  # fmt: skip
    assert buttons <= set(log["operators"])
    assert {"refine_seed", "refine_steps", "refine_strength", "refine_material", "refine_device",
            "refine_edge_length", "height", "inspect_reference"} <= {n for _, n in log["props"]}  # fmt: skip
    assert {"GARMENT_MT_quality_presets", "GARMENT_MT_material_presets"} <= set(log["menus"])


def test_the_panels_show_progress_and_cancel_while_jobs_run_and_the_variants(ext, scene, garment_obj):
    make, _ = garment_obj
    refine_job = import_module(f"{ext.__name__}.operators.refine_job")
    drape_ops = import_module(f"{ext.__name__}.operators.drape_ops")
    obj = make("fine")
    bpy.ops.garment.refine()
    bpy.ops.garment.new_variant()
    job = refine_job.RefineJob(bpy.context, obj, "thread")
    job.fraction, job.label = 0.4, "Denoising 2/5"
    refine_job.ACTIVE = job
    job.runner.state = type(job.runner.state).RUNNING  # as if started: the panel shows the bar
    bpy.ops.garment.load_pattern(filepath=str(__import__("paths").ROOT / "presets/patterns/skirt.json"))
    drape = drape_ops.DrapeJob(bpy.context, bpy.context.active_object).start()
    drape_ops.ACTIVE = drape
    try:
        bpy.context.view_layer.objects.active = obj
        log = draw_all(ext, bpy.context)
        check(log)
        assert "garment.refine_cancel" in log["operators"] and "garment.drape_cancel" in log["operators"]
        assert "garment.refine" not in log["operators"] and "garment.drape" not in log["operators"]
        assert any(t.startswith("progress 0.40") and "Denoising 2/5" in t for t in log["labels"])
        assert any(t.startswith("Wrinkles seed 1: 1.00") for t in log["labels"])  # the variants listed
    finally:
        drape.cancel()
        refine_job.ACTIVE = drape_ops.ACTIVE = None
