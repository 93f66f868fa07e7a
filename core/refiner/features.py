"""What the denoiser is conditioned on, per chart point and as chart images.

Per chart point (from the base mesh and its charts):

- the local frame (t_u, t_v, n): the chart's u direction carried onto the surface, the
  normal, and their cross product; residuals are expressed in it (normal + two tangents);
- strain against the rest shape: log principal stretches of the map (u, v) -> 3D and the
  direction of least stretch as (cos 2θ, sin 2θ) in the chart (the fold direction cue of
  Rohmer et al. 2010: wrinkles form across compression);
- gravity in the local frame (does the cloth hang, lie or face down?);
- mean curvature of the base (1/cm);
- position relative to the chart's mean (cm / 50).

Per pixel, added once rasterised: distance to the panel boundary and to the seams (cm,
clipped), the material as one-hot channels, whether strain is known, and the cloth mask.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..edges import mesh_edges
from .charts import Charts, group_sums
from .raster import Rasterizer

MATERIALS = ("soft", "mid", "stiff")
GRAVITY = np.array([0.0, -1.0, 0.0])  # pattern space: +Y up
STRAIN_CHANNELS = ("log_stretch_max", "log_stretch_min", "compress_cos2", "compress_sin2")
POINT_CHANNELS = (
    *STRAIN_CHANNELS,
    "gravity_u",
    "gravity_v",
    "gravity_n",
    "curvature",
    "rel_x",
    "rel_y",
    "rel_z",
)
IMAGE_CHANNELS = ("boundary_dist", "seam_dist", *(f"material_{m}" for m in MATERIALS), "strain_known", "mask")
CONDITION_CHANNELS = (*POINT_CHANNELS, *IMAGE_CHANNELS)
DISTANCE_CLIP_CM = 10.0
POSITION_SCALE_CM = 50.0
CURVATURE_SCALE_CM = 5.0  # curvature * this: a 5 cm radius fold gives 1


def _face_maps(points: np.ndarray, charts: Charts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per face: the deformation gradient F (3x2, chart cm -> 3D cm), unit normal, area."""
    f = charts.faces
    dx = np.stack([points[f[:, 1]] - points[f[:, 0]], points[f[:, 2]] - points[f[:, 0]]], axis=2)  # (F,3,2)
    du = np.stack([charts.uv[f[:, 1]] - charts.uv[f[:, 0]], charts.uv[f[:, 2]] - charts.uv[f[:, 0]]], axis=2)
    det = du[:, 0, 0] * du[:, 1, 1] - du[:, 0, 1] * du[:, 1, 0]
    det = np.where(np.abs(det) < 1e-12, 1e-12, det)
    inv = np.stack([np.stack([du[:, 1, 1], -du[:, 0, 1]], 1), np.stack([-du[:, 1, 0], du[:, 0, 0]], 1)], 1)
    inv /= det[:, None, None]
    F = dx @ inv
    cross = np.cross(dx[:, :, 0], dx[:, :, 1])
    area = np.linalg.norm(cross, axis=1) / 2
    normal = cross / np.maximum(2 * area, 1e-12)[:, None]
    return F, normal, area


def _to_points(charts: Charts, face_values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Area-weighted mean of face values over each point's faces, then over its group."""
    flat = face_values.reshape(len(face_values), -1) * weights[:, None]
    corners = charts.faces.T.ravel()  # every face once per corner
    sums = group_sums(corners, np.tile(flat, (3, 1)), charts.n_points)
    wsum = np.bincount(corners, np.tile(weights, 3), minlength=charts.n_points)
    out = sums / np.maximum(wsum, 1e-12)[:, None]
    return charts.average_over_groups(out).reshape((charts.n_points, *face_values.shape[1:]))


def local_frames(vertices: np.ndarray, charts: Charts, maps=None) -> np.ndarray:
    """(P, 3, 3) orthonormal rows (t_u, t_v, n) per chart point; seams share one frame.
    ``maps``: :func:`_face_maps` of the same points, when the caller has them."""
    points = np.asarray(vertices, np.float64)[charts.vertex]
    F, normal, area = maps or _face_maps(points, charts)
    n = _to_points(charts, normal, area)
    tu = _to_points(charts, F[:, :, 0], area)
    n /= np.maximum(np.linalg.norm(n, axis=1), 1e-12)[:, None]
    tu -= (tu * n).sum(axis=1, keepdims=True) * n
    bad = np.linalg.norm(tu, axis=1) < 1e-9
    if bad.any():  # degenerate: any tangent
        alt = np.where(np.abs(n[bad, :1]) < 0.9, [[1.0, 0, 0]], [[0, 1.0, 0]])
        tu[bad] = alt - (alt * n[bad]).sum(axis=1, keepdims=True) * n[bad]
    tu /= np.linalg.norm(tu, axis=1)[:, None]
    tv = np.cross(n, tu)
    return np.stack([tu, tv, n], axis=1)


def strain(vertices: np.ndarray, charts: Charts, maps=None) -> np.ndarray:
    """(P, 4): log of the largest and smallest principal stretch, and the least-stretch
    direction in the chart as (cos 2θ, sin 2θ) (a direction, not a vector: θ and θ+π agree)."""
    points = np.asarray(vertices, np.float64)[charts.vertex]
    F, _, area = maps or _face_maps(points, charts)
    C = np.transpose(F, (0, 2, 1)) @ F  # (F, 2, 2) right Cauchy-Green
    # closed-form eigen of the symmetric 2x2 [[a, b], [b, c]] (np.linalg.eigh is 5x slower)
    a, b, c = C[:, 0, 0], C[:, 0, 1], C[:, 1, 1]
    mean, half = 0.5 * (a + c), np.sqrt((0.5 * (a - c)) ** 2 + b**2)
    stretch_max = np.sqrt(np.maximum(mean + half, 1e-12))
    stretch_min = np.sqrt(np.maximum(mean - half, 1e-12))
    # the smallest eigenvalue's eigenvector lies at angle theta with tan 2 theta = 2b / (a - c),
    # turned by 90 degrees: 2 theta_min = atan2(2b, a - c) + pi
    theta2 = np.arctan2(2 * b, a - c) + np.pi
    per_face = np.stack([np.log(stretch_max), np.log(stretch_min), np.cos(theta2), np.sin(theta2)], 1)
    return _to_points(charts, per_face, area)


def mean_curvature(vertices: np.ndarray, charts: Charts, frames: np.ndarray) -> np.ndarray:
    """(P,) signed mean curvature (1/cm) from the umbrella Laplacian over chart faces and seam
    groups: twice the mean neighbour offset along the normal over the mean squared edge."""
    points = np.asarray(vertices, np.float64)[charts.vertex]
    g = charts.group
    e = mesh_edges(g[charts.faces])  # edges between groups: seams are joined
    e = e[e[:, 0] != e[:, 1]]
    n_g = charts.n_groups
    pos = group_sums(g, points, n_g) / np.bincount(g, minlength=n_g)[:, None]
    a, b = np.concatenate([e[:, 0], e[:, 1]]), np.concatenate([e[:, 1], e[:, 0]])
    nsum = group_sums(a, pos[b], n_g)
    cnt = np.maximum(np.bincount(a, minlength=n_g).astype(np.float64), 1)
    l2 = np.bincount(a, ((pos[b] - pos[a]) ** 2).sum(axis=1), minlength=n_g)
    lap = nsum / cnt[:, None] - pos
    # a neighbour at distance d lies d^2 (k1 cos^2 + k2 sin^2) / 2 off the tangent plane;
    # over directions that averages to mean(d^2) H / 2, with H = (k1 + k2) / 2
    return 2 * (lap[g] * frames[:, 2]).sum(axis=1) / np.maximum(l2[g] / cnt[g], 1e-12)


def point_features(vertices: np.ndarray, charts: Charts) -> tuple[np.ndarray, np.ndarray]:
    """(features (P, len(POINT_CHANNELS)), frames (P, 3, 3)) of the base mesh."""
    vertices = np.asarray(vertices, np.float64)
    points = vertices[charts.vertex]
    maps = _face_maps(points, charts)
    frames = local_frames(vertices, charts, maps)
    rel = np.zeros_like(points)
    for c in range(charts.n_charts):
        m = charts.chart == c
        if m.any():
            rel[m] = points[m] - points[m].mean(axis=0)
    gravity = frames @ GRAVITY
    curv = np.clip(mean_curvature(vertices, charts, frames) * CURVATURE_SCALE_CM, -5, 5)
    feats = np.concatenate(
        [strain(vertices, charts, maps), gravity, curv[:, None], rel / POSITION_SCALE_CM], axis=1
    )
    return feats, frames


def seam_points(charts: Charts) -> np.ndarray:
    """Chart points that share their group with another point (on a seam)."""
    return np.bincount(charts.group)[charts.group] > 1


def condition_images(
    rasterizer: Rasterizer,
    features: np.ndarray,
    material: str = "mid",
    strain_known: bool | None = None,
) -> list[np.ndarray]:
    """One (len(CONDITION_CHANNELS), rows, cols) float32 image per chart."""
    if material not in MATERIALS:
        raise ValueError(f"material must be one of {', '.join(MATERIALS)}, got {material!r}")
    charts = rasterizer.charts
    known = charts.rest_known if strain_known is None else strain_known
    feats = np.array(features, np.float64)
    if not known:
        feats[:, : len(STRAIN_CHANNELS)] = 0.0
    images = rasterizer.rasterize(feats)
    on_seam = seam_points(charts)
    out = []
    for c, (img, g, mask) in enumerate(zip(images, rasterizer.grids, rasterizer.masks, strict=True)):
        boundary = ndimage.distance_transform_edt(mask) * g.pitch
        seam_mask = np.zeros(g.shape, bool)
        pts = np.flatnonzero((charts.chart == c) & on_seam)
        if len(pts):
            rc = np.round((charts.uv[pts] - g.origin) / g.pitch).astype(int)[:, ::-1]
            rc = np.clip(rc, 0, np.array(g.shape) - 1)
            seam_mask[rc[:, 0], rc[:, 1]] = True
            seam = ndimage.distance_transform_edt(~seam_mask) * g.pitch
        else:
            seam = np.full(g.shape, DISTANCE_CLIP_CM)
        extra = [
            np.minimum(boundary, DISTANCE_CLIP_CM) / DISTANCE_CLIP_CM,
            np.minimum(seam, DISTANCE_CLIP_CM) / DISTANCE_CLIP_CM,
            *(np.full(g.shape, float(material == m)) for m in MATERIALS),
            np.full(g.shape, float(known)),
            mask.astype(np.float64),
        ]
        out.append(np.concatenate([img, np.stack(extra).astype(np.float32)], axis=0))
    return out
