"""Refine Garment through its worker in the real bpy: the job driven to completion by its poll
step (timers do not fire here), a cancel after the first progress report and a failure that
leave the scene digest unchanged, new variants named by their seeds, and the live strength."""

from __future__ import annotations

import time
from importlib import import_module

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")
pytest.importorskip("onnxruntime")

from bpy_helpers import key_delta  # noqa: E402


@pytest.fixture
def modules(ext):
    return (
        import_module(f"{ext.__name__}.operators.refine_job"),
        import_module(f"{ext.__name__}.operators.scene_state"),
    )


def drive(job, timeout: float = 120.0):
    t0 = time.perf_counter()
    while not job.step().finished:
        assert time.perf_counter() - t0 < timeout
        time.sleep(0.01)


@pytest.mark.parametrize("runner", ["subprocess", "thread"])
def test_the_worker_path_gives_the_synchronous_wrinkles(garment_obj, modules, runner):
    make, _ = garment_obj
    refine_job, _ = modules
    obj = make("fine")
    assert bpy.ops.garment.refine() == {"FINISHED"}  # background mode: the synchronous path
    sync = key_delta(obj)
    job = refine_job.RefineJob(bpy.context, obj, runner).start()
    fractions = []
    t0 = time.perf_counter()
    while not job.step().finished:
        fractions.append(job.fraction)
        assert time.perf_counter() - t0 < 120
        time.sleep(0.01)
    assert job.state.value == "done" and job.fraction == 1.0 and fractions == sorted(fractions)
    target = job.finish(bpy.context)
    assert target == obj and [k.name for k in obj.data.shape_keys.key_blocks] == ["Basis", "Wrinkles"]
    assert np.allclose(key_delta(obj), sync, atol=1e-5)


def test_a_cancel_after_the_first_progress_report_leaves_the_scene_unchanged(garment_obj, modules):
    make, _ = garment_obj
    refine_job, scene_state = modules
    obj = make("fine")
    bpy.ops.garment.refine()  # a Wrinkles key already there: it must survive the cancelled re-run
    bpy.context.scene.garment.refine_seed = 9
    before = scene_state.scene_digest()
    job = refine_job.RefineJob(bpy.context, obj, "subprocess").start()
    t0 = time.perf_counter()
    while job.fraction == 0.0 and job.label == "Starting":
        job.step()
        assert time.perf_counter() - t0 < 60
        time.sleep(0.01)
    t_cancel = time.perf_counter()
    job.cancel()
    drive(job)
    assert time.perf_counter() - t_cancel < 1.0 and job.state.value == "cancelled"
    with pytest.raises(RuntimeError, match="cancelled"):
        job.finish(bpy.context)
    assert scene_state.scene_digest() == before


def test_a_failing_refine_reports_and_leaves_the_scene_unchanged(garment_obj, modules, scene, tmp_path):
    make, _ = garment_obj
    refine_job, scene_state = modules
    obj = make("fine")
    scene.garment.model_path = str(tmp_path / "missing.json")
    before = scene_state.scene_digest()
    job = refine_job.RefineJob(bpy.context, obj, "subprocess").start()
    drive(job)
    assert job.state.value == "failed" and "missing.json" in job.error
    assert scene_state.scene_digest() == before


def test_new_variants_are_keys_named_by_their_seeds_and_the_strength_drives_the_current(garment_obj, scene):
    make, scene_io = garment_obj
    obj = make("fine")
    scene.garment.refine_seed = 4
    assert bpy.ops.garment.refine() == {"FINISHED"}
    assert bpy.ops.garment.new_variant() == {"FINISHED"}
    assert bpy.ops.garment.new_variant() == {"FINISHED"}
    keys = obj.data.shape_keys.key_blocks
    assert [k.name for k in keys] == ["Basis", "Wrinkles", "Wrinkles seed 5", "Wrinkles seed 6"]
    assert [k.value for k in keys][1:] == [0.0, 0.0, 1.0] and scene.garment.refine_seed == 6
    assert scene_io.current_wrinkles_key(obj).name == "Wrinkles seed 6"
    first, second = (np.empty(len(obj.data.vertices) * 3, np.float32) for _ in range(2))
    keys["Wrinkles seed 5"].data.foreach_get("co", first)
    keys["Wrinkles seed 6"].data.foreach_get("co", second)
    assert not np.allclose(first, second)  # another seed, other wrinkles
    scene.garment.refine_strength = 0.35  # live: the current key follows, the others stay at 0
    assert keys["Wrinkles seed 6"].value == pytest.approx(0.35) and keys["Wrinkles"].value == 0.0
    # a re-run refines the base, not a variant: every wrinkle key is muted while it is read
    base = scene_io.base_mesh_without_wrinkles(obj)
    assert np.allclose(base.vertices, scene_io.object_to_base_mesh(obj, evaluated=False).vertices, atol=1e-4)


def test_a_failing_new_variant_leaves_the_scene_and_the_seed_as_they_were(
    garment_obj, modules, scene, tmp_path
):
    make, _ = garment_obj
    _, scene_state = modules
    make("fine")
    scene.garment.refine_seed = 4
    assert bpy.ops.garment.refine() == {"FINISHED"}
    bad = tmp_path / "refiner.json"
    bad.write_text('{"format": "garment-refiner-model/1"}')  # there, but not a model: the refine fails
    scene.garment.model_path = str(bad)
    before = scene_state.scene_digest()
    with pytest.raises(RuntimeError, match=r"refiner\.json"):  # the report, raised by bpy.ops
        bpy.ops.garment.new_variant()
    assert scene_state.scene_digest() == before and scene.garment.refine_seed == 4
