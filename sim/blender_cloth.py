"""Drape a box mesh on a body with Blender's own cloth modifier, headless.

The garment arrives as flat panels placed around the body (pattern space: cm, +Y up, the
body faces +Z) plus ``seam_pairs``, the vertex pairs that stitches join. Inside Blender
(metres, +Z up: ``blender = (x, -z, y) / 100``) each seam pair becomes a loose edge, which
the cloth modifier turns into a *sewing spring* (rest length 0, stiffness = the tension
stiffness, force clamped to ``sewing_force_max``). The body is a collision object.

Schedule (frames are Blender frames at 24 fps; frame 1 is the rest state):

1. sewing: gravity off (cloth effector weight 0) while the sewing springs pull the panels
   together around the body;
2. as soon as the seams are closed (95 % of the pairs within ``sew_tolerance``) or after
   ``sew_frames`` frames, gravity is ramped in over ``gravity_ramp`` frames (a keyframed
   effector weight, inserted on the fly: editing an F-curve does not reset the cache);
3. the rest of the ``frames`` let the garment settle on the body.

Cloth settings are per spring and per vertex in Blender, so the same numbers mean a heavier
and limper fabric on a finer mesh. A :class:`ClothMaterial` gives the settings for a mesh
whose mean edge is ``REFERENCE_EDGE_CM``; :func:`drape` rescales them to the mesh at hand
(mass x r^2, stretch stiffness and damping x r, bending x 1/r^2, r = edge / reference) so
a garment drapes alike at any resolution (checked within a few mm at 1.5-3 cm edges).

Needs ``bpy``; ``core`` stays free of it. The simulation runs in a scene of its own that
is deleted afterwards, so the current file's scenes and objects are untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import bpy
import numpy as np

from core.frames import CM_PER_M, blender_to_pattern, pattern_to_blender

REFERENCE_EDGE_CM = 2.0
"""Mean mesh edge (cm) at which the :class:`ClothMaterial` numbers are used as they are."""

_GRAVITY_PATH = 'modifiers["Cloth"].settings.effector_weights.gravity'
_SEWING_PATH = 'modifiers["Cloth"].settings.sewing_force_max'


@dataclass(frozen=True)
class ClothMaterial:
    """Blender cloth settings (SI units as Blender shows them) for a mesh with mean edge
    ``REFERENCE_EDGE_CM``.

    ``mass`` is Blender's vertex mass (kg), the stiffnesses are Blender's Physical
    Properties > Stiffness values and the dampings its Damping values; ``friction`` goes to
    the body's collision (cloth friction) and ``bending`` is for the angular bending model.
    """

    name: str
    mass: float
    tension: float
    compression: float
    shear: float
    bending: float
    tension_damping: float
    compression_damping: float
    shear_damping: float
    bending_damping: float
    air_damping: float
    friction: float = 5.0

    def scaled(self, edge_cm: float) -> ClothMaterial:
        """The settings for a mesh whose mean edge is ``edge_cm`` (see the module docstring)."""
        r = float(edge_cm) / REFERENCE_EDGE_CM
        return replace(
            self,
            mass=self.mass * r * r,
            tension=self.tension * r,
            compression=self.compression * r,
            shear=self.shear * r,
            bending=self.bending / (r * r),
            tension_damping=self.tension_damping * r,
            compression_damping=self.compression_damping * r,
            shear_damping=self.shear_damping * r,
            bending_damping=self.bending_damping / (r * r),
            air_damping=self.air_damping * r * r,
        )


MATERIALS: dict[str, ClothMaterial] = {
    # silk / light jersey: light, stretchy, limp (many small folds)
    "soft": ClothMaterial("soft", 0.02, 5.0, 5.0, 5.0, 0.05, 2.0, 2.0, 2.0, 0.5, 1.0),
    # cotton shirting
    "mid": ClothMaterial("mid", 0.03, 15.0, 15.0, 15.0, 0.5, 5.0, 5.0, 5.0, 0.5, 1.0),
    # denim / canvas: heavier, firm, few broad folds
    "stiff": ClothMaterial("stiff", 0.05, 40.0, 40.0, 40.0, 2.5, 15.0, 15.0, 15.0, 1.0, 1.0),
}


@dataclass
class DrapeResult:
    vertices: np.ndarray  # (V, 3) float64 cm, same order as the input
    frames_run: int
    seconds: float
    history: np.ndarray  # (frames_run,) mean vertex speed, cm per frame
    gravity_frame: int = 0  # first frame of the gravity ramp
    seam_gap: np.ndarray | None = None  # (frames_run,) max seam gap per frame, cm


def mean_edge_length(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Mean length of the triangles' edges (cm); shared edges count twice, which is fine."""
    e = vertices[faces] - vertices[np.roll(faces, 1, axis=1)]
    return float(np.linalg.norm(e, axis=2).mean())


def _mesh(name: str, vertices: np.ndarray, edges: np.ndarray, faces: np.ndarray) -> bpy.types.Mesh:
    me = bpy.data.meshes.new(name)
    me.from_pydata(pattern_to_blender(vertices).tolist(), edges.tolist(), faces.tolist())
    me.update()
    if len(me.vertices) != len(vertices):
        raise RuntimeError(f"Blender made {len(me.vertices)} vertices from {len(vertices)}")
    return me


def _read(obj: bpy.types.Object, depsgraph, n: int) -> np.ndarray:
    me = obj.evaluated_get(depsgraph).data
    co = np.empty(n * 3, np.float32)
    me.vertices.foreach_get("co", co)
    return blender_to_pattern(co.reshape(-1, 3))


def _fcurve(obj: bpy.types.Object, path: str):
    from bpy_extras import anim_utils

    ad = obj.animation_data
    bag = anim_utils.action_get_channelbag_for_slot(ad.action, ad.action_slot)
    return next(fc for fc in bag.fcurves if fc.data_path == path)


def drape(
    vertices: np.ndarray,
    faces: np.ndarray,
    seam_pairs: np.ndarray,
    body_vertices: np.ndarray,
    body_faces: np.ndarray,
    material: str | ClothMaterial = "mid",
    frames: int = 120,
    self_collision: bool = False,
    substeps: int = 5,
    seam_shrink: float = 0.0,
    progress: Callable[[int, int], None] | None = None,
    *,
    sewing_force_max: float = 5.0,
    sew_frames: int = 40,
    sew_tolerance: float = 1.0,
    gravity_ramp: int = 10,
    collision_distance: float = 0.2,
    body_thickness: float = 0.3,
    collision_quality: int = 3,
    scale_to_mesh: bool = True,
    lift: float = 0.0,
    sewing_force_after: float = 1.0,
    frame_hook: Callable[[int, np.ndarray], None] | None = None,
) -> DrapeResult:
    """Simulate ``frames`` frames of the garment sewn and dropped on the body; see module doc.

    vertices (V, 3), faces (F, 3) and seam_pairs (P, 2): the box mesh (cm, pattern space);
    body_vertices / body_faces: the collision body (cm, pattern space, closed, outward
    normals). ``substeps`` is Blender's cloth quality (solver steps per frame);
    ``seam_shrink`` is Blender's fabric shrink factor (0.05: rest lengths 5 % shorter) for a
    snugger fit; ``sewing_force_max`` (N at the reference edge) limits the pull of one
    sewing spring; gravity waits for the seams (``sew_tolerance`` cm) at most ``sew_frames``
    frames. ``collision_distance`` (cloth) and ``body_thickness`` (collision outer
    thickness) are in cm. ``progress(frame, frames)`` and ``frame_hook(frame, vertices_cm)``
    are called after every simulated frame.
    """
    t0 = time.perf_counter()
    v = np.asarray(vertices, np.float64).reshape(-1, 3)
    f = np.asarray(faces, np.int64).reshape(-1, 3)
    pairs = np.asarray(seam_pairs, np.int64).reshape(-1, 2)
    bv = np.asarray(body_vertices, np.float64).reshape(-1, 3)
    bf = np.asarray(body_faces, np.int64).reshape(-1, 3)
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    if not np.isfinite(v).all():
        raise ValueError("garment vertices contain NaN or inf")
    if len(pairs) and (pairs.min() < 0 or pairs.max() >= len(v)):
        raise ValueError("seam_pairs index outside the garment vertices")
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    mat = MATERIALS[material] if isinstance(material, str) else material
    edge = mean_edge_length(v, f)
    r = edge / REFERENCE_EDGE_CM if scale_to_mesh else 1.0
    if scale_to_mesh:
        mat = mat.scaled(edge)

    scene = bpy.data.scenes.new("garment_drape")
    datablocks: list = []
    try:
        cloth_me = _mesh("garment_drape_cloth", v + np.array([0.0, lift, 0.0]), pairs, f)
        datablocks.append(cloth_me)
        cloth = bpy.data.objects.new("garment_drape_cloth", cloth_me)
        datablocks.insert(0, cloth)
        body_me = _mesh("garment_drape_body", bv, np.zeros((0, 2), np.int64), bf)
        datablocks.append(body_me)
        body = bpy.data.objects.new("garment_drape_body", body_me)
        datablocks.insert(0, body)
        scene.collection.objects.link(body)
        scene.collection.objects.link(cloth)

        body.modifiers.new("Collision", "COLLISION")
        col = body.collision
        col.thickness_outer = body_thickness / CM_PER_M
        col.thickness_inner = 0.002
        col.cloth_friction = mat.friction
        col.damping = 0.1

        mod = cloth.modifiers.new("Cloth", "CLOTH")
        s = mod.settings
        s.quality = substeps
        s.mass = mat.mass
        s.tension_stiffness = mat.tension
        s.compression_stiffness = mat.compression
        s.shear_stiffness = mat.shear
        s.bending_stiffness = mat.bending
        s.tension_damping = mat.tension_damping
        s.compression_damping = mat.compression_damping
        s.shear_damping = mat.shear_damping
        s.bending_damping = mat.bending_damping
        s.air_damping = mat.air_damping
        s.use_sewing_springs = True
        sew0 = sewing_force_max * r
        s.sewing_force_max = sew0
        s.shrink_min = seam_shrink
        cs = mod.collision_settings
        cs.use_collision = True
        cs.distance_min = collision_distance / CM_PER_M
        cs.collision_quality = collision_quality
        cs.use_self_collision = self_collision
        cs.self_distance_min = collision_distance / CM_PER_M
        scene.frame_start = 1
        scene.frame_end = frames + 1
        mod.point_cache.frame_start = 1
        mod.point_cache.frame_end = frames + 1

        s.effector_weights.gravity = 0.0
        s.effector_weights.keyframe_insert("gravity", frame=1)
        s.keyframe_insert("sewing_force_max", frame=1)
        fcurve = _fcurve(cloth, _GRAVITY_PATH)
        sew_curve = _fcurve(cloth, _SEWING_PATH)
        gravity_frame = 0

        scene.frame_set(1)
        depsgraph = scene.view_layers[0].depsgraph
        prev = _read(cloth, depsgraph, len(v))
        speed, gaps = [], []
        for i in range(1, frames + 1):
            scene.frame_set(1 + i)
            cur = _read(cloth, depsgraph, len(v))
            speed.append(float(np.linalg.norm(cur - prev, axis=1).mean()))
            gap = np.linalg.norm(cur[pairs[:, 0]] - cur[pairs[:, 1]], axis=1) if len(pairs) else np.zeros(1)
            gaps.append(float(gap.max()))
            prev = cur
            if not gravity_frame and (i >= sew_frames or np.percentile(gap, 95) < sew_tolerance):
                gravity_frame = i + 1
                fcurve.keyframe_points.insert(1 + gravity_frame, 0.0)
                fcurve.keyframe_points.insert(1 + gravity_frame + max(gravity_ramp, 1), 1.0)
                fcurve.update()
                if sewing_force_after != 1.0:
                    sew_curve.keyframe_points.insert(1 + gravity_frame, sew0)
                    sew_curve.keyframe_points.insert(
                        1 + gravity_frame + max(gravity_ramp, 1), sew0 * sewing_force_after
                    )
                    sew_curve.update()
            if frame_hook:
                frame_hook(i, cur)
            if progress:
                progress(i, frames)
        out = prev
    finally:
        for block in datablocks:
            if isinstance(block, bpy.types.Object):
                bpy.data.objects.remove(block)
            else:
                bpy.data.meshes.remove(block)
        for action in [a for a in bpy.data.actions if a.users == 0 and a.name.startswith("garment_drape")]:
            bpy.data.actions.remove(action)
        bpy.data.scenes.remove(scene)
    return DrapeResult(
        vertices=out,
        frames_run=frames,
        seconds=time.perf_counter() - t0,
        history=np.array(speed),
        gravity_frame=gravity_frame,
        seam_gap=np.array(gaps),
    )
