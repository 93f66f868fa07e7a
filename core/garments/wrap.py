"""Where a drape starts: the box mesh's flat panels rolled around the body parts they dress.

GarmentCode places flat panels around the body; sewing them from there makes the seams pull
the cloth round the torso's sides, the shoulders and the arm roots, and the cloth buckles at
the mesh scale on the way (crumpled armholes and shoulders). Rolling each panel onto a
cylinder around its body part first is nearly isometric (each row keeps its length), so the
drape starts with the seams a few cm apart and nothing compressed, and the flat box mesh
stays the cloth's rest shape (``sim.blender_cloth.drape(start_vertices=...)``).

- ``body`` panels (torso, skirt, dress) roll around the vertical body axis onto the ellipse
  of the torso's cross-section at each height, grown by a gap and, where the garment is
  wider, to the garment's largest girth at or above that height (so a flared skirt starts
  as a cone);
- ``arm`` panels (sleeve halves) roll around the arm's axis onto a circle of the arm's
  girth plus a gap or the sleeve's own girth, whichever is larger;
- other panels (trouser legs) stay flat: rolling them round the hips above the crotch and
  round each leg below it, blended over the crotch curves, put hundreds of start vertices
  inside the body (tried).

Shoulder seams start a body depth apart (the front and back panels' tops) and close across
the shoulders during the drape's sewing phase. Tried and dropped: drawing the tops in over
the shoulders (shortens their rows: the compressed cloth crumples at the armholes), turning
them over the shoulders row by row (runs into the body beside the neck) and lifting the
torso panels higher (their necklines start inside the neck).

The arc length across each panel is kept exactly along every row; lengths along the rows'
normals change only as much as the cross-sections do from row to row.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..garment_mesh import GarmentMesh
from ..pattern import Pattern
from .base import girth
from .bodydims import BodyDims

GAP_CM = 1.5  # between the body's cross-section and the rolled panel
_ROWS = 48  # heights at which the garment's girth is evaluated (then interpolated)
_ROW_CM = 0.25  # vertices within this height share one cross-section


def _ellipse_arc(a: float, b: float, n: int = 721) -> tuple[np.ndarray, np.ndarray]:
    """Parameter angles θ in [0, 2π] of (a sin θ, b cos θ) and the arc length from θ = 0."""
    theta = np.linspace(0.0, 2 * math.pi, n)
    p = np.stack([a * np.sin(theta), b * np.cos(theta)], axis=1)
    return theta, np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(p, axis=0), axis=1))])


def _roll_torso(
    points: np.ndarray, normal: np.ndarray, origin: np.ndarray, dims: BodyDims, girth_at
) -> np.ndarray:
    """Points of one flat ``body`` panel (plane through ``origin`` with ``normal``) rolled
    around the vertical axis x = z = 0."""
    n = np.array([normal[0], 0.0, normal[2]])
    n /= max(np.linalg.norm(n), 1e-12)
    phi0 = math.atan2(n[0], n[2])  # the panel faces this way (0: front, pi: back)
    e_s = np.array([math.cos(phi0), 0.0, -math.sin(phi0)])  # along increasing angle
    foot_offset = float(np.dot(origin, n))
    out = points.copy()
    key = np.round(points[:, 1] / _ROW_CM).astype(np.int64)  # rows of _ROW_CM share one ellipse
    for k in np.unique(key):
        row = np.flatnonzero(key == k)
        y = k * _ROW_CM
        yb = min(float(y), dims.shoulder_y)
        a, b = dims.torso_axes(yb)
        a, b = a + GAP_CM, b + dims.front_bulge + GAP_CM
        theta, arc = _ellipse_arc(a, b)
        scale = max(1.0, girth_at(float(y)) / arc[-1])
        a, b, arc = a * scale, b * scale, arc * scale
        # arc position of the panel's centre: the ellipse point in the panel's direction
        t0 = math.atan2(math.sin(phi0) / a, math.cos(phi0) / b) % (2 * math.pi)
        l0 = float(np.interp(t0, theta, arc))
        s = (points[row] - foot_offset * n) @ e_s  # e_s is horizontal: the height drops out
        t = np.interp((l0 + s) % arc[-1], arc, theta)
        out[row, 0] = a * np.sin(t)
        out[row, 2] = b * np.cos(t)
    return out


def _roll_limb(
    points: np.ndarray,
    normal: np.ndarray,
    origin: np.ndarray,
    joint: np.ndarray,
    u: np.ndarray,
    dims: BodyDims,
) -> np.ndarray:
    """Points of one flat sleeve half rolled around the arm axis ``joint + t u``."""
    n = normal - np.dot(normal, u) * u
    n /= max(np.linalg.norm(n), 1e-12)
    e_s = np.cross(n, u)
    plane = float(np.dot(origin - joint, n))
    t = (points - joint) @ u
    s = (points - joint - np.outer(t, u) - plane * n) @ e_s
    # the half's width at each t (both halves alike): the sleeve's girth is twice it
    bins = np.linspace(t.min(), t.max(), 25)
    idx = np.clip(np.digitize(t, bins) - 1, 0, len(bins) - 2)
    width = np.array([np.ptp(s[idx == k]) if np.any(idx == k) else 0.0 for k in range(len(bins) - 1)])
    centres = 0.5 * (bins[1:] + bins[:-1])
    arm = [dims.arm_girth(max(float(tc), 0.0)) / (2 * math.pi) + GAP_CM for tc in centres]
    radius = np.interp(t, centres, np.maximum(arm, width / math.pi))
    # the half's centre line faces the plane's normal; s runs along the circle from there
    centre = 0.5 * (s.max() + s.min())
    ang = (s - centre) / radius
    ring = radius[:, None] * (np.outer(np.cos(ang), n) + np.outer(np.sin(ang), e_s))
    # flat halves were slid down the arm to clear the torso's side; the rolled tube needs
    # less: slide it back up as far as it stays clear of the rolled torso
    for shift in np.arange(0.0, max(float(t.min()), 0.0) + 0.01, 0.5):
        rolled = joint + np.outer(t - float(t.min()) + shift, u) + ring
        if _clear_of_torso(rolled, dims):
            return rolled
    return joint + np.outer(t, u) + ring


def _clear_of_torso(points: np.ndarray, dims: BodyDims) -> bool:
    """Whether ``points`` lie outside the torso's cross-sections grown by twice the gap."""
    below = points[:, 1] < dims.shoulder_y
    for p in points[below]:
        a, b = dims.torso_axes(float(p[1]))
        if (p[0] / (a + 2 * GAP_CM)) ** 2 + (p[2] / (b + dims.front_bulge + 2 * GAP_CM)) ** 2 < 1.0:
            return False
    return True


def wrapped_start(pattern: Pattern, box: GarmentMesh, body: Any = None) -> np.ndarray:
    """Start positions (V, 3) cm for ``box`` (the pattern's box mesh): ``body`` panels rolled
    around the torso, ``arm`` panels around their arm, others as placed."""
    dims = BodyDims.from_body(body)
    torso = [name for name, p in pattern.panels.items() if p.label == "body"]
    out = box.vertices.copy()
    girth_at = None
    if torso:
        ys = np.linspace(box.vertices[:, 1].min(), box.vertices[:, 1].max(), _ROWS)
        gs = np.array([girth(pattern, float(y), torso) for y in ys])
        # a running maximum from the top: a curved hem's rows are cut short, and the
        # cross-section must not shrink back there (that would fold the hem's middle inwards)
        gs = np.maximum.accumulate(gs[::-1])[::-1]

        def girth_at(y: float) -> float:
            return float(np.interp(y, ys, gs))

    for pid, name in enumerate(box.panel_names):
        panel = pattern.panels[name]
        sel = box.panel_ids == pid
        if not np.any(sel):
            continue
        rot = panel.rotation_matrix()
        normal, origin = rot[:, 2], np.asarray(panel.translation, float)
        if panel.label == "body":
            out[sel] = _roll_torso(box.vertices[sel], normal, origin, dims, girth_at)
        elif panel.label == "arm":
            side = 1.0 if box.vertices[sel, 0].mean() >= 0 else -1.0
            mirror = np.array([side, 1.0, 1.0])
            joint, u = dims.shoulder_joint() * mirror, dims.arm_dir() * mirror
            out[sel] = _roll_limb(box.vertices[sel], normal, origin, joint, u, dims)
    return out
