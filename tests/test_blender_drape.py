"""Drape in the real bpy: the example skirt sewn on the mannequin with Blender cloth at the
coarse resolution (the dataset's coarse drape), a base that keeps the panel attribute and the
pattern UVs and refines; the stepped path cancelled midway leaves the scene unchanged."""

from __future__ import annotations

from importlib import import_module

import pytest
from paths import ROOT

bpy = pytest.importorskip("bpy")

SKIRT = ROOT / "presets" / "patterns" / "skirt.json"


@pytest.fixture
def modules(ext):
    return (
        import_module(f"{ext.__name__}.operators.drape_ops"),
        import_module(f"{ext.__name__}.operators.scene_state"),
        import_module(f"{ext.__name__}.operators.scene_io"),
    )


def test_the_drape_button_runs_the_datasets_coarse_drape():
    from core.drape_setup import CoarseDrapeSettings
    from sim.generate import GenerationConfig, coarse_settings

    assert CoarseDrapeSettings() == coarse_settings(GenerationConfig())


def test_drape_makes_a_base_on_the_mannequin_that_refines(scene, modules, tiny_model):
    drape_ops, _, scene_io = modules
    from core.body import signed_distance_inside

    bpy.ops.garment.load_pattern(filepath=str(SKIRT), edge_length=2.0)
    box = bpy.context.active_object
    assert bpy.ops.garment.drape() == {"FINISHED"}  # background mode: runs through
    obj = bpy.context.active_object
    assert obj.name == "skirt draped" and box.hide_get() and drape_ops.MANNEQUIN in bpy.data.objects
    assert len(bpy.data.scenes) == 1  # the drape's own scene is gone
    me = obj.data
    assert "panel" in me.attributes and "pattern" in me.uv_layers and scene_io.object_pattern(obj) is not None
    base = scene_io.object_to_base_mesh(obj)
    params = drape_ops.body_params(scene.garment.body)
    body = drape_ops.body_mesh(params, 2.0)
    inside = signed_distance_inside(body, base.vertices)
    assert inside.mean() < 0.005  # the coarse check's limit
    assert base.vertices[:, 1].max() - base.vertices[:, 1].min() > 30  # it hangs: a skirt's length
    d = obj["garment_drape"]
    assert d["frames"] >= 120 and d["final_speed_cm"] < 0.2 and d["material"] == "mid"
    # the drape is the base Refine Garment expects: pattern charts, a coarse base upsampled
    scene.garment.model_path = str(tiny_model)
    assert bpy.ops.garment.refine() == {"FINISHED"}
    refined = bpy.context.active_object
    assert refined.name == "skirt draped refined" and "Wrinkles" in refined.data.shape_keys.key_blocks


def test_a_stepped_drape_cancelled_midway_leaves_the_scene_unchanged(scene, modules):
    drape_ops, scene_state, _ = modules
    bpy.ops.garment.load_pattern(filepath=str(SKIRT), edge_length=2.0)
    before = scene_state.scene_digest()
    job = drape_ops.DrapeJob(bpy.context, bpy.context.active_object).start()
    for _ in range(3):  # what the modal operator's timer does
        assert job.step(budget_s=0.0)
    assert job.sim.i == 3 and 0 < job.fraction < 0.05 and job.label == "frame 3/120"
    assert len(bpy.data.scenes) == 2  # the simulation runs in a scene of its own
    job.cancel()
    assert scene_state.scene_digest() == before


def test_implausible_measurements_are_refused_before_anything_runs(scene, modules):
    _, scene_state, _ = modules
    bpy.ops.garment.load_pattern(filepath=str(SKIRT), edge_length=2.0)
    scene.garment.body.inseam = 50.0  # with 170 cm height: below 0.3 x height
    scene.garment.body.height = 200.0
    before = scene_state.scene_digest()
    with pytest.raises(RuntimeError, match="inseam"):
        bpy.ops.garment.drape()
    assert scene_state.scene_digest() == before
