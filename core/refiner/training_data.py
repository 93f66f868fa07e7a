"""Training examples: a drape pair as chart images (condition, target residual, mask), and
random patches cut from them.

A drape sample gives the fine drape and, at the same fine vertices, two bases: the
independent coarse drape carried through (panel, uv) (``coarse_sim_at_fine``, what a user's
quick low-resolution sim gives once upsampled) and the low-pass drape (``coarse_at_fine``).
The target is in the base's local frame (t_u, t_v, n). ``target="highpass"`` (the default):
the high-pass (``lowpass.SurfaceLowpass`` at ``sigma`` cm) of fine - base; refined = base +
target = lowpass(base) + highpass(fine): the base's large-scale shape, which is the user's,
with the fine drape's detail in place of the base's own mesh-scale kinks (a 4 cm coarse
drape often has *more* detail at 0.5-1 cm than the fine drape: soft skirt 00001 0.053 vs
0.026 at 1 cm). ``target="detail"``: the fine drape minus its generator low-pass drape (adds
detail, keeps the kinks). ``target="residual"``: fine - base, against the independent coarse
drape mostly a large-scale difference (the 4 cm drape hangs 1-4 cm lower), which no local
condition predicts and which a sampler turns into a random drift of the garment. The
conditions are ``features.condition_images`` of the base: exactly what inference computes on
an upsampled user mesh.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .charts import Charts, charts_from_panels
from .features import condition_images, point_features
from .lowpass import DEFAULT_SIGMA_CM, SurfaceLowpass
from .raster import DEFAULT_PITCH_CM, build_rasterizer
from .upsample import defacet

BASE_KEYS = {"coarse_sim": "coarse_sim_at_fine", "lowpass": "coarse_at_fine"}
TARGETS = ("highpass", "detail", "residual")
LOWPASS_KEY = BASE_KEYS["lowpass"]


@dataclass
class ChartExample:
    """One garment as chart images: per chart (C, H, W) conditions, (3, H, W) target, (H, W) mask."""

    cond: list[np.ndarray]
    target: list[np.ndarray]
    masks: list[np.ndarray]
    material: str
    sample_id: str = ""
    edge_cm: float = 0.0  # median edge of the fine mesh


def sample_charts(arrays: dict[str, np.ndarray]) -> Charts:
    """The fine mesh's pattern charts (panel ids + pattern uv, stitched seam pairs)."""
    n_panels = int(arrays["fine_panel"].max()) + 1
    return charts_from_panels(
        arrays["fine_panel"],
        arrays["fine_uv"],
        arrays["fine_faces"],
        [f"panel_{i}" for i in range(n_panels)],
        arrays.get("fine_seam_pairs"),
    )


def local_residual(fine: np.ndarray, base: np.ndarray, charts: Charts, frames: np.ndarray) -> np.ndarray:
    """(P, 3) per chart point: fine - base in the base's frame (t_u, t_v, n)."""
    d = (np.asarray(fine, np.float64) - np.asarray(base, np.float64))[charts.vertex]
    return np.einsum("pij,pj->pi", frames, d)


def base_and_target(
    arrays: dict[str, np.ndarray],
    base: str = "coarse_sim",
    target: str = "highpass",
    sigma_cm: float = DEFAULT_SIGMA_CM,
) -> tuple[Charts, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(charts, base vertices, point features, frames, target residual in the local frame) of one
    drape pair, the base prepared as inference prepares it (seams closed, de-faceted)."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    charts = sample_charts(arrays)
    base_v = charts.close_seams(arrays[BASE_KEYS[base]])  # as inference does
    if base == "coarse_sim":  # linearly upsampled from 4 cm triangles: de-facet as inference does
        base_v = defacet(base_v, charts)
    feats, frames = point_features(base_v, charts)
    if target == "highpass":
        fine = np.asarray(arrays["fine_vertices"], np.float64)
        hp = SurfaceLowpass(base_v, charts.faces, charts.group, sigma_cm).highpass(fine - base_v)
        resid = local_residual(base_v + hp, base_v, charts, frames)
    elif target == "detail":
        d = np.asarray(arrays["fine_vertices"], np.float64) - charts.close_seams(arrays[LOWPASS_KEY])
        resid = local_residual(base_v + d, base_v, charts, frames)
    else:
        resid = local_residual(arrays["fine_vertices"], base_v, charts, frames)
    return charts, base_v, feats, frames, resid


def chart_example(
    arrays: dict[str, np.ndarray],
    material: str,
    base: str = "coarse_sim",
    pitch: float = DEFAULT_PITCH_CM,
    sample_id: str = "",
    target: str = "highpass",
    sigma_cm: float = DEFAULT_SIGMA_CM,
) -> ChartExample:
    """The chart images of one drape pair with the given base (``coarse_sim`` or ``lowpass``)
    and target (``highpass``, ``detail`` or ``residual``, see the module docstring)."""
    charts, _, feats, _, resid = base_and_target(arrays, base, target, sigma_cm)
    rast = build_rasterizer(charts, pitch)
    cond = condition_images(rast, feats, material)
    target = rast.rasterize(resid)
    edge = float(
        np.median(
            np.linalg.norm(
                arrays["fine_vertices"][charts.faces]
                - arrays["fine_vertices"][np.roll(charts.faces, 1, axis=1)],
                axis=2,
            )
        )
    )
    return ChartExample(cond, target, rast.masks, material, sample_id, edge)


def random_patches(
    examples: list[ChartExample],
    count: int,
    size: int,
    rng: np.random.Generator,
    min_cloth: float = 0.3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count`` random (size x size) patches from every chart of every example, each with at
    least ``min_cloth`` of its pixels on cloth: (cond (N, C, S, S), target (N, 3, S, S),
    mask (N, 1, S, S)). Charts smaller than a patch are padded (mask 0 outside)."""
    charts = [(e, c) for e in examples for c in range(len(e.cond))]
    weights = np.array([e.masks[c].sum() for e, c in charts], np.float64)
    weights /= weights.sum()
    n_cond = examples[0].cond[0].shape[0]
    conds = np.zeros((count, n_cond, size, size), np.float32)
    targets = np.zeros((count, 3, size, size), np.float32)
    masks = np.zeros((count, 1, size, size), np.float32)
    k = 0
    tries = 0
    while k < count:
        tries += 1
        e, c = charts[rng.choice(len(charts), p=weights)]
        h, w = e.masks[c].shape
        r0 = int(rng.integers(0, max(h - size, 0) + 1))
        c0 = int(rng.integers(0, max(w - size, 0) + 1))
        m = e.masks[c][r0 : r0 + size, c0 : c0 + size]
        if m.mean() * m.size / size**2 < min_cloth and tries < 50 * count:
            continue
        hh, ww = m.shape
        conds[k, :, :hh, :ww] = e.cond[c][:, r0 : r0 + size, c0 : c0 + size]
        targets[k, :, :hh, :ww] = e.target[c][:, r0 : r0 + size, c0 : c0 + size]
        masks[k, 0, :hh, :ww] = m
        k += 1
    return conds, targets, masks
