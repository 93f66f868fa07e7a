"""Stitch check: edge lengths, missing and doubled edges, and 3D seam gaps via union-find."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.cluster.hierarchy import DisjointSet

from .boxmesh import _vertices_on_edge
from .garment_mesh import GarmentMesh
from .pattern import Pattern, StitchSide

SEAM_NONE, SEAM_OK, SEAM_BAD = 0, 1, 2


@dataclass
class StitchResult:
    """The check of one stitch; lengths and gaps in cm."""

    index: int
    a: str  # "panel:edge"
    b: str
    a_length_cm: float | None
    b_length_cm: float | None
    mismatch_cm: float | None
    exists: bool
    duplicate: bool
    gap_cm: float | None = None
    ok: bool = True
    reasons: list[str] = field(default_factory=list)


@dataclass
class StitchReport:
    """Per-stitch results and their summary."""

    pattern: str
    panels: list[str]
    stitches: list[StitchResult]
    length_tol_cm: float
    gap_tol_cm: float
    max_gap_cm: float | None = None
    seam_groups: int = 0
    vertex_status: np.ndarray | None = None  # per mesh vertex: SEAM_NONE / SEAM_OK / SEAM_BAD

    @property
    def stitch_accuracy(self) -> float:
        return 1.0 if not self.stitches else sum(s.ok for s in self.stitches) / len(self.stitches)

    @property
    def bad_stitches(self) -> list[StitchResult]:
        return [s for s in self.stitches if not s.ok]

    def to_dict(self) -> dict:
        return {
            "pattern": self.pattern,
            "panels": self.panels,
            "stitches": len(self.stitches),
            "stitch_accuracy": self.stitch_accuracy,
            "length_tol_cm": self.length_tol_cm,
            "gap_tol_cm": self.gap_tol_cm,
            "max_gap_cm": self.max_gap_cm,
            "seam_groups": self.seam_groups,
            "bad_stitches": [asdict(s) for s in self.bad_stitches],
            "per_stitch": [asdict(s) for s in self.stitches],
        }

    def format_text(self) -> str:
        lines = [
            f"pattern {self.pattern}: {len(self.panels)} panels, {len(self.stitches)} stitches",
            f"stitch accuracy {self.stitch_accuracy:.1%} (length tolerance {self.length_tol_cm} cm"
            + (f", gap tolerance {self.gap_tol_cm} cm)" if self.max_gap_cm is not None else ")"),
        ]
        if self.max_gap_cm is not None:
            lines.append(f"largest 3D seam gap {self.max_gap_cm:.3f} cm over {self.seam_groups} seam groups")
        for s in self.stitches:
            la = "-" if s.a_length_cm is None else f"{s.a_length_cm:7.2f}"
            lb = "-" if s.b_length_cm is None else f"{s.b_length_cm:7.2f}"
            gap = "" if s.gap_cm is None else f"  gap {s.gap_cm:6.2f}"
            flag = "ok " if s.ok else "BAD"
            why = "" if s.ok else "  <- " + "; ".join(s.reasons)
            lines.append(f"  [{flag}] #{s.index:<3d} {s.a:>24s} {la} cm | {s.b:<24s} {lb} cm{gap}{why}")
        return "\n".join(lines)


def _side_name(side: StitchSide) -> str:
    return f"{side.panel}:{side.edge}"


def _side_length(pattern: Pattern, side: StitchSide) -> float | None:
    panel = pattern.panels.get(side.panel)
    if panel is None or not 0 <= side.edge < len(panel.edges):
        return None
    return panel.edge_length(side.edge)


def _seam_gap(
    pattern: Pattern, mesh: GarmentMesh, a: StitchSide, b: StitchSide
) -> tuple[float | None, np.ndarray]:
    """Largest 3D distance between matching points of two stitched edges, and vertex pairs."""
    ia, ta = _vertices_on_edge(pattern, mesh, a.panel, a.edge)
    ib, tb = _vertices_on_edge(pattern, mesh, b.panel, b.edge)
    if len(ia) < 2 or len(ib) < 2:
        return None, np.zeros((0, 2), np.int64)
    pb = mesh.vertices[ib]
    best = None
    for tt in (ta, 1.0 - ta):  # same or reversed direction
        target = np.stack([np.interp(tt, tb, pb[:, k]) for k in range(3)], axis=1)
        gaps = np.linalg.norm(mesh.vertices[ia] - target, axis=1)
        if best is None or gaps.mean() < best[0].mean():
            nearest = ib[np.abs(tt[:, None] - tb[None]).argmin(axis=1)]
            best = (gaps, np.stack([ia, nearest], axis=1))
    return float(best[0].max()), best[1]


def check_stitches(
    pattern: Pattern,
    mesh: GarmentMesh | None = None,
    length_tol_cm: float = 1.0,
    gap_tol_cm: float = 0.5,
) -> StitchReport:
    """Check every stitch of ``pattern``; with a 3D ``mesh`` also measure seam gaps.

    A stitch is bad when an edge is missing, an edge is stitched more than once, the two
    edge lengths differ by more than ``length_tol_cm``, or (with a mesh) points that must
    coincide are more than ``gap_tol_cm`` apart. Seam vertices are joined with a
    union-find so that corner points shared by several seams form one group.
    """
    uses = Counter()
    for s in pattern.stitches:
        uses[(s.a.panel, s.a.edge)] += 1
        uses[(s.b.panel, s.b.edge)] += 1
    results: list[StitchResult] = []
    all_pairs = []
    for k, s in enumerate(pattern.stitches):
        la, lb = _side_length(pattern, s.a), _side_length(pattern, s.b)
        exists = la is not None and lb is not None
        dup = uses[(s.a.panel, s.a.edge)] > 1 or uses[(s.b.panel, s.b.edge)] > 1
        mismatch = abs(la - lb) if exists else None
        r = StitchResult(k, _side_name(s.a), _side_name(s.b), la, lb, mismatch, exists, dup)
        if not exists:
            missing = [_side_name(x) for x, length in ((s.a, la), (s.b, lb)) if length is None]
            r.reasons.append("missing edge " + ", ".join(missing))
        if dup:
            r.reasons.append("edge stitched more than once")
        if mismatch is not None and mismatch > length_tol_cm:
            r.reasons.append(f"length mismatch {mismatch:.2f} cm")
        if mesh is not None and exists:
            r.gap_cm, pairs = _seam_gap(pattern, mesh, s.a, s.b)
            all_pairs.append(pairs)
            if r.gap_cm is None:
                r.reasons.append("edge not found in the mesh")
            elif r.gap_cm > gap_tol_cm:
                r.reasons.append(f"3D gap {r.gap_cm:.2f} cm")
        r.ok = not r.reasons
        results.append(r)
    report = StitchReport(pattern.name, list(pattern.panels), results, length_tol_cm, gap_tol_cm)
    if mesh is not None:
        _group_seams(report, mesh, all_pairs, pattern)
    return report


def _group_seams(report: StitchReport, mesh: GarmentMesh, all_pairs: list, pattern: Pattern) -> None:
    """Union the stitched vertices; the gap of a group is its largest distance to its centroid x2."""
    pairs = np.concatenate(all_pairs) if all_pairs else np.zeros((0, 2), np.int64)
    ds = DisjointSet(np.unique(pairs).tolist())
    for a, b in pairs:
        ds.merge(int(a), int(b))
    groups = [np.array(sorted(g)) for g in ds.subsets() if len(g) > 1]
    gaps = [
        2 * float(np.linalg.norm(mesh.vertices[g] - mesh.vertices[g].mean(0), axis=1).max()) for g in groups
    ]
    measured = [s.gap_cm for s in report.stitches if s.gap_cm is not None]
    report.max_gap_cm = max(measured + gaps) if (measured or gaps) else None
    report.seam_groups = len(groups)
    report.vertex_status = seam_vertex_status(pattern, mesh, report)


def seam_vertex_status(pattern: Pattern, mesh: GarmentMesh, report: StitchReport) -> np.ndarray:
    """Per mesh vertex: SEAM_NONE, SEAM_OK or SEAM_BAD (a vertex on a bad stitch's edge)."""
    status = np.full(mesh.n_vertices, SEAM_NONE, np.int8)
    for s, result in zip(pattern.stitches, report.stitches, strict=True):
        if not result.exists:
            continue
        for side in (s.a, s.b):
            idx, _ = _vertices_on_edge(pattern, mesh, side.panel, side.edge)
            status[idx] = np.maximum(status[idx], SEAM_OK if result.ok else SEAM_BAD)
    return status
