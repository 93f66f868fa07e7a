"""The shipped drapes_v2 parts (datasets/drapes_v2_parts/): complete ranges, loadable samples,
both base meshes, the fine drapes' checks and measures, and (once every part is in) coverage."""

from __future__ import annotations

import json
import tarfile
from itertools import pairwise

import numpy as np
import pytest
from paths import ROOT

from core.dataset import SPLITS, load_arrays, read_meta, split_for_seed
from core.drape_pairs import COARSE_SIM_KEY, STORED_KEYS
from core.drape_quality import garment_drop
from core.garments import FAMILIES

PARTS = sorted((ROOT / "datasets" / "drapes_v2_parts").glob("part-*.tar.xz"))
pytestmark = pytest.mark.skipif(not PARTS, reason="no drapes_v2 part shipped yet")


def _range(part) -> tuple[int, int]:
    _, a, b = part.name.removesuffix(".tar.xz").split("-")
    return int(a), int(b)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    out = tmp_path_factory.mktemp("v2")
    for part in PARTS:  # in order: the last part's manifest is the newest
        with tarfile.open(part) as tar:
            tar.extractall(out, filter="data")
    root = out / "drapes_v2"
    return root, json.loads((root / "manifest.json").read_text())


def _rows(manifest: dict) -> list[dict]:
    covered = [_range(p) for p in PARTS]
    return [r for r in manifest["samples"] if any(a <= r["index"] < b for a, b in covered)]


def test_parts_are_small_contiguous_and_complete(shipped):
    root, manifest = shipped
    assert sum(p.stat().st_size for p in PARTS) < 60 * 2**20
    ranges = [_range(p) for p in PARTS]
    assert ranges[0][0] == 0 and all(a[1] == b[0] for a, b in pairwise(ranges))
    assert manifest["command"].startswith("python scripts/make_dataset.py ")
    assert manifest["config"]["fine_edge_cm"] <= 1.5 and manifest["config"]["fine_self_collision"]
    for row in _rows(manifest):  # every sample of a shipped range is finished and shipped
        meta = read_meta(root, row["id"])
        assert meta is not None and meta["status"] == row["status"] != "pending", row["id"]
        has_arrays = (root / "samples" / row["id"] / "arrays.npz").is_file()
        assert has_arrays == (row["status"] == "ok"), row["id"]
        assert row["split"] == split_for_seed(row["seed"], 0.1, 0.2)


def test_samples_hold_both_base_meshes_and_pass_the_fine_checks(shipped):
    root, manifest = shipped
    ok = [r for r in _rows(manifest) if r["status"] == "ok"]
    assert ok
    for row in ok:
        meta = read_meta(root, row["id"])
        q = meta["fine"]["quality"]
        assert q["seam_gap_max_cm"] <= 1.2 and q["inside_body"] == 0 and q["final_speed_cm"] <= 0.1
        assert q["self_intersections"] <= 0.003 * 1.5 * meta["fine"]["faces"]
        assert meta["fine"]["start"] == "coarse" and meta["coarse_sim"]["source"] == "sim"
        m = meta["fine"]["measures"]
        assert set(m["detail"]) == {"0.5", "1", "2", "4"} and 0 <= m["sharp_creases"] < 0.2
        assert 1.0 < m["median_edge_cm"] < 1.4
    for row in ok[:: max(1, len(ok) // 8)]:
        with np.load(root / "samples" / row["id"] / "arrays.npz") as z:
            assert set(z.files) == {*STORED_KEYS, COARSE_SIM_KEY}
        a = load_arrays(root, row["id"])
        n = len(a["fine_vertices"])
        assert a["coarse_sim_at_fine"].shape == a["coarse_at_fine"].shape == (n, 3)
        assert a["coarse_sim_vertices"].shape == a["coarse_vertices"].shape
        # the coarse drape differs from the fine one by detail and settling, not by another
        # drape: within one and a half coarse edges on average. (Measured on the first 50
        # planned samples: median 1.5 cm, but skirts and trousers sit 2.4-4.2 cm higher in
        # the fine drape than in the coarse one, which sags on its 4 cm mesh: open, see
        # docs/dataset.md.)
        assert np.linalg.norm(a["fine_vertices"] - a["coarse_sim_at_fine"], axis=1).mean() < 6.0
        assert garment_drop(a["fine_box_vertices"], a["fine_vertices"]) <= 20.0  # did not slide down


def test_coverage_of_the_whole_plan(shipped):
    _, manifest = shipped
    if manifest["summary"]["pending"] or len(_rows(manifest)) < manifest["summary"]["planned"]:
        pytest.skip(
            f"generation in progress: {len(_rows(manifest))} of {manifest['summary']['planned']} shipped"
        )
    rows = manifest["samples"]
    ok = [r for r in rows if r["status"] == "ok"]
    assert len(ok) >= 200 and 1 - len(ok) / len(rows) <= 0.25
    for family in FAMILIES:
        for material in ("soft", "mid", "stiff"):
            assert sum(r["family"] == family and r["material"] == material for r in ok) >= 12, (
                family,
                material,
            )
    assert {r["split"] for r in ok} == set(SPLITS) and sum(r["split"] == "test" for r in ok) >= 30
