"""A low-pass filter of per-vertex values on a garment's seam-welded surface at a physical
scale: one implicit heat-diffusion step, ``(M + t L) x_s = M x`` with the cotangent Laplacian
``L``, lumped vertex areas ``M`` and ``t = sigma^2 / 2`` (on a plane the kernel is a Gaussian of
standard deviation ``sigma`` cm, whatever the mesh resolution).

The refiner's target is the high-pass (``x - lowpass(x)``) of the fine drape minus its base:
the detail the fine drape has and the base lacks, and minus the mesh-scale kinks the base has
and the fine drape lacks, without the large-scale difference between the two drapes.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import factorized

DEFAULT_SIGMA_CM = 4.0


def _cotan_laplacian(v: np.ndarray, f: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Cotangent stiffness (positive semi-definite, (n, n)) and lumped areas (n,)."""
    n = len(v)
    rows, cols, vals = [], [], []
    for k in range(3):
        i, j, o = f[:, (k + 1) % 3], f[:, (k + 2) % 3], f[:, k]
        a, b = v[i] - v[o], v[j] - v[o]
        cross = np.linalg.norm(np.cross(a, b), axis=1)
        cot = np.einsum("ij,ij->i", a, b) / np.maximum(cross, 1e-12)
        w = 0.5 * cot
        rows += [i, j, i, j]
        cols += [j, i, i, j]
        vals += [-w, -w, w, w]
    lap = sparse.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), (n, n))
    tri_area = 0.5 * np.linalg.norm(np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]), axis=1)
    area = np.bincount(f.ravel(), np.repeat(tri_area / 3.0, 3), minlength=n)
    return lap.tocsr(), np.maximum(area, 1e-12)


class SurfaceLowpass:
    """The heat low-pass of one mesh, factorised once and applied to any per-vertex values.

    ``group`` (V,) welds vertices that are one cloth point (seam groups of the charts, ids
    0..G-1): values are averaged over a group, filtered on the welded mesh and given back to
    every member."""

    def __init__(self, vertices: np.ndarray, faces: np.ndarray, group: np.ndarray | None = None,
                 sigma_cm: float = DEFAULT_SIGMA_CM):  # fmt: skip
        v = np.asarray(vertices, np.float64)
        self.group = np.arange(len(v)) if group is None else np.asarray(group, np.int64)
        self.n_groups = int(self.group.max()) + 1
        self.counts = np.bincount(self.group, minlength=self.n_groups).astype(np.float64)
        welded = self._weld(v)
        wf = self.group[np.asarray(faces, np.int64)]
        keep = (wf[:, 0] != wf[:, 1]) & (wf[:, 1] != wf[:, 2]) & (wf[:, 0] != wf[:, 2])
        lap, self.area = _cotan_laplacian(welded, wf[keep])
        t = 0.5 * sigma_cm**2
        self.solve = factorized((sparse.diags(self.area) + t * lap).tocsc())

    def _weld(self, values: np.ndarray) -> np.ndarray:
        flat = values.reshape(len(values), -1)
        out = np.zeros((self.n_groups, flat.shape[1]))
        np.add.at(out, self.group, flat)
        return out / self.counts[:, None]

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Low-passed (V, ...) values."""
        values = np.asarray(values, np.float64)
        w = self._weld(values)
        rhs = self.area[:, None] * w
        out = np.stack([self.solve(rhs[:, k]) for k in range(w.shape[1])], axis=1)
        return out[self.group].reshape(values.shape)

    def highpass(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, np.float64)
        return values - self(values)
