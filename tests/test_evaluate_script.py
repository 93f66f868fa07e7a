"""scripts/evaluate.py on a real drape pair: the report, the plots and the close-up render."""

from __future__ import annotations

import json

import numpy as np
from paths import ROOT

from core.dataset import load_arrays
from core.garment_mesh import GarmentMesh
from core.meshio import save_garment_mesh


def test_evaluate_writes_report_plots_and_closeup(v1_sample_folder, tmp_path):
    import subprocess
    import sys

    row = json.loads((v1_sample_folder / "manifest.json").read_text())["samples"][0]
    a = load_arrays(v1_sample_folder, row["id"])
    names = [f"p{i}" for i in range(int(a["fine_panel"].max()) + 1)]

    def save(name, v):
        return save_garment_mesh(
            GarmentMesh(v, a["fine_faces"], a["fine_panel"], a["fine_uv"], names), tmp_path / f"{name}.ply"
        )

    base = a["coarse_at_fine"].astype(np.float64)
    half = base + 0.5 * (a["fine_vertices"] - base)  # half the true residual: placed right, too weak
    paths = {n: save(n, v) for n, v in (("base", base), ("refined", half), ("reference", a["fine_vertices"]))}
    pattern = v1_sample_folder / "samples" / row["id"] / "pattern.json"
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "evaluate.py"),
            "--refined",
            str(paths["refined"]),
            "--reference",
            str(paths["reference"]),
            "--base",
            str(paths["base"]),
            "--pattern",
            str(pattern),
            "--report",
            str(tmp_path / "r.json"),
            "--plots",
            str(tmp_path / "plots"),
            "--render",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    r = json.loads((tmp_path / "r.json").read_text())
    assert r["placement"]["overall"] > 0.99  # a scaled copy of the true residual
    d = r["detail"]
    assert d["base"]["detail"]["1"] < d["refined"]["detail"]["1"] < d["reference"]["detail"]["1"]
    assert (
        r["large_scale_error"]["kind"] == "v2v"
        and r["large_scale_error"]["mean_cm"] < r["large_scale_error_base"]["mean_cm"]
    )
    assert (
        r["fold_direction"]["refined"] == r["fold_direction"]["reference"]
        or abs(r["fold_direction"]["refined"] - r["fold_direction"]["reference"]) < 0.05
    )
    for p in r["plots"]:
        assert (tmp_path / "plots" / p.split("/")[-1]).stat().st_size > 10_000
    assert any(p.endswith("closeup_base_refined_reference.png") for p in r["plots"])
