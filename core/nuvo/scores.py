"""Scores of a UV chart map (a :class:`~core.refiner.charts.Charts`) on a garment mesh.

Three questions, one function each, all in cm (mesh vertices and chart uv):

- :func:`bijectivity` (the thesis's ``three_two_three``): does (chart, u, v) name one place of
  the surface? Held-out surface samples that share a chart and lie within ``tol_uv_cm`` in UV
  while more than ``far_factor * tol_uv_cm`` apart in 3D are *collisions* (a fold, an overlap).
- :func:`cluster`: do mesh neighbours stay neighbours? The share of mesh edges whose two
  vertices keep a pair of chart points in one chart, close in UV.
- :func:`panel_scores` (where the pattern is known): does each chart recover a sewing panel?
  Charts are matched to panels, each matched chart's boundary is rigidly aligned (reflection
  allowed) to its panel's outline and the mean boundary distance is the Panel L2 in cm; a panel
  is *recovered* when one chart holds most of it and little else.

:func:`score_charts` runs them all and returns one flat dict.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree

from ..refiner.charts import Charts

BIJECTIVITY_TOL_UV_CM = 0.25
"""Two samples of one chart closer than this in UV (cm) have the same (chart, u, v)."""
BIJECTIVITY_FAR_FACTOR = 3.0
"""... and are a collision when more than this many tolerances apart in 3D (0.75 cm by default):
a map that nowhere shrinks 3D distances by more than this factor scores 1 at any density."""
BIJECTIVITY_DENSITY = 16.0
"""Default samples per cm² of surface: a sample on a two-layer overlap is caught with chance
1 - exp(-density·π·tol²) ≈ 0.96 at the default tolerance."""
BIJECTIVITY_MAX_SAMPLES = 200_000
CLUSTER_FACTOR = 3.0
"""An edge stays adjacent when its chart points lie within this factor of its 3D length in UV."""
RECOVERED_SHARE = 0.9
"""A panel is recovered when this share of its vertices is in one chart ..."""
RECOVERED_PURITY = 0.9
"""... and this share of that chart's points is the panel."""
BOUNDARY_SAMPLES = 512
"""Points per closed curve (even arc-length spacing) for the Panel L2 means."""


# ---------------------------------------------------------------------------------------------
# bijectivity


@dataclass
class Bijectivity:
    """Share of held-out surface samples whose (chart, u, v) no far-away sample shares."""

    score: float  # 1 - n_colliding / n_samples
    n_samples: int
    n_colliding: int  # samples with at least one collision partner
    tol_uv_cm: float
    min_dist_3d_cm: float  # partners must be farther than this in 3D (far_factor * tol_uv_cm)
    detection: float  # chance a sample on a two-layer overlap finds a partner at this density
    unmapped_area_share: float  # surface share of faces whose points span charts (not sampled)


def _face_charts(charts: Charts) -> tuple[np.ndarray, np.ndarray]:
    """(F,) chart of each face and (F,) whether all three of its points are in that chart."""
    fc = charts.chart[charts.faces]
    return fc[:, 0], (fc[:, 0] == fc[:, 1]) & (fc[:, 0] == fc[:, 2])


def _face_areas(tri: np.ndarray) -> np.ndarray:
    return 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)


def sample_charts(
    charts: Charts, vertices: np.ndarray, n_samples: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Area-weighted surface samples of the charted faces: (N,) chart, (N, 2) uv, (N, 3) xyz
    (barycentric interpolation of each face's chart points) and the unmapped area share (faces
    whose points span charts are skipped)."""
    vertices = np.asarray(vertices, np.float64)
    faces = np.asarray(charts.faces, np.int64)
    tri = vertices[charts.vertex[faces]]
    area = _face_areas(tri)
    face_chart, one_chart = _face_charts(charts)
    total = float(area.sum())
    mapped = np.where(one_chart, area, 0.0)
    if mapped.sum() <= 0:
        raise ValueError("the charts map no surface area")
    rng = np.random.default_rng(seed)
    f = rng.choice(len(faces), size=n_samples, p=mapped / mapped.sum())
    r1, r2 = rng.random(n_samples), rng.random(n_samples)
    s = np.sqrt(r1)
    w = np.stack([1 - s, s * (1 - r2), s * r2], axis=1)
    uv = np.einsum("nk,nkd->nd", w, charts.uv[faces[f]])
    xyz = np.einsum("nk,nkd->nd", w, tri[f])
    return face_chart[f].astype(np.int64), uv, xyz, 1.0 - float(mapped.sum()) / total


def collisions(
    chart: np.ndarray,
    uv: np.ndarray,
    xyz: np.ndarray,
    tol_uv_cm: float = BIJECTIVITY_TOL_UV_CM,
    min_dist_3d_cm: float = BIJECTIVITY_FAR_FACTOR * BIJECTIVITY_TOL_UV_CM,
) -> np.ndarray:
    """(N,) bool: the sample has a partner in its chart within ``tol_uv_cm`` in UV and farther
    than ``min_dist_3d_cm`` in 3D."""
    chart = np.asarray(chart)
    hit = np.zeros(len(chart), bool)
    for c in np.unique(chart):
        idx = np.flatnonzero(chart == c)
        pairs = cKDTree(uv[idx]).query_pairs(tol_uv_cm, output_type="ndarray")
        if not len(pairs):
            continue
        far = np.linalg.norm(xyz[idx[pairs[:, 0]]] - xyz[idx[pairs[:, 1]]], axis=1) > min_dist_3d_cm
        hit[idx[pairs[far].ravel()]] = True
    return hit


def bijectivity(
    charts: Charts,
    vertices: np.ndarray,
    n_samples: int | None = None,
    tol_uv_cm: float = BIJECTIVITY_TOL_UV_CM,
    far_factor: float = BIJECTIVITY_FAR_FACTOR,
    seed: int = 0,
    density_per_cm2: float = BIJECTIVITY_DENSITY,
    max_samples: int = BIJECTIVITY_MAX_SAMPLES,
) -> Bijectivity:
    """1 - share of seeded surface samples that collide (:func:`collisions`). Without
    ``n_samples`` the count follows ``density_per_cm2`` of the charted area (capped)."""
    vertices = np.asarray(vertices, np.float64)
    _, one_chart = _face_charts(charts)
    mapped_area = float(_face_areas(vertices[charts.vertex[charts.faces]])[one_chart].sum())
    if n_samples is None:
        n_samples = int(min(max_samples, max(1000, round(density_per_cm2 * mapped_area))))
    chart, uv, xyz, unmapped = sample_charts(charts, vertices, n_samples, seed)
    min_3d = far_factor * tol_uv_cm
    hit = collisions(chart, uv, xyz, tol_uv_cm, min_3d)
    density = n_samples / mapped_area if mapped_area > 0 else 0.0
    return Bijectivity(
        score=1.0 - float(hit.mean()),
        n_samples=n_samples,
        n_colliding=int(hit.sum()),
        tol_uv_cm=tol_uv_cm,
        min_dist_3d_cm=min_3d,
        detection=1.0 - math.exp(-density * math.pi * tol_uv_cm**2),
        unmapped_area_share=unmapped,
    )


# ---------------------------------------------------------------------------------------------
# cluster


@dataclass
class Cluster:
    """Share of mesh edges whose vertices stay adjacent in (chart, u, v)."""

    score: float  # n_kept / n_edges
    n_edges: int
    n_kept: int
    n_cut: int  # the two vertices share no chart
    n_stretched: int  # they share a chart, but every shared pair is too far apart in UV
    factor: float


def mesh_edges(faces: np.ndarray) -> np.ndarray:
    """(E, 2) unique undirected edges (a < b) of a triangle mesh."""
    faces = np.asarray(faces, np.int64).reshape(-1, 3)
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    e.sort(axis=1)
    return np.unique(e, axis=0)


def cluster(
    charts: Charts, vertices: np.ndarray, faces: np.ndarray | None = None, factor: float = CLUSTER_FACTOR
) -> Cluster:
    """Mesh edge (a, b) is *kept* when some chart point p of a and q of b are in one chart with
    |uv_p - uv_q| <= ``factor`` * |x_a - x_b|. A seam edge whose vertices have points in two
    charts is kept if one chart keeps it; an edge across a cut (a only in chart 1, b only in
    chart 2) is cut; a vertex without chart points cuts its edges. ``faces`` are the mesh's
    (vertex indices; default: the charts' faces mapped to vertices)."""
    vertices = np.asarray(vertices, np.float64)
    if faces is None:
        faces = charts.vertex[charts.faces]
    edges = mesh_edges(faces)
    n_vertices = max(len(vertices), int(charts.vertex.max()) + 1 if charts.n_points else 0)
    order = np.argsort(charts.vertex, kind="stable")
    count = np.bincount(charts.vertex, minlength=n_vertices)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    a, b = edges[:, 0], edges[:, 1]
    na, nb = count[a], count[b]
    m = na * nb  # candidate point pairs of each edge
    edge_of = np.repeat(np.arange(len(edges)), m)
    k = np.arange(int(m.sum())) - np.repeat(np.cumsum(m) - m, m)
    nb_e = nb[edge_of]
    p = order[start[a][edge_of] + k // nb_e]
    q = order[start[b][edge_of] + k % nb_e]
    same = charts.chart[p] == charts.chart[q]
    length = np.linalg.norm(vertices[a] - vertices[b], axis=1)
    close = np.linalg.norm(charts.uv[p] - charts.uv[q], axis=1) <= factor * length[edge_of] + 1e-9
    shares = np.bincount(edge_of, same, minlength=len(edges)) > 0
    kept = np.bincount(edge_of, same & close, minlength=len(edges)) > 0
    n = len(edges)
    return Cluster(
        score=float(kept.mean()) if n else 1.0,
        n_edges=n,
        n_kept=int(kept.sum()),
        n_cut=int((~shares).sum()),
        n_stretched=int((shares & ~kept).sum()),
        factor=factor,
    )


# ---------------------------------------------------------------------------------------------
# panels


@dataclass
class PanelMatch:
    """One panel: its matched chart, how well the chart holds it, and the boundary distance."""

    panel: int
    name: str
    chart: int  # matched chart (Hungarian on overlap counts), -1 when unmatched
    overlap: int  # the panel's vertices in the matched chart
    vertex_share: float  # overlap / the panel's vertices
    chart_purity: float  # overlap / the matched chart's points
    recovered: bool  # its best chart holds >= RECOVERED_SHARE of it and is >= RECOVERED_PURITY it
    l2_cm: float  # mean distance, chart boundary -> panel outline, after alignment (nan: unmatched)
    l2_sym_cm: float  # mean of both directions' mean distances
    mirrored: bool  # the best alignment reflects the chart


@dataclass
class PanelScores:
    """Panel L2 (means over matched panels) and the share of panels recovered as single charts."""

    l2_cm: float
    l2_sym_cm: float
    recovered_share: float
    n_panels: int
    n_matched: int
    panels: list[PanelMatch]


def boundary_loops(faces: np.ndarray) -> list[np.ndarray]:
    """Closed loops (point indices, first point not repeated) of the edges used by one face only;
    a walk that cannot close (a non-manifold tangle) is kept as it ends."""
    faces = np.asarray(faces, np.int64).reshape(-1, 3)
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    key = np.sort(e, axis=1)
    _, inverse, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    boundary = e[counts[inverse.ravel()] == 1]
    incident: dict[int, list[int]] = {}
    for i, (u, v) in enumerate(boundary.tolist()):
        incident.setdefault(u, []).append(i)
        incident.setdefault(v, []).append(i)
    used = np.zeros(len(boundary), bool)
    loops = []
    for first in range(len(boundary)):
        if used[first]:
            continue
        used[first] = True
        origin, current = (int(x) for x in boundary[first])
        loop = [origin]
        while current != origin:
            loop.append(current)
            nxt = next((i for i in incident[current] if not used[i]), None)
            if nxt is None:
                break
            used[nxt] = True
            u, v = boundary[nxt]
            current = int(v if u == current else u)
        loops.append(np.array(loop, np.int64))
    return loops


def _closed(points: np.ndarray) -> np.ndarray:
    """(K, 2) polygon without a repeated last point."""
    points = np.asarray(points, np.float64).reshape(-1, 2)
    if len(points) > 1 and np.allclose(points[0], points[-1]):
        points = points[:-1]
    return points


def _perimeter(points: np.ndarray) -> float:
    return float(np.linalg.norm(np.roll(points, -1, axis=0) - points, axis=1).sum())


def resample_closed(points: np.ndarray, n: int) -> np.ndarray:
    """(n, 2) points evenly spaced by arc length along the closed polyline."""
    p = _closed(points)
    ring = np.concatenate([p, p[:1]])
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(ring, axis=0), axis=1))])
    t = np.linspace(0.0, s[-1], n, endpoint=False)
    return np.stack([np.interp(t, s, ring[:, 0]), np.interp(t, s, ring[:, 1])], axis=1)


def closest_on_polyline(
    points: np.ndarray, polyline: np.ndarray, closed: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(M,) exact distance of each point to the polyline's segments and (M, 2) closest points."""
    points = np.asarray(points, np.float64).reshape(-1, 2)
    line = _closed(polyline) if closed else np.asarray(polyline, np.float64).reshape(-1, 2)
    a = line if closed else line[:-1]
    b = np.roll(line, -1, axis=0) if closed else line[1:]
    d = b - a
    dd = np.maximum((d * d).sum(axis=1), 1e-300)
    dist, near = np.empty(len(points)), np.empty((len(points), 2))
    step = max(1, 1_000_000 // max(len(a), 1))
    for i in range(0, len(points), step):
        p = points[i : i + step, None, :]
        t = np.clip(((p - a) * d).sum(axis=2) / dd, 0.0, 1.0)
        foot = a + t[..., None] * d
        d2 = ((foot - p) ** 2).sum(axis=2)
        j = d2.argmin(axis=1)
        rows = np.arange(len(j))
        dist[i : i + step] = np.sqrt(d2[rows, j])
        near[i : i + step] = foot[rows, j]
    return dist, near


def distance_to_polyline(points: np.ndarray, polyline: np.ndarray, closed: bool = True) -> np.ndarray:
    """(M,) exact distance of each point to the polyline's segments."""
    return closest_on_polyline(points, polyline, closed)[0]


_MIRROR = np.diag([1.0, -1.0])


def _apply(points: np.ndarray, rot: np.ndarray, shift: np.ndarray, mirror: bool) -> np.ndarray:
    p = points @ _MIRROR if mirror else points
    return p @ rot.T + shift


def _unapply(points: np.ndarray, rot: np.ndarray, shift: np.ndarray, mirror: bool) -> np.ndarray:
    p = (points - shift) @ rot
    return p @ _MIRROR if mirror else p


def _rotation(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s], [s, c]])


def _procrustes(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Proper rotation and shift minimising sum |R src + t - dst|²."""
    cs, cd = src.mean(axis=0), dst.mean(axis=0)
    x, y = src - cs, dst - cd
    angle = math.atan2(float((x[:, 0] * y[:, 1] - x[:, 1] * y[:, 0]).sum()), float((x * y).sum()))
    rot = _rotation(angle)
    return rot, cd - cs @ rot.T


class PolylineIndex:
    """Closest points on a closed polyline, fast: the polyline is densified (same geometry,
    segments <= ``max_segment``) and a point is projected on the segments next to its ``k``
    nearest vertices. Exact once the point is within a few segments of the curve; off by at most
    half a segment far away (a point at a circle's centre)."""

    def __init__(self, polyline: np.ndarray, max_segment: float, k: int = 8):
        p = _closed(polyline)
        seg = np.roll(p, -1, axis=0) - p
        pieces = np.maximum(1, np.ceil(np.linalg.norm(seg, axis=1) / max_segment)).astype(np.int64)
        t = np.arange(int(pieces.sum())) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        seg_of = np.repeat(np.arange(len(p)), pieces)
        self.points = p[seg_of] + (t / pieces[seg_of])[:, None] * seg[seg_of]
        self.tree = cKDTree(self.points)
        self.k = min(k, len(self.points))

    def closest(self, query: np.ndarray) -> np.ndarray:
        """(M, 2) closest polyline points of (M, 2) points."""
        n = len(self.points)
        near = self.tree.query(query, k=self.k)[1].reshape(len(query), -1)
        start = np.concatenate([near, (near - 1) % n], axis=1)  # segments start -> start + 1
        a, b = self.points[start], self.points[(start + 1) % n]
        d = b - a
        q = query[:, None, :]
        t = np.clip(((q - a) * d).sum(axis=2) / np.maximum((d * d).sum(axis=2), 1e-300), 0.0, 1.0)
        foot = a + t[..., None] * d
        j = ((foot - q) ** 2).sum(axis=2).argmin(axis=1)
        return foot[np.arange(len(query)), j]


def _icp_step(
    s_pts: np.ndarray,
    t_pts: np.ndarray,
    s_index: PolylineIndex,
    t_index: PolylineIndex,
    pose: tuple[np.ndarray, np.ndarray, bool],
) -> tuple[tuple[np.ndarray, np.ndarray, bool], float]:
    """One symmetric ICP step: pairs (source point, its closest target point) and (closest source
    point, target point), then Procrustes; returns the new pose and the cost before it (the mean
    of both directions' mean squared distances, which the step cannot increase)."""
    rot, shift, mirror = pose
    moved = _apply(s_pts, rot, shift, mirror)
    near_t = t_index.closest(moved)
    near_s = s_index.closest(_unapply(t_pts, rot, shift, mirror))  # in source coordinates
    cost = 0.5 * (
        float(((near_t - moved) ** 2).sum(axis=1).mean())
        + float(((_apply(near_s, rot, shift, mirror) - t_pts) ** 2).sum(axis=1).mean())
    )
    src = np.concatenate([s_pts, near_s])
    rot, shift = _procrustes(src @ _MIRROR if mirror else src, np.concatenate([near_t, t_pts]))
    return (rot, shift, mirror), cost


def _icp(s_pts, t_pts, s_index, t_index, pose, iterations: int, rtol: float) -> tuple[tuple, float]:
    """Symmetric ICP until the cost drops by less than ``rtol`` of itself; the best pose and cost."""
    best, best_cost, previous = pose, math.inf, math.inf
    for _ in range(iterations):
        next_pose, cost = _icp_step(s_pts, t_pts, s_index, t_index, pose)  # the cost of ``pose``
        if cost < best_cost:
            best, best_cost = pose, cost
        if cost >= previous * (1 - rtol) or cost < 1e-24:
            break
        pose, previous = next_pose, cost
    return best, best_cost


def align_curves(
    source: np.ndarray, target: np.ndarray, n_points: int = 256, n_angles: int = 12
) -> tuple[np.ndarray, bool]:
    """Rigid alignment (rotation, translation, optional reflection; no scale) of closed curve
    ``source`` onto ``target`` minimising the mean of both directions' mean squared closest-point
    distances (``n_points`` arc-length-even points a curve): a few symmetric ICP steps from
    ``n_angles`` starting rotations about the centroids on each mirror side, then the best start
    to convergence. Returns the aligned source polyline and whether it is mirrored."""
    src, dst = _closed(source), _closed(target)
    s_pts, t_pts = resample_closed(src, n_points), resample_closed(dst, n_points)
    s_index = PolylineIndex(src, _perimeter(src) / (4 * n_points))
    t_index = PolylineIndex(dst, _perimeter(dst) / (4 * n_points))
    starts = []
    for mirror in (False, True):
        centre = (s_pts @ _MIRROR if mirror else s_pts).mean(axis=0)
        for angle in np.arange(n_angles) * (2 * math.pi / n_angles):
            rot = _rotation(float(angle))
            pose = (rot, t_pts.mean(axis=0) - centre @ rot.T, mirror)
            starts.append(_icp(s_pts, t_pts, s_index, t_index, pose, 15, 1e-3))
    pose, _ = min(starts, key=lambda pc: pc[1])
    pose, _ = _icp(s_pts, t_pts, s_index, t_index, pose, 500, 1e-9)
    return _apply(src, *pose), bool(pose[2])


def chart_boundary(charts: Charts, chart: int) -> np.ndarray:
    """(K, 2) uv (cm) of the longest boundary loop of the chart's faces (empty if it has none)."""
    face_chart, one_chart = _face_charts(charts)
    faces = charts.faces[one_chart & (face_chart == chart)]
    loops = [charts.uv[loop] for loop in boundary_loops(faces) if len(loop) >= 3]
    if not loops:
        return np.zeros((0, 2))
    return max(loops, key=_perimeter)


def boundary_l2(
    chart_uv_loop: np.ndarray, outline: np.ndarray, n_points: int = BOUNDARY_SAMPLES
) -> tuple[float, float, bool]:
    """(chart -> outline mean distance, symmetric mean, mirrored) after :func:`align_curves`;
    means are over ``n_points`` arc-length-even points, distances exact to the other polyline."""
    aligned, mirrored = align_curves(chart_uv_loop, outline)
    d_co = float(distance_to_polyline(resample_closed(aligned, n_points), outline).mean())
    d_oc = float(distance_to_polyline(resample_closed(outline, n_points), aligned).mean())
    return d_co, 0.5 * (d_co + d_oc), mirrored


def overlap_counts(charts: Charts, panel_ids: np.ndarray, n_panels: int) -> np.ndarray:
    """(C, P) chart points of chart c whose mesh vertex is in panel p (= vertices, one point per
    vertex and chart); vertices with a negative panel id are left out."""
    panel_ids = np.asarray(panel_ids, np.int64)
    pid = panel_ids[charts.vertex]
    ok = pid >= 0
    counts = np.zeros((charts.n_charts, n_panels), np.int64)
    np.add.at(counts, (charts.chart[ok].astype(np.int64), pid[ok]), 1)
    return counts


def panel_scores(
    charts: Charts,
    panel_ids: np.ndarray,
    outlines: list[np.ndarray],
    panel_names: list[str] | None = None,
    recovered_share: float = RECOVERED_SHARE,
    recovered_purity: float = RECOVERED_PURITY,
    n_points: int = BOUNDARY_SAMPLES,
) -> PanelScores:
    """Panel L2 and panels recovered, for charts fitted from scratch on a mesh whose per-vertex
    ``panel_ids`` index ``outlines`` (closed 2D polylines in cm, e.g. ``Panel.outline()``).

    Charts are matched one-to-one to panels by Hungarian assignment maximising shared vertices
    (scipy's solver takes rectangular matrices, so no greedy fallback is needed); a pair sharing
    no vertex is no match. Each matched chart's longest UV boundary loop is rigidly aligned to
    the outline (UV charts may be mirrored, so reflection is allowed; no scaling) and ``l2_cm``
    is the mean distance from the aligned boundary to the outline polyline (``l2_sym_cm`` the
    mean of both directions). Scores are plain means over matched panels with a boundary. A
    panel is recovered when its best chart holds >= ``recovered_share`` of its vertices and that
    chart's points are >= ``recovered_purity`` this panel."""
    n_panels = len(outlines)
    names = list(panel_names) if panel_names is not None else [f"panel_{p}" for p in range(n_panels)]
    panel_ids = np.asarray(panel_ids, np.int64).reshape(-1)
    if panel_ids.max(initial=-1) >= n_panels:
        raise ValueError(f"panel ids reach {panel_ids.max()}, but there are {n_panels} outlines")
    counts = overlap_counts(charts, panel_ids, n_panels)
    panel_size = np.bincount(panel_ids[panel_ids >= 0], minlength=n_panels)
    chart_size = np.bincount(charts.chart, minlength=charts.n_charts)
    matched = np.full(n_panels, -1, np.int64)
    if counts.size:
        rows, cols = linear_sum_assignment(counts, maximize=True)
        keep = counts[rows, cols] > 0
        matched[cols[keep]] = rows[keep]
    details = []
    for p in range(n_panels):
        c = int(matched[p])
        overlap = int(counts[c, p]) if c >= 0 else 0
        best = int(np.argmax(counts[:, p])) if charts.n_charts else -1
        recovered = (
            best >= 0
            and panel_size[p] > 0
            and counts[best, p] >= recovered_share * panel_size[p]
            and counts[best, p] >= recovered_purity * chart_size[best]
        )
        l2 = l2_sym = math.nan
        mirrored = False
        if c >= 0:
            loop = chart_boundary(charts, c)
            if len(loop) >= 3:
                l2, l2_sym, mirrored = boundary_l2(loop, outlines[p], n_points)
        details.append(
            PanelMatch(
                panel=p,
                name=names[p],
                chart=c,
                overlap=overlap,
                vertex_share=float(overlap / panel_size[p]) if panel_size[p] else 0.0,
                chart_purity=float(overlap / chart_size[c]) if c >= 0 and chart_size[c] else 0.0,
                recovered=bool(recovered),
                l2_cm=l2,
                l2_sym_cm=l2_sym,
                mirrored=mirrored,
            )
        )
    l2s = np.array([d.l2_cm for d in details if not math.isnan(d.l2_cm)])
    syms = np.array([d.l2_sym_cm for d in details if not math.isnan(d.l2_sym_cm)])
    return PanelScores(
        l2_cm=float(l2s.mean()) if len(l2s) else math.nan,
        l2_sym_cm=float(syms.mean()) if len(syms) else math.nan,
        recovered_share=float(np.mean([d.recovered for d in details])) if details else math.nan,
        n_panels=n_panels,
        n_matched=int((matched >= 0).sum()),
        panels=details,
    )


# ---------------------------------------------------------------------------------------------
# all of them


def score_charts(
    charts: Charts,
    vertices: np.ndarray,
    faces: np.ndarray | None = None,
    panel_ids: np.ndarray | None = None,
    outlines: list[np.ndarray] | None = None,
    panel_names: list[str] | None = None,
    n_samples: int | None = None,
    seed: int = 0,
) -> dict:
    """Every score as one flat dict (JSON-ready): ``bijectivity*``, ``cluster*`` and, given
    ``panel_ids`` and ``outlines``, ``panel_l2_cm``, ``panel_l2_sym_cm``, ``panels_recovered``
    and ``panels`` (per-panel dicts)."""
    bij = bijectivity(charts, vertices, n_samples=n_samples, seed=seed)
    clu = cluster(charts, vertices, faces)
    out: dict = {
        "bijectivity": bij.score,
        "bijectivity_samples": bij.n_samples,
        "bijectivity_colliding": bij.n_colliding,
        "bijectivity_detection": bij.detection,
        "bijectivity_unmapped_area": bij.unmapped_area_share,
        "cluster": clu.score,
        "cluster_edges": clu.n_edges,
        "cluster_cut": clu.n_cut,
        "cluster_stretched": clu.n_stretched,
    }
    if panel_ids is not None and outlines is not None:
        ps = panel_scores(charts, panel_ids, outlines, panel_names)
        out.update(
            panel_l2_cm=ps.l2_cm,
            panel_l2_sym_cm=ps.l2_sym_cm,
            panels_recovered=ps.recovered_share,
            panels_matched=ps.n_matched,
            panels=[asdict(d) for d in ps.panels],
        )
    return out
