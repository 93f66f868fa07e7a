"""Detail statistics of garment surfaces and residuals (the seed's "details analysis").

- normal variation: for every interior edge, |n1 - n2| of its two face normals (0 flat .. 2);
- curvature proxy: |normal component of the uniform Laplacian| / mean edge length^2 (1/cm);
- residual: |fine - base| per vertex (cm), and its high-frequency part: the residual minus
  its own Laplacian-smoothed version; ``hf_share`` is the high-frequency energy fraction.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import trimesh


def _stats(x: np.ndarray) -> dict[str, float]:
    x = np.asarray(x, float)
    return {"mean": float(x.mean()), "std": float(x.std()), "max": float(x.max()), "min": float(x.min())}


def adjacency_matrix(n_vertices: int, faces: np.ndarray) -> sp.csr_matrix:
    """Row-normalised vertex adjacency (uniform Laplacian weights)."""
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    e = np.concatenate([e, e[:, ::-1]])
    a = sp.csr_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n_vertices, n_vertices))
    a.data[:] = 1.0
    deg = np.asarray(a.sum(axis=1)).ravel()
    return sp.diags(1.0 / np.maximum(deg, 1)) @ a


def smooth(values: np.ndarray, faces: np.ndarray, iterations: int = 10, step: float = 0.5) -> np.ndarray:
    """Uniform Laplacian smoothing of per-vertex values (a low-pass filter on the mesh)."""
    w = adjacency_matrix(len(values), faces)
    out = np.asarray(values, float).copy()
    for _ in range(iterations):
        out = (1 - step) * out + step * (w @ out)
    return out


def taubin_smooth(
    values: np.ndarray, faces: np.ndarray, iterations: int = 20, lam: float = 0.5, mu: float = -0.53
) -> np.ndarray:
    """Taubin's lambda/mu smoothing: a low-pass filter that, unlike plain Laplacian
    smoothing, does not shrink the surface (a smoothed sleeve stays around the arm)."""
    w = adjacency_matrix(len(values), faces)
    out = np.asarray(values, float).copy()
    for _ in range(iterations):
        out = out + lam * (w @ out - out)
        out = out + mu * (w @ out - out)
    return out


def normal_variation(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """|n1 - n2| over the interior edges of the mesh."""
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    n = mesh.face_normals
    pairs = mesh.face_adjacency
    return np.linalg.norm(n[pairs[:, 0]] - n[pairs[:, 1]], axis=1)


def curvature_proxy(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """|(x - mean(neighbours)) . n| / h^2 per vertex, h the mean edge length (1/length).

    The normal component ignores in-plane irregularity of the triangulation, so a flat
    panel scores 0 wherever it is meshed.
    """
    w = adjacency_matrix(len(vertices), faces)
    normals = trimesh.Trimesh(vertices, faces, process=False).vertex_normals
    lap = np.abs(((vertices - w @ vertices) * normals).sum(axis=1))
    e = vertices[faces] - vertices[np.roll(faces, 1, axis=1)]
    h = float(np.linalg.norm(e, axis=2).mean())
    return lap / max(h * h, 1e-12)


def surface_details(vertices: np.ndarray, faces: np.ndarray) -> dict[str, dict[str, float]]:
    return {
        "normal_variation": _stats(normal_variation(vertices, faces)),
        "curvature_proxy": _stats(curvature_proxy(vertices, faces)),
    }


def residual_details(fine: np.ndarray, base: np.ndarray, faces: np.ndarray, iterations: int = 10) -> dict:
    """Residual ``fine - base`` on the fine mesh: magnitude and high-frequency part (cm)."""
    r = np.asarray(fine, float) - np.asarray(base, float)
    hf = r - smooth(r, faces, iterations)
    mag, hf_mag = np.linalg.norm(r, axis=1), np.linalg.norm(hf, axis=1)
    return {
        "magnitude": _stats(mag),
        "high_frequency": _stats(hf_mag),
        "hf_share": float((hf_mag**2).sum() / max((mag**2).sum(), 1e-12)),
    }


def edge_strain(vertices: np.ndarray, rest: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Per unique edge ``length / rest length - 1`` (rest: the flat box mesh, same topology):
    positive where the drape stretches the cloth, negative where it compresses it."""
    edges = trimesh.Trimesh(rest, faces, process=False).edges_unique
    rest_len = np.linalg.norm(rest[edges[:, 0]] - rest[edges[:, 1]], axis=1)
    length = np.linalg.norm(vertices[edges[:, 0]] - vertices[edges[:, 1]], axis=1)
    return length / np.maximum(rest_len, 1e-12) - 1.0
