"""The drape data engine end to end on the real simulator (Blender's cloth through bpy)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from paths import ROOT, run_script

from core.boxmesh import build_box_mesh
from core.dataset import SampleSpec, load_arrays, write_sample
from core.detail import surface_detail
from core.pattern import pattern_from_dict

pytest.importorskip("bpy")

# a short skirt at coarse resolution: about 1k coarse / 4k fine vertices, settles in 120 frames
SPEC = SampleSpec(0, "skirt", "mid", 1)


def _loose():
    from core.drape_quality import QualityThresholds

    # a 3 cm "fine" mesh closes seams to ~1 cm, not to the 0.5 cm asked of a 1.5 cm one
    return {"fine": QualityThresholds(max_seam_gap_cm=1.0, max_inside_fraction=0.005)}


LOOSE_FINE = _loose()


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from sim.generate import GenerationConfig, generate_sample

    cfg = GenerationConfig(fine_edge_cm=3.0, coarse_factor=2.0, frames=120, fine_self_collision=False)
    meta, pattern, arrays = generate_sample(SPEC, cfg, thresholds=LOOSE_FINE)
    root = tmp_path_factory.mktemp("ds")
    write_sample(root, SPEC, meta, pattern, arrays)
    return root, meta, pattern, arrays


def test_tiny_sample_drapes_and_passes_the_checks(sample):
    from sim.generate import GenerationConfig

    root, meta, pattern, _ = sample
    assert meta["status"] == "ok", meta["status"]
    assert set(meta) >= {"design", "body", "material", "coarse_sim", "coarse", "fine", "details"}
    assert meta["coarse_sim"]["source"] == "sim" and meta["coarse"]["source"] == "lowpass"
    assert meta["fine"]["start"] == "coarse" and meta["fine"]["frames"] == GenerationConfig().fine_frames
    assert meta["coarse_sim"]["vertices"] == meta["coarse"]["vertices"] < meta["fine"]["vertices"]
    m = meta["fine"]["measures"]
    assert set(m["detail"]) == {"0.5", "1", "2", "4"} and 0 < m["detail"]["0.5"] < m["detail"]["4"]
    assert 0.0 <= m["sharp_creases"] < 0.1 and m["median_edge_cm"] == pytest.approx(2.4, rel=0.2)
    fine_q = meta["fine"]["quality"]
    assert fine_q["seam_gap_max_cm"] < 1.0 and fine_q["inside_body"] == 0 and fine_q["finite"]
    # the stored arrays are what a reload gives, vertex order preserved against the box mesh
    loaded = load_arrays(root, SPEC)
    p = pattern_from_dict(pattern)
    box = build_box_mesh(p, meta["fine"]["edge_cm"])
    np.testing.assert_array_equal(loaded["fine_faces"], box.faces)
    np.testing.assert_allclose(loaded["fine_uv"], box.uv, atol=1e-4)
    np.testing.assert_allclose(loaded["fine_box_vertices"], box.vertices, atol=1e-3)


def test_drape_moves_cloth_and_closes_seams(sample):
    _, _, _, a = sample
    fine, box, pairs = a["fine_vertices"], a["fine_box_vertices"], a["fine_seam_pairs"]
    gap_box = np.linalg.norm(box[pairs[:, 0]] - box[pairs[:, 1]], axis=1).mean()
    gap_fine = np.linalg.norm(fine[pairs[:, 0]] - fine[pairs[:, 1]], axis=1).mean()
    assert gap_fine < 0.05 * gap_box
    assert np.linalg.norm(fine - box, axis=1).mean() > 2.0  # it really draped


def test_fine_drape_has_more_detail_than_the_coarse_one(sample):
    _, meta, _, a = sample
    d = meta["details"]
    # the low-pass coarse mesh is the fine drape smoothed: less detail at 1 and 2 cm (the
    # detail measure, not per-edge normal variation, which grows with the edge length)
    fine = surface_detail(a["fine_vertices"], a["fine_faces"])["detail"]
    lowpass = surface_detail(a["coarse_vertices"], a["coarse_faces"])["detail"]
    assert lowpass["1"] < fine["1"] and lowpass["2"] < fine["2"]
    assert d["box"]["normal_variation"]["mean"] < 1e-6
    # the coarse drape evaluated at the fine vertices stays close: a residual, not another shape
    res = np.linalg.norm(a["fine_vertices"] - a["coarse_at_fine"], axis=1)
    assert res.mean() == pytest.approx(d["residual_coarse"]["magnitude"]["mean"], rel=1e-3)
    assert res.mean() < 10.0
    # the independent coarse drape: same garment, its own large-scale shape, less detail
    sim = np.linalg.norm(a["fine_vertices"] - a["coarse_sim_at_fine"], axis=1)
    assert sim.mean() == pytest.approx(d["residual_coarse_sim"]["magnitude"]["mean"], rel=1e-3)
    assert 0 < sim.mean() < 10.0 and len(a["coarse_sim_vertices"]) == len(a["coarse_vertices"])
    # (no order between the independent coarse drape's detail and the fine one's: a 4 cm drape
    # kinks at its own edges, and in 40 of 128 drapes_v2 samples measured it has more detail at
    # 1 or 2 cm than the fine drape; both are measured and stored)
    assert set(meta["coarse_sim"]["measures"]["detail"]) == set(meta["fine"]["measures"]["detail"])


def test_make_dataset_cli_records_every_sample_and_resumes(tmp_path):
    out = tmp_path / "ds"
    args = [
        str(ROOT / "scripts" / "make_dataset.py"),
        "--out",
        str(out),
        "--count",
        "1",
        "--seed",
        "0",
        "--families",
        "skirt",
        "--materials",
        "soft",
        "--frames",
        "20",
        "--fine-edge",
        "6",
    ]
    first = run_script(*args)
    assert first.returncode == 0, first.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    row = manifest["samples"][0]
    assert row["status"] != "pending" and row["split"] in ("train", "val", "test")
    assert manifest["summary"]["ok"] + manifest["summary"]["rejected"] == 1
    assert "make_dataset.py" in manifest["command"] and "--count 1" in manifest["command"]
    meta_file = out / "samples" / row["id"] / "meta.json"
    stamp = meta_file.stat().st_mtime_ns
    again = run_script(*args)
    assert again.returncode == 0 and "1 already done, 0 to make" in again.stdout
    assert meta_file.stat().st_mtime_ns == stamp  # not redone
    assert not list((out / "samples").glob(".tmp-*"))


def test_packed_dataset_unpacks_to_the_same_arrays(sample, tmp_path):
    import tarfile

    from core.dataset import write_manifest

    root, _, _, arrays = sample
    write_manifest(root, [SPEC], "test", {})
    archive = tmp_path / "tiny_v0.tar.xz"
    done = run_script("scripts/pack_dataset.py", "--data", str(root), "--out", str(archive))
    assert done.returncode == 0, done.stderr
    assert "1 ok samples" in done.stdout
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path, filter="data")
    unpacked = tmp_path / "tiny_v0"
    with np.load(unpacked / "samples" / SPEC.sample_id / "arrays.npz") as z:
        assert "coarse_at_fine" not in z.files and "fine_vertices" in z.files  # compact
    loaded = load_arrays(unpacked, SPEC)  # derived arrays remade on load
    assert set(loaded) == set(arrays)
    for key, value in arrays.items():
        np.testing.assert_allclose(loaded[key], value, atol=1e-4, err_msg=key)
    # the archive is reproducible: packing again gives the same bytes
    again = tmp_path / "again" / "tiny_v0.tar.xz"
    assert run_script("scripts/pack_dataset.py", "--data", str(root), "--out", str(again)).returncode == 0
    assert again.read_bytes() == archive.read_bytes()


def test_pack_a_part_by_index_range(sample, tmp_path):
    import tarfile

    from core.dataset import write_manifest

    root, _, _, _ = sample
    write_manifest(root, [SPEC], "test", {})
    for rng, n in (("0:1", 1), ("1:9", 0)):
        out = tmp_path / f"part-{rng.replace(':', '-')}.tar.xz"
        done = run_script(
            "scripts/pack_dataset.py", "--data", str(root), "--out", str(out), "--indices", rng, "--top", "ds"
        )
        assert done.returncode == 0, done.stderr
        with tarfile.open(out) as tar:
            names = tar.getnames()
        assert "ds/manifest.json" in names  # every part carries the manifest
        assert sum(name.endswith("arrays.npz") for name in names) == n
    bad = run_script("scripts/pack_dataset.py", "--data", str(root), "--out", str(out), "--indices", "5:2")
    assert bad.returncode == 2 and "START < END" in bad.stderr


def test_dataset_stats_summarises_the_sample(sample, tmp_path):
    from core.dataset import write_manifest

    root, meta, _, _ = sample
    write_manifest(root, [SPEC], "test", {})
    out = tmp_path / "stats.json"
    done = run_script("scripts/dataset_stats.py", "--data", str(root), "--json", str(out))
    assert done.returncode == 0, done.stderr
    assert "1 of 1 samples finished: 1 ok" in done.stdout and "| skirt | 1 | 0 |" in done.stdout
    stats = json.loads(out.read_text())
    fine_nv = stats["details"]["fine.normal_variation"]["mean"]
    assert fine_nv == pytest.approx(meta["details"]["fine"]["normal_variation"]["mean"])
    # the low-pass coarse mesh is not simulated
    assert sorted(t["stage"] for t in stats["timings"]) == ["coarse_sim", "fine"]
    cell = stats["cells"]["skirt/mid"]
    assert cell["ok"] == 1 and cell["detail_2"] == pytest.approx(meta["fine"]["measures"]["detail"]["2"])
    assert "| skirt | mid | 1 | 0 |" in done.stdout


def test_fine_drape_can_start_from_the_pattern_flat_or_rolled():
    from core.drape_quality import QualityThresholds
    from sim.generate import GenerationConfig, generate_sample

    loose = QualityThresholds(max_seam_gap_cm=1e3, max_inside_fraction=1.0, max_final_speed_cm=1e3)
    checks = {"fine": loose, "coarse_sim": loose}
    for start in ("wrap", "box"):
        cfg = GenerationConfig(
            fine_edge_cm=5.0, coarse_factor=1.6, frames=15, fine_start="pattern", start=start,
            fine_self_collision=False, coarse_self_collision=False, settle_frames=0,
        )  # fmt: skip
        meta, _, arrays = generate_sample(SampleSpec(0, "skirt", "mid", 2), cfg, thresholds=checks)
        assert meta["status"] == "ok", meta["status"]
        assert len(arrays["coarse_sim_vertices"]) == meta["coarse_sim"]["vertices"]
        assert meta["fine"]["start"] == start and meta["fine"]["frames"] == 15
        assert meta["coarse_sim"]["frames"] == 15 and meta["coarse_sim"]["sim_seconds"] > 0
    with pytest.raises(ValueError, match="fine start"):
        GenerationConfig(fine_start="magic")
    with pytest.raises(ValueError, match="unknown start"):
        GenerationConfig(start="magic")
