"""The shipped drape dataset (datasets/drapes_v1.tar.xz): complete, loadable, and with detail."""

from __future__ import annotations

import json
import tarfile

import numpy as np
import pytest
from paths import ROOT

from core.dataset import SPLITS, load_arrays, read_meta, split_for_seed
from core.drape_pairs import STORED_KEYS, missing_derived
from core.garments import FAMILIES

ARCHIVE = ROOT / "datasets" / "drapes_v1.tar.xz"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    out = tmp_path_factory.mktemp("shipped")
    with tarfile.open(ARCHIVE) as tar:
        tar.extractall(out, filter="data")
    root = out / "drapes_v1"
    return root, json.loads((root / "manifest.json").read_text())


def test_archive_is_small_and_holds_every_planned_sample(shipped):
    root, manifest = shipped
    assert ARCHIVE.stat().st_size < 40 * 2**20
    summary = manifest["summary"]
    assert summary["pending"] == 0 and summary["ok"] + summary["rejected"] == summary["planned"]
    assert 60 <= summary["ok"] <= 200
    assert manifest["command"].startswith("python scripts/make_dataset.py ")
    for row in manifest["samples"]:
        meta = read_meta(root, row["id"])
        assert meta is not None and meta["status"] == row["status"]
        has_arrays = (root / "samples" / row["id"] / "arrays.npz").is_file()
        assert has_arrays == (row["status"] == "ok"), row["id"]  # rejected samples keep no meshes
        assert row["split"] == split_for_seed(row["seed"])


def test_every_family_material_and_split_is_represented(shipped):
    _, manifest = shipped
    ok = [r for r in manifest["samples"] if r["status"] == "ok"]
    assert {r["family"] for r in ok} == set(FAMILIES)
    assert {r["material"] for r in ok} == {"soft", "mid", "stiff"}
    assert {r["split"] for r in ok} == set(SPLITS)


def test_samples_load_with_correspondence_and_more_detail_in_the_fine_drape(shipped):
    root, manifest = shipped
    ok = [r["id"] for r in manifest["samples"] if r["status"] == "ok"]
    ratios = []
    for sid in ok[:: max(1, len(ok) // 12)]:
        with np.load(root / "samples" / sid / "arrays.npz") as z:
            assert set(z.files) == set(STORED_KEYS)
        a = load_arrays(root, sid)
        assert not missing_derived(a) and "coarse_sim_at_fine" not in a  # v1: no coarse drape
        n = len(a["fine_vertices"])
        assert a["fine_faces"].max() < n and a["fine_uv"].shape == (n, 2)
        assert a["coarse_at_fine"].shape == (n, 3) and len(a["coarse_vertices"]) < n / 3
        meta = read_meta(root, sid)
        assert meta["fine"]["quality"]["ok"] and meta["coarse"]["quality"]["ok"]
        # stitched vertices ended up together
        gap = np.linalg.norm(
            a["fine_vertices"][a["fine_seam_pairs"][:, 0]] - a["fine_vertices"][a["fine_seam_pairs"][:, 1]],
            axis=1,
        )
        assert gap.max() <= 1.0 + 1e-4
        # the residual is detail: small against the garment, and present
        res = np.linalg.norm(a["fine_vertices"] - a["coarse_at_fine"], axis=1)
        assert 0.05 < res.mean() < 0.05 * np.ptp(a["fine_vertices"], axis=0).max()
        d = meta["details"]
        ratios.append(d["fine"]["normal_variation"]["mean"] / d["coarse"]["normal_variation"]["mean"])
    # every fine drape has more folds than its base mesh, typically over twice the normal variation
    # (stiff skirts have the fewest: denim hangs in broad folds)
    assert min(ratios) > 1.0 and np.median(ratios) > 2.0, ratios


def test_lowpass_removes_folds_without_shrinking_the_garment(shipped):
    import trimesh

    from core.drape_metrics import normal_variation, smooth
    from core.drape_pairs import lowpass_drape
    from core.garment_mesh import GarmentMesh

    root, manifest = shipped
    sid = next(r["id"] for r in manifest["samples"] if r["status"] == "ok" and r["material"] == "soft")
    a = load_arrays(root, sid)
    fine = GarmentMesh(
        a["fine_vertices"], a["fine_faces"], a["fine_panel"], a["fine_uv"], [], a["fine_seam_pairs"]
    )
    low = lowpass_drape(fine, 20).vertices
    assert normal_variation(low, fine.faces).mean() < 0.6 * normal_variation(fine.vertices, fine.faces).mean()
    # Taubin smoothing does not shrink the garment onto the body (plain Laplacian smoothing of
    # the same strength does): mean displacement along the normals stays near zero
    welded_v, welded_f, index = fine.welded()
    normals = trimesh.Trimesh(welded_v, welded_f, process=False).vertex_normals[index]
    taubin_in = ((low - fine.vertices) * normals).sum(axis=1).mean()
    laplace_in = ((smooth(welded_v, welded_f, 20)[index] - fine.vertices) * normals).sum(axis=1).mean()
    assert abs(taubin_in) < 0.1 and laplace_in < -0.2
    # seams stay closed: stitched vertices are smoothed as one
    pairs = fine.seam_pairs
    assert np.linalg.norm(low[pairs[:, 0]] - low[pairs[:, 1]], axis=1).max() < 1e-6
    # stored lowpass_fine is this filter
    np.testing.assert_allclose(a["lowpass_fine"], low, atol=1e-4)
