"""Fold-free chart UVs: keep a chart map's face assignment, re-flatten every chart classically.

A short Nuvo fit (the CPU preset) already groups the faces into compact charts, but its learned
3D->UV maps still fold and compress, so (chart, u, v) does not name one place of the surface
(bijectivity well under its 0.98 target). :func:`flatten_charts` keeps *which face is in which
chart* and replaces each chart's UVs by a least-squares conformal map (LSCM, libigl):

- A chart's faces (those whose three points are in it) are split into edge-connected components
  (faces sharing an edge; faces that meet only at a point, a bowtie, are apart).
- A component that is not a topological disk (an edge used by more than two faces, Euler
  characteristic V - E + F != 1, or a boundary that is not one simple loop) is split in two and
  each part is handled again. A split cuts the faces at the median of their centroids' projection
  on one of the component's principal axes (area-weighted PCA of the centroids): the first axis
  (largest spread) whose halves are all disks, else the first axis. A tube is so cut lengthwise
  into two half-tubes instead of into two shorter tubes.
- A disk is flattened by LSCM with two boundary points fixed at (0, 0) and (d, 0), d their 3D
  distance (the pair: the boundary point farthest from an arbitrary one, and the boundary point
  farthest from that, a two-sweep approximation of the farthest pair). The result is mirrored
  if most of its area is negatively oriented, scaled to cm of surface by sqrt(3D area / UV
  area) and shifted to start at the origin. Faces are consistently oriented first (libigl's
  ``bfs_orient``) when they are not.
- A flattened disk is split along its first principal axis and the parts handled again when it
  has a flipped face (signed UV area of the opposite sign, or zero, for a face of nonzero 3D
  area), a self-intersecting boundary (shapely ``LinearRing.is_simple``) or a face shrunk below
  ``min_scale`` (:data:`MIN_SCALE`). A disk without flips and with a simple boundary is injective
  (a locally injective, orientation-preserving map of a disk whose boundary is simple is
  one-to-one), so its (u, v) are usable hash keys; bounding the shrink keeps 3D-far points apart
  in UV too (what the bijectivity score also asks).
- Splitting stops at ``max_split_depth`` levels below the component. A disk still bad there is
  kept as it flattens; a part still not a disk (or that LSCM fails on) is cut into disks by
  greedy region growing (:func:`_grow_disks`) and each disk kept as it flattens. Pieces kept bad
  are counted in the :class:`FlattenReport`.

Every resulting piece is a chart of its own, named ``<old name>.<k>`` (k = 1, 2, ... per old
chart), numbered in order of the old charts. Chart points are the distinct (old point, piece)
pairs: an old point where faces of k pieces meet is duplicated k times. Each new point keeps the
group of its old point (groups renumbered 0..G-1 in order of first appearance), so every point
that shared a group still does, and copies of one mesh vertex share its group. Faces keep their
order; a face whose points span old charts (never one from
:func:`~core.nuvo.export.charts_from_nuvo`) keeps spanning charts, each corner mapped to a copy of
its old point. An old point that no face of its own chart uses keeps its old uv in one extra chart
``<old name>.unmapped`` per old chart, so every mesh vertex keeps a chart point.

``cm_per_uv`` is the per-piece scale applied to the LSCM output (cm per LSCM unit: LSCM is
already about in cm through the fixed pair, so it is near 1; 1 for ``.unmapped`` charts),
``source`` is kept and ``rest_known`` is False. The area distortion of a face is
sqrt(UV area / 3D area) after that scaling (1: isometric; each piece's area-weighted mean of its
square is 1).

:func:`unwrap_xatlas` is the classical baseline: an xatlas unwrap of the whole mesh, one chart per
xatlas chart, in cm of surface.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import asdict, dataclass, field

import igl
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from shapely.geometry import LinearRing

from ..refiner.charts import Charts, _groups
from .scores import boundary_loops

MAX_SPLIT_DEPTH = 6
"""Default depth of recursive splits below each connected component of a chart."""
DEGENERATE_AREA = 1e-10
"""Faces whose 3D area is under this share of the piece's median face area are exempt from the
flip test (a zero-area triangle rightly maps to zero UV area)."""
MIN_SCALE = 0.5
"""A flattened piece with a face shrunk below this linear scale (sqrt(UV area / 3D area), after
the piece's own area scaling) is split too: the bijectivity score counts a collision where the
map shrinks 3D distances by more than its far factor (3), and LSCM of a strongly curved piece
(an armpit, a shoulder) shrinks its far end that much."""


@dataclass
class FlattenReport:
    """What :func:`flatten_charts` did."""

    charts_in: int = 0  # charts of the input
    components: int = 0  # connected components of the input charts' faces
    pieces: int = 0  # flattened pieces = output charts (without ``.unmapped`` ones)
    splits: int = 0  # split operations
    grown: int = 0  # pieces cut by the disk-growing fallback at the depth limit
    bad_pieces: int = 0  # pieces kept at the depth limit with a flip, an overlap or not a disk
    not_disk_pieces: int = 0  # ... of which are not topological disks
    flipped_faces: int = 0  # faces left flipped in the bad pieces
    overlapping_pieces: int = 0  # pieces left with a self-intersecting boundary
    shrunk_pieces: int = 0  # pieces left with a face shrunk below ``min_scale``
    unmapped_points: int = 0  # old points used by no face of their own chart
    min_distortion: float = 1.0  # min over faces of sqrt(UV area / 3D area) (1: isometric)
    max_distortion: float = 1.0  # max over faces of sqrt(UV area / 3D area) (1: isometric)
    median_distortion: float = 1.0  # median of the same over faces
    p05_distortion: float = 1.0  # its 5th and 95th percentiles (plain, over faces)
    p95_distortion: float = 1.0
    seconds: float = 0.0
    parent: list[int] = field(default_factory=list)  # per output chart, the input chart it came from

    def to_json(self, with_parent: bool = False) -> dict:
        d = asdict(self)
        if not with_parent:
            d.pop("parent")
        return d


# ---------------------------------------------------------------------------------------------
# combinatorics of one piece (faces as local point indices 0..n-1)


def _compact(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(used points, faces renumbered into them)."""
    used, local = np.unique(faces, return_inverse=True)
    return used, local.reshape(-1, 3)


def _edge_ids(local: np.ndarray) -> tuple[np.ndarray, int]:
    """(F, 3) id of each face's edges (v0v1, v1v2, v2v0), undirected, and the number of edges."""
    e = np.sort(np.stack([local[:, [0, 1]], local[:, [1, 2]], local[:, [2, 0]]], axis=1), axis=2)
    _, inverse = np.unique(e.reshape(-1, 2), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    return inverse.reshape(-1, 3), int(inverse.max()) + 1


def _components(faces: np.ndarray) -> list[np.ndarray]:
    """Face index arrays of the edge-connected components (faces sharing an edge), largest
    first; faces that meet only at a point are in different components."""
    if len(faces) == 0:
        return []
    edge, n_edges = _edge_ids(_compact(faces)[1])
    n = len(faces)
    rows = np.repeat(np.arange(n), 3)
    graph = sp.coo_matrix((np.ones(3 * n), (rows, n + edge.ravel())), shape=(n + n_edges, n + n_edges))
    _, label = connected_components(graph, directed=False)
    _, face_label = np.unique(label[:n], return_inverse=True)
    comps = [np.flatnonzero(face_label == c) for c in range(int(face_label.max()) + 1)]
    return sorted(comps, key=len, reverse=True)


def _grow_disks(local: np.ndarray, key: np.ndarray) -> list[np.ndarray]:
    """Cut faces (local point indices, edges in at most two faces) into topological disks:
    from the unassigned face of lowest ``key``, grow a region across edges in order of ``key``,
    adding a face only when the region stays a disk (it meets the region along one boundary edge
    and its third point is new, or along two boundary edges), until no face can be added."""
    edge, n_edges = _edge_ids(local)
    faces_of_edge: list[list[int]] = [[] for _ in range(n_edges)]
    for f, es in enumerate(edge.tolist()):
        for e in es:
            faces_of_edge[e].append(f)
    region = np.full(len(local), -1, np.int64)
    count = np.zeros(n_edges, np.int64)  # faces of the current region on each edge
    in_region = np.zeros(int(local.max()) + 1, bool)
    regions = []
    for seed in np.argsort(key, kind="stable").tolist():
        if region[seed] >= 0:
            continue
        r = len(regions)
        members = [seed]
        region[seed] = r
        count[edge[seed]] += 1
        in_region[local[seed]] = True
        heap = [(float(key[g]), g) for e in edge[seed].tolist() for g in faces_of_edge[e] if region[g] < 0]
        heapq.heapify(heap)
        while heap:
            _, f = heapq.heappop(heap)
            if region[f] >= 0:
                continue
            c = count[edge[f]]
            if (c > 1).any():
                continue
            shared = int(c.sum())
            if shared == 1:
                third = local[f][(int(np.argmax(c)) + 2) % 3]  # the point opposite the shared edge
                if in_region[third]:
                    continue
            elif shared != 2:
                continue
            region[f] = r
            members.append(f)
            count[edge[f]] += 1
            in_region[local[f]] = True
            for e in edge[f].tolist():
                for g in faces_of_edge[e]:
                    if region[g] < 0:
                        heapq.heappush(heap, (float(key[g]), g))
        m = np.array(members, np.int64)
        count[edge[m].ravel()] = 0
        in_region[local[m].ravel()] = False
        regions.append(m)
    return regions


def _disk_boundary(local: np.ndarray, n: int) -> np.ndarray | None:
    """The boundary loop (local point indices) of a topological disk, or None if it is not one:
    every edge in at most two faces, V - E + F = 1 and the boundary edges one simple loop."""
    e = np.concatenate([local[:, [0, 1]], local[:, [1, 2]], local[:, [2, 0]]])
    key = np.sort(e, axis=1)
    uniq, counts = np.unique(key, axis=0, return_counts=True)
    if counts.max() > 2 or n - len(uniq) + len(local) != 1:
        return None
    boundary = uniq[counts == 1]
    if len(boundary) < 3:
        return None
    degree = np.bincount(boundary.ravel(), minlength=n)
    if not np.all((degree == 0) | (degree == 2)):
        return None
    loops = boundary_loops(local)
    if len(loops) != 1 or len(loops[0]) != len(boundary):
        return None
    return loops[0]


def _orient(local: np.ndarray) -> np.ndarray:
    """Faces consistently oriented (libigl's BFS over the edge-connected patches)."""
    e = np.concatenate([local[:, [0, 1]], local[:, [1, 2]], local[:, [2, 0]]])
    if len(np.unique(e, axis=0)) == len(e):  # no directed edge twice: already consistent
        return local
    oriented, _ = igl.bfs_orient(np.ascontiguousarray(local, np.int64))
    return np.asarray(oriented, np.int64)


# ---------------------------------------------------------------------------------------------
# geometry


def _areas3(xyz: np.ndarray, local: np.ndarray) -> np.ndarray:
    t = xyz[local]
    return 0.5 * np.linalg.norm(np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]), axis=1)


def _signed_areas2(uv: np.ndarray, local: np.ndarray) -> np.ndarray:
    t = uv[local]
    a, b = t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]
    return 0.5 * (a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])


def _far_pair(xyz: np.ndarray, candidates: np.ndarray) -> tuple[int, int]:
    """Two of the candidate points far apart in 3D (two farthest-point sweeps)."""
    p = xyz[candidates]
    i = int(np.argmax(np.linalg.norm(p - p[0], axis=1)))
    j = int(np.argmax(np.linalg.norm(p - p[i], axis=1)))
    return int(candidates[i]), int(candidates[j])


@dataclass
class _Flat:
    uv: np.ndarray  # (n, 2) cm, starting at the origin
    scale: float  # applied to the LSCM output
    flipped: np.ndarray  # (F,) bool
    simple: bool  # the boundary loop does not self-intersect (True for non-disks: untested)
    ratio: np.ndarray  # (F,) sqrt(UV area / 3D area), nan for degenerate faces


def _flatten(xyz: np.ndarray, local: np.ndarray, loop: np.ndarray | None) -> _Flat:
    """LSCM of one piece (points xyz (n, 3) cm, oriented faces ``local``), in cm of surface."""
    n = len(xyz)
    a, b = _far_pair(xyz, loop if loop is not None else np.arange(n))
    d = float(np.linalg.norm(xyz[a] - xyz[b]))
    if a == b or d <= 0:  # all boundary points in one place: fix an edge instead
        a, b = int(local[0, 0]), int(local[0, 1])
        d = float(np.linalg.norm(xyz[a] - xyz[b]))
    fixed = np.array([a, b], np.int64)
    bc = np.array([[0.0, 0.0], [max(d, 1e-12), 0.0]])
    area3 = _areas3(xyz, local)
    try:
        uv, _ = igl.lscm(np.ascontiguousarray(xyz, np.float64), np.ascontiguousarray(local), fixed, bc)
        uv = np.asarray(uv, np.float64).reshape(n, 2)
    except RuntimeError:  # the solver failed (a degenerate or non-manifold piece)
        uv = np.full((n, 2), np.nan)
    if not np.isfinite(uv).all():
        nan = np.full(len(local), np.nan)
        return _Flat(uv=np.zeros((n, 2)), scale=1.0, flipped=area3 >= 0, simple=False, ratio=nan)
    signed = _signed_areas2(uv, local)
    if signed.sum() < 0:  # mostly mirrored: reflect so that the piece is positively oriented
        uv[:, 1] *= -1
        signed = -signed
    total2 = float(signed.sum())
    scale = float(np.sqrt(area3.sum() / total2)) if total2 > 0 else 1.0
    uv *= scale
    signed *= scale * scale
    uv -= uv.min(axis=0)
    real = area3 > DEGENERATE_AREA * max(float(np.median(area3)), 1e-300)
    flipped = real & (signed <= 0)
    ratio = np.full(len(local), np.nan)
    ratio[real] = np.sqrt(np.abs(signed[real]) / area3[real])
    simple = True
    if loop is not None and not flipped.any():
        simple = bool(LinearRing(uv[loop]).is_simple)
    return _Flat(uv=uv, scale=scale, flipped=flipped, simple=simple, ratio=ratio)


def _halves(xyz: np.ndarray, local: np.ndarray) -> list[np.ndarray]:
    """Per principal axis of the faces' centroids (area-weighted, largest spread first), the
    face mask of the part above the median (half the faces by rank)."""
    centroid = xyz[local].mean(axis=1)
    w = _areas3(xyz, local) + 1e-300
    mean = (centroid * w[:, None]).sum(axis=0) / w.sum()
    x = centroid - mean
    cov = (x * w[:, None]).T @ x / w.sum()
    _, vecs = np.linalg.eigh(cov)
    masks = []
    for axis in vecs.T[::-1]:
        order = np.argsort(x @ axis, kind="stable")
        side = np.zeros(len(local), bool)
        side[order[len(order) // 2 :]] = True
        masks.append(side)
    return masks


# ---------------------------------------------------------------------------------------------
# the recursion


class _Flattener:
    def __init__(self, xyz: np.ndarray, max_depth: int, min_scale: float, report: FlattenReport):
        self.xyz = xyz  # (P_old, 3) position of every old point
        self.max_depth = max_depth
        self.min_scale = min_scale
        self.report = report
        self.ratios: list[np.ndarray] = []

    def good(self, flat: _Flat) -> bool:
        return not flat.flipped.any() and flat.simple and not self.shrunk(flat)

    def shrunk(self, flat: _Flat) -> bool:
        r = flat.ratio[np.isfinite(flat.ratio)]
        return bool(len(r) and r.min() < self.min_scale)

    def pieces(self, faces: np.ndarray, depth: int = 0) -> list[tuple[np.ndarray, np.ndarray, float]]:
        """(face indices into ``faces``, uv (F, 3, 2) per corner, scale) of every flattened piece
        of an edge-connected set of faces (old point indices)."""
        used, local = _compact(faces)
        xyz = self.xyz[used]
        local = _orient(local)
        loop = _disk_boundary(local, len(used))
        flat = None
        if loop is not None:
            flat = _flatten(xyz, local, loop)
            if self.good(flat):
                return [self._keep(faces, flat)]
        if depth >= self.max_depth or len(faces) < 2:
            if loop is None or not np.isfinite(flat.ratio).any():
                return self._grown(faces, xyz, local)
            return [self._bad(faces, flat, False)]
        masks = _halves(xyz, local)
        side = masks[0]
        if loop is None:  # prefer a cut whose parts are all disks
            for m in masks:
                halves = (faces[m], faces[~m])
                if all(self._is_disk(h[part]) for h in halves for part in _components(h)):
                    side = m
                    break
        self.report.splits += 1
        out = []
        for half in (side, ~side):
            idx = np.flatnonzero(half)
            for part in _components(faces[idx]):
                for sub, uv, scale in self.pieces(faces[idx[part]], depth + 1):
                    out.append((idx[part][sub], uv, scale))
        return out

    def _grown(self, faces: np.ndarray, xyz: np.ndarray, local: np.ndarray):
        """Pieces of a part still not a disk (or not flattenable) at the depth limit: cut into
        disks (:func:`_grow_disks` along its first principal axis), each flattened and kept."""
        centroid = xyz[local].mean(axis=1)
        x = centroid - centroid.mean(axis=0)
        axis = np.linalg.eigh(x.T @ x)[1][:, -1]
        regions = _grow_disks(local, x @ axis)
        self.report.grown += len(regions)
        out = []
        for m in regions:
            used, sub = _compact(local[m])
            loop = _disk_boundary(sub, len(used))
            flat = _flatten(xyz[used], sub, loop)
            keep = self._keep(faces[m], flat) if loop is not None and self.good(flat) else None
            _, uv, scale = keep or self._bad(faces[m], flat, loop is None)
            out.append((m, uv, scale))
        return out

    def _bad(self, faces: np.ndarray, flat: _Flat, not_disk: bool):
        r = self.report
        r.bad_pieces += 1
        r.not_disk_pieces += int(not_disk)
        r.flipped_faces += int(flat.flipped.sum())
        r.overlapping_pieces += int(not flat.simple)
        r.shrunk_pieces += int(self.shrunk(flat))
        return self._keep(faces, flat)

    @staticmethod
    def _is_disk(faces: np.ndarray) -> bool:
        used, local = _compact(faces)
        return _disk_boundary(local, len(used)) is not None

    def _keep(self, faces: np.ndarray, flat: _Flat):
        """All of ``faces`` as one piece: (face indices, per corner uv, scale)."""
        self.ratios.append(flat.ratio)
        used = np.unique(faces)  # flat.uv is indexed like _compact(faces)
        return np.arange(len(faces)), flat.uv[np.searchsorted(used, faces)], flat.scale


def flatten_with_report(
    charts: Charts,
    vertices: np.ndarray,
    max_split_depth: int = MAX_SPLIT_DEPTH,
    min_scale: float = MIN_SCALE,
) -> tuple[Charts, FlattenReport]:
    """:func:`flatten_charts` and its :class:`FlattenReport`."""
    start = time.perf_counter()
    vertices = np.asarray(vertices, np.float64).reshape(-1, 3)
    faces = np.asarray(charts.faces, np.int64).reshape(-1, 3)
    report = FlattenReport(charts_in=charts.n_charts)
    worker = _Flattener(vertices[charts.vertex], max_split_depth, min_scale, report)
    fc = charts.chart[faces]
    one = (fc[:, 0] == fc[:, 1]) & (fc[:, 0] == fc[:, 2])
    face_chart = np.where(one, fc[:, 0], -1)

    piece_of_face = np.full(len(faces), -1, np.int64)
    corner_uv = np.zeros((len(faces), 3, 2))
    names: list[str] = []
    parent: list[int] = []
    scales: list[float] = []
    for c in range(charts.n_charts):
        chart_faces = np.flatnonzero(face_chart == c)
        k = 0
        for comp in _components(faces[chart_faces]):
            report.components += 1
            idx = chart_faces[comp]
            for sub, uv, scale in worker.pieces(faces[idx]):
                k += 1
                piece_of_face[idx[sub]] = len(names)
                corner_uv[idx[sub]] = uv
                names.append(f"{charts.names[c]}.{k}")
                parent.append(c)
                scales.append(scale)
    report.pieces = len(names)

    # new chart points: distinct (old point, piece) of the corners of the charted faces
    n_old = charts.n_points
    charted = piece_of_face >= 0
    corner_point = faces[charted].ravel()
    corner_piece = np.repeat(piece_of_face[charted], 3)
    key = corner_piece * n_old + corner_point
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    old_point = corner_point[first]
    point_chart = corner_piece[first]
    point_uv = corner_uv[charted].reshape(-1, 2)[first]
    new_faces = np.zeros_like(faces)
    new_faces[charted] = inverse.reshape(-1, 3)
    # old points that no face of their own chart uses: one extra chart per old chart
    orphan = np.setdiff1d(np.arange(n_old), old_point)
    report.unmapped_points = len(orphan)
    orphan_chart = np.zeros(0, np.int64)
    if len(orphan):
        old_charts, orphan_chart = np.unique(charts.chart[orphan], return_inverse=True)
        orphan_chart = orphan_chart + len(names)
        for c in old_charts.tolist():
            names.append(f"{charts.names[c]}.unmapped")
            parent.append(c)
            scales.append(1.0)
    all_old = np.concatenate([old_point, orphan])
    all_chart = np.concatenate([point_chart, orphan_chart]).astype(np.int32)
    all_uv = np.concatenate([point_uv, np.asarray(charts.uv, np.float64)[orphan]])
    # faces spanning old charts: each corner to the first copy of its old point
    if (~charted).any():
        copy_of = np.full(n_old, -1, np.int64)
        order = np.arange(len(all_old))[::-1]
        copy_of[all_old[order]] = order  # the lowest new index wins
        new_faces[~charted] = copy_of[faces[~charted]]
    # groups: the old point's group, renumbered by first appearance
    _, group = np.unique(np.asarray(charts.group)[all_old], return_inverse=True)
    group = _groups(len(all_old), group.astype(np.int64), np.zeros((0, 2), np.int64))

    ratios = np.concatenate(worker.ratios) if worker.ratios else np.zeros(0)
    ratios = ratios[np.isfinite(ratios)]
    if len(ratios):
        report.min_distortion = float(ratios.min())
        report.max_distortion = float(ratios.max())
        report.median_distortion = float(np.median(ratios))
        report.p05_distortion, report.p95_distortion = (float(q) for q in np.percentile(ratios, [5, 95]))
    report.parent = parent
    report.seconds = time.perf_counter() - start
    out = Charts(
        vertex=np.asarray(charts.vertex, np.int64)[all_old],
        chart=all_chart,
        uv=all_uv,
        faces=new_faces.astype(np.int64),
        group=group,
        names=names,
        source=charts.source,
        rest_known=False,
        cm_per_uv=np.asarray(scales, np.float64),
    )
    return out, report


def flatten_charts(
    charts: Charts,
    vertices: np.ndarray,
    max_split_depth: int = MAX_SPLIT_DEPTH,
    min_scale: float = MIN_SCALE,
) -> Charts:
    """The charts with each chart's UV replaced by fold-free LSCM flattenings of its pieces (see
    the module docstring); ``vertices`` (V, 3) in cm, indexed by ``charts.vertex``."""
    return flatten_with_report(charts, vertices, max_split_depth, min_scale)[0]


# ---------------------------------------------------------------------------------------------
# the classical baseline


def unwrap_xatlas(vertices: np.ndarray, faces: np.ndarray, source: str = "<mesh>") -> Charts:
    """Charts of an xatlas unwrap (default chart and pack options) of a mesh in cm: one chart per
    xatlas chart (the chart id of each output vertex), its UV scaled to cm of surface by
    sqrt(3D area / UV area) and shifted to start at the origin; chart points are xatlas's output
    vertices, the points of one mesh vertex share its group. ``cm_per_uv`` is each chart's scale
    (cm per unit of the packed atlas). ``source`` is only used in error messages."""
    import xatlas

    from ..errors import MeshError

    vertices = np.asarray(vertices, np.float64).reshape(-1, 3)
    faces = np.asarray(faces, np.int64).reshape(-1, 3)
    atlas = xatlas.Atlas()
    atlas.add_mesh(vertices.astype(np.float32), faces.astype(np.uint32))
    atlas.generate()
    vmapping, indices, uvs = atlas[0]
    atlas_index, chart_index = atlas.get_mesh_vertex_assignment(0)
    vmapping = np.asarray(vmapping, np.int64)
    indices = np.asarray(indices, np.int64).reshape(-1, 3)
    if indices.shape != faces.shape or not np.array_equal(np.sort(vmapping[indices], 1), np.sort(faces, 1)):
        raise MeshError("xatlas did not keep the mesh's faces", source=source)
    key = np.asarray(atlas_index, np.int64) * (int(np.max(chart_index, initial=0)) + 1) + chart_index
    _, point_chart = np.unique(key, return_inverse=True)
    point_chart = point_chart.astype(np.int32)
    n_charts = int(point_chart.max()) + 1
    face_chart = point_chart[indices[:, 0]]
    uv = np.asarray(uvs, np.float64).reshape(-1, 2).copy()
    area3 = _areas3(vertices, faces)
    area2 = np.abs(_signed_areas2(uv, indices))
    scale = np.ones(n_charts)
    for c in range(n_charts):
        a2 = float(area2[face_chart == c].sum())
        if a2 > 0:
            scale[c] = np.sqrt(area3[face_chart == c].sum() / a2)
        m = point_chart == c
        uv[m] = uv[m] * scale[c]
        uv[m] -= uv[m].min(axis=0)
    return Charts(
        vertex=vmapping,
        chart=point_chart,
        uv=uv,
        faces=indices,
        group=_groups(len(vmapping), vmapping, np.zeros((0, 2), np.int64)),
        names=[f"xatlas_{c}" for c in range(n_charts)],
        source="xatlas",
        rest_known=False,
        cm_per_uv=scale,
    )
