"""Dress: a one-piece A-line sheath (front, back) shaped at the waist, optionally with sleeves."""

from __future__ import annotations

import math

import numpy as np

from ..pattern import Pattern
from ._parts import (
    GAP_CM,
    add_sleeves,
    armhole_curve,
    fitted_sleeve,
    flare_hem,
    neckline_curve,
    sleeve_reasons,
    symmetric_outline,
    torso_fit_reasons,
)
from .base import GarmentFamily, ParamSpec, PatternBuilder, design_of, place_panel
from .bodydims import BodyDims

MAX_FLARE_DEG = 30.0
ARMHOLE_SCOOP_CM = 2.0


class Dress(GarmentFamily):
    name = "dress"
    doc = "One-piece sheath dress: fitted bodice, shaped waist, A-line skirt, optional set-in sleeves."
    params = [
        ParamSpec("length", 75, 145, 100, "cm", "from the side neck point down to the hem"),
        ParamSpec("bust_ease", 4, 20, 8, "cm", "dress girth minus body girth at the bust"),
        ParamSpec("waist_ease", 4, 30, 10, "cm", "dress girth minus body girth at the waist"),
        ParamSpec("hip_ease", 4, 20, 8, "cm", "dress girth minus body girth at the hips"),
        ParamSpec("flare", 0, 1, 0.3, "", "0 straight below the hips, 1 a wide A-line"),
        ParamSpec("neck_width", 14, 26, 17, "cm", "between the two side neck points"),
        ParamSpec("neck_depth", 4, 24, 10, "cm", "front neckline depth below the side neck points"),
        ParamSpec("back_neck_depth", 1, 12, 3, "cm", "back neckline depth"),
        ParamSpec("neck_shape", 0, 1, 0.5, "", "0 round, 1 V-like front neckline"),
        ParamSpec("armhole_drop", 1, 8, 3.5, "cm", "underarm point below the body's armpit"),
        ParamSpec("sleeves", 0, 1, 0, "", "0 sleeveless, 1 with set-in sleeves", 1),
        ParamSpec("sleeve_length", 0.12, 1.0, 0.3, "arm", "sleeve length as a fraction of the arm"),
        ParamSpec("sleeve_ease", 3, 14, 5, "cm", "sleeve girth at the top minus the arm's girth"),
    ]

    def geometry(self, d: dict[str, float], body: BodyDims) -> dict:
        top_y = body.neck_y
        hem_y = top_y - d["length"]
        tip = np.array([body.shoulder_width / 2, body.shoulder_y])
        under = np.array([(body.bust + d["bust_ease"]) / 4, body.armpit_y - d["armhole_drop"]])
        waist = np.array([(body.waist + d["waist_ease"]) / 4, body.waist_y])
        hip = np.array([max((body.hips + d["hip_ease"]) / 4, waist[0]), body.hip_y])
        alpha = math.radians(d["flare"] * MAX_FLARE_DEG)
        hem_half = hip[0] + max(0.0, hip[1] - hem_y) * math.tan(alpha)
        g = {"top_y": top_y, "hem_y": hem_y, "tip": tip, "under": under, "waist": waist, "hip": hip}
        g.update(hem_half=hem_half, neck_half=d["neck_width"] / 2)
        g["armhole_len"] = self.outline(d, g, True).edge_length("armhole_l")
        g["cap_h"], g["sleeve"] = fitted_sleeve(
            body, g["armhole_len"], d["sleeve_ease"], d["sleeve_length"], 0.85
        )
        return g

    def outline(self, d: dict[str, float], g: dict, front: bool):
        tip, under, waist, hip = g["tip"], g["under"], g["waist"], g["hip"]
        nh, top_y, hem_y, hx = g["neck_half"], g["top_y"], g["hem_y"], g["hem_half"]
        if front:
            neck = neckline_curve(nh, top_y, d["neck_depth"], d["neck_shape"])
        else:
            neck = neckline_curve(nh, top_y, d["back_neck_depth"], 0.0)
        # the hip curve is convex: its control point is above the hip on the flare line
        k = 0.45 * (waist[1] - hip[1])
        lean = (hx - hip[0]) / max(hip[1] - hem_y, 1e-9)
        hip_ctrl = np.array([max(hip[0] - lean * k, 0.5 * (hip[0] + waist[0])), hip[1] + k])
        return symmetric_outline(
            ("hem", flare_hem(hx, hem_y, hip), "hem"),
            [
                ("side_skirt", (hx, hem_y), None, None),
                ("side_hip", hip, ("quadratic", hip_ctrl), None),
                ("side_waist", waist, None, None),
                ("armhole", under, armhole_curve(under, tip, ARMHOLE_SCOOP_CM), "armhole"),
                ("shoulder", tip, None, None),
            ],
            (nh, top_y),
            ("neck", neck, "neckline"),
        )

    def _design_reasons(self, d: dict[str, float], body: BodyDims) -> list[str]:
        reasons = []
        g = self.geometry(d, body)
        if g["tip"][0] - g["neck_half"] < 5.0:
            reasons.append(f"neck_width {d['neck_width']:g} cm leaves too short shoulder seams")
        if d["neck_width"] < body.neck_girth / math.pi + 2.0:
            reasons.append(f"neck_width {d['neck_width']:g} cm is narrower than the neck")
        if g["hem_y"] < 3.0:
            reasons.append(f"length {d['length']:g} cm puts the hem below the floor")
        if g["hem_y"] > body.hip_y - 8.0:
            reasons.append(f"length {d['length']:g} cm does not cover the hips")
        if d["neck_depth"] > 0.8 * (g["top_y"] - g["under"][1]) + 6.0:
            reasons.append(f"neck_depth {d['neck_depth']:g} cm reaches below the bust")
        if d["back_neck_depth"] > 0.8 * (g["top_y"] - g["under"][1]):
            reasons.append(f"back_neck_depth {d['back_neck_depth']:g} cm reaches below the armholes")
        if d["sleeves"] >= 0.5:
            reasons += sleeve_reasons(d, g)
        return reasons

    def _build(self, d: dict[str, float], body: BodyDims) -> Pattern:
        g = self.geometry(d, body)
        pb = PatternBuilder(self.name)
        z = body.depth(g["hem_y"], g["top_y"]) + GAP_CM
        pb.add("front", place_panel(self.outline(d, g, True), np.eye(3), (0, 0, z), label="body"))
        pb.add("back", place_panel(self.outline(d, g, False), np.eye(3), (0, 0, -z), back=True, label="body"))
        for key in ("side_skirt", "side_hip", "side_waist", "shoulder"):
            for s in "lr":
                pb.stitch("front", f"{key}_{s}", "back", f"{key}_{s}")
        if d["sleeves"] >= 0.5:
            add_sleeves(pb, body, g["sleeve"], "front", "back")
        pb.clear_of(lambda pts: body.proxy_inside(pts, GAP_CM))
        return pb.build()

    def _fit_reasons(self, pattern: Pattern, body: BodyDims) -> list[str]:
        g = self.geometry(design_of(pattern, self), body)
        return torso_fit_reasons(pattern, body, ["front", "back"], g["hem_y"], g["under"][1])


__all__ = ["Dress"]
