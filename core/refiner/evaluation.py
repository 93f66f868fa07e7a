"""Evaluation of a refined garment against a reference drape (numpy, trimesh, scipy).

- detail at 0.5 / 1 / 2 / 4 cm and sharp creases of refined and reference (``core.detail``);
- large-scale error: refining must not move the garment. Both meshes are low-passed (Taubin,
  no shrink) and compared vertex to vertex when they correspond, else by the two-sided
  Chamfer distance (mean of unsquared nearest distances both ways);
- placement: correlation of the refined and the true residual's component along the base
  normal, over all vertices and band-passed to 2-4 cm (do folds land where they belong?);
- fold direction: how well the refined residual's ridges run across the base's compression,
  in the charts (mean cos 2(phi - theta) weighted by gradient energy: 1 across, -1 along);
- normal consistency (mean dot of face normals), signed-dihedral RMSE and mean-curvature
  difference when the meshes correspond; seam gap.
"""

from __future__ import annotations

import numpy as np
import trimesh
from scipy.spatial import cKDTree

from ..detail import surface_detail
from ..drape_metrics import smooth, taubin_smooth

LOWPASS_ITERATIONS = 20


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    return trimesh.Trimesh(vertices, faces, process=False).vertex_normals


def large_scale_error(refined: np.ndarray, reference: np.ndarray, faces: np.ndarray, ref_faces=None) -> dict:
    """Low-pass both and compare: v2v (cm) when they correspond, else two-sided Chamfer (cm)."""
    a = taubin_smooth(refined, faces, LOWPASS_ITERATIONS)
    if ref_faces is None and len(reference) == len(refined):
        b = taubin_smooth(reference, faces, LOWPASS_ITERATIONS)
        return {"kind": "v2v", "mean_cm": float(np.linalg.norm(a - b, axis=1).mean())}
    b = taubin_smooth(reference, ref_faces, LOWPASS_ITERATIONS)
    d_ab = cKDTree(b).query(a)[0]
    d_ba = cKDTree(a).query(b)[0]
    return {"kind": "chamfer (unsquared, two-sided mean)", "mean_cm": float((d_ab.mean() + d_ba.mean()) / 2)}


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    x, y = x - x.mean(), y - y.mean()
    den = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / den) if den > 0 else 0.0


def placement(base: np.ndarray, refined: np.ndarray, reference: np.ndarray, faces: np.ndarray) -> dict:
    """Correlation of the normal residual components (overall, and the 2-4 cm band: the
    difference of two smoothing levels whose widths are about 2 and 4 cm)."""
    n = vertex_normals(base, faces)
    r = ((refined - base) * n).sum(axis=1)
    t = ((reference - base) * n).sum(axis=1)
    edge = float(np.median(np.linalg.norm(base[faces] - base[np.roll(faces, 1, axis=1)], axis=2)))

    def band(x):
        # uniform smoothing with k steps spreads ~ edge * sqrt(k / 2): 2 cm and 4 cm widths
        k_lo, k_hi = max(1, round(2 * (2.0 / edge) ** 2)), max(2, round(2 * (4.0 / edge) ** 2))
        return smooth(x, faces, k_lo) - smooth(x, faces, k_hi)

    return {"overall": _corr(r, t), "band_2_4cm": _corr(band(r), band(t))}


def fold_direction(
    residual_images: list[np.ndarray], cond_images: list[np.ndarray], masks: list[np.ndarray]
) -> float:
    """Agreement of the residual's gradient direction with the compression direction over
    all charts: gradient-energy-weighted mean of cos 2(phi - theta)."""
    from .features import CONDITION_CHANNELS

    ci, si = CONDITION_CHANNELS.index("compress_cos2"), CONDITION_CHANNELS.index("compress_sin2")
    num = den = 0.0
    for res, cond, m in zip(residual_images, cond_images, masks, strict=True):
        gy, gx = np.gradient(res[2])
        energy = (gx * gx + gy * gy) * m
        phi2 = 2 * np.arctan2(gy, gx)  # gradient direction (doubled: a direction, not a vector)
        num += float((energy * (np.cos(phi2) * cond[ci] + np.sin(phi2) * cond[si])).sum())
        den += float(energy.sum())
    return num / den if den > 0 else 0.0


def signed_dihedrals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    angles = mesh.face_adjacency_angles
    return np.where(mesh.face_adjacency_convex, angles, -angles)


def mean_curvature(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Umbrella-Laplacian mean curvature per vertex (1/cm), signed by the vertex normal."""
    lap = smooth(vertices, faces, 1, 1.0) - vertices
    e = np.linalg.norm(vertices[faces] - vertices[np.roll(faces, 1, axis=1)], axis=2).mean()
    return 2 * (lap * vertex_normals(vertices, faces)).sum(axis=1) / e**2


def correspondence_metrics(refined: np.ndarray, reference: np.ndarray, faces: np.ndarray) -> dict:
    mr = trimesh.Trimesh(refined, faces, process=False)
    mg = trimesh.Trimesh(reference, faces, process=False)
    return {
        "normal_consistency": float((mr.face_normals * mg.face_normals).sum(axis=1).mean()),
        "signed_dihedral_rmse_deg": float(
            np.degrees(
                np.sqrt(np.mean((signed_dihedrals(refined, faces) - signed_dihedrals(reference, faces)) ** 2))
            )
        ),
        "mean_curvature_diff": float(
            np.abs(mean_curvature(refined, faces) - mean_curvature(reference, faces)).mean()
        ),
    }


def seam_gap(vertices: np.ndarray, pairs: np.ndarray) -> float:
    if len(pairs) == 0:
        return 0.0
    return float(np.linalg.norm(vertices[pairs[:, 0]] - vertices[pairs[:, 1]], axis=1).max())


def evaluate(
    refined: np.ndarray,
    reference: np.ndarray,
    faces: np.ndarray,
    base: np.ndarray | None = None,
    seam_pairs: np.ndarray | None = None,
    ref_faces: np.ndarray | None = None,
    known_detail: dict | None = None,
) -> dict:
    """Every mesh-level measure of one refined garment (see the module docstring).
    ``known_detail`` may hold the ``surface_detail`` of ``"reference"`` and ``"base"`` when
    already measured (they cost seconds each and do not change between methods)."""
    known = known_detail or {}
    corresponds = ref_faces is None and len(reference) == len(refined)
    ref_detail = known.get("reference") or surface_detail(
        reference, ref_faces if ref_faces is not None else faces
    )
    out = {
        "detail": {"refined": surface_detail(refined, faces), "reference": ref_detail},
        "large_scale_error": large_scale_error(refined, reference, faces, ref_faces),
    }
    if base is not None:
        out["detail"]["base"] = known.get("base") or surface_detail(base, faces)
        out["large_scale_error_base"] = large_scale_error(base, reference, faces, ref_faces)
        if corresponds:
            out["placement"] = placement(base, refined, reference, faces)
    if corresponds:
        out.update(correspondence_metrics(refined, reference, faces))
    if seam_pairs is not None:
        out["seam_gap_cm"] = {"refined": seam_gap(refined, seam_pairs)}
        if base is not None:
            out["seam_gap_cm"]["base"] = seam_gap(base, seam_pairs)
    return out
