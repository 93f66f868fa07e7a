"""Resource bounds before work: the memory-exhausting specifications the issue measured (a
coordinate or control point of 1e8-1e10 cm) are refused before any sampling, with an error
naming the limit; limits are settable; the shipped inputs pass the defaults."""

from __future__ import annotations

import json

import numpy as np
import pytest
from paths import PRESETS, ROOT

from core import limits
from core.boxmesh import build_box_mesh
from core.errors import GarmentError, MeshError, PatternError
from core.meshio import mesh_from_arrays
from core.pattern import load_pattern

SPEC = PRESETS / "skirt.json"


def _write(tmp_path, edit) -> str:
    data = json.loads(SPEC.read_text())
    edit(data)
    path = tmp_path / "hostile_specification.json"
    path.write_text(json.dumps(data))
    return str(path)


def _front(d):
    return d["pattern"]["panels"]["front_left"]


@pytest.mark.parametrize("value", [1e8, 1e10, -1e9])
@pytest.mark.parametrize(
    "edit",
    [
        lambda d, v: _front(d)["vertices"][1].__setitem__(0, v),
        lambda d, v: _front(d)["edges"][1].__setitem__(
            "curvature", {"type": "quadratic", "params": [[0.5, v]]}
        ),
        lambda d, v: _front(d)["edges"][1].__setitem__(
            "curvature", {"type": "cubic", "params": [[0.3, v], [0.7, 0.0]]}
        ),
        lambda d, v: _front(d)["edges"][1].__setitem__(
            "curvature", {"type": "circle", "params": [abs(v), 0, 1]}
        ),
        lambda d, v: _front(d).__setitem__("translation", [v, 0, 0]),
    ],
    ids=["vertex", "quadratic", "cubic", "circle", "translation"],
)
def test_huge_coordinates_are_refused_before_sampling_naming_the_limit(tmp_path, edit, value):
    path = _write(tmp_path, lambda d: edit(d, value))
    with pytest.raises(PatternError, match="max_extent_cm") as err:
        load_pattern(path)
    assert "hostile_specification.json" in str(err.value) and "front_left" in str(err.value)


def test_tiny_units_make_every_coordinate_huge_and_are_refused(tmp_path):
    path = _write(tmp_path, lambda d: d["properties"].__setitem__("units_in_meter", 1e-9))
    with pytest.raises(PatternError, match="max_extent_cm"):
        load_pattern(path)


def test_a_box_mesh_past_the_triangle_limit_is_refused_before_triangle_runs():
    pattern = load_pattern(SPEC)
    with limits.override(max_box_triangles=1000), pytest.raises(PatternError, match="max_box_triangles"):
        build_box_mesh(pattern, 2.0)
    with pytest.raises(PatternError, match=r"max_box_triangles|max_outline_points"):
        build_box_mesh(pattern, 0.01)  # 0.1 mm edges: refused by the defaults, not meshed for minutes
    assert len(build_box_mesh(pattern, 2.0).faces) > 1000  # the limit is back after the block


def test_every_shipped_pattern_and_the_garmentcode_drape_pass_the_defaults():
    files = sorted(PRESETS.glob("*.json")) + sorted(
        (ROOT.parent / "shared" / "garmentcode").glob("*/*_specification.json")
    )
    assert len(files) >= 5
    for path in files:
        assert len(build_box_mesh(load_pattern(path), 1.5).faces) > 0


def test_a_million_vertex_mesh_passes_and_the_vertex_limit_is_named():
    n = 1_000_000
    v = np.random.default_rng(0).random((n, 3))
    f = np.arange(3 * (n // 3)).reshape(-1, 3)
    assert len(mesh_from_arrays(v, f).vertices) == n
    with limits.override(max_mesh_vertices=500_000), pytest.raises(MeshError, match="max_mesh_vertices"):
        mesh_from_arrays(v, f, source="big.ply")


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("GARMENT_LIMITS", "max_box_triangles=4e6, max_extent_cm=5e4")
    got = limits._from_env()
    assert got.max_box_triangles == 4_000_000 and got.max_extent_cm == 5e4
    monkeypatch.setenv("GARMENT_LIMITS", "max_nonsense=3")
    with pytest.raises(GarmentError, match="unknown limit"):
        limits._from_env()
