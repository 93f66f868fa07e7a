"""What an outside fuzz of the entry points found (inputs written independently of fuzz/),
each reduced to its smallest case: every one now loads, or ends in a GarmentError naming the
file and the place."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.errors import GarmentError, MeshError, ModelError, OutputError, PatternError
from core.meshio import load_mesh, read_obj_corners
from core.outputs import write_text_atomic
from core.pipeline import read_pattern_file

SQUARE = {
    "vertices": [[0, 0], [50, 0], [50, 50], [0, 50]],
    "edges": [{"endpoints": [i, (i + 1) % 4]} for i in range(4)],
}
RECT = '<path id="front" d="M10 10 h40 v30 h-40 z"/>'


def _svg(tmp_path: Path, body: str, head: str = "") -> Path:
    path = tmp_path / "f_pattern.svg"
    path.write_text(
        f'{head}<svg xmlns="http://www.w3.org/2000/svg" width="100cm" height="100cm">{body}</svg>'
    )
    return path


def _meta(data: str) -> str:
    return f'<metadata id="garment-refiner">{data}</metadata>'


def _refused(path: Path, error: type[GarmentError] = PatternError, read=read_pattern_file) -> str:
    with pytest.raises(error) as err:
        read(path)
    assert path.name in str(err.value)
    return str(err.value)


def test_an_ascii_ply_loads_with_its_panel_properties(tmp_path):
    path = tmp_path / "ascii.ply"
    head = "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
    head += "property int panel\nproperty float u\nproperty float v\n"
    path.write_text(head + "element face 1\nproperty list uchar int vertex_indices\nend_header\n"
                    "0 0 0 0 0 0\n1 0 0 0 1 0\n0 1 0 0 0 1\n3 0 1 2\n")  # fmt: skip
    mesh = load_mesh(path)
    assert mesh.faces.tolist() == [[0, 1, 2]]
    assert mesh.panel_ids.tolist() == [0, 0, 0] and mesh.uv[1].tolist() == [1.0, 0.0]


@pytest.mark.parametrize("where", ["pattern", "svg"])
def test_an_integer_past_pythons_digit_limit_is_a_pattern_error(tmp_path, where):
    big = "1" + "0" * 5000
    if where == "pattern":
        path = tmp_path / "big_specification.json"
        path.write_text('{"pattern": {"panels": {}}, "properties": {"units_in_meter": ' + big + "}}")
    else:
        path = _svg(tmp_path, _meta('{"panels": {"front": {"offset": [' + big + ", 0]}}}") + RECT)
    assert "JSON" in _refused(path)


def test_a_model_description_with_a_huge_integer_is_a_model_error(tmp_path):
    from core.refiner.modelfile import read_description

    path = tmp_path / "refiner.json"
    path.write_text('{"format": 1' + "0" * 5000 + "}")
    _refused(path, ModelError, read_description)


@pytest.mark.parametrize(
    "body, head",
    [
        (_meta("[" * 100_000) + RECT, ""),  # metadata nested past the stack
        (_meta('{"panels": {"front": {"offset": [0, 0], "endpoints": 4}}}') + RECT, ""),
        (_meta('{"stitches": 5}') + RECT, ""),
        (RECT, '<?xml version="1.0" encoding="utf99999"?>'),
        ('<path d="Z"/>', ""),
        ("<g>" * 5000 + RECT + "</g>" * 5000, ""),
    ],
    ids=["deep-metadata", "endpoints-int", "stitches-int", "unknown-encoding", "only-z", "deep-groups"],
)
def test_hostile_svgs_load_or_are_refused_by_name(tmp_path, body, head):
    path = _svg(tmp_path, body, head)
    try:
        read_pattern_file(path)
    except PatternError as err:
        assert path.name in str(err)


def test_a_curved_edge_between_coincident_absolute_points_is_refused(tmp_path):
    panel = {
        "vertices": [[0, 0], [50, 0], [50, 50], [0, 0]],
        "edges": [{"endpoints": [0, 1]}, {"endpoints": [1, 2]}, {"endpoints": [2, 3]},
                  {"endpoints": [3, 0], "curvature": {"type": "quadratic", "params": [[1, 1]]}}],
    }  # fmt: skip
    path = tmp_path / "f_specification.json"
    spec = {"pattern": {"panels": {"a": panel}}, "properties": {"curvature_coords": "absolute"}}
    path.write_text(json.dumps(spec))
    assert "ends coincide" in _refused(path)


@pytest.mark.parametrize("curved", [False, True], ids=["zigzag", "circles"])
def test_an_outline_too_long_to_sample_is_refused_before_sampling(tmp_path, curved):
    """Tens of thousands of long edges back and forth: 8 GB of samples before any check."""
    c = {"type": "circle", "params": [9999, 1, 1]}
    edges = [{"endpoints": [0, 1]}, {"endpoints": [1, 0]}] * 10_000
    if curved:
        edges = [dict(e, curvature=c) for e in edges]
        vertices = [[0, 0], [1, 0], [0, 1]]
    else:
        edges[-1] = {"endpoints": [1, 2]}
        edges.append({"endpoints": [2, 0]})
        vertices = [[0, 0], [9999, 9999], [0, 9999]]
    path = tmp_path / "f_specification.json"
    path.write_text(json.dumps({"pattern": {"panels": {"a": {"vertices": vertices, "edges": edges}}}}))
    assert "max_outline_points" in _refused(path)


def test_a_panel_name_that_is_not_unicode_is_refused(tmp_path):
    path = tmp_path / "f_specification.json"
    path.write_text(json.dumps({"pattern": {"panels": {"a\ud800": SQUARE}}}))
    assert "not valid Unicode" in _refused(path)


@pytest.mark.parametrize(
    "text, reason",
    [
        (
            "v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nf 1/1 2/2 3/99999999999999999999999\n",
            "too large",
        ),
        ("v 0 0 0\nv 1 0 0\nv 0 1 0\nvt inf 0\nvt 1 0\nvt 0 1\nf 1/1 2/2 3/3\n", "not finite"),
    ],
)
def test_obj_indices_and_uvs_out_of_any_range_are_mesh_errors(tmp_path, text, reason):
    path = tmp_path / "f.obj"
    path.write_text(text)
    assert reason in _refused(path, MeshError, read_obj_corners)


def test_a_loose_vertex_in_a_uv_mapped_mesh_refines_and_stays_put(tmp_path):
    from core.refiner.files import read_base
    from core.refiner.refine import RefineOptions, Refiner

    n = 10
    xs = np.arange(n + 1.0) * 3
    lines = [f"v {x} {y} 0" for y in xs for x in xs] + ["v 50 50 50"]
    lines += [f"vt {x} {y}" for y in xs for x in xs]
    for j in range(n):
        for i in range(n):
            a = j * (n + 1) + i + 1
            b, c, d = a + 1, a + n + 2, a + n + 1
            lines += [f"f {a}/{a} {b}/{b} {c}/{c}", f"f {a}/{a} {c}/{c} {d}/{d}"]
    path = tmp_path / "loose.obj"
    path.write_text("\n".join(lines) + "\n")
    refiner = Refiner(device="cpu")
    kept = refiner.refine(read_base(path), RefineOptions(device="cpu", steps=1, edge_length=5.0))
    assert not kept.upsampled and kept.vertices[-1].tolist() == [50.0, 50.0, 50.0]  # left where it was
    assert np.isfinite(kept.vertices).all() and np.abs(kept.vertices[:-1] - kept.base_vertices[:-1]).max() > 0
    finer = refiner.refine(read_base(path), RefineOptions(device="cpu", steps=1))
    assert finer.upsampled and np.isfinite(finer.vertices).all()  # the upsampled mesh has only faces


def test_a_folder_that_claims_to_be_writable_but_is_not_is_an_output_error():
    with pytest.raises(OutputError, match="cannot write there"):
        write_text_atomic("/proc/garment_report.json", "{}")


def test_model_and_nuvo_settings_out_of_range_are_named(tmp_path):
    from core.refiner.modelfile import check_description, read_description
    from core.refiner.refine import RefineOptions, check_options

    desc = read_description(Path(__file__).resolve().parents[1] / "models" / "refiner.json")
    desc["network"]["stem_stride"] = 0
    with pytest.raises(ModelError, match=r"network\.stem_stride"):
        check_description(desc, "refiner.json")
    for nuvo, where in (
        ({"bogus": 1}, "options.nuvo"),
        ({"n_charts": 0}, "options.nuvo.n_charts"),
        ("abc", "options.nuvo"),
    ):
        with pytest.raises(MeshError) as err:
            check_options(RefineOptions(nuvo=nuvo), "mesh.obj")
        assert where in str(err.value)


def test_an_svg_with_thousands_of_shapes_is_refused_at_the_panel_limit(tmp_path):
    """5,000 rects with one id took 14 s (quadratic renaming) and SVGs had no panel limit."""
    rects = "".join(
        f'<rect id="a" x="{(i % 150) * 3}" y="{(i // 150) * 3}" width="2" height="2"/>' for i in range(5000)
    )
    assert "max_panels" in _refused(_svg(tmp_path, rects))


def test_pattern_uvs_past_the_extent_limit_are_refused_before_the_lookup():
    """Finite but huge pattern coordinates (u x 1e300) went out of range in the k-d tree."""
    from core.boxmesh import build_box_mesh
    from core.pattern import load_pattern
    from core.refiner.refine import RefineInput, RefineOptions, Refiner, refine

    pattern = load_pattern(Path(__file__).resolve().parents[1] / "presets" / "patterns" / "skirt.json")
    m = build_box_mesh(pattern, 4.0)
    base = RefineInput(
        m.vertices, m.faces, m.panel_ids, m.uv * np.array([1e300, 1.0]), pattern=pattern, source="huge uv"
    )
    with pytest.raises(MeshError, match="max_extent_cm"):
        refine(base, Refiner(device="cpu"), RefineOptions(device="cpu", steps=1))
