"""The "details analysis" of a garment's base against its ground truth (numpy only).

Per mesh (base and fine, same topology): the *normal variation* of each vertex (the mean angle,
radians, between its area-weighted vertex normal and those of its 1-ring neighbours) and a
*curvature proxy* (``2 |n . (x - mean of the 1-ring)| / mean squared 1-ring edge length``, 1/cm:
the umbrella Laplacian's normal component over the ring's size, about the mean curvature on a regular
mesh). For the residual ``R = fine - base`` (cm): its magnitude ``|R|`` (mean, std, max, min) and
its *high-frequency* part ``|R - smooth(R)|`` (mean, max), ``smooth`` being ``hf_iterations``
steps of uniform Laplacian smoothing (weight ``hf_lambda``) over the mesh.

Checks (thresholds as in the thesis's notes where they give one):

* ``input_details_present``: the fine (ground-truth) mesh's normal variation mean >= 0.05 rad;
* ``residuals_significant``: the residual magnitude mean >= 0.05 cm;
* ``high_frequency_present``: the high-frequency residual mean >= 0.01 cm (0.1 mm; the notes
  give no number, this one is ours).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

NORMAL_VARIATION_MIN = 0.05  # rad
RESIDUAL_MEAN_MIN_CM = 0.05
HIGH_FREQUENCY_MEAN_MIN_CM = 0.01
HF_ITERATIONS = 10
HF_LAMBDA = 0.5


def adjacency(faces: np.ndarray, n_vertices: int) -> sparse.csr_matrix:
    """(V, V) 0/1 symmetric vertex adjacency of a triangle mesh's edges."""
    f = np.asarray(faces, np.int64).reshape(-1, 3)
    i = np.concatenate([f[:, 0], f[:, 1], f[:, 2], f[:, 1], f[:, 2], f[:, 0]])
    j = np.concatenate([f[:, 1], f[:, 2], f[:, 0], f[:, 0], f[:, 1], f[:, 2]])
    a = sparse.csr_matrix((np.ones(len(i)), (i, j)), shape=(n_vertices, n_vertices))
    a.data[:] = 1.0
    return a


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(V, 3) unit area-weighted vertex normals (0 for isolated vertices)."""
    v = np.asarray(vertices, np.float64)
    f = np.asarray(faces, np.int64)
    cross = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    n = np.zeros_like(v)
    for k in range(3):
        np.add.at(n, f[:, k], cross)
    length = np.linalg.norm(n, axis=1, keepdims=True)
    return np.divide(n, length, out=np.zeros_like(n), where=length > 0)


def _ring_mean(adj: sparse.csr_matrix, values: np.ndarray) -> np.ndarray:
    deg = np.asarray(adj.sum(axis=1)).reshape(-1, 1)
    return np.divide(adj @ values, deg, out=np.array(values, np.float64, copy=True), where=deg > 0)


def normal_variation(vertices: np.ndarray, faces: np.ndarray, adj: sparse.csr_matrix | None = None):
    """(V,) mean angle (rad) between each vertex normal and its neighbours' normals."""
    v = np.asarray(vertices, np.float64)
    adj = adjacency(faces, len(v)) if adj is None else adj
    n = vertex_normals(v, faces)
    coo = adj.tocoo()
    ang = np.arccos(np.clip((n[coo.row] * n[coo.col]).sum(axis=1), -1.0, 1.0))
    total = np.bincount(coo.row, ang, minlength=len(v))
    deg = np.bincount(coo.row, minlength=len(v))
    return np.divide(total, deg, out=np.zeros(len(v)), where=deg > 0)


def curvature_proxy(vertices: np.ndarray, faces: np.ndarray, adj: sparse.csr_matrix | None = None):
    """(V,) ``2 |n . (x - ring mean)| / mean squared ring edge length`` (1 / mesh units): the
    umbrella Laplacian's normal component (so a flat mesh scores 0, its border too)."""
    v = np.asarray(vertices, np.float64)
    adj = adjacency(faces, len(v)) if adj is None else adj
    delta = np.abs(((v - _ring_mean(adj, v)) * vertex_normals(v, faces)).sum(axis=1))
    coo = adj.tocoo()
    sq = ((v[coo.row] - v[coo.col]) ** 2).sum(axis=1)
    deg = np.bincount(coo.row, minlength=len(v))
    mean_sq = np.divide(np.bincount(coo.row, sq, minlength=len(v)), deg, out=np.zeros(len(v)), where=deg > 0)
    return np.divide(2.0 * delta, mean_sq, out=np.zeros(len(v)), where=mean_sq > 0)


def smooth(
    values: np.ndarray, adj: sparse.csr_matrix, iterations: int = HF_ITERATIONS, lam: float = HF_LAMBDA
):
    """Uniform Laplacian smoothing ``x <- x + lam (ring mean - x)``, ``iterations`` times."""
    x = np.asarray(values, np.float64).copy()
    for _ in range(int(iterations)):
        x = x + lam * (_ring_mean(adj, x) - x)
    return x


def _stats(x: np.ndarray, with_min: bool = False) -> dict:
    out = {"mean": float(x.mean()), "std": float(x.std()), "max": float(x.max())}
    if with_min:
        out["min"] = float(x.min())
    return out


def details_analysis(
    base: np.ndarray,
    fine: np.ndarray,
    faces: np.ndarray,
    hf_iterations: int = HF_ITERATIONS,
    hf_lambda: float = HF_LAMBDA,
) -> dict:
    """The analysis (see the module docstring) of ``base`` against ``fine`` (both (V, 3), cm, on
    the same ``faces``) as a JSON-ready dict."""
    base = np.asarray(base, np.float64).reshape(-1, 3)
    fine = np.asarray(fine, np.float64).reshape(-1, 3)
    if base.shape != fine.shape:
        raise ValueError(f"base {base.shape} and fine {fine.shape} differ")
    adj = adjacency(faces, len(base))
    meshes = {}
    for name, v in (("base", base), ("fine", fine)):
        meshes[name] = {
            "normal_variation": _stats(normal_variation(v, faces, adj)),
            "curvature_proxy": _stats(curvature_proxy(v, faces, adj)),
        }
    r = fine - base
    mag = np.linalg.norm(r, axis=1)
    hf = np.linalg.norm(r - smooth(r, adj, hf_iterations, hf_lambda), axis=1)
    high = {"mean": float(hf.mean()), "max": float(hf.max())}
    nv = meshes["fine"]["normal_variation"]["mean"]
    checks = {
        "input_details_present": {
            "value": nv,
            "min": NORMAL_VARIATION_MIN,
            "ok": bool(nv >= NORMAL_VARIATION_MIN),
        },
        "residuals_significant": {
            "value": float(mag.mean()),
            "min": RESIDUAL_MEAN_MIN_CM,
            "ok": bool(mag.mean() >= RESIDUAL_MEAN_MIN_CM),
        },
        "high_frequency_present": {
            "value": high["mean"],
            "min": HIGH_FREQUENCY_MEAN_MIN_CM,
            "ok": bool(high["mean"] >= HIGH_FREQUENCY_MEAN_MIN_CM),
        },
    }
    return {
        **meshes,
        "residual_cm": _stats(mag, with_min=True),
        "high_frequency_cm": high,
        "hf_smoothing": {"iterations": int(hf_iterations), "lambda": float(hf_lambda)},
        "checks": checks,
    }


def format_details(d: dict) -> list[str]:
    """Printable lines of a ``details_analysis`` dict."""
    lines = []
    for name in ("base", "fine"):
        nv, cu = d[name]["normal_variation"], d[name]["curvature_proxy"]
        lines.append(
            f"  {name:4s}: normal variation mean {nv['mean']:.4f} std {nv['std']:.4f} "
            f"max {nv['max']:.4f} rad | "
            f"curvature proxy mean {cu['mean']:.4f} std {cu['std']:.4f} max {cu['max']:.4f} 1/cm"
        )
    r, h = d["residual_cm"], d["high_frequency_cm"]
    lines.append(
        f"  residual |R|: mean {r['mean']:.4f} std {r['std']:.4f} max {r['max']:.4f} min {r['min']:.4f} cm"
    )
    lines.append(f"  high-frequency residual: mean {h['mean']:.4f} max {h['max']:.4f} cm")
    for k, c in d["checks"].items():
        lines.append(f"  check {k}: {c['value']:.4f} >= {c['min']} -> {'yes' if c['ok'] else 'NO'}")
    return lines
