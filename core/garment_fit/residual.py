"""A garment's geometric residual as a field over chart coordinates (chart, u, v).

Per fine vertex: the key (chart = the panel, ``(u, v)`` = its pattern point in cm normalised to
``[0, 1]`` per chart) and the residual ``R = fine - base`` (cm, world frame, 3 components).

Key normalisation. Chart ``c``'s pattern points are shifted by the chart's own minimum corner and
divided by ONE scale for all charts, ``scale_cm`` = the largest chart extent (the largest width
or height of any chart, in cm). So every chart lies in ``[0, 1]^2``, the largest one reaches 1,
and a texel of a grid of resolution N (N cells per chart side) is ``scale_cm / N`` cm on every
chart: a resolution can be chosen in cm (``resolution_for``).

Bases (``BASE_KEYS``): ``lowpass`` = ``coarse_at_fine`` (the fine drape's large-scale shape at
the same vertices; the refiner's ``lowpass`` base), ``coarse_sim`` = ``coarse_sim_at_fine`` (an
independent coarse simulation mapped to the same vertices), ``box`` = ``fine_box_vertices`` (the
flat box mesh before draping: the residual is then the whole drape).

Surface samples. ``sample(n, rng)`` draws points uniformly by area of the fine drape (faces with
probability proportional to their 3D area, uniform barycentrics in the face); key and target are
the barycentric interpolations of the face's vertex keys and residuals (``at``). Every face lies
in one panel, so a face's three vertices share one chart. ``heldout`` is a fixed sample set
drawn from its own seed (``heldout_seed``), ``validation`` another (``heldout_seed + 1``), for
choosing hyper-parameters without looking at the held-out set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

BASE_KEYS = {"lowpass": "coarse_at_fine", "coarse_sim": "coarse_sim_at_fine", "box": "fine_box_vertices"}
"""Base name -> the sample array holding the base at the fine vertices."""

HELDOUT_SEED = 20240917
HELDOUT_POINTS = 16384
_RASTER_CHUNK = 1 << 21  # sub-texel points per chunk when rasterising the occupancy


class SurfaceSamples(NamedTuple):
    """Surface points: chart (N,) int64, uv (N, 2) float32 in [0, 1], target residual (N, 3)
    float32 cm, face (N,) int64, bary (N, 3) float32 (barycentrics in the face, summing to 1)."""

    chart: np.ndarray
    uv: np.ndarray
    target: np.ndarray
    face: np.ndarray
    bary: np.ndarray

    def __len__(self) -> int:  # the number of points, not of fields
        return len(self.chart)


@dataclass
class GarmentResidual:
    """The residual field of one garment at its fine vertices (see the module docstring).

    ``chart`` (V,) int64 in ``[0, n_charts)`` (charts are the panels in ascending panel id,
    ``panel_ids[c]`` being chart c's panel), ``uv`` (V, 2) float64 keys, ``uv_cm`` (V, 2) the
    pattern points, ``origin_cm`` (n_charts, 2) each chart's minimum corner, ``scale_cm`` the
    common scale, ``residual`` (V, 3) float64 cm, ``faces`` (F, 3) int64, ``face_area`` (F,)
    cm^2 of the fine drape.
    """

    chart: np.ndarray
    uv: np.ndarray
    uv_cm: np.ndarray
    origin_cm: np.ndarray
    scale_cm: float
    residual: np.ndarray
    faces: np.ndarray
    face_area: np.ndarray
    panel_ids: np.ndarray
    base: str = "lowpass"
    heldout_seed: int = HELDOUT_SEED
    heldout_points: int = HELDOUT_POINTS
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_charts(self) -> int:
        return len(self.panel_ids)

    @property
    def n_vertices(self) -> int:
        return len(self.chart)

    @property
    def face_chart(self) -> np.ndarray:
        """(F,) the chart of every face."""
        return self.chart[self.faces[:, 0]]

    def texel_cm(self, resolution: int) -> float:
        """The side of one texel (cm) of a grid of ``resolution`` cells per chart side."""
        return self.scale_cm / int(resolution)

    def resolution_for(self, texel_cm: float) -> int:
        """The smallest resolution whose texel is at most ``texel_cm`` (cm)."""
        return max(1, math.ceil(self.scale_cm / float(texel_cm) - 1e-9))

    def at(self, face: np.ndarray, bary: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(chart (N,), uv (N, 2), target (N, 3)) at barycentrics ``bary`` (N, 3) of faces ``face``
        (N,): the barycentric interpolation of the face's vertex keys and residuals (float64)."""
        face = np.asarray(face, dtype=np.int64)
        bary = np.asarray(bary, dtype=np.float64)
        tri = self.faces[face]  # (N, 3)
        uv = np.einsum("nk,nkd->nd", bary, self.uv[tri])
        target = np.einsum("nk,nkd->nd", bary, self.residual[tri])
        return self.chart[tri[:, 0]], uv, target

    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> SurfaceSamples:
        """``n`` random surface points, uniform by area of the fine drape (see ``SurfaceSamples``)."""
        rng = np.random.default_rng(rng)
        cdf = self._cache.get("cdf")
        if cdf is None:
            cdf = np.cumsum(self.face_area)
            cdf /= cdf[-1]
            self._cache["cdf"] = cdf
        face = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)
        r1, r2 = rng.random(n), rng.random(n)
        s = np.sqrt(r1)
        bary = np.stack([1.0 - s, s * (1.0 - r2), s * r2], axis=1)
        chart, uv, target = self.at(face, bary)
        return SurfaceSamples(
            chart.astype(np.int64),
            uv.astype(np.float32),
            target.astype(np.float32),
            face.astype(np.int64),
            bary.astype(np.float32),
        )

    @property
    def heldout(self) -> SurfaceSamples:
        """The fixed held-out set: ``heldout_points`` points drawn from ``heldout_seed``."""
        if "heldout" not in self._cache:
            self._cache["heldout"] = self.sample(self.heldout_points, self.heldout_seed)
        return self._cache["heldout"]

    @property
    def validation(self) -> SurfaceSamples:
        """A second fixed set (seed ``heldout_seed + 1``), for choosing hyper-parameters."""
        if "validation" not in self._cache:
            self._cache["validation"] = self.sample(self.heldout_points, self.heldout_seed + 1)
        return self._cache["validation"]

    def stats(self) -> dict:
        """Residual magnitude ``|R|`` over the vertices (cm): mean, std, max, rms, and its
        area-weighted mean over the surface (``surface_mean``, what the held-out mean estimates)."""
        mag = np.linalg.norm(self.residual, axis=1)
        vertex_area = np.zeros(self.n_vertices)
        for k in range(3):
            np.add.at(vertex_area, self.faces[:, k], self.face_area / 3.0)
        return {
            "base": self.base,
            "vertices": self.n_vertices,
            "faces": len(self.faces),
            "charts": self.n_charts,
            "scale_cm": float(self.scale_cm),
            "area_cm2": float(self.face_area.sum()),
            "mean_cm": float(mag.mean()),
            "std_cm": float(mag.std()),
            "max_cm": float(mag.max()),
            "rms_cm": float(np.sqrt((mag**2).mean())),
            "surface_mean_cm": float((mag * vertex_area).sum() / vertex_area.sum()),
        }

    def occupancy(self, resolution: int) -> list[np.ndarray]:
        """Per chart a (resolution, resolution) bool mask (rows along v, columns along u) of the
        texels the cloth covers: those holding a point of a sub-texel sampling of every face of
        the chart in pattern space (barycentric lattice, spacing at most half a texel, so only
        slivers thinner than that can be missed). The masks ``t_full`` takes."""
        n = int(resolution)
        masks = [np.zeros((n, n), dtype=bool) for _ in range(self.n_charts)]
        tri_uv = self.uv[self.faces] * n  # (F, 3, 2) in texel units
        edge = np.linalg.norm(tri_uv - np.roll(tri_uv, 1, axis=1), axis=2).max(axis=1)
        face_chart = self.face_chart
        # faces grouped by their lattice density k (points at spacing edge / k <= 1/2 texel)
        ks = np.ceil(2.0 * edge).astype(np.int64) + 1
        for k in np.unique(ks):
            i, j = np.meshgrid(np.arange(k + 1), np.arange(k + 1), indexing="ij")
            keep = i + j <= k
            lattice = np.stack([k - i[keep] - j[keep], i[keep], j[keep]], axis=1) / k  # (P, 3)
            sel = np.flatnonzero(ks == k)
            per_chunk = max(1, _RASTER_CHUNK // len(lattice))
            for s in range(0, len(sel), per_chunk):
                f = sel[s : s + per_chunk]
                pts = np.einsum("pk,fkd->fpd", lattice, tri_uv[f])  # (f, P, 2)
                cell = np.clip(np.floor(pts).astype(np.int64), 0, n - 1)
                c = np.broadcast_to(face_chart[f][:, None], cell.shape[:2])
                for ch in np.unique(face_chart[f]):
                    m = c == ch
                    masks[ch][cell[..., 1][m], cell[..., 0][m]] = True
        return masks


def garment_residual(
    arrays: dict[str, np.ndarray],
    base: str = "lowpass",
    *,
    heldout_seed: int = HELDOUT_SEED,
    heldout_points: int = HELDOUT_POINTS,
) -> GarmentResidual:
    """The residual field of a sample's ``arrays`` (``core.dataset.load_arrays``) against
    ``base`` (one of ``BASE_KEYS``)."""
    if base not in BASE_KEYS:
        raise ValueError(f"unknown base {base!r}; one of {sorted(BASE_KEYS)}")
    key = BASE_KEYS[base]
    if key not in arrays:
        raise KeyError(f"the sample has no {key!r} (base {base!r})")
    fine = np.asarray(arrays["fine_vertices"], dtype=np.float64)
    faces = np.asarray(arrays["fine_faces"], dtype=np.int64)
    panel = np.asarray(arrays["fine_panel"], dtype=np.int64)
    uv_cm = np.asarray(arrays["fine_uv"], dtype=np.float64)
    panel_ids, chart = np.unique(panel, return_inverse=True)
    chart = chart.astype(np.int64)
    if not (
        np.all(chart[faces[:, 1]] == chart[faces[:, 0]]) and np.all(chart[faces[:, 2]] == chart[faces[:, 0]])
    ):
        raise ValueError("a face spans two panels: the residual field needs every face in one chart")
    k = len(panel_ids)
    origin = np.stack([uv_cm[chart == c].min(axis=0) for c in range(k)])
    extent = np.stack([uv_cm[chart == c].max(axis=0) for c in range(k)]) - origin
    scale = float(extent.max())
    if scale <= 0:
        raise ValueError("the pattern coordinates span no area")
    uv = (uv_cm - origin[chart]) / scale
    residual = fine - np.asarray(arrays[key], dtype=np.float64)
    tri = fine[faces]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    return GarmentResidual(
        chart=chart,
        uv=uv,
        uv_cm=uv_cm,
        origin_cm=origin,
        scale_cm=scale,
        residual=residual,
        faces=faces,
        face_area=area,
        panel_ids=panel_ids,
        base=base,
        heldout_seed=heldout_seed,
        heldout_points=heldout_points,
    )
