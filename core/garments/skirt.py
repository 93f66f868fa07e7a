"""Flared skirt of 2 (front, back) or 4 (front and back halves) gores, from the waist."""

from __future__ import annotations

import math

import numpy as np

from ..pattern import Pattern
from ._parts import GAP_CM, MIN_EASE_CM, flare_hem, symmetric_outline
from .base import (
    GarmentFamily,
    ParamSpec,
    PatternBuilder,
    design_of,
    mirror_world_x,
    place_panel,
    rot_x,
    rot_y,
    sagitta_arc,
)
from .bodydims import BodyDims

MAX_FLARE_DEG = 40.0  # side seam angle of a 2-gore skirt at flare = 1 (a 4-gore one: half that)
MAX_TILT_DEG = 30.0
_RY180 = np.diag([-1.0, 1.0, -1.0])


class Skirt(GarmentFamily):
    name = "skirt"
    doc = "Flared skirt: 2 or 4 gores with a shaped hip, straight flared side seams and a curved hem."
    params = [
        ParamSpec("length", 30, 110, 60, "cm", "waist to hem at the side seams"),
        ParamSpec("waist_ease", 0, 8, 2, "cm", "skirt waist girth minus body waist girth"),
        ParamSpec("hip_ease", 4, 16, 6, "cm", "skirt hip girth minus body hip girth"),
        ParamSpec("flare", 0, 1, 0.4, "", "0 straight skirt, 1 close to a full circle skirt"),
        ParamSpec("panels", 2, 4, 4, "", "number of gores: 2 (side seams) or 4 (also centre seams)", 2),
    ]

    def geometry(self, d: dict[str, float], body: BodyDims) -> dict:
        n = int(d["panels"])
        wp = (body.waist + d["waist_ease"]) / n
        hp = (body.hips + d["hip_ease"]) / n
        dh = body.waist_y - body.hip_y
        alpha = d["flare"] * MAX_FLARE_DEG * 2.0 / n
        length = d["length"]
        hem_half = hp / 2 + (length - dh) * math.tan(math.radians(alpha))
        return {"n": n, "wp": wp, "hp": hp, "dh": dh, "alpha": alpha, "hem_half": hem_half}

    def outline(self, g: dict, length: float):
        wp, hp, dh, hx = g["wp"], g["hp"], g["dh"], g["hem_half"]
        hip = np.array([hp / 2, -dh])
        waist = np.array([wp / 2, 0.0])
        # the hip curve leaves the waist inwards of the flare line and meets it tangentially
        k = 0.5 * dh
        lean = math.tan(math.radians(g["alpha"]))
        hip_ctrl = np.array([max(hp / 2 - lean * k, wp / 2 + 0.4 * (hp - wp) / 2), -dh + k])
        dip = min(2.0, 0.5 * (wp / 2) * math.tan(math.radians(g["alpha"]))) + 0.3
        return symmetric_outline(
            ("hem", flare_hem(hx, -length, hip), "hem"),
            [
                ("side", (hx, -length), None, None),
                ("hip", hip, ("quadratic", hip_ctrl), None),
            ],
            waist,
            ("waist", sagitta_arc(waist, waist * (-1, 1), dip), "waist"),
        )

    def _design_reasons(self, d: dict[str, float], body: BodyDims) -> list[str]:
        reasons = []
        g = self.geometry(d, body)
        if body.waist_y - d["length"] < 2.0:
            reasons.append(f"length {d['length']:g} cm puts the hem below the floor")
        if d["length"] < g["dh"] + 5.0:
            need = g["dh"] + 5.0
            reasons.append(f"length {d['length']:g} cm does not cover the hips ({need:.0f} cm needed)")
        if g["hp"] < g["wp"]:
            reasons.append("the skirt's hips are narrower than its waist")
        return reasons

    def _build(self, d: dict[str, float], body: BodyDims) -> Pattern:
        g = self.geometry(d, body)
        n, length = g["n"], d["length"]
        outline = self.outline(g, length)
        # 4 gores lean out like a lampshade so that neighbours' flared edges never cross;
        # front and back of a 2-gore skirt hang straight, their side seams facing each other
        tilt = min(g["alpha"], MAX_TILT_DEG) if n == 4 else 0.0
        hem_y = body.waist_y - length * math.cos(math.radians(tilt))
        # facing directions (degrees from +z about +y) of the left-side gores
        faces = {"front": 0.0, "back": 180.0} if n == 2 else {"front_left": 45.0, "back_left": 135.0}
        pb = PatternBuilder(self.name)
        placed = {}
        for name, phi in faces.items():
            # the plane passes the waist at distance dist and leans out by the tilt going down
            dist = 0.0
            for y in np.linspace(hem_y, body.waist_y, 30):
                lean = (body.waist_y - y) * math.tan(math.radians(tilt))
                dist = max(dist, body.support(y, phi) + GAP_CM - lean)
            if n == 4:  # neighbouring gores meet at right angles: keep their edges apart
                for s in np.linspace(0.0, length, 30):
                    half = g["hp"] / 2 + max(0.0, s - g["dh"]) * math.tan(math.radians(g["alpha"]))
                    dist = max(dist, half + 1.0 - s * math.sin(math.radians(tilt)))
            phi_r = math.radians(phi)
            origin = np.array([dist * math.sin(phi_r), body.waist_y, dist * math.cos(phi_r)])
            rot = rot_y(phi) @ rot_x(-tilt)
            back = abs(phi) > 90.0
            frame = rot @ _RY180 if back else rot  # place_panel turns back panels half around
            placed[name] = place_panel(outline, frame, origin, back=back, label="body")
        if n == 2:
            pb.add("front", placed["front"])
            pb.add("back", placed["back"])
            for key in ("side_l", "side_r", "hip_l", "hip_r"):
                pb.stitch("front", key, "back", key)
        else:
            pb.add("front_left", placed["front_left"])
            pb.add("front_right", mirror_world_x(placed["front_left"]))
            pb.add("back_left", placed["back_left"])
            pb.add("back_right", mirror_world_x(placed["back_left"]))
            for a, b, side in (
                ("front_left", "front_right", "r"),  # centre front
                ("back_left", "back_right", "r"),  # centre back
                ("front_left", "back_left", "l"),  # left side
                ("front_right", "back_right", "l"),  # right side
            ):
                pb.stitch(a, f"side_{side}", b, f"side_{side}")
                pb.stitch(a, f"hip_{side}", b, f"hip_{side}")
        pb.clear_of(lambda pts: body.proxy_inside(pts, GAP_CM))
        return pb.build()

    def _fit_reasons(self, pattern: Pattern, body: BodyDims) -> list[str]:
        d = design_of(pattern, self)
        g = self.geometry(d, body)
        # girths measured along the fabric: compare flat widths at the waist and hip lines
        reasons = []
        for what, have, need in (
            ("waist", g["n"] * g["wp"], body.waist),
            ("hips", g["n"] * g["hp"], body.hips + MIN_EASE_CM),
        ):
            if have < need - 1e-6:
                reasons.append(f"the skirt's {what} is {have:.1f} cm around, the body needs {need:.1f}")
        return reasons


__all__ = ["Skirt"]
