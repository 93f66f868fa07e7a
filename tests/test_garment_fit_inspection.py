"""Inspection of a per-garment fit (core/garment_fit/inspection.py, scripts/inspect_fit.py): a real
tiny fit on a drapes_v2 sample read back from its files, collision flags on hand-made cases, the
PLY's vertex properties and the UV layout PNGs."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

from paths import ROOT, extract_v2_sample  # noqa: E402

from core.dataset import load_arrays  # noqa: E402
from core.garment_fit.inspection import (  # noqa: E402
    collision_levels,
    inspect_vertices,
    load_fit,
    write_inspection_ply,
    write_uv_layouts,
)
from core.garment_fit.two_stage import FitConfig, fit_garment  # noqa: E402
from core.hashfield import HashField  # noqa: E402

TINY = {
    "iterations": 40,
    "nuvo": {"n_charts": 4, "hidden": 32, "layers": 2, "points": 200, "uv_samples": 16},
    "hash": {"n_levels": 4},
    "network": {"n_neurons": 16},
    "residual_points": 256,
    "heldout_points": 1024,
    "eval_every": 20,
    "stage2": {"image_size": 8, "widths": [8, 16], "pool_points": 1024},
}


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    out = tmp_path_factory.mktemp("v2insp")
    data, row, _ = extract_v2_sample(out)
    (data / "manifest.json").write_text(json.dumps({"samples": [row]}))
    arrays = {**load_arrays(data, row["id"]), **{k: row[k] for k in ("id", "family", "material")}}
    result = fit_garment(arrays, FitConfig.from_dict({**TINY, "data": str(data)}), out=out / "fit")
    return data, arrays, result, out / "fit"


def _field(table_size: int, n_levels: int = 2) -> HashField:
    return HashField(
        {
            "encoding": {
                "otype": "HashGrid",
                "n_levels": n_levels,
                "n_features_per_level": 2,
                "base_resolution": 4,
                "finest_resolution": 8,
                "table_size": table_size,
                "n_charts": 2,
            },
            "network": {"n_neurons": 8, "n_hidden_layers": 1, "out_dim": 3},
        }
    )


def test_collision_levels_on_hand_made_cases():
    uv = torch.tensor([[0.0, 0.0], [1.0, 1.0], [0.5, 0.5], [0.51, 0.5]])
    chart = torch.tensor([0, 1, 0, 0])
    # a table big enough for every level: dense, no collisions
    assert collision_levels(_field(4096), chart, uv).tolist() == [0, 0, 0, 0]
    # one slot per hashed level: distinct grid vertices all share it, at both levels; the last two
    # keys round to the same grid vertex, which is not a collision with itself
    hashed = _field(1)
    assert not any(info.dense for info in hashed.encoding.levels)
    assert collision_levels(hashed, chart, uv).tolist() == [2, 2, 2, 2]
    assert collision_levels(hashed, chart[2:], uv[2:]).tolist() == [0, 0]


def test_the_fit_reads_back_from_its_files(fitted):
    _, _, result, folder = fitted
    fit = load_fit(folder)
    g = torch.Generator().manual_seed(0)
    chart, uv = torch.randint(0, 4, (500,), generator=g), torch.rand(500, 2, generator=g)
    with torch.no_grad():
        assert torch.equal(fit.field(chart, uv), result.field(chart, uv))
        x = torch.rand(200, 3, generator=g) - 0.5
        assert torch.allclose(fit.nuvo(x)[1], result.nuvo(x)[1])
    assert np.allclose(fit.normalisation.center, result.normalisation.center)
    assert fit.scale_cm == result.record["residual_std_cm"]["scale_cm"]


def test_load_fit_names_the_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"field\.safetensors"):
        load_fit(tmp_path)


def test_vertex_inspection_ply_and_layouts(fitted, tmp_path):
    import trimesh
    from PIL import Image

    _, arrays, result, folder = fitted
    fit = load_fit(folder)
    fine = np.asarray(arrays["fine_vertices"], np.float64)
    base = fine - result.residual.residual
    ins = inspect_vertices(fit, base, fine)
    n = len(fine)
    assert ins.chart.shape == (n,) and ins.error_mm.shape == (n,) and (ins.chart < 4).all()
    # the error is the field's distance from the true residual, consistent with the fit's scale
    assert ins.error_mm.mean() < 1.2 * np.linalg.norm(result.residual.residual, axis=1).mean() * 10
    ply = write_inspection_ply(tmp_path / "fit.ply", base + ins.predicted_cm, result.residual.faces, ins)
    back = trimesh.load(ply, process=False)
    raw = back.metadata["_ply_raw"]["vertex"]["data"]
    assert np.allclose(raw["error_mm"], ins.error_mm, atol=1e-4)
    assert (raw["chart"] == ins.chart).all() and (raw["collision"] == ins.collision).all()
    assert len(np.unique(back.visual.vertex_colors[:, :3], axis=0)) > 10  # an error ramp, not one colour
    pngs = write_uv_layouts(tmp_path, result.residual.faces, ins, dpi=50)
    a, b = (np.asarray(Image.open(pngs[k]).convert("RGB")) for k in ("charts", "error"))
    assert a.shape == b.shape and a.std() > 5 and np.abs(a.astype(int) - b).mean() > 1


def test_inspect_fit_cli(fitted, tmp_path, capsys):
    import importlib.util

    data, _, _, folder = fitted
    spec = importlib.util.spec_from_file_location("inspect_fit", ROOT / "scripts" / "inspect_fit.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main([str(folder), "--data", str(data), "--out", str(tmp_path), "--color-by", "chart"]) == 0
    summary = json.loads((tmp_path / "inspection.json").read_text())
    assert (tmp_path / "fitted.ply").is_file() and (tmp_path / "uv_error.png").is_file()
    assert 0 <= summary["collision_share"] <= 1 and summary["error_mm_mean"] > 0
    assert "colliding hash slot" in capsys.readouterr().out
    assert mod.main([str(tmp_path / "nothing")]) == 1
