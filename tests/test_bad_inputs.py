"""Bad inputs give typed errors that name the file and the place, and leave the file untouched."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from core.errors import GarmentError, MeshError, PatternError
from core.meshio import load_mesh
from core.pattern import load_pattern

DATA = Path(__file__).parent / "data"
SHIRT = DATA / "gc_shirt_specification.json"


def _shirt() -> dict:
    return json.loads(SHIRT.read_text())


def _load_expecting(path: Path, error: type[GarmentError] = PatternError, **kw) -> GarmentError:
    """Load ``path`` expecting ``error``; the file must be byte-identical afterwards."""
    before = path.read_bytes()
    loader = load_pattern if error is PatternError else load_mesh
    with pytest.raises(error) as info:
        loader(path, **kw)
    assert path.read_bytes() == before
    assert isinstance(info.value, ValueError)
    assert str(path) in str(info.value)
    assert info.value.source == str(path)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # nothing written beside it
    return info.value


def _write(tmp_path: Path, data: dict, name: str = "bad_specification.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- pattern JSON


def test_malformed_json_names_line_and_column(tmp_path):
    text = SHIRT.read_text().splitlines()
    text[6] = text[6].rstrip(",")  # drop a comma inside the first panel's translation
    path = tmp_path / "broken.json"
    path.write_text("\n".join(text))
    err = _load_expecting(path)
    assert "malformed JSON" in str(err)
    assert "line 8 column" in str(err)
    assert err.where.startswith("line 8 column")


def test_not_an_object(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2, 3]")
    assert "expected a JSON object" in str(_load_expecting(path))


def _drop(key_path: list) -> Callable[[dict], None]:
    def edit(d: dict) -> None:
        obj = d
        for k in key_path[:-1]:
            obj = obj[k]
        del obj[key_path[-1]]

    return edit


@pytest.mark.parametrize(
    ("edit", "where", "key"),
    [
        (_drop(["pattern"]), "<top>", "pattern"),
        (_drop(["pattern", "panels"]), "pattern", "panels"),
        (_drop(["pattern", "panels", "back", "vertices"]), "pattern.panels.back", "vertices"),
        (_drop(["pattern", "panels", "front", "edges"]), "pattern.panels.front", "edges"),
        (
            _drop(["pattern", "panels", "front", "edges", 2, "endpoints"]),
            "pattern.panels.front.edges[2]",
            "endpoints",
        ),
        (_drop(["pattern", "stitches", 3, 1, "edge"]), "pattern.stitches[3][1]", "edge"),
    ],
    ids=["pattern", "panels", "vertices", "edges", "endpoints", "stitch-edge"],
)
def test_missing_key(tmp_path, edit, where, key):
    data = _shirt()
    edit(data)
    err = _load_expecting(_write(tmp_path, data))
    assert err.where == where
    assert f"{where}: missing key {key!r}" in str(err)


def test_wrong_type(tmp_path):
    data = _shirt()
    data["pattern"]["panels"]["front"]["edges"] = {"0": [0, 1]}
    err = _load_expecting(_write(tmp_path, data))
    assert err.where == "pattern.panels.front.edges"
    assert "expected a list" in str(err)


def test_unknown_curvature_type(tmp_path):
    data = _shirt()
    data["pattern"]["panels"]["front"]["edges"][4]["curvature"]["type"] = "spline"
    err = _load_expecting(_write(tmp_path, data))
    assert err.where == "pattern.panels.front.edges[4].curvature.type"
    assert "'spline'" in str(err)


def test_wrong_number_of_control_points(tmp_path):
    data = _shirt()
    data["pattern"]["panels"]["front"]["edges"][2]["curvature"]["params"].pop()
    err = _load_expecting(_write(tmp_path, data))
    assert err.where == "pattern.panels.front.edges[2].curvature.params"
    assert "cubic" in str(err)


def test_negative_circle_radius(tmp_path):
    data = json.loads((DATA / "gc_flare_skirt_specification.json").read_text())
    data["pattern"]["panels"]["back_left"]["edges"][3]["curvature"]["params"][0] = -80.0
    err = _load_expecting(_write(tmp_path, data))
    assert err.where == "pattern.panels.back_left.edges[3].curvature.params"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize(
    ("place", "where"),
    [
        (("vertices", 3, 1), "pattern.panels.back.vertices[3]"),
        (("translation", 2), "pattern.panels.back.translation"),
        (("rotation", 0), "pattern.panels.back.rotation"),
        (("edges", 3, "curvature", "params", 0, 1), "pattern.panels.back.edges[3].curvature.params[0]"),
    ],
    ids=["vertex", "translation", "rotation", "control-point"],
)
def test_non_finite_numbers(tmp_path, value, place, where):
    data = _shirt()
    obj = data["pattern"]["panels"]["back"]
    for k in place[:-1]:
        obj = obj[k]
    obj[place[-1]] = value
    path = _write(tmp_path, data)
    text = path.read_text()
    # Python's json writes the non-standard literals, and reads them back as floats
    assert ("NaN" in text) or ("Infinity" in text)
    err = _load_expecting(path)
    assert err.where == where
    assert "not finite" in str(err)


def test_non_finite_units(tmp_path):
    data = _shirt()
    data["properties"]["units_in_meter"] = float("nan")
    err = _load_expecting(_write(tmp_path, data))
    assert err.where == "properties.units_in_meter"


def test_panel_that_does_not_close(tmp_path):
    data = _shirt()
    data["pattern"]["panels"]["front"]["edges"][2]["endpoints"] = [2, 4]  # edge 3 starts at 3
    err = _load_expecting(_write(tmp_path, data))
    assert err.where == "pattern.panels.front.edges[2]"
    assert "does not close" in str(err)
    assert "edge 3 starts at vertex 3" in str(err)


def test_endpoint_out_of_range(tmp_path):
    data = _shirt()
    data["pattern"]["panels"]["right_sleeve"]["edges"][4]["endpoints"] = [4, 5]
    err = _load_expecting(_write(tmp_path, data))
    assert err.where == "pattern.panels.right_sleeve.edges[4].endpoints[1]"
    assert "index 5 out of range 0..4" in str(err)


def test_degenerate_panel(tmp_path):
    data = _shirt()
    data["pattern"]["panels"]["front"]["vertices"] = [[0.0, 0.0]] * 8
    err = _load_expecting(_write(tmp_path, data))
    assert err.where == "pattern.panels.front"
    assert "zero area" in str(err)


def test_stitch_names_missing_panel(tmp_path):
    data = _shirt()
    data["pattern"]["stitches"][4][1]["panel"] = "collar"
    err = _load_expecting(_write(tmp_path, data))
    assert err.where == "pattern.stitches[4][1].panel"
    assert "'collar'" in str(err)
    # strict=False keeps it for the stitch check
    pattern = load_pattern(_write(tmp_path, data), strict=False)
    assert pattern.stitches[4].b.panel == "collar"


def test_stitch_names_missing_edge(tmp_path):
    data = _shirt()
    data["pattern"]["stitches"][0][0]["edge"] = 8  # the front has edges 0..7
    err = _load_expecting(_write(tmp_path, data))
    assert err.where == "pattern.stitches[0][0].edge"
    assert "has 8 edges" in str(err)


def test_pattern_file_not_found(tmp_path):
    path = tmp_path / "nope_specification.json"
    with pytest.raises(PatternError, match="file not found") as info:
        load_pattern(path)
    assert str(path) in str(info.value)
    assert not path.exists()


def test_pattern_file_not_utf8(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"pattern": "\xe9\xff"}')
    assert "cannot read" in str(_load_expecting(path))


# --------------------------------------------------------------------------- meshes


def test_obj_with_only_vertices(tmp_path):
    path = tmp_path / "points.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\n")
    assert "no triangle mesh" in str(_load_expecting(path, MeshError))


def test_ply_point_cloud(tmp_path):
    path = tmp_path / "cloud.ply"
    path.write_text(
        "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
        "end_header\n0 0 0\n1 0 0\n0 1 0\n"
    )
    assert "no triangle mesh" in str(_load_expecting(path, MeshError))


def test_unsupported_mesh_format(tmp_path):
    path = tmp_path / "shirt.stl"
    path.write_text("solid shirt\nendsolid shirt\n")
    err = _load_expecting(path, MeshError)
    assert "unsupported mesh format '.stl'" in str(err)


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        (
            "truncated.ply",
            b"ply\nformat binary_little_endian 1.0\nelement vertex 100\nproperty float x\nend_header\n\x00",
        ),
        ("garbage.glb", b"glTF\x02\x00\x00\x00" + bytes(range(40))),
        ("garbage.obj", bytes(range(256)) * 3),
    ],
)
def test_corrupt_mesh_file(tmp_path, name, payload):
    path = tmp_path / name
    path.write_bytes(payload)
    err = _load_expecting(path, MeshError)
    assert isinstance(err, GarmentError)


def test_mesh_file_not_found(tmp_path):
    path = tmp_path / "nope.ply"
    with pytest.raises(MeshError, match="file not found") as info:
        load_mesh(path)
    assert str(path) in str(info.value)


def test_mesh_with_nan_vertex(tmp_path):
    path = tmp_path / "nan.obj"
    path.write_text("v 0 0 0\nv nan 0 0\nv 0 1 0\nf 1 2 3\n")
    err = _load_expecting(path, MeshError)
    assert err.where == "vertex 1"
