"""Dataset bookkeeping, pattern-space correspondence, detail statistics and drape checks."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh
from paths import DATA

from core.boxmesh import build_box_mesh
from core.correspondence import interpolate_at
from core.dataset import (
    SampleSpec,
    in_shard,
    is_done,
    load_arrays,
    parse_shard,
    plan_samples,
    split_for_seed,
    write_manifest,
    write_sample,
)
from core.drape_metrics import normal_variation, residual_details, surface_details
from core.drape_quality import assess_drape, self_intersecting_edges
from core.pattern import load_pattern

SKIRT = DATA / "gc_flare_skirt_specification.json"


def test_plan_cycles_families_and_materials_with_distinct_seeds():
    specs = plan_samples(12, 7, ["skirt", "tshirt"], ["soft", "mid", "stiff"])
    assert [s.family for s in specs[:4]] == ["skirt", "tshirt", "skirt", "tshirt"]
    assert {s.material for s in specs} == {"soft", "mid", "stiff"}
    assert len({s.seed for s in specs}) == 12 and len({s.sample_id for s in specs}) == 12
    assert plan_samples(12, 7, ["skirt", "tshirt"], ["soft", "mid", "stiff"]) == specs


def test_split_is_by_seed_and_roughly_80_10_10():
    splits = [split_for_seed(s) for s in range(5000)]
    share = {k: splits.count(k) / len(splits) for k in ("train", "val", "test")}
    assert 0.75 < share["train"] < 0.85 and 0.07 < share["val"] < 0.13 and 0.07 < share["test"] < 0.13
    assert all(split_for_seed(s) == split_for_seed(s) for s in range(50))


def test_shards_partition_the_plan():
    specs = plan_samples(10, 0, ["skirt"], ["mid"])
    parts = [[s for s in specs if in_shard(s, (i, 3))] for i in range(3)]
    assert sorted(s.index for p in parts for s in p) == list(range(10))
    assert parse_shard("1/3") == (1, 3)
    for bad in ("3/3", "a/b", "1"):
        with pytest.raises(ValueError):
            parse_shard(bad)


def test_sample_write_is_atomic_and_manifest_counts(tmp_path):
    specs = [
        SampleSpec(0, "skirt", "mid", 1),
        SampleSpec(1, "skirt", "soft", 2),
        SampleSpec(2, "dress", "mid", 3),
    ]
    arrays = {"fine_vertices": np.arange(12, dtype=np.float32).reshape(4, 3)}
    write_sample(tmp_path, specs[0], {"status": "ok", "seconds": 1.0}, {"pattern": {}}, arrays)
    write_sample(tmp_path, specs[1], {"status": "fine: seam gap 3.00 cm"}, None, None)
    assert is_done(tmp_path, specs[0]) and is_done(tmp_path, specs[1]) and not is_done(tmp_path, specs[2])
    assert not list((tmp_path / "samples").glob(".tmp-*"))
    np.testing.assert_array_equal(
        load_arrays(tmp_path, specs[0], derive=False)["fine_vertices"], arrays["fine_vertices"]
    )
    m = write_manifest(tmp_path, specs, "python scripts/make_dataset.py ...", {})
    assert m["summary"]["ok"] == 1 and m["summary"]["rejected"] == 1 and m["summary"]["pending"] == 1
    assert m["summary"]["rejections_by_reason"] == {"fine": 1}
    assert json.loads((tmp_path / "manifest.json").read_text())["samples"][1]["status"].startswith("fine")


def test_correspondence_reproduces_a_smooth_field_across_resolutions():
    pattern = load_pattern(SKIRT)
    coarse, fine = build_box_mesh(pattern, 5.0), build_box_mesh(pattern, 1.5)

    def field(m):  # a smooth function of (panel, pattern point)
        return np.stack([np.sin(m.uv[:, 0] / 20), np.cos(m.uv[:, 1] / 15), m.panel_ids * 1.0], axis=1)

    got = interpolate_at(coarse, fine, field(coarse))
    assert np.abs(got - field(fine)).max() < 0.05
    # positions of a flat box mesh are linear in the pattern point: exact up to curved boundaries
    assert np.abs(interpolate_at(coarse, fine) - fine.vertices).max() < 0.2


def test_details_separate_flat_from_wrinkled():
    mesh = build_box_mesh(load_pattern(SKIRT), 1.5)
    rng = np.random.default_rng(0)
    normals = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False).vertex_normals
    wrinkled = mesh.vertices + normals * (0.3 * np.sin(mesh.uv[:, :1] * 2.0))
    flat, wavy = surface_details(mesh.vertices, mesh.faces), surface_details(wrinkled, mesh.faces)
    assert flat["normal_variation"]["mean"] < 1e-6 < wavy["normal_variation"]["mean"]
    assert wavy["curvature_proxy"]["mean"] > 10 * flat["curvature_proxy"]["mean"] + 1e-3
    noise = mesh.vertices + rng.normal(0, 0.1, mesh.vertices.shape)
    smooth_offset = mesh.vertices + np.array([0.0, 1.0, 0.0])
    assert residual_details(noise, mesh.vertices, mesh.faces)["hf_share"] > 0.5
    shift = residual_details(smooth_offset, mesh.vertices, mesh.faces)
    assert shift["hf_share"] < 1e-6 and shift["magnitude"]["mean"] == pytest.approx(1.0)
    assert normal_variation(mesh.vertices, mesh.faces).max() <= 2.0


def test_self_intersection_count():
    a = trimesh.creation.box().subdivide()
    b = a.copy()
    b.apply_translation([0.5, 0.3, 0.2])
    both = trimesh.util.concatenate([a, b])
    assert self_intersecting_edges(a.vertices, a.faces) == 0
    assert self_intersecting_edges(both.vertices, both.faces) > 0
    apart = b.copy()
    apart.apply_translation([5, 0, 0])
    sep = trimesh.util.concatenate([a, apart])
    assert self_intersecting_edges(sep.vertices, sep.faces) == 0


def _sewn_skirt():
    """The skirt's coarse box mesh and the same mesh with every seam closed (a sewn garment)."""
    pattern = load_pattern(SKIRT)
    box = build_box_mesh(pattern, 4.0)
    welded, _, index = box.welded()
    return pattern, box, box.with_vertices(welded[index])


def test_assess_drape_rejects_open_seams_nan_and_penetration():
    pattern, box, sewn = _sewn_skirt()
    none_inside = np.zeros(box.n_vertices, bool)
    settled = np.full(10, 0.001)
    assert assess_drape(pattern, sewn, none_inside, settled).ok
    q = assess_drape(pattern, box, none_inside, settled)
    assert not q.ok and any("seam gap" in r for r in q.reasons)
    inside = none_inside.copy()
    inside[: box.n_vertices // 10] = True
    assert any("inside the body" in r for r in assess_drape(pattern, sewn, inside, settled).reasons)
    moving = assess_drape(pattern, sewn, none_inside, np.full(10, 1.0))
    assert any("not settled" in r for r in moving.reasons)
    bad = sewn.vertices.copy()
    bad[0] = np.nan
    assert assess_drape(pattern, sewn.with_vertices(bad), none_inside, settled).reasons == [
        "non-finite vertex positions"
    ]


def test_assess_drape_rejects_a_garment_that_slid_down():
    pattern, box, sewn = _sewn_skirt()
    none_inside = np.zeros(box.n_vertices, bool)
    settled = np.full(10, 0.001)
    settled_lower = sewn.with_vertices(sewn.vertices - [0.0, 8.0, 0.0])  # settles a few cm lower: fine
    q = assess_drape(pattern, settled_lower, none_inside, settled, placed=box.vertices)
    assert q.ok and 7.0 < q.drop_cm < 9.0
    fallen = sewn.with_vertices(sewn.vertices * [1.0, 0.3, 1.0])  # bunched up around the knees
    q = assess_drape(pattern, fallen, none_inside, settled, placed=box.vertices)
    assert not q.ok and q.reasons == [f"slid down {q.drop_cm:.0f} cm"] and q.drop_cm > 20.0


def test_split_shares_follow_the_plan():
    from core.dataset import plan_samples

    v1 = plan_samples(400, 1, ["skirt"], ["mid"])
    v2 = plan_samples(400, 1, ["skirt"], ["mid"], val_share=0.1, test_share=0.2)
    assert [s.seed for s in v1] == [s.seed for s in v2]  # the same designs
    share = {name: np.mean([s.split == name for s in v2]) for name in ("train", "val", "test")}
    assert share["test"] == pytest.approx(0.2, abs=0.05) and share["val"] == pytest.approx(0.1, abs=0.04)
    # a test design of the 10 % plan stays a test design of the 20 % plan (the hash is the same)
    assert all(b.split == "test" for a, b in zip(v1, v2, strict=True) if a.split == "test")
    # a longer plan keeps the first samples as they were (generation resumes across sessions)
    longer = plan_samples(800, 1, ["skirt"], ["mid"], 0.1, 0.2)
    assert longer[:400] == v2
