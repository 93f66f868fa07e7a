"""T-shirt: front, back and two two-piece sleeves, hanging from the shoulders."""

from __future__ import annotations

import numpy as np

from ..pattern import Pattern
from ._parts import (
    GAP_CM,
    MIN_EASE_CM,
    add_sleeves,
    armhole_curve,
    fitted_sleeve,
    flare_hem,
    neckline_curve,
    sleeve_reasons,
    symmetric_outline,
    torso_fit_reasons,
)
from .base import GarmentFamily, ParamSpec, PatternBuilder, design_of, place_panel, sagitta_arc
from .bodydims import BodyDims

ARMHOLE_SCOOP_CM = 1.5
SHOULDER_EXTENSION_CM = 1.0


def side_width_for(body: BodyDims, top: np.ndarray, hem_y: float, min_half: float) -> float:
    """Half width at the hem so that a straight side seam from ``top`` keeps every height
    at least a quarter of the body's girth there plus ease."""
    hx = min_half
    for y in np.linspace(hem_y, top[1], 40)[:-1]:
        t = (y - hem_y) / (top[1] - hem_y)
        need = (body.torso_girth(y) + MIN_EASE_CM) / 4
        hx = max(hx, (need - top[0] * t) / (1 - t))
    return float(hx)


class TShirt(GarmentFamily):
    name = "tshirt"
    doc = "T-shirt with set-in two-piece sleeves, round to V neckline and a straight or A-line body."
    params = [
        ParamSpec("length", 40, 90, 66, "cm", "from the side neck point down to the hem"),
        ParamSpec("width_ease", 6, 30, 12, "cm", "garment girth minus body girth at the bust"),
        ParamSpec("flare", 0, 30, 4, "cm", "hem girth added over the chest girth (A-line)"),
        ParamSpec("sleeve_length", 0.12, 1.0, 0.33, "arm", "sleeve length as a fraction of the arm"),
        ParamSpec("sleeve_ease", 4, 20, 8, "cm", "sleeve girth at the top minus the arm's girth"),
        ParamSpec("sleeve_taper", 0.55, 1.0, 0.9, "ratio", "cuff girth / top girth (kept over the arm)"),
        ParamSpec("neck_width", 14, 26, 18, "cm", "between the two side neck points"),
        ParamSpec("neck_depth", 4, 20, 8, "cm", "front neckline depth below the side neck points"),
        ParamSpec("back_neck_depth", 1, 6, 2.5, "cm", "back neckline depth"),
        ParamSpec("neck_shape", 0, 1, 0.2, "", "0 round, 1 V-like front neckline"),
        ParamSpec("armhole_drop", 2, 10, 5, "cm", "underarm point below the body's armpit"),
    ]

    # ----- geometry shared by the checks and the build

    def geometry(self, d: dict[str, float], body: BodyDims) -> dict:
        top_y = body.neck_y
        hem_y = top_y - d["length"]
        tip = np.array([body.shoulder_width / 2 + SHOULDER_EXTENSION_CM, body.shoulder_y])
        under = np.array([(body.bust + d["width_ease"]) / 4, body.armpit_y - d["armhole_drop"]])
        hem_half = side_width_for(body, under, hem_y, under[0] + d["flare"] / 4)
        g = {"top_y": top_y, "hem_y": hem_y, "tip": tip, "under": under, "hem_half": hem_half}
        g["neck_half"] = d["neck_width"] / 2
        outline = self.torso(d, g, front=True)
        g["armhole_len"] = outline.edge_length("armhole_l")
        g["cap_h"], g["sleeve"] = fitted_sleeve(
            body, g["armhole_len"], d["sleeve_ease"], d["sleeve_length"], d["sleeve_taper"]
        )
        return g

    def torso(self, d: dict[str, float], g: dict, front: bool):
        tip, under = g["tip"], g["under"]
        nh, top_y, hem_y, hx = g["neck_half"], g["top_y"], g["hem_y"], g["hem_half"]
        if front:
            neck = neckline_curve(nh, top_y, d["neck_depth"], d["neck_shape"])
        else:
            neck = sagitta_arc((nh, top_y), (-nh, top_y), d["back_neck_depth"])
        return symmetric_outline(
            ("hem", flare_hem(hx, hem_y, under), "hem"),
            [
                ("side", (hx, hem_y), None, None),
                ("armhole", under, armhole_curve(under, tip, ARMHOLE_SCOOP_CM), "armhole"),
                ("shoulder", tip, None, None),
            ],
            (nh, top_y),
            ("neck", neck, "neckline"),
        )

    def _design_reasons(self, d: dict[str, float], body: BodyDims) -> list[str]:
        reasons = []
        g = self.geometry(d, body)
        shoulder = g["tip"][0] - g["neck_half"]
        if shoulder < 5.0:
            reasons.append(f"neck_width {d['neck_width']:g} cm leaves shoulder seams of {shoulder:.1f} cm")
        if d["neck_width"] < body.neck_girth / np.pi + 2.0:
            reasons.append(f"neck_width {d['neck_width']:g} cm is narrower than the neck")
        if g["hem_y"] < body.knee_y:
            reasons.append(f"length {d['length']:g} cm puts the hem below the knee")
        if g["hem_y"] > g["under"][1] - 12.0:
            reasons.append(f"length {d['length']:g} cm leaves no body below the armholes")
        if d["neck_depth"] > 0.8 * (g["top_y"] - g["under"][1]):
            reasons.append(f"neck_depth {d['neck_depth']:g} cm reaches below the armholes")
        reasons += sleeve_reasons(d, g)
        return reasons

    def _build(self, d: dict[str, float], body: BodyDims) -> Pattern:
        g = self.geometry(d, body)
        pb = PatternBuilder(self.name)
        z = body.depth(g["hem_y"], g["top_y"]) + GAP_CM
        pb.add("front", place_panel(self.torso(d, g, True), np.eye(3), (0, 0, z), label="body"))
        pb.add("back", place_panel(self.torso(d, g, False), np.eye(3), (0, 0, -z), back=True, label="body"))
        for key in ("side_l", "side_r", "shoulder_l", "shoulder_r"):
            pb.stitch("front", key, "back", key)
        add_sleeves(pb, body, g["sleeve"], "front", "back")
        pb.clear_of(lambda pts: body.proxy_inside(pts, GAP_CM))
        return pb.build()

    def _fit_reasons(self, pattern: Pattern, body: BodyDims) -> list[str]:
        g = self.geometry(design_of(pattern, self), body)
        return torso_fit_reasons(pattern, body, ["front", "back"], g["hem_y"], g["under"][1])


__all__ = ["TShirt"]
