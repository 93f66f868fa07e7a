"""Box mesh: triangulate each panel, place it in 3D and pair the vertices of stitched edges."""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import triangle
from shapely.geometry import LinearRing, Polygon
from shapely.validation import explain_validity

from . import limits
from .curves import segments_for
from .edges import mesh_edges
from .errors import PatternError
from .garment_mesh import GarmentMesh
from .pattern import Pattern, panel_area

MAX_EDGE_CM = 1000.0  # a box-mesh edge longer than any garment panel


def edge_segment_counts(pattern: Pattern, edge_length: float) -> dict[tuple[str, int], int]:
    """Segments per panel edge; both edges of a stitch get the same count."""
    counts: dict[tuple[str, int], int] = {}
    for name, panel in pattern.panels.items():
        for i in range(len(panel.edges)):
            counts[(name, i)] = segments_for(panel.edge_length(i), edge_length)
    for s in pattern.stitches:
        keys = [(s.a.panel, s.a.edge), (s.b.panel, s.b.edge)]
        if all(k in counts for k in keys):
            n = max(counts[k] for k in keys)
            for k in keys:
                counts[k] = n
    # an edge in several stitches: propagate the maximum until stable
    changed = True
    while changed:
        changed = False
        for s in pattern.stitches:
            keys = [(s.a.panel, s.a.edge), (s.b.panel, s.b.edge)]
            if all(k in counts for k in keys) and counts[keys[0]] != counts[keys[1]]:
                n = max(counts[k] for k in keys)
                counts[keys[0]] = counts[keys[1]] = n
                changed = True
    return counts


def check_box_mesh_size(pattern: Pattern, edge_length: float, counts: dict[tuple[str, int], int]) -> None:
    """Refuse, before sampling or triangulating, a box mesh past the outline-point or triangle
    limits (Triangle aborts the whole process when it runs out of memory)."""
    src = pattern.source or "<pattern>"
    limits.check("max_outline_points", sum(counts.values()), PatternError, src, what="outline points")
    tri_area = np.sqrt(3) / 4 * edge_length**2
    estimate = sum(2 * panel_area(p, max(edge_length, 2.0)) / tri_area for p in pattern.panels.values())
    limits.check(
        "max_box_triangles",
        estimate + 2 * sum(counts.values()),
        PatternError,
        src,
        what=f"estimated box-mesh triangles at {edge_length:g} cm edges",
    )


def check_simple_outline(boundary: np.ndarray, source: str = "<pattern>", where: str = "") -> None:
    """Refuse an outline that crosses itself: no garment panel does, and Triangle's quality
    refinement of one can run without end, allocating until the process dies."""
    if LinearRing(boundary).is_simple:
        return
    detail = explain_validity(Polygon(boundary))  # e.g. "Self-intersection[12.5 3.1]"
    numbers = re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", detail[detail.find("[") :]) if "[" in detail else []
    at = f" at ({float(numbers[0]):.2f}, {float(numbers[1]):.2f}) cm" if len(numbers) >= 2 else ""
    raise PatternError(f"outline crosses itself{at}", source=source, where=where)


def steiner_point_cap(boundary: np.ndarray, max_area: float) -> int:
    """The most interior points Triangle may add to an outline (its ``S`` switch): four times
    what the area asks for, plus the boundary's share, so that refinement that does not settle
    stops instead of allocating without end."""
    wanted = Polygon(boundary).area / max_area
    return int(4 * wanted + 4 * len(boundary) + 1000)


def triangulate_panel(
    boundary: np.ndarray, edge_length: float, source: str = "<pattern>", where: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """Constrained quality Delaunay triangulation of a closed outline.

    The boundary points keep their indices (no Steiner points on the boundary), interior
    points follow. Triangles wind like the outline does: GarmentCode encodes a panel's
    outward side by its loop orientation (counter-clockwise: normal along the panel's +z).
    """
    n = len(boundary)
    if len(np.unique(boundary, axis=0)) != n:  # Triangle crashes (segfault) on repeated points
        raise PatternError("outline touches itself (repeated boundary point)", source=source, where=where)
    check_simple_outline(boundary, source, where)
    segments = np.stack([np.arange(n), (np.arange(n) + 1) % n], axis=1)
    max_area = np.sqrt(3) / 4 * edge_length**2
    cap = steiner_point_cap(boundary, max_area)
    try:
        out = triangle.triangulate(
            {"vertices": boundary, "segments": segments}, f"pq28a{max_area:.6f}YS{cap}"
        )
    except Exception as err:  # triangle raises bare RuntimeErrors on bad input
        raise PatternError(f"triangulation failed: {err}", source=source, where=where) from err
    pts, tris = out["vertices"], out["triangles"]
    if len(pts) - n >= cap:
        raise PatternError(
            f"quality meshing did not settle within {cap} interior points (a sliver or an outline "
            "that nearly touches itself?)",
            source=source,
            where=where,
        )
    if len(tris) == 0 or not np.allclose(pts[:n], boundary):
        raise PatternError("triangulation failed (self-intersecting outline?)", source=source, where=where)
    a, b, c = (pts[tris[:, k]] for k in range(3))
    cross = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    x, y = boundary[:, 0], boundary[:, 1]
    loop_ccw = float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) > 0
    flip = (cross < 0) if loop_ccw else (cross > 0)
    tris = np.where(flip[:, None], tris[:, ::-1], tris)
    return pts, tris


def build_box_mesh(pattern: Pattern, edge_length: float = 2.0) -> GarmentMesh:
    """Triangulate, place and pair: the flat-panel starting mesh of a garment (cm).

    Each stitch pairs the i-th sample of one edge with the matching sample of the other,
    in the orientation (same or reversed) that puts the pairs closer in 3D.
    """
    if not np.isfinite(edge_length) or not 0 < edge_length <= MAX_EDGE_CM:
        raise ValueError(f"edge_length must be in (0, {MAX_EDGE_CM:g}] cm, got {edge_length}")
    counts = edge_segment_counts(pattern, edge_length)
    check_box_mesh_size(pattern, edge_length, counts)
    vertices, faces, panel_ids, uvs = [], [], [], []
    edge_vertices: dict[tuple[str, int], np.ndarray] = {}
    offset = 0
    for pid, (name, panel) in enumerate(pattern.panels.items()):
        parts, starts = [], []
        start = 0
        for i in range(len(panel.edges)):
            if panel.edge_length(i) <= 1e-9:
                src = pattern.source or "<pattern>"
                raise PatternError("edge has zero length", source=src, where=f"panel {name} edge {i}")
            pts = panel.sample_edge(i, counts[(name, i)])[:-1]
            parts.append(pts)
            starts.append(start)
            start += len(pts)
        boundary = np.concatenate(parts)
        n_boundary = len(boundary)
        for i, s in enumerate(starts):
            idx = (s + np.arange(counts[(name, i)] + 1)) % n_boundary
            edge_vertices[(name, i)] = idx + offset
        pts2d, tris = triangulate_panel(boundary, edge_length, pattern.source or "<pattern>", f"panel {name}")
        vertices.append(panel.to_3d(pts2d))
        faces.append(tris + offset)
        panel_ids.append(np.full(len(pts2d), pid))
        uvs.append(pts2d)
        offset += len(pts2d)
    all_vertices = np.concatenate(vertices)
    pairs = []
    for s in pattern.stitches:
        ka, kb = (s.a.panel, s.a.edge), (s.b.panel, s.b.edge)
        if ka not in edge_vertices or kb not in edge_vertices:
            continue  # dangling stitch: reported by the stitch check
        ia, ib = edge_vertices[ka], edge_vertices[kb]
        same = np.linalg.norm(all_vertices[ia] - all_vertices[ib], axis=1).sum()
        rev = np.linalg.norm(all_vertices[ia] - all_vertices[ib[::-1]], axis=1).sum()
        ib = ib if same < rev - 1e-9 else ib[::-1]
        pairs.append(np.stack([ia, ib], axis=1))
    seam_pairs = np.concatenate(pairs) if pairs else np.zeros((0, 2), np.int64)
    seam_pairs = np.unique(np.sort(seam_pairs, axis=1), axis=0)
    seam_pairs = seam_pairs[seam_pairs[:, 0] != seam_pairs[:, 1]]
    return GarmentMesh(
        vertices=all_vertices,
        faces=np.concatenate(faces),
        panel_ids=np.concatenate(panel_ids),
        uv=np.concatenate(uvs),
        panel_names=list(pattern.panels),
        seam_pairs=seam_pairs,
    )


def stitch_vertex_map(pattern: Pattern, mesh: GarmentMesh) -> dict[int, list[int]]:
    """Stitch index -> vertices of the mesh that lie on either of its edges (by pattern coords)."""
    out: dict[int, list[int]] = defaultdict(list)
    for k, s in enumerate(pattern.stitches):
        for side in (s.a, s.b):
            if side.panel in mesh.panel_names:
                out[k].extend(_vertices_on_edge(pattern, mesh, side.panel, side.edge)[0].tolist())
    return out


def _vertices_on_edge(
    pattern: Pattern,
    mesh: GarmentMesh,
    panel_name: str,
    edge: int,
    tol: float = 0.05,
    candidates: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mesh vertices of ``panel_name`` whose pattern point lies on the edge, and their t in
    [0, 1]; ``candidates`` (a vertex mask) limits the search (e.g. to boundary vertices)."""
    panel = pattern.panels[panel_name]
    pid = mesh.panel_names.index(panel_name)
    keep = mesh.panel_ids == pid if candidates is None else (mesh.panel_ids == pid) & candidates
    cand = np.flatnonzero(keep)
    if len(cand) == 0 or not 0 <= edge < len(panel.edges):
        return np.zeros(0, np.int64), np.zeros(0)
    poly = panel.sample_edge(edge, 200)
    seg_a, seg_b = poly[:-1], poly[1:]
    seg_len = np.linalg.norm(seg_b - seg_a, axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    p = mesh.uv[cand]
    d = seg_b - seg_a
    t = np.clip(((p[:, None, :] - seg_a[None]) * d[None]).sum(-1) / np.maximum(seg_len**2, 1e-12)[None], 0, 1)
    closest = seg_a[None] + t[..., None] * d[None]
    dist = np.linalg.norm(p[:, None, :] - closest, axis=2)
    j = dist.argmin(axis=1)
    on = dist[np.arange(len(cand)), j] < tol
    arc = (cum[j] + t[np.arange(len(cand)), j] * seg_len[j]) / max(cum[-1], 1e-12)
    order = np.argsort(arc[on])
    return cand[on][order], arc[on][order]


def stitch_pairs(pattern: Pattern, mesh: GarmentMesh, tol_share: float = 0.5) -> np.ndarray:
    """Seam pairs of any mesh whose panel boundaries follow the pattern's edges (a Blender
    sim of a box mesh, a mesh re-tessellated elsewhere): along each stitch, every vertex of
    one edge is paired with the vertex of the other edge nearest in arc length, when closer
    than ``tol_share`` of the local edge spacing, in the orientation that puts pairs closer
    in 3D (as :func:`build_box_mesh` pairs them)."""
    pairs = []
    uniq, counts = mesh_edges(mesh.faces, return_counts=True)
    boundary = np.zeros(mesh.n_vertices, bool)
    boundary[uniq[counts == 1].ravel()] = True  # only panel outlines can lie on a pattern edge
    for s in pattern.stitches:
        if s.a.panel not in mesh.panel_names or s.b.panel not in mesh.panel_names:
            continue
        ia, ta = _vertices_on_edge(pattern, mesh, s.a.panel, s.a.edge, candidates=boundary)
        ib, tb = _vertices_on_edge(pattern, mesh, s.b.panel, s.b.edge, candidates=boundary)
        if len(ia) < 2 or len(ib) < 2:
            continue
        spacing = min(np.diff(np.sort(ta)).mean(), np.diff(np.sort(tb)).mean())
        best = None
        for tb_dir in (tb, 1.0 - tb):
            j = np.abs(ta[:, None] - tb_dir[None]).argmin(axis=1)
            ok = np.abs(ta - tb_dir[j]) < tol_share * spacing
            cand = np.stack([ia[ok], ib[j[ok]]], axis=1)
            dist = np.linalg.norm(mesh.vertices[cand[:, 0]] - mesh.vertices[cand[:, 1]], axis=1).sum()
            if best is None or (len(cand) and dist / len(cand) < best[0]):
                best = (dist / max(len(cand), 1), cand)
        pairs.append(best[1])
    if not pairs:
        return np.zeros((0, 2), np.int64)
    out = np.unique(np.sort(np.concatenate(pairs), axis=1), axis=0)
    return out[out[:, 0] != out[:, 1]]
