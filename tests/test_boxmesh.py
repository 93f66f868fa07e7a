"""Box meshes of the GarmentCode fixtures: placement, resolution, orientation and seams."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial import cKDTree

from core.boxmesh import build_box_mesh, edge_segment_counts
from core.curves import edge_function
from core.errors import PatternError
from core.pattern import load_pattern, pattern_from_dict

DATA = Path(__file__).parent / "data"
SKIRT = DATA / "gc_flare_skirt_specification.json"
SHIRT = DATA / "gc_shirt_specification.json"
FIXTURES = [SKIRT, SHIRT]


@pytest.fixture(scope="module", params=FIXTURES, ids=lambda p: p.stem)
def built(request):
    pattern = load_pattern(request.param)
    return pattern, build_box_mesh(pattern, edge_length=2.5)


def _on_edge_t(pattern, mesh, panel_name: str, edge: int) -> tuple[np.ndarray, np.ndarray]:
    """Mesh vertices of the panel whose pattern point lies on the edge curve, and their
    arc-length fraction along it (projection onto a dense polyline of the curve)."""
    panel = pattern.panels[panel_name]
    e = panel.edges[edge]
    curve = edge_function(panel.vertices[e.start], panel.vertices[e.end], e.curvature)(
        np.linspace(0.0, 1.0, 4001)
    )
    seg = np.linalg.norm(np.diff(curve, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    ids = np.flatnonzero(mesh.panel_ids == mesh.panel_names.index(panel_name))
    near, j = cKDTree(curve).query(mesh.uv[ids])
    keep = near < 0.1  # the samples are < 0.05 cm apart
    ids, j = ids[keep], j[keep]
    best_d = np.full(len(ids), np.inf)
    best_s = np.zeros(len(ids))
    for k in (j - 1, j):  # the two polyline segments around the nearest sample
        k = np.clip(k, 0, len(seg) - 1)
        a, d = curve[k], curve[k + 1] - curve[k]
        p = mesh.uv[ids]
        t = np.clip(((p - a) * d).sum(1) / (d * d).sum(1), 0.0, 1.0)
        dist = np.linalg.norm(p - (a + t[:, None] * d), axis=1)
        better = dist < best_d
        best_d[better] = dist[better]
        best_s[better] = (cum[k] + t * seg[k])[better]
    # the chord error of a 4000-segment polyline of these curves is far below 1e-3 cm
    on = best_d < 1e-3
    return ids[on], best_s[on] / cum[-1]


def _on_edge(pattern, mesh, panel_name: str, edge: int) -> np.ndarray:
    return _on_edge_t(pattern, mesh, panel_name, edge)[0]


def _union_find_sizes(n: int, pairs: np.ndarray) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[ra] = rb
    sizes: dict[int, int] = {}
    for v in range(n):
        r = find(v)
        sizes[r] = sizes.get(r, 0) + 1
    return [s for s in sizes.values() if s > 1]


def test_every_vertex_has_panel_and_uv(built):
    pattern, mesh = built
    assert mesh.panel_names == pattern.panel_names
    assert mesh.vertices.shape == (mesh.n_vertices, 3)
    assert mesh.uv.shape == (mesh.n_vertices, 2)
    assert set(np.unique(mesh.panel_ids)) == set(range(len(pattern.panels)))
    for pid, name in enumerate(mesh.panel_names):
        sel = mesh.panel_ids == pid
        np.testing.assert_allclose(pattern.panels[name].to_3d(mesh.uv[sel]), mesh.vertices[sel], atol=1e-9)
    # faces never mix panels
    fp = mesh.panel_ids[mesh.faces]
    assert (fp == fp[:, :1]).all()
    assert mesh.faces.min() >= 0 and mesh.faces.max() < mesh.n_vertices


def test_panel_vertices_cover_the_panel_outline(built):
    pattern, mesh = built
    for pid, (name, panel) in enumerate(pattern.panels.items()):
        uv = mesh.uv[mesh.panel_ids == pid]
        # every corner of the pattern is a mesh vertex
        for corner in panel.vertices:
            assert np.linalg.norm(uv - corner, axis=1).min() < 1e-9, name
        # area of the panel's triangles equals the outline's area (curved edges included)
        faces = mesh.faces[mesh.panel_ids[mesh.faces[:, 0]] == pid]
        a, b, c = (mesh.uv[faces[:, k]] for k in range(3))
        tri_area = 0.5 * np.abs(np.cross(b - a, c - a)).sum()
        out = panel.outline(0.05)
        poly_area = 0.5 * abs(np.sum(out[:, 0] * np.roll(out[:, 1], -1) - np.roll(out[:, 0], -1) * out[:, 1]))
        assert tri_area == pytest.approx(poly_area, rel=0.01), name


def test_mean_edge_length_follows_request():
    pattern = load_pattern(SHIRT)
    coarse = build_box_mesh(pattern, edge_length=3.0)
    fine = build_box_mesh(pattern, edge_length=1.5)
    for mesh, target in ((coarse, 3.0), (fine, 1.5)):
        assert mesh.mean_edge_length() == pytest.approx(target, rel=0.35)
    assert fine.mean_edge_length() < 0.7 * coarse.mean_edge_length()
    assert fine.n_vertices > 3 * coarse.n_vertices


def test_boundary_segments_not_longer_than_requested():
    pattern = load_pattern(SKIRT)
    counts = edge_segment_counts(pattern, 2.0)
    for (name, i), n in counts.items():
        length = pattern.panels[name].edge_length(i)
        # each edge is cut into the fewest pieces no longer than 2 cm (after matching stitched edges)
        assert length / n <= 2.0 + 1e-9
    for s in pattern.stitches:
        assert counts[(s.a.panel, s.a.edge)] == counts[(s.b.panel, s.b.edge)]


def test_triangles_are_not_degenerate(built):
    _, mesh = built
    a, b, c = (mesh.uv[mesh.faces[:, k]] for k in range(3))
    area = 0.5 * np.abs(np.cross(b - a, c - a))
    assert area.min() > 1e-3 * 2.5**2
    # smallest angle: Triangle's quality flag asks for 28 degrees away from sharp corners
    angles = []
    for p, q, r in ((a, b, c), (b, c, a), (c, a, b)):
        u, v = q - p, r - p
        cosang = (u * v).sum(1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
        angles.append(np.degrees(np.arccos(np.clip(cosang, -1, 1))))
    assert np.min(angles) > 10.0
    # no face repeats a vertex, no face is listed twice
    f = mesh.faces
    assert ((f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2])).all()
    assert len(np.unique(np.sort(f, axis=1), axis=0)) == len(f)


def test_normals_point_outward(built):
    pattern, mesh = built
    v = mesh.vertices[mesh.faces]
    n = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    face_panel = mesh.panel_ids[mesh.faces[:, 0]]
    for pid, name in enumerate(mesh.panel_names):
        z = n[face_panel == pid, 2]
        # all fixture panels lie in planes z = const: front (z > 0) faces +z, back (z < 0) faces -z
        expected = np.sign(pattern.panels[name].translation[2])
        assert expected != 0
        np.testing.assert_allclose(z, expected, atol=1e-9, err_msg=name)


def test_stitch_sides_get_same_number_of_seam_vertices(built):
    pattern, mesh = built
    for s in pattern.stitches:
        na = len(_on_edge(pattern, mesh, s.a.panel, s.a.edge))
        nb = len(_on_edge(pattern, mesh, s.b.panel, s.b.edge))
        assert na == nb >= 2, s


def test_seam_pairs_join_stitched_edges_only(built):
    pattern, mesh = built
    on = {
        (side.panel, side.edge): set(_on_edge(pattern, mesh, side.panel, side.edge).tolist())
        for s in pattern.stitches
        for side in (s.a, s.b)
    }
    assert len(mesh.seam_pairs) > 0
    assert (mesh.seam_pairs[:, 0] != mesh.seam_pairs[:, 1]).all()
    covered = set()
    for a, b in mesh.seam_pairs.tolist():
        owners = [
            k
            for k, s in enumerate(pattern.stitches)
            if (a in on[(s.a.panel, s.a.edge)] and b in on[(s.b.panel, s.b.edge)])
            or (b in on[(s.a.panel, s.a.edge)] and a in on[(s.b.panel, s.b.edge)])
        ]
        assert owners, (a, b)
        covered.update(owners)
        pa, pb = (mesh.panel_names[mesh.panel_ids[x]] for x in (a, b))
        assert any({pa, pb} == {pattern.stitches[k].a.panel, pattern.stitches[k].b.panel} for k in owners)
    assert covered == set(range(len(pattern.stitches)))
    # every seam vertex of a stitched edge takes part in some pair
    paired = set(mesh.seam_pairs.ravel().tolist())
    for ids in on.values():
        assert ids <= paired


def test_seam_pairs_match_by_arc_length(built):
    """Paired vertices sit at the same fraction of their edges' lengths (same or reversed)."""
    pattern, mesh = built
    pair_set = {tuple(p) for p in mesh.seam_pairs.tolist()}
    for s in pattern.stitches:
        ia, fa = _on_edge_t(pattern, mesh, s.a.panel, s.a.edge)
        ib, fb = _on_edge_t(pattern, mesh, s.b.panel, s.b.edge)
        fa_of, fb_of = dict(zip(ia.tolist(), fa, strict=True)), dict(zip(ib.tolist(), fb, strict=True))
        pairs = [
            (fa_of[a], fb_of[b]) if a in fa_of and b in fb_of else (fa_of[b], fb_of[a])
            for a, b in pair_set
            if (a in fa_of and b in fb_of) or (b in fa_of and a in fb_of)
        ]
        assert len(pairs) >= len(ia) - 1
        x, y = np.array(pairs).T
        same, rev = np.abs(x - y).max(), np.abs(x - (1 - y)).max()
        assert min(same, rev) < 1e-4, s
        # one edge's vertices run evenly along it: n segments of equal length
        np.testing.assert_allclose(np.diff(np.sort(fa)), 1 / (len(fa) - 1), atol=1e-4)


def test_welded_closes_the_seams(built):
    pattern, mesh = built
    welded_v, welded_f, index = mesh.welded()
    groups = _union_find_sizes(mesh.n_vertices, mesh.seam_pairs)
    merged = sum(g - 1 for g in groups)
    assert len(welded_v) == mesh.n_vertices - merged
    assert index.shape == (mesh.n_vertices,)
    assert (index[mesh.seam_pairs[:, 0]] == index[mesh.seam_pairs[:, 1]]).all()
    # welded positions are the centroids of their groups
    for g in mesh.seam_groups()[:20]:
        np.testing.assert_allclose(welded_v[index[g[0]]], mesh.vertices[g].mean(0), atol=1e-9)
    assert len(welded_f) == len(mesh.faces)  # no triangle spans a seam
    # closed seams: the only open boundary is along unstitched edges (hem, neck, cuffs, ...)
    e = np.sort(np.concatenate([welded_f[:, [0, 1]], welded_f[:, [1, 2]], welded_f[:, [2, 0]]]), axis=1)
    uniq, count = np.unique(e, axis=0, return_counts=True)
    assert count.max() <= 2  # manifold after welding
    boundary = set(uniq[count == 1].ravel().tolist())
    stitched = {(s.a.panel, s.a.edge) for s in pattern.stitches} | {
        (s.b.panel, s.b.edge) for s in pattern.stitches
    }
    free = set()
    for name, panel in pattern.panels.items():
        for i in range(len(panel.edges)):
            if (name, i) not in stitched:
                free.update(index[_on_edge(pattern, mesh, name, i)].tolist())
    assert boundary <= free
    assert len(boundary) > 0


def test_welded_skirt_is_a_tube():
    """The skirt welded along all its seams has exactly two boundary loops: hem and waistband top."""
    pattern = load_pattern(SKIRT)
    mesh = build_box_mesh(pattern, edge_length=3.0)
    _, f, _ = mesh.welded()
    e = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    uniq, count = np.unique(e, axis=0, return_counts=True)
    bnd = uniq[count == 1]
    verts = np.unique(bnd)
    loops = _union_find_sizes(int(verts.max()) + 1, bnd)
    assert len(loops) == 2
    # Euler characteristic of an annulus is 0
    n_v = len(np.unique(f))
    assert n_v - len(uniq) + len(f) == 0


def test_pattern_with_zero_length_edge_raises():
    data = json.loads(SKIRT.read_text())
    panel = data["pattern"]["panels"]["wb_front"]
    panel["vertices"][1] = list(panel["vertices"][0])  # edge 0 shrinks to a point
    with pytest.raises(PatternError) as err:
        build_box_mesh(pattern_from_dict(data, source="zero.json"), 2.0)
    assert "zero.json" in str(err.value)
    assert "wb_front" in str(err.value) and "edge 0" in str(err.value)
    assert "zero length" in str(err.value)


def test_outline_touching_itself_raises_instead_of_crashing():
    """Two corners at the same place (a bow tie): Triangle would crash the process."""
    spec = {
        "pattern": {
            "panels": {
                "bow": {
                    "vertices": [[0, 0], [10, 0], [5, 5], [10, 10], [0, 10], [5, 5]],
                    "edges": [{"endpoints": [i, (i + 1) % 6]} for i in range(6)],
                }
            },
            "stitches": [],
        }
    }
    with pytest.raises(PatternError, match="bow"):
        build_box_mesh(pattern_from_dict(spec, source="bow.json"), 2.0)


def _one_panel(vertices: list[list[float]]) -> dict:
    n = len(vertices)
    edges = [{"endpoints": [i, (i + 1) % n]} for i in range(n)]
    return {"pattern": {"panels": {"p": {"vertices": vertices, "edges": edges}}, "stitches": []}}


def test_outline_crossing_itself_is_refused_with_the_crossing_point():
    """A figure eight (edges 0 and 2 cross at (3.75, 3.75)): Triangle's quality refinement of such
    outlines ran for minutes, allocating until the process died (fuzz cases 589 and 1407)."""
    spec = _one_panel([[0, 0], [10, 10], [10, 0], [0, 6]])
    with pytest.raises(PatternError) as err:
        build_box_mesh(pattern_from_dict(spec, source="eight.json"), 2.0)
    text = str(err.value)
    assert "eight.json" in text and "panel p" in text
    assert "crosses itself at (3.75, 3.75) cm" in text


def test_meshing_that_does_not_settle_stops_at_the_point_cap(monkeypatch):
    """Triangle's S switch bounds the interior points; reaching it is an error, not a mesh."""
    import core.boxmesh as boxmesh

    spec = _one_panel([[0, 0], [40, 0], [40, 40], [0, 40]])
    pattern = pattern_from_dict(spec, source="square.json")
    assert len(build_box_mesh(pattern, 2.0).vertices) > 200  # needs a few hundred points
    monkeypatch.setattr(boxmesh, "steiner_point_cap", lambda boundary, max_area: 50)
    with pytest.raises(PatternError, match="did not settle within 50 interior points"):
        build_box_mesh(pattern, 2.0)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_edge_length_raises(bad):
    with pytest.raises(ValueError, match="edge_length"):
        build_box_mesh(load_pattern(SKIRT), edge_length=bad)


def test_stitch_pairs_of_a_mesh_recover_the_box_mesh_pairs(built):
    from core.boxmesh import stitch_pairs

    pattern, mesh = built
    found = {tuple(p) for p in stitch_pairs(pattern, mesh).tolist()}
    assert found == {tuple(p) for p in mesh.seam_pairs.tolist()}
