"""Mesh files: garment meshes round-trip through PLY and OBJ; foreign GLBs keep vertex order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from core.boxmesh import build_box_mesh
from core.errors import MeshError
from core.meshio import load_mesh, mesh_from_arrays, save_garment_mesh
from core.pattern import load_pattern

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def garment():
    pattern = load_pattern(DATA / "gc_shirt_specification.json")
    return build_box_mesh(pattern, edge_length=4.0)


def test_ply_round_trip_keeps_panels_and_uv(garment, tmp_path):
    path = save_garment_mesh(garment, tmp_path / "sub" / "shirt.ply")
    assert path.is_file() and not path.with_name("shirt.ply.tmp").exists()
    m = load_mesh(path)
    assert m.source == str(path)
    assert m.vertices.shape == garment.vertices.shape
    np.testing.assert_allclose(m.vertices, garment.vertices, atol=1e-4)  # float32 positions
    np.testing.assert_array_equal(m.faces, garment.faces)
    np.testing.assert_array_equal(m.panel_ids, garment.panel_ids)
    np.testing.assert_allclose(m.uv, garment.uv, atol=1e-9)
    g = m.as_garment(garment.panel_names)
    assert g.panel_names == garment.panel_names
    # the loaded pattern coordinates still place every vertex on its panel
    pattern = load_pattern(DATA / "gc_shirt_specification.json")
    for pid, name in enumerate(g.panel_names):
        sel = g.panel_ids == pid
        np.testing.assert_allclose(pattern.panels[name].to_3d(g.uv[sel]), g.vertices[sel], atol=1e-4)


def test_obj_round_trip_keeps_order_and_faces(garment, tmp_path):
    path = save_garment_mesh(garment, tmp_path / "shirt.obj")
    text = path.read_text()
    assert text.count("\nv ") == garment.n_vertices
    assert text.count("\nvt ") == garment.n_vertices
    for name in garment.panel_names:
        assert f"\ng {name}\n" in text
    m = load_mesh(path)
    np.testing.assert_allclose(m.vertices, garment.vertices, atol=1e-5)
    np.testing.assert_array_equal(m.faces, garment.faces)
    assert m.panel_ids is None
    with pytest.raises(MeshError, match="panel ids"):
        m.as_garment(garment.panel_names)


def test_glb_from_trimesh_keeps_vertex_order(tmp_path):
    rng = np.random.default_rng(7)
    # a grid whose vertex order is shuffled: processing would reorder or merge them
    xs, ys = np.meshgrid(np.arange(6.0), np.arange(5.0))
    grid = np.stack([xs.ravel(), ys.ravel(), np.zeros(xs.size)], axis=1)
    faces = []
    for r in range(4):
        for c in range(5):
            i = r * 6 + c
            faces += [[i, i + 1, i + 7], [i, i + 7, i + 6]]
    perm = rng.permutation(len(grid))
    inv = np.argsort(perm)
    verts = grid[perm] * 0.01 + [0.0, 1.0, 0.0]  # metres
    faces = inv[np.array(faces)]
    data = trimesh.Trimesh(verts, faces, process=False).export(file_type="glb")
    (tmp_path / "grid.glb").write_bytes(data)
    m = load_mesh(tmp_path / "grid.glb")
    assert len(m.vertices) == len(verts)
    np.testing.assert_allclose(m.vertices, verts, atol=1e-6)
    np.testing.assert_array_equal(m.faces, faces)
    cm = load_mesh(tmp_path / "grid.glb", scale=100.0)
    np.testing.assert_allclose(cm.vertices, verts * 100.0, atol=1e-4)
    assert cm.vertices[:, 1].min() == pytest.approx(100.0, abs=1e-4)


def test_scale_converts_units(garment, tmp_path):
    mm = trimesh.Trimesh(garment.vertices * 10.0, garment.faces, process=False)
    (tmp_path / "mm.obj").write_text(mm.export(file_type="obj"))
    m = load_mesh(tmp_path / "mm.obj", scale=0.1)
    np.testing.assert_allclose(m.vertices, garment.vertices, atol=1e-4)
    np.testing.assert_array_equal(m.faces, garment.faces)


def test_save_refuses_other_formats(garment, tmp_path):
    with pytest.raises(MeshError, match="ply"):
        save_garment_mesh(garment, tmp_path / "x.stl")
    assert not list(tmp_path.iterdir())


def test_mesh_from_arrays_validates():
    v = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]])
    ok = mesh_from_arrays(v, [[0, 1, 2]], source="obj:Tri")
    assert ok.faces.dtype == np.int64
    with pytest.raises(MeshError, match="no faces") as err:
        mesh_from_arrays(v, np.zeros((0, 3)), source="obj:Tri")
    assert err.value.source == "obj:Tri"
    with pytest.raises(MeshError, match="out of range"):
        mesh_from_arrays(v, [[0, 1, 3]])
    with pytest.raises(MeshError, match="vertex 1"):
        mesh_from_arrays(v * [[1], [np.nan], [1]], [[0, 1, 2]])
    with pytest.raises(MeshError, match="triangles"):
        mesh_from_arrays(v, [[0, 1, 2, 0]])
    with pytest.raises(MeshError, match="one entry per vertex"):
        mesh_from_arrays(v, [[0, 1, 2]], uv=np.zeros((3, 3)))
    with pytest.raises(MeshError, match="panel ids range"):
        mesh_from_arrays(v, [[0, 1, 2]], panel_ids=[0, 1, 2], uv=np.zeros((3, 2))).as_garment(["a", "b"])
