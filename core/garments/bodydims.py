"""The body measurements a garment family needs: girths, landmark heights and limb frames.

Read from a ``core.body.BodyParams`` (or anything with its measurement attributes and, if it
has one, a ``landmarks()`` dict); heights the body does not give are estimated from the usual
proportions of the stature. Cross-sections are modelled as ellipses whose circumference is
the body's girth, which is what the families need to size panels and to place them clear of
the body.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

# width / depth of the torso cross-section at the chest, waist and hips
_ASPECT = {"bust": 1.32, "waist": 1.30, "hips": 1.36}


def ellipse_perimeter(a: float, b: float) -> float:
    """Ramanujan's approximation of an ellipse's circumference from its semi-axes."""
    h = ((a - b) / (a + b)) ** 2
    return math.pi * (a + b) * (1 + 3 * h / (10 + math.sqrt(4 - 3 * h)))


def ellipse_axes(girth: float, aspect: float) -> tuple[float, float]:
    """Semi-axes (half width, half depth) of an ellipse of circumference ``girth``."""
    b = girth / ellipse_perimeter(aspect, 1.0)
    return aspect * b, b


@dataclass(frozen=True)
class _DefaultBody:
    """Stand-in for ``core.body.BodyParams`` when that module is not available."""

    height: float = 170.0
    bust: float = 92.0
    waist: float = 76.0
    hips: float = 98.0
    shoulder_width: float = 40.0
    arm_length: float = 58.0
    inseam: float = 78.0
    arm_angle_deg: float = 40.0


def default_body() -> Any:
    """``core.body.BodyParams()`` if that module exists, else a stand-in with its defaults."""
    try:
        from ..body import BodyParams
    except ImportError:
        return _DefaultBody()
    return BodyParams()


_LANDMARK_NAMES = {
    # our height: the landmarks (``core.body.BodyParams.landmarks()``) whose y gives it
    "neck_y": ("neck_side_l", "neck_base"),
    "shoulder_y": ("shoulder_l",),
    "armpit_y": ("armpit_l",),
    "bust_y": ("bust_front",),
    "waist_y": ("waist_front", "waist_l"),
    "hip_y": ("hip_front", "hip_l"),
    "crotch_y": ("crotch",),
    "knee_y": ("knee_l",),
    "ankle_y": ("ankle_l",),
}


@dataclass
class BodyDims:
    """Measurements (cm) and landmark heights (cm above the floor) of a body."""

    height: float
    bust: float
    waist: float
    hips: float
    shoulder_width: float
    arm_length: float
    inseam: float
    arm_angle_deg: float
    neck_y: float
    shoulder_y: float
    armpit_y: float
    bust_y: float
    waist_y: float
    hip_y: float
    crotch_y: float
    knee_y: float
    ankle_y: float
    neck_girth: float
    bicep_girth: float
    wrist_girth: float
    thigh_girth: float
    knee_girth: float
    ankle_girth: float
    shoulder_joint_x: float
    shoulder_joint_y: float
    leg_x: float  # x of the left leg's axis (the right one is at -leg_x)
    front_bulge: float  # how far the bust / belly / buttocks stand out beyond the ellipse
    # signed distance to the real body (cm, negative inside), when the body can give one
    sdf: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_body(cls, body: Any = None) -> BodyDims:
        if isinstance(body, BodyDims):
            return body
        if body is None:
            body = default_body()

        def get(name: str, default: float) -> float:
            v = getattr(body, name, default)
            return float(v) if v is not None else default

        h = get("height", 170.0)
        bust, waist, hips = get("bust", 92.0), get("waist", 76.0), get("hips", 98.0)
        sw = get("shoulder_width", 40.0)
        inseam = get("inseam", 0.46 * h)
        est = {
            "neck_y": 0.845 * h,
            "shoulder_y": 0.818 * h,
            "armpit_y": 0.738 * h,
            "bust_y": 0.722 * h,
            "waist_y": 0.615 * h,
            "hip_y": inseam + 0.06 * h,
            "crotch_y": inseam,
            "knee_y": 0.285 * h,
            "ankle_y": 0.045 * h,
        }
        marks = _landmarks(body)
        for ours, names in _LANDMARK_NAMES.items():
            for n in names:
                if n in marks:
                    est[ours] = float(marks[n][1])
                    break
        hips_a, _ = ellipse_axes(hips, _ASPECT["hips"])
        joint = marks.get("shoulder_joint_l", np.array([0.5 * sw - 3.0, est["shoulder_y"] - 3.0]))
        leg_x = float(marks["hip_joint_l"][0]) if "hip_joint_l" in marks else 0.5 * hips_a
        return cls(
            height=h,
            bust=bust,
            waist=waist,
            hips=hips,
            shoulder_width=sw,
            arm_length=get("arm_length", 0.34 * h),
            inseam=inseam,
            arm_angle_deg=get("arm_angle_deg", 40.0),
            neck_girth=get("neck", 0.36 * bust + 3.0),
            bicep_girth=get("upper_arm", 0.31 * bust),
            wrist_girth=0.17 * bust,
            thigh_girth=get("thigh", 0.56 * hips),
            knee_girth=0.38 * hips,
            ankle_girth=0.24 * hips,
            shoulder_joint_x=float(joint[0]),
            shoulder_joint_y=float(joint[1]),
            leg_x=leg_x,
            front_bulge=0.02 * bust + 1.0,
            sdf=_sdf_of(body),
            **est,
        )

    def measurements(self) -> dict[str, float]:
        names = ("height", "bust", "waist", "hips", "shoulder_width", "arm_length", "inseam", "arm_angle_deg")
        return {f.name: round(float(getattr(self, f.name)), 4) for f in fields(self) if f.name in names}

    # ----- girths

    def torso_girth(self, y: float) -> float:
        """Girth of the torso (both legs together below the hips) at height ``y``."""
        ys = [self.crotch_y - 30.0, self.hip_y, self.waist_y, self.bust_y, self.armpit_y, self.shoulder_y]
        gs = [self.hips, self.hips, self.waist, self.bust, self.bust, self.bust]
        if y > self.shoulder_y:
            return self.neck_girth
        return float(np.interp(y, ys, gs))

    def leg_girth(self, y: float) -> float:
        """Girth of one leg at height ``y`` (below the crotch)."""
        ys = [self.ankle_y, self.ankle_y + 0.3 * (self.knee_y - self.ankle_y), self.knee_y, self.crotch_y]
        calf = self.knee_girth * 0.97
        gs = [self.ankle_girth, calf, self.knee_girth, self.thigh_girth]
        return float(np.interp(y, ys, gs))

    def arm_girth(self, s: float) -> float:
        """Girth of the arm ``s`` cm along it from the shoulder joint."""
        return float(
            np.interp(
                s,
                [0.0, 0.2 * self.arm_length, self.arm_length],
                [self.bicep_girth * 1.05, self.bicep_girth, self.wrist_girth],
            )
        )

    # ----- extents used to keep panels clear of the body

    def torso_axes(self, y: float) -> tuple[float, float]:
        """Half width and half depth of the torso cross-section at ``y``."""
        if y >= self.waist_y:
            t = min(1.0, (y - self.waist_y) / max(self.bust_y - self.waist_y, 1.0))
            aspect = _ASPECT["waist"] + t * (_ASPECT["bust"] - _ASPECT["waist"])
        else:
            aspect = _ASPECT["hips"]
        return ellipse_axes(self.torso_girth(y), aspect)

    def depth(self, y0: float, y1: float) -> float:
        """Largest distance (cm) of the body's front or back from the plane z=0 over [y0, y1].

        Torso as an ellipse plus ``front_bulge`` (bust, belly, seat); legs inside the hips'.
        """
        ys = np.linspace(min(y0, y1), max(y0, y1), 25)
        ys = np.clip(ys, 0.0, self.shoulder_y)
        d = max(self.torso_axes(float(y))[1] for y in ys)
        return d + self.front_bulge

    def support(self, y: float, phi_deg: float) -> float:
        """Extent of the torso at ``y`` in the horizontal direction at ``phi_deg`` from +z."""
        a, b = self.torso_axes(min(y, self.shoulder_y))
        phi = math.radians(phi_deg)
        return math.sqrt((a * math.sin(phi)) ** 2 + (b * math.cos(phi)) ** 2) + self.front_bulge

    # ----- arm frame (left arm; the right arm is its mirror image)

    def arm_dir(self) -> np.ndarray:
        a = math.radians(self.arm_angle_deg)
        return np.array([math.sin(a), -math.cos(a), 0.0])

    def shoulder_joint(self) -> np.ndarray:
        return np.array([self.shoulder_joint_x, self.shoulder_joint_y, 0.0])

    # ----- a simple solid stand-in for the body (torso, neck, head, arms, legs)

    def proxy_inside(self, points: np.ndarray, margin: float = 0.0) -> np.ndarray:
        """Whether each point (K, 3) lies inside the body grown by ``margin`` cm.

        The body is a simple solid stand-in built from the measurements, joined with the real
        body's signed distance where the body gives one (``core.body.body_sdf``).
        """
        p = np.atleast_2d(np.asarray(points, float))
        x, y, z = p[:, 0], p[:, 1], p[:, 2]
        inside = np.zeros(len(p), bool)
        if self.sdf is not None:
            inside |= self.sdf(p) < margin
        # torso: elliptic cross-sections (the front bulge added to the depth) from the crotch up
        ys = np.linspace(self.crotch_y - 2.0, self.shoulder_y, 40)
        axes = np.array([self.torso_axes(float(v)) for v in ys])
        a = np.interp(y, ys, axes[:, 0]) + margin
        b = np.interp(y, ys, axes[:, 1]) + self.front_bulge + margin
        inside |= (y >= ys[0]) & (y <= ys[-1]) & ((x / a) ** 2 + (z / b) ** 2 <= 1.0)
        # shoulders: the torso's top rounded off towards the arms
        inside |= _capsule(p, self.shoulder_joint() * [-1, 1, 1], self.shoulder_joint(), 6.0 + margin)
        # neck and head
        neck_r = self.neck_girth / (2 * np.pi)
        top = np.array([0.0, self.height - 12.0, 0.0])
        inside |= _capsule(p, np.array([0.0, self.shoulder_y - 5.0, 0.0]), top, neck_r + margin)
        inside |= np.linalg.norm(p - top, axis=1) <= 11.0 + margin
        # arms: tapered capsules along the A-pose, and the hands
        for sign in (1.0, -1.0):
            m = np.array([sign, 1.0, 1.0])
            joint = self.shoulder_joint() * m
            wrist = joint + self.arm_dir() * m * self.arm_length
            inside |= _cone(
                p,
                joint,
                wrist,
                self.arm_girth(0.0) / (2 * np.pi) + margin,
                self.wrist_girth / (2 * np.pi) + margin,
            )
            hand = wrist + self.arm_dir() * m * 19.0
            inside |= _capsule(p, wrist, hand, 4.0 + margin)
            # legs
            hip = np.array([sign * self.leg_x, self.crotch_y + 5.0, 0.0])
            ankle = np.array([sign * self.leg_x, self.ankle_y, 0.0])
            inside |= _cone(
                p,
                hip,
                ankle,
                self.thigh_girth / (2 * np.pi) + margin,
                self.ankle_girth / (2 * np.pi) + margin,
            )
            foot = ankle + np.array([0.0, -self.ankle_y + 3.0, 12.0])
            inside |= _capsule(p, ankle - np.array([0.0, 0.0, 5.0]), foot, 4.5 + margin)
        return inside


def _capsule(p: np.ndarray, a: np.ndarray, b: np.ndarray, r: float) -> np.ndarray:
    return _cone(p, a, b, r, r)


def _cone(p: np.ndarray, a: np.ndarray, b: np.ndarray, ra: float, rb: float) -> np.ndarray:
    """Inside a rounded cone from ``a`` (radius ra) to ``b`` (radius rb)."""
    ab = b - a
    t = np.clip((p - a) @ ab / max(float(ab @ ab), 1e-12), 0.0, 1.0)
    closest = a + t[:, None] * ab
    return np.linalg.norm(p - closest, axis=1) <= ra + t * (rb - ra)


def _sdf_of(body: Any) -> Callable[[np.ndarray], np.ndarray] | None:
    """``core.body.body_sdf`` bound to ``body`` if it is a ``core.body.BodyParams``."""
    try:
        from ..body import BodyParams, body_sdf
    except ImportError:
        return None
    if not isinstance(body, BodyParams):
        return None
    return lambda points: body_sdf(body, points)


def _landmarks(body: Any) -> dict[str, np.ndarray]:
    """The body's named landmarks as finite 3D (or 2D) points; heights become (0, y)."""
    fn = getattr(body, "landmarks", None)
    if not callable(fn):
        return {}
    try:
        marks = fn()
    except Exception:  # a body without usable landmarks: the estimates stand
        return {}
    if not isinstance(marks, dict):
        return {}
    out: dict[str, np.ndarray] = {}
    for k, v in marks.items():
        try:
            arr = np.asarray(v, float).ravel()
        except (TypeError, ValueError):
            continue
        if arr.size == 1:
            arr = np.array([0.0, arr[0]])
        if arr.size in (2, 3) and np.all(np.isfinite(arr)):
            out[str(k)] = arr
    return out
