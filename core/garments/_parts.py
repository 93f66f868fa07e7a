"""Pieces shared by the families: symmetric torso outlines, necklines, hems and sleeves."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..pattern import Pattern
from .base import (
    CurveSpec,
    Outline,
    PatternBuilder,
    Placed,
    bisect,
    girth,
    mirror_world_x,
    place_panel,
    placed_points,
    rot_z,
    sagitta_arc,
)
from .bodydims import BodyDims

MIN_EASE_CM = 4.0  # the least ease a garment needs at bust, waist and hips to be put on
GAP_CM = 3.0  # distance between the body and a panel in the starting placement


def _flip(p: np.ndarray) -> np.ndarray:
    return np.asarray(p, float) * np.array([-1.0, 1.0])


def _mirror_curve_x(curve: CurveSpec) -> CurveSpec:
    """Curve of an edge mirrored in x and traversed backwards."""
    if curve is None or curve[0] == "circle":
        return curve
    if curve[0] == "quadratic":
        return ("quadratic", _flip(curve[1]))
    return ("cubic", _flip(curve[2]), _flip(curve[1]))


def symmetric_outline(
    bottom: tuple[str, CurveSpec, str | None],
    chain: list[tuple[str, np.ndarray, CurveSpec, str | None]],
    top_end: np.ndarray,
    top: tuple[str, CurveSpec, str | None],
) -> Outline:
    """A panel symmetric about x = 0.

    ``chain`` is the left half (x > 0) from the bottom corner up to ``top_end``: a list of
    (key, start point, curve to the next point, label). The bottom edge runs from the mirrored
    bottom corner to the chain's first point, the top edge from ``top_end`` to its mirror.
    Keys of the left half get ``_l``, their mirrors ``_r``.
    """
    pts = [np.asarray(c[1], float) for c in chain] + [np.asarray(top_end, float)]
    out = Outline()
    out.add(bottom[0], _flip(pts[0]), bottom[1], bottom[2])
    for key, start, curve, label in chain:
        out.add(f"{key}_l", start, curve, label)
    out.add(top[0], pts[-1], top[1], top[2])
    for i in reversed(range(len(chain))):
        key, _, curve, label = chain[i]
        out.add(f"{key}_r", _flip(pts[i + 1]), _mirror_curve_x(curve), label)
    return out


def neckline_curve(half_width: float, top_y: float, depth: float, shape: float) -> CurveSpec:
    """Cubic neckline from (half_width, top_y) to (-half_width, top_y), ``depth`` deep at the
    centre; ``shape`` 0 gives a round (U) neck, 1 a V-like one."""
    k = depth / 0.75
    cx = half_width * (1.0 - shape)
    return ("cubic", np.array([cx, top_y - k]), np.array([-cx, top_y - k]))


def armhole_curve(under: np.ndarray, tip: np.ndarray, scoop: float) -> CurveSpec:
    """Cubic armhole from the underarm point up to the shoulder tip, hollowed by ``scoop``."""
    under, tip = np.asarray(under, float), np.asarray(tip, float)
    dx, dy = under[0] - tip[0], tip[1] - under[1]
    c1 = np.array([tip[0] + 0.25 * dx - 0.3 * scoop, under[1]])
    c2 = np.array([tip[0] - scoop, under[1] + 0.55 * dy])
    return ("cubic", c1, c2)


def flare_hem(half_width: float, hem_y: float, side_top: np.ndarray) -> CurveSpec:
    """A hem from (-half_width, hem_y) to (half_width, hem_y) curved like the arc a flared
    panel needs (centred where the side seams, extended upwards, meet); straight if none."""
    top = np.asarray(side_top, float)
    dx, dy = half_width - top[0], top[1] - hem_y
    if dx <= 0.3 or dy <= 0:
        return None
    # the side seam's extension meets x = 0 at the apex; the hem is an arc around it
    apex_y = hem_y + dy * half_width / dx
    radius = math.hypot(half_width, apex_y - hem_y)
    sag = radius - (apex_y - hem_y)
    return sagitta_arc((-half_width, hem_y), (half_width, hem_y), -sag)


# --------------------------------------------------------------------------- sleeves


@dataclass
class SleeveShape:
    top_width: float  # full circumference at the top of the sleeve (cm)
    cuff_width: float  # full circumference at the cuff (cm)
    length: float  # along the overarm seam (cm)
    cap_height: float  # how far the underarm point lies down the arm from the cap's top


def sleeve_half(shape: SleeveShape) -> Outline:
    """Front half of a left sleeve in its arm frame: x down the arm, y across (overarm +y).

    Counter-clockwise: underarm seam, cuff, overarm seam, cap (from the overarm point down
    to the underarm point, an S-curve: convex at the top, hollow at the underarm).
    """
    wt, wc = shape.top_width / 2, shape.cuff_width / 2
    h, length = shape.cap_height, shape.length
    over = np.array([0.0, wt / 2])
    under = np.array([h, -wt / 2])
    k = 0.42 * wt
    out = Outline()
    out.add("under", under, None, None)
    out.add("cuff", (length, -wc / 2), None, "cuff")
    out.add("over", (length, wc / 2), None, None)
    dk = np.array([0.0, k])
    out.add("cap", over, ("cubic", over - dk, under + dk), "armhole")
    return out


def cap_height_for(top_width: float, cap_length: float) -> float | None:
    """Cap height that makes the sleeve cap ``cap_length`` long, or None if it cannot."""
    wt = top_width / 2

    def cap_len(h: float) -> float:
        shape = SleeveShape(top_width, top_width, 100.0, h)
        return sleeve_half(shape).edge_length("cap")

    lo, hi = 0.0, 40.0
    if cap_len(lo) >= cap_length - 0.05 or cap_len(hi) < cap_length:
        return None
    h = bisect(cap_len, cap_length, lo, hi)
    return h if wt > 0 else None


MIN_UNDERARM_SEAM_CM = 5.0


def fitted_sleeve(
    body: BodyDims, armhole_len: float, ease: float, length_share: float, taper: float
) -> tuple[float | None, SleeveShape]:
    """A sleeve whose cap fits an armhole of ``armhole_len`` (cm, per half): returns the cap
    height (None if no cap can be that long) and the sleeve. ``ease`` is added to the upper
    arm girth, ``length_share`` is the share of the arm length, and the cuff is ``taper`` x the
    top width, never tighter than the arm there plus 6 cm, never wider than the top."""
    top_w = body.arm_girth(0.0) + ease
    cap_h = cap_height_for(top_w, armhole_len)
    length = length_share * body.arm_length
    cuff = max(top_w * taper, body.arm_girth(length) + 6.0)
    return cap_h, SleeveShape(top_w, min(cuff, top_w), length, cap_h or 0.0)


def sleeve_reasons(d: dict[str, float], g: dict) -> list[str]:
    """Why the sleeve of a design (``g`` from :func:`fitted_sleeve`'s results) cannot be made."""
    if g["cap_h"] is None:
        return [
            f"sleeve_ease {d['sleeve_ease']:g} cm makes the sleeve wider than the armhole allows "
            f"(armhole {g['armhole_len']:.1f} cm per half)"
        ]
    if g["sleeve"].length - g["cap_h"] < MIN_UNDERARM_SEAM_CM:
        return [f"sleeve_length {d['sleeve_length']:g} is shorter than the sleeve cap ({g['cap_h']:.1f} cm)"]
    return []


def add_sleeves(pb: PatternBuilder, body: BodyDims, shape: SleeveShape, front: str, back: str) -> None:
    """Two-piece sleeves on both arms, stitched to the ``armhole_l/_r`` of ``front``/``back``.

    Each sleeve half lies in a plane parallel to the arm (turned with the A-pose), in front of
    or behind the arm, slid down the arm until it clears the torso's side.
    """
    outline = sleeve_half(shape)
    rot = rot_z(body.arm_angle_deg - 90.0)
    u = body.arm_dir()
    joint = body.shoulder_joint()
    # the arm is thickest at the top: keep the halves that far plus a gap in front / behind
    z = body.arm_girth(0.0) / (2 * math.pi) + GAP_CM
    dense = outline.dense(2.0)
    s0 = 1.0
    while s0 < 60.0:
        world = placed_points(Placed(outline, rot, joint + s0 * u), dense)
        if all(p[0] >= body.torso_axes(p[1])[0] + GAP_CM for p in world):
            break
        s0 += 0.5
    origin = joint + s0 * u
    dz = np.array([0.0, 0.0, z])
    left_f = place_panel(outline, rot, origin + dz, label="arm")
    left_b = place_panel(outline, rot, origin - dz, back=True, label="arm")
    pb.add("left_sleeve_front", left_f)
    pb.add("left_sleeve_back", left_b)
    pb.add("right_sleeve_front", mirror_world_x(left_f))
    pb.add("right_sleeve_back", mirror_world_x(left_b))
    for side in ("left", "right"):
        s = side[0]
        pb.stitch(front, f"armhole_{s}", f"{side}_sleeve_front", "cap")
        pb.stitch(back, f"armhole_{s}", f"{side}_sleeve_back", "cap")
        pb.stitch(f"{side}_sleeve_front", "over", f"{side}_sleeve_back", "over")
        pb.stitch(f"{side}_sleeve_front", "under", f"{side}_sleeve_back", "under")


def torso_fit_reasons(
    pattern: Pattern, body: BodyDims, panels: list[str], y_lo: float, y_hi: float
) -> list[str]:
    """Reasons why the sewn ``panels`` are tighter than the body (plus ease) between two heights."""
    ys = [y for y in (body.bust_y, body.waist_y, body.hip_y) if y_lo + 0.5 < y < y_hi - 0.5]
    ys += list(np.linspace(y_lo + 0.5, y_hi - 0.5, 6))
    reasons = []
    for y in sorted(ys):
        need = body.torso_girth(y) + MIN_EASE_CM - 0.5
        have = girth(pattern, y, panels)
        if have < need:
            reasons.append(f"the garment is {have:.1f} cm around at y={y:.1f} cm, the body needs {need:.1f}")
    return reasons


__all__ = [
    "GAP_CM",
    "MIN_EASE_CM",
    "SleeveShape",
    "add_sleeves",
    "armhole_curve",
    "cap_height_for",
    "fitted_sleeve",
    "flare_hem",
    "neckline_curve",
    "sleeve_half",
    "sleeve_reasons",
    "symmetric_outline",
    "torso_fit_reasons",
]
