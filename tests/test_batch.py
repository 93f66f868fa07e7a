"""Batch procedural assets (scripts/batch.py, core/batch): the plan and its shards, the manifest,
a broken pattern among good ones (recorded, the batch goes on, exit code 1), resume after a kill,
and Ray with a local 2-worker cluster — all through the real bpy module."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from paths import ROOT

from core.batch import Manifest, parse_ranges, parse_shard, plan_batch

BATCH = ROOT / "scripts" / "batch.py"
SKIRT = ROOT / "presets" / "patterns" / "skirt.json"


def run_batch(args: list[str], tmp_path: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp_path / "user"))
    return subprocess.run(
        [sys.executable, str(BATCH), "--", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def test_the_plan_names_variants_by_design_and_seed_and_shards_by_design():
    plan = plan_batch(3, family="skirt", count=4, ranges={"length": (0.4, 0.6)}, first_seed=10)
    assert [d.id for d in plan.designs] == ["skirt_0010", "skirt_0011", "skirt_0012", "skirt_0013"]
    assert [v.id for v in plan.variants[:3]] == ["skirt_0010_seed0", "skirt_0010_seed1", "skirt_0010_seed2"]
    a, b = plan.shard(0, 2), plan.shard(1, 2)
    assert [d.id for d in a.designs] == ["skirt_0010", "skirt_0012"] and len(a.variants) == len(
        b.variants
    ) == 6
    assert {v.id for v in a.variants}.isdisjoint(
        v.id for v in b.variants
    )  # a design's variants stay together
    twice = plan_batch(1, patterns=["x/a.json", "y/a.json"])
    assert [d.id for d in twice.designs] == ["a", "a_2"]
    assert parse_ranges(["length=0.6:0.4", "flare=2"]) == {"length": (0.4, 0.6), "flare": (2.0, 2.0)}
    for bad in (["length"], ["length=a:b"]):
        with pytest.raises(ValueError):
            parse_ranges(bad)
    assert parse_shard("1/3") == (1, 3)
    for bad in ("3/3", "x", "1/0"):
        with pytest.raises(ValueError):
            parse_shard(bad)


def test_the_manifest_counts_pending_ok_and_failed_and_needs_the_outputs(tmp_path):
    m = Manifest(tmp_path, {"batch": {"seeds": 1}})
    out = tmp_path / "variants" / "a" / "refined.obj"
    out.parent.mkdir(parents=True)
    out.write_text("o a\n")
    m.write_entry({"id": "a", "status": "ok", "outputs": {"obj": str(out)}})
    m.write_entry({"id": "b", "status": "failed: no such file"})
    doc = m.write(["a", "b", "c"])
    assert doc["counts"] == {"ok": 1, "failed": 1, "pending": 1} and doc["batch"] == {"seeds": 1}
    assert json.loads((tmp_path / "manifest.json").read_text())["counts"] == doc["counts"]
    assert m.is_done("a") and not m.is_done("b") and not m.is_done("c")
    out.unlink()
    assert not m.is_done("a")  # an output gone: the variant is made again
    assert not list(tmp_path.rglob(".*.tmp*"))  # no temp files left by the atomic writes


@pytest.fixture
def broken_pattern(tmp_path) -> Path:
    spec = json.loads(SKIRT.read_text())
    panel = next(iter(spec["pattern"]["panels"].values()))
    panel["vertices"] = panel["vertices"][:2]  # a panel of two vertices: no outline
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(spec))
    return path


def test_a_broken_pattern_is_recorded_the_batch_goes_on_and_a_rerun_skips_finished(
    tmp_path, broken_pattern, tiny_model
):
    out = tmp_path / "batch"
    args = ["--out", str(out), "--patterns", str(SKIRT), str(broken_pattern), "--seeds", "2",
            "--frames", "5", "--model", str(tiny_model)]  # fmt: skip
    done = run_batch(args, tmp_path)
    assert done.returncode == 1, done.stderr[-2000:]
    doc = json.loads((out / "manifest.json").read_text())
    status = {v["id"]: v["status"] for v in doc["variants"]}
    assert status["skirt_seed0"] == status["skirt_seed1"] == "ok"
    assert (
        status["broken_seed0"].startswith("failed: design broken") and "broken.json" in status["broken_seed0"]
    )
    assert doc["counts"] == {"ok": 2, "failed": 2}
    ok = next(v for v in doc["variants"] if v["id"] == "skirt_seed1")
    assert ok["seed"] == 1 and ok["inputs"]["pattern"] and ok["timings"]["refine_s"] > 0
    for path in ok["outputs"].values():
        assert Path(path).is_file()
    first = (out / "variants" / "skirt_seed0" / "entry.json").stat().st_mtime_ns
    again = run_batch(args, tmp_path)
    assert again.returncode == 1 and "2 done, 2 to do" in again.stdout
    assert (out / "variants" / "skirt_seed0" / "entry.json").stat().st_mtime_ns == first  # skipped


def _whole_record(out: Path) -> dict:
    """Whatever the moment of a kill: the manifest (when there is one) and every entry parse."""
    for entry in out.glob("variants/*/entry.json"):
        json.loads(entry.read_text())
    path = out / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {"counts": {}}


def test_a_batch_killed_at_random_moments_resumes_and_accounts_for_every_variant(tmp_path, tiny_model):
    out = tmp_path / "batch"
    args = ["--out", str(out), "--family", "skirt", "--count", "2", "--seeds", "2", "--frames", "5",
            "--model", str(tiny_model)]  # fmt: skip
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp_path / "user"))
    rng = random.Random(7)
    for _ in range(3):  # three kills at random moments, each without a chance to clean up
        proc = subprocess.Popen(
            [sys.executable, str(BATCH), "--", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        time.sleep(rng.uniform(1.0, 12.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        doc = _whole_record(out)
        assert doc["counts"].get("ok", 0) <= 4
    done = run_batch(args, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    doc = _whole_record(out)
    assert doc["counts"] == {"ok": 4} and len(doc["variants"]) == 4
    assert not list(out.rglob(".*.tmp*")) and not list(out.rglob(".*.partial-*"))  # temps of killed runs


def test_ray_runs_the_variants_on_a_local_two_worker_cluster(tmp_path, tiny_model):
    pytest.importorskip("ray")
    out = tmp_path / "batch"
    args = ["--out", str(out), "--patterns", str(SKIRT), "--seeds", "2", "--frames", "5",
            "--model", str(tiny_model), "--ray", "auto", "--workers", "2"]  # fmt: skip
    done = run_batch(args, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads((out / "manifest.json").read_text())
    assert doc["counts"] == {"ok": 2}
    # the same code path: the same outputs as a local run
    assert all(Path(v["outputs"]["blend"]).is_file() for v in doc["variants"])


def test_bad_arguments_end_with_a_clear_error(tmp_path):
    for args, message in (
        (["--out", str(tmp_path), "--family", "cape", "--count", "1"], "unknown family"),
        (["--out", str(tmp_path), "--family", "skirt", "--param", "sleeves=1:2"], "no parameter 'sleeves'"),
        (["--out", str(tmp_path), "--patterns", str(SKIRT), "--shard", "2/2"], "--shard"),
        (["--out", str(tmp_path), "--patterns", str(SKIRT), "--seeds", "0"], "--seeds"),
    ):
        done = run_batch(args, tmp_path, timeout=120)
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)
