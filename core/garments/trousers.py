"""Trousers: front and back panels for each leg, from shorts to full length."""

from __future__ import annotations

import math

import numpy as np

from ..pattern import Pattern
from ._parts import GAP_CM, MIN_EASE_CM
from .base import (
    GarmentFamily,
    Outline,
    ParamSpec,
    PatternBuilder,
    design_of,
    girth,
    mirror_world_x,
    place_panel,
    placed_points,
    rot_y,
)
from .bodydims import BodyDims

FOOT_GIRTH_CM = 32.0  # a full-length leg opening must let the foot through
BACK_RISE_CM = 3.0  # the centre back waist stands this much above the side waist
MIN_INSEAM_CM = 5.0
PANEL_GAP_CM = 1.5  # between the two legs' panels at the crotch in the starting placement
LEG_TURN_DEG = 0.0  # leg panels face straight front / back so the inseams start between the legs


class Trousers(GarmentFamily):
    name = "trousers"
    doc = "Trousers or shorts: front and back panel per leg with crotch curves, inseams and outseams."
    params = [
        ParamSpec("length", 0.3, 0.98, 0.94, "waist height", "side waist to hem over waist to floor"),
        ParamSpec("waist_ease", 0, 10, 3, "cm", "trouser waist girth minus body waist girth"),
        ParamSpec("hip_ease", 4, 16, 8, "cm", "trouser hip girth minus body hip girth"),
        ParamSpec(
            "leg_width",
            0,
            1,
            0.4,
            "",
            "0 slim (tapered to the leg), 1 wide (straight from the thigh)",
        ),
        ParamSpec("crotch_drop", 1, 6, 2.5, "cm", "crotch seam below the body's crotch"),
    ]

    def geometry(self, d: dict[str, float], body: BodyDims) -> dict:
        wg, hg = body.waist + d["waist_ease"], body.hips + d["hip_ease"]
        g: dict = {"waist_y": body.waist_y, "hip_y": body.hip_y}
        g["crotch_y"] = body.crotch_y - d["crotch_drop"]
        g["hem_y"] = body.waist_y * (1.0 - d["length"])
        hf, hb = hg / 4 - 1.0, hg / 4 + 1.0  # hip widths (front narrower)
        wf, wb = wg / 4 - 1.0, wg / 4 + 1.0
        ef, eb = hg / 18, hg / 9  # crotch extensions
        g.update(hf=hf, hb=hb, wf=wf, wb=wb, ef=ef, eb=eb)
        # leg opening: from the least that fits the leg (and the foot) to straight from the thigh
        need = body.leg_girth(g["hem_y"]) + 6.0
        if g["hem_y"] < body.ankle_y + 12.0:
            need = max(need, FOOT_GIRTH_CM)
        widest = hf + ef + hb + eb
        opening = need + d["leg_width"] * max(widest - need, 0.0)
        g.update(need=need, widest=widest, opening=opening)
        wf_hem, wb_hem = opening / 2 - 1.0, opening / 2 + 1.0
        tf, tb = hf + ef - wf_hem, hb + eb - wb_hem  # how much each panel narrows to the hem
        dx_out = 0.5 * min(tf, tb)  # the outseams taper alike, the inseams take the rest
        dxi_f, dxi_b = tf - dx_out, tb - dx_out
        dy = g["crotch_y"] - g["hem_y"]
        # the back inseam slants more: its crotch point drops so that both inseams match
        rest = dy * dy + dxi_f * dxi_f - dxi_b * dxi_b
        if rest > (0.8 * dy) ** 2:
            drop = dy - math.sqrt(rest)
        else:  # short legs: same slant on both inseams, the hems differ a little more
            drop = 0.0
            dxi_b = dxi_f
            wb_hem = hb + eb - dx_out - dxi_b
        g.update(wf_hem=wf_hem, wb_hem=wb_hem, dx_out=dx_out, dxi_f=dxi_f, dxi_b=dxi_b, back_drop=drop)
        return g

    def outline(self, g: dict, front: bool, crotch_x: float) -> Outline:
        """Left leg panel in front-view coordinates (x = world X, y = height)."""
        h = g["hf"] if front else g["hb"]
        w = g["wf"] if front else g["wb"]
        e = g["ef"] if front else g["eb"]
        dxi = g["dxi_f"] if front else g["dxi_b"]
        w_hem = g["wf_hem"] if front else g["wb_hem"]
        waist_y, hip_y, hem_y = g["waist_y"], g["hip_y"], g["hem_y"]
        crotch = np.array([crotch_x, g["crotch_y"] - (0.0 if front else g["back_drop"])])
        centre_x = crotch_x + e  # the centre front / back line at the hip
        side_hip = np.array([centre_x + h, hip_y])
        side_in = 0.6 * max(h - w, 0.0)  # waist suppression at the side, the rest at the centre
        side_waist = np.array([side_hip[0] - side_in, waist_y])
        if front:
            centre_waist = np.array([side_waist[0] - w, waist_y])
        else:
            run = math.sqrt(max(w * w - BACK_RISE_CM**2, 1.0))
            centre_waist = np.array([side_waist[0] - run, waist_y + BACK_RISE_CM])
        hem_in = np.array([crotch[0] + dxi, hem_y])
        hem_out = np.array([hem_in[0] + w_hem, hem_y])
        hip_ctrl = np.array([side_hip[0] + 0.15 * side_in, hip_y + 0.5 * (waist_y - hip_y)])
        # crotch curve: down the centre line, then round under the body to the crotch point
        rise = centre_waist[1] - crotch[1]
        c1 = np.array([centre_x, crotch[1] + 0.3 * rise])
        c2 = np.array([crotch_x + 0.55 * e, crotch[1]])
        out = Outline()
        out.add("hem", hem_in, None, "hem")
        out.add("outseam", hem_out, None, None)
        out.add("hip", side_hip, ("quadratic", hip_ctrl), None)
        out.add("waist", side_waist, None, "waist")
        out.add("crotch", centre_waist, ("cubic", c1, c2), "crotch")
        out.add("inseam", crotch, None, None)
        return out

    def _design_reasons(self, d: dict[str, float], body: BodyDims) -> list[str]:
        reasons = []
        g = self.geometry(d, body)
        if g["hem_y"] < 1.0:
            reasons.append(f"length {d['length']:g} puts the hem below the floor")
        if g["crotch_y"] - g["hem_y"] < MIN_INSEAM_CM:
            reasons.append(
                f"length {d['length']:g} ends above the crotch (inseam under {MIN_INSEAM_CM:g} cm)"
            )
        if g["need"] > g["widest"]:
            reasons.append("the leg opening cannot fit the leg at this length")
        if min(g["wf_hem"], g["wb_hem"]) < 5.0:
            reasons.append("the leg opening is too narrow")
        return reasons

    def _build(self, d: dict[str, float], body: BodyDims) -> Pattern:
        g = self.geometry(d, body)
        # the crease lines (middle of the hems) of front and back line up over the leg; the
        # panels' inner corners stay clear of the body's mid plane
        half_f = g["dxi_f"] + g["wf_hem"] / 2
        half_b = g["dxi_b"] + g["wb_hem"] / 2
        crease = max(body.leg_x, PANEL_GAP_CM / 2 + half_f, PANEL_GAP_CM / 2 + half_b)
        front = self.outline(g, True, crease - half_f)
        back = self.outline(g, False, crease - half_b)
        # each leg's panels turn a little towards its side, the way they wrap around the leg;
        # they start at the mid plane and move out along their normals until clear of the body
        lf = place_panel(front, rot_y(LEG_TURN_DEG), (0.0, 0.0, 0.0), label="leg")
        lb = place_panel(back, rot_y(-LEG_TURN_DEG), (0.0, 0.0, 0.0), back=True, label="leg")
        for p in (lf, lb):
            inner = placed_points(p, p.outline.vertices())[:, 0].min()
            p.origin = p.origin + np.array([PANEL_GAP_CM / 2 - inner, 0.0, 0.0])
        left_f, left_b = lf, lb
        pb = PatternBuilder(self.name)
        pb.add("left_front", left_f)
        pb.add("right_front", mirror_world_x(left_f))
        pb.add("left_back", left_b)
        pb.add("right_back", mirror_world_x(left_b))
        pb.clear_of(lambda pts: body.proxy_inside(pts, GAP_CM))
        for side in ("left", "right"):
            for key in ("outseam", "hip", "inseam"):
                pb.stitch(f"{side}_front", key, f"{side}_back", key)
        pb.stitch("left_front", "crotch", "right_front", "crotch")
        pb.stitch("left_back", "crotch", "right_back", "crotch")
        return pb.build()

    def _fit_reasons(self, pattern: Pattern, body: BodyDims) -> list[str]:
        g = self.geometry(design_of(pattern, self), body)
        reasons = []
        every = list(pattern.panels)
        checks = [("waist", g["waist_y"] - 0.5, body.waist, every)]
        for y in np.linspace(g["hip_y"], g["crotch_y"] + 1.0, 3):
            checks.append(("hips", y, body.hips + MIN_EASE_CM, every))
        for y in np.linspace(g["crotch_y"] - 2.0, g["hem_y"] + 0.5, 6):
            if y < g["crotch_y"] - 1.0:
                checks.append(("leg", y, body.leg_girth(y) + MIN_EASE_CM, ["left_front", "left_back"]))
        for what, y, need, panels in checks:
            have = girth(pattern, y, panels)
            if have < need - 0.5:
                reasons.append(f"the trousers' {what} is {have:.1f} cm around at y={y:.1f}, needs {need:.1f}")
        return reasons


__all__ = ["Trousers"]
