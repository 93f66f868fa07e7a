"""Training tensors (core/training_tensors.py, scripts/export_tensors.py) on the shipped v1 data."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile

import numpy as np
import pytest
from paths import ROOT

from core.dataset import load_arrays
from core.training_tensors import load_split

ARCHIVE = ROOT / "datasets" / "drapes_v1.tar.xz"


@pytest.fixture(scope="module")
def v1(tmp_path_factory):
    out = tmp_path_factory.mktemp("v1")
    with tarfile.open(ARCHIVE) as tar:
        tar.extractall(out, filter="data")
    return out / "drapes_v1"


def test_exported_split_reads_back_with_numpy_alone(v1, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "scripts/export_tensors.py",
            "--data",
            str(v1),
            "--out",
            str(tmp_path),
            "--splits",
            "test",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    manifest = json.loads((v1 / "manifest.json").read_text())
    ids = [r["id"] for r in manifest["samples"] if r["status"] == "ok" and r["split"] == "test"]
    with np.load(tmp_path / "test.npz", allow_pickle=False) as z:  # no pickled objects inside
        assert z["fine_v_offsets"][-1] == len(z["fine_vertices"])
    samples = load_split(tmp_path / "test.npz")
    assert [s["id"] for s in samples] == ids and len(ids) >= 3
    for s in samples:
        ref = load_arrays(v1, s["id"])
        for key in (
            "fine_vertices",
            "fine_faces",
            "fine_uv",
            "coarse_at_fine",
            "lowpass_fine",
            "coarse_faces",
        ):
            np.testing.assert_array_equal(s[key], ref[key], err_msg=key)
        assert s["fine_faces"].max() < len(s["fine_vertices"])  # indices local to the sample
        assert "coarse_sim_at_fine" not in s  # v1 has no independent coarse drape


def test_export_refuses_a_folder_that_is_no_dataset(tmp_path):
    done = subprocess.run(
        [sys.executable, "scripts/export_tensors.py", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 1 and "no manifest.json" in done.stderr


def test_compact_split_keeps_what_training_reads_at_half_the_size(v1, tmp_path):
    from core.dataset import read_meta
    from core.training_tensors import TRAINING_KEYS, pack_split

    manifest = json.loads((v1 / "manifest.json").read_text())
    rows = [r for r in manifest["samples"] if r["status"] == "ok"][:3]
    samples = [(read_meta(v1, r["id"]), load_arrays(v1, r["id"])) for r in rows]
    full, compact = tmp_path / "full.npz", tmp_path / "compact.npz"
    np.savez_compressed(full, **pack_split(samples))
    np.savez_compressed(compact, **pack_split(samples, compact=True))
    assert compact.stat().st_size < 0.65 * full.stat().st_size
    for (_, ref), got in zip(samples, load_split(compact), strict=True):
        for key in TRAINING_KEYS:
            np.testing.assert_array_equal(got[key], ref[key], err_msg=key)
        assert got["coarse_at_fine"].dtype == np.float32
        np.testing.assert_allclose(got["coarse_at_fine"], ref["coarse_at_fine"], atol=5e-3)
        assert "lowpass_fine" not in got and "coarse_faces" not in got
