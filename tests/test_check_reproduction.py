"""scripts/check_reproduction.py on real metas (the shipped drapes_v1 archive)."""

from __future__ import annotations

import json
import tarfile

from check_reproduction import main, sample_statistics
from paths import ROOT


def _copy_first(dest, count: int, change=None):
    """The manifest and the first ``count`` samples' meta.json of drapes_v1 into ``dest``."""
    with tarfile.open(ROOT / "datasets" / "drapes_v1.tar.xz") as tar:
        manifest = json.load(tar.extractfile("drapes_v1/manifest.json"))
        manifest["samples"] = manifest["samples"][:count]
        for row in manifest["samples"]:
            meta = json.load(tar.extractfile(f"drapes_v1/samples/{row['id']}/meta.json"))
            if change:
                change(meta)
            (dest / "samples" / row["id"]).mkdir(parents=True)
            (dest / "samples" / row["id"] / "meta.json").write_text(json.dumps(meta))
    (dest / "manifest.json").write_text(json.dumps(manifest))
    return manifest


def test_identical_metas_reproduce_and_a_changed_gap_does_not(tmp_path, capsys):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    manifest = _copy_first(a, 3)
    _copy_first(b, 3)

    def wider_gap(meta):
        if meta["status"] == "ok":
            meta["fine"]["quality"]["seam_gap_max_cm"] *= 1.05

    _copy_first(c, 3, wider_gap)
    assert main(["--shipped", str(a), "--remade", str(b), "--count", "3"]) == 0
    assert "3 of 3 samples reproduce" in capsys.readouterr().out
    assert main(["--shipped", str(a), "--remade", str(c), "--count", "3"]) == 1
    out = capsys.readouterr().out
    assert "fine.seam_gap_max_cm" in out
    assert any(r["status"] == "ok" for r in manifest["samples"])


def test_statistics_hold_status_checks_and_counts():
    with tarfile.open(ROOT / "datasets" / "drapes_v1.tar.xz") as tar:
        manifest = json.load(tar.extractfile("drapes_v1/manifest.json"))
        row = next(r for r in manifest["samples"] if r["status"] == "ok")
        meta = json.load(tar.extractfile(f"drapes_v1/samples/{row['id']}/meta.json"))
    stats = sample_statistics(meta)
    assert stats["status"] == "ok" and stats["fine.vertices"] > 1000
    assert 0 <= stats["fine.seam_gap_max_cm"] < 5
