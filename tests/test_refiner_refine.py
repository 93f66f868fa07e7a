"""The inference call on real meshes: pattern charts, upsampling, UV islands (GarmentCode's
drape), seeds, seams, and ONNX equal to torch."""

from __future__ import annotations

import json

import numpy as np
import pytest
from paths import ROOT

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from core.dataset import load_arrays  # noqa: E402
from core.errors import MeshError  # noqa: E402
from core.meshio import read_obj_corners  # noqa: E402
from core.pattern import load_pattern  # noqa: E402
from core.refiner.export import max_difference  # noqa: E402
from core.refiner.refine import RefineInput, RefineOptions, Refiner  # noqa: E402

GC = ROOT.parent / "shared" / "garmentcode" / "dress_pencil"


@pytest.fixture(scope="module")
def model(tiny_model):
    return tiny_model


@pytest.fixture(scope="module")
def garment(v1_sample_folder):
    row = json.loads((v1_sample_folder / "manifest.json").read_text())["samples"][0]
    arrays = load_arrays(v1_sample_folder, row["id"])
    pattern = load_pattern(v1_sample_folder / "samples" / row["id"] / "pattern.json")
    return arrays, pattern


def test_onnx_export_equals_torch(model):
    assert max_difference(model) < 1e-4


def test_fine_mesh_keeps_its_vertex_order_and_seams_share_offsets(model, garment):
    arrays, pattern = garment
    base = RefineInput(
        arrays["coarse_at_fine"],
        arrays["fine_faces"],
        arrays["fine_panel"],
        arrays["fine_uv"],
        pattern=pattern,
    )
    onnx = Refiner(model, device="cpu")
    out = onnx.refine(base, RefineOptions(seed=3))
    assert onnx.runtime.name == "onnxruntime" and not out.upsampled
    assert np.array_equal(out.faces, arrays["fine_faces"]) and out.vertices.shape == base.vertices.shape
    assert np.allclose(out.base_vertices, base.vertices)
    a, b = arrays["fine_seam_pairs"].T
    assert np.allclose(out.vertices[a], out.vertices[b])  # stitched vertices end up together
    assert (
        0
        < np.linalg.norm(out.offsets, axis=1).max()
        <= 0.05 * np.linalg.norm(np.ptp(base.vertices, 0)) + 1e-9
    )
    again = onnx.refine(base, RefineOptions(seed=3))
    other = onnx.refine(base, RefineOptions(seed=4))
    assert np.array_equal(again.vertices, out.vertices) and not np.allclose(other.vertices, out.vertices)
    torch_out = Refiner(model, device="cpu", runtime="torch")
    assert torch_out.runtime.name == "torch"
    assert np.abs(torch_out.refine(base, RefineOptions(seed=3)).vertices - out.vertices).max() < 1e-3
    half = onnx.refine(base, RefineOptions(seed=3, strength=0.5))
    assert np.allclose(half.offsets, out.offsets * 0.5, atol=1e-6)


def test_a_coarse_mesh_with_its_pattern_is_upsampled_with_charts(model, garment):
    arrays, pattern = garment
    base = RefineInput(
        arrays["coarse_vertices"],
        arrays["coarse_faces"],
        arrays["coarse_panel"],
        arrays["coarse_uv"],
        pattern=pattern,
    )
    out = Refiner(model).refine(base, RefineOptions(material="soft"))
    assert out.upsampled and len(out.vertices) > 2 * len(base.vertices)
    assert out.panel_ids is not None and out.pattern_uv.shape == (len(out.vertices), 2)
    assert out.report["median_edge_out_cm"] < out.report["median_edge_in_cm"] / 1.3
    assert out.report["material"] == "soft" and set(out.report["seconds"]) >= {"charts", "raster", "denoise"}
    # the new mesh's base is what the model read (seams closed, de-faceted); the key holds only
    # the wrinkles: at strength 0 nothing moves, and the key scales linearly
    flat = Refiner(model).refine(base, RefineOptions(material="soft", strength=0.0))
    assert np.allclose(flat.vertices, flat.base_vertices) and np.allclose(
        flat.base_vertices, out.base_vertices
    )
    half = Refiner(model).refine(base, RefineOptions(material="soft", strength=0.5))
    assert np.allclose(half.offsets, 0.5 * out.offsets, atol=1e-6)
    assert np.allclose(out.base_vertices, out.charts.close_seams(out.base_vertices))


def test_garmentcode_drape_refines_through_its_uv_islands(model):
    obj = read_obj_corners(GC / "dress_pencil_sim.obj")
    base = RefineInput(
        obj.vertices, obj.faces, uv=obj.uv, uv_faces=obj.uv_faces, source="dress_pencil_sim.obj"
    )
    out = Refiner(model).refine(base, RefineOptions(edge_length=1.0))
    assert out.report["charts"] == {"source": "uv_islands", "count": 6, "rest_known": False}
    assert not out.upsampled and np.array_equal(out.faces, obj.faces)
    assert np.isfinite(out.vertices).all() and np.linalg.norm(out.offsets, axis=1).max() > 0
    coarse = Refiner(model).refine(base, RefineOptions(edge_length=0.6))
    assert coarse.upsampled and len(coarse.vertices) > 3 * len(obj.vertices)


TINY_NUVO = {"hidden": 32, "layers": 2, "iterations": 30, "points": 256, "uv_samples": 32}


def test_a_mesh_without_charts_refines_through_nuvo_charts(model):
    obj = read_obj_corners(GC / "dress_pencil_sim.obj")
    seen = []
    options = RefineOptions(edge_length=1.0, nuvo=TINY_NUVO, progress=lambda *a: seen.append(a))
    out = Refiner(model).refine(RefineInput(obj.vertices, obj.faces, source="x.obj"), options)
    charts = out.report["charts"]
    assert charts["source"] == "nuvo" and charts["count"] >= 2 and not charts["rest_known"]
    nuvo = [a for a in seen if a[0] == "nuvo"]
    assert nuvo[-1] == ("nuvo", 30, 30) and seen[-1] == ("sample_back", 1, 1)  # every stage reports
    assert not out.upsampled and np.array_equal(out.faces, obj.faces)  # one vertex a vertex: welded
    assert out.uv.shape[1] == 2 and out.uv_faces.shape == obj.faces.shape  # the Nuvo UVs come along
    assert out.uv.min() >= 0.0 and out.uv.max() <= 1.0
    assert np.isfinite(out.vertices).all() and np.linalg.norm(out.offsets, axis=1).max() > 0


def test_a_tiny_mesh_without_charts_is_refused_clearly(model):
    v = np.array([(0, 0, 0), (1, 0, 0), (0, 1, 0)], float)
    with pytest.raises(MeshError, match=r"neither panel ids.*too few to fit Nuvo"):
        Refiner(model).refine(RefineInput(v, np.array([[0, 1, 2]]), source="x.obj"))


def _cli(*args: str, under_bpy: bool = False):
    import subprocess
    import sys

    script = str(ROOT / "scripts" / "refine.py")
    if under_bpy:  # as `blender -b -P scripts/refine.py -- args` runs it: bpy loaded, args after --
        code = (
            "import bpy, runpy, sys; sys.argv = ['blender', '-b', '-P', sys.argv[1], '--', *sys.argv[2:]]; "
            "runpy.run_path(sys.argv[3], run_name='__main__')"
        )
        cmd = [sys.executable, "-c", code, script, *args]
    else:
        cmd = [sys.executable, script, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_cli_refines_an_obj_from_another_simulator_keeping_its_uvs(model, tmp_path):
    out, report = tmp_path / "r.obj", tmp_path / "r.json"
    run = _cli(
        "--base-mesh",
        str(GC / "dress_pencil_sim.obj"),
        "--out",
        str(out),
        "--report",
        str(report),
        "--model",
        str(model),
        "--edge-length",
        "0.8",
        "--seed",
        "2",
    )
    assert run.returncode == 0, run.stderr
    back = read_obj_corners(out)
    src = read_obj_corners(GC / "dress_pencil_sim.obj")
    assert back.uv.shape == src.uv.shape and np.allclose(back.uv, src.uv, atol=1e-6)
    r = json.loads(report.read_text())
    assert r["vertices_out"] == r["vertices_in"] == 14425 and r["seam_gap_cm"]["refined"] < 1e-6
    assert {"import_and_read", "charts", "raster", "denoise", "sample_back", "write", "total"} <= set(
        r["seconds"]
    )


def test_cli_under_blender_upsamples_a_coarse_ply_with_its_pattern(model, garment, tmp_path):
    from core.garment_mesh import GarmentMesh
    from core.meshio import load_mesh, save_garment_mesh

    arrays, pattern = garment
    base = tmp_path / "coarse.ply"
    save_garment_mesh(
        GarmentMesh(
            arrays["coarse_vertices"],
            arrays["coarse_faces"],
            arrays["coarse_panel"],
            arrays["coarse_uv"],
            list(pattern.panels),
        ),
        base,
    )
    src_pattern = pattern.source
    out = tmp_path / "fine.ply"
    run = _cli(
        "--base-mesh",
        str(base),
        "--pattern",
        str(src_pattern),
        "--out",
        str(out),
        "--model",
        str(model),
        "--measure",
        under_bpy=True,
    )
    assert run.returncode == 0, run.stderr + run.stdout
    mesh = load_mesh(out)
    r = json.loads(out.with_suffix(".json").read_text())
    assert r["upsampled"] and len(mesh.vertices) == r["vertices_out"] > 2 * len(arrays["coarse_vertices"])
    assert mesh.panel_ids is not None and set(r["detail"]) == {"base", "refined"}
    assert r["seam_gap_cm"]["refined"] <= r["seam_gap_cm"]["base"] + 0.1


def test_cli_reports_bad_input_without_a_traceback(model, tmp_path):
    bad = tmp_path / "bad.obj"
    bad.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    run = _cli("--base-mesh", str(bad), "--out", str(tmp_path / "x.obj"), "--model", str(model))
    assert run.returncode == 1 and "neither panel ids" in run.stderr and "Traceback" not in run.stderr
    run = _cli(
        "--base-mesh", str(bad), "--out", str(tmp_path / "x.obj"), "--model", str(tmp_path / "none.json")
    )
    assert run.returncode == 1 and "not found" in run.stderr


def test_defacet_takes_the_coarse_triangles_away_and_keeps_the_drape(garment):
    from core.detail import surface_detail
    from core.garment_mesh import GarmentMesh
    from core.refiner.charts import charts_from_panels
    from core.refiner.upsample import defacet, upsample_with_pattern

    arrays, pattern = garment
    coarse = GarmentMesh(
        arrays["coarse_vertices"],
        arrays["coarse_faces"],
        arrays["coarse_panel"],
        arrays["coarse_uv"],
        list(pattern.panels),
    )
    fine = upsample_with_pattern(coarse, pattern, 1.2)
    charts = charts_from_panels(fine.panel_ids, fine.uv, fine.faces, fine.panel_names, fine.seam_pairs)
    smooth = defacet(charts.close_seams(fine.vertices), charts)
    welded = GarmentMesh(
        smooth, fine.faces, fine.panel_ids, fine.uv, fine.panel_names, fine.seam_pairs
    ).welded()
    faceted = fine.with_vertices(charts.close_seams(fine.vertices)).welded()
    before = surface_detail(faceted[0], faceted[1])["detail"]["0.5"]
    after = surface_detail(welded[0], welded[1])["detail"]["0.5"]
    assert after < 0.95 * before  # measured: about 10 % less 0.5 cm detail (coarse creases stay)
    assert np.linalg.norm(smooth - fine.vertices, axis=1).mean() < 0.5
