"""Drape a box mesh on a body with Blender's own cloth modifier, headless.

The garment arrives as flat panels placed around the body (pattern space: cm, +Y up, the
body faces +Z) plus ``seam_pairs``, the vertex pairs that stitches join. Inside Blender
(metres, +Z up: ``blender = (x, -z, y) / 100``) each seam pair becomes a loose edge, which
the cloth modifier turns into a *sewing spring*: rest length 0, stiffness = the tension
stiffness (Blender ignores ``tension_stiffness_max`` for them), force clamped to
``sewing_force_max``. The body is a collision object. Only vertex positions come back, in
the input order; the loose edges exist only inside the temporary Blender mesh.

Schedule (Blender frames at 24 fps; frame 1 is the rest state, ``frames`` more are run):

1. sewing: gravity off (cloth effector weight 0) while the clamped sewing springs pull the
   panels together around the body (an unclamped pull slams panels through the body);
2. once 95 % of the seam pairs are within ``sew_tolerance`` cm, or after ``sew_frames``
   frames, gravity is ramped in over ``gravity_ramp`` frames and the sewing clamp rises by
   ``sewing_force_after`` (closes the last corners). Both are keyframes added to the
   F-curves on the fly: that leaves the point cache alone, whereas setting a cloth property
   mid-run invalidates it (the next frame comes back as a repeat of the last one);
3. the remaining frames let the garment settle on the body.

Cloth settings are per spring and per vertex in Blender, so the same numbers give a heavier,
limper fabric on a finer mesh. A :class:`ClothMaterial` holds the settings for a mesh whose
mean edge is ``REFERENCE_EDGE_CM``; :func:`drape` rescales them to the mesh at hand
(:meth:`ClothMaterial.scaled`: mass and air drag x r^2, stretch stiffness and damping x r,
bending x 1/r^2, r = mean edge / reference), which keeps areal density, membrane stiffness
and bending rigidity fixed. The masses are far lighter than Blender's presets (0.3 kg per
vertex for cotton): with those, garments stretch 10 % under their own weight and skirts slide
off the hips.

Needs ``bpy``; ``core`` stays free of it. Each call builds a scene of its own and deletes it
with its objects, meshes and action afterwards; the current file is left as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import bpy
import numpy as np

try:  # inside the extension package (the Drape operator)
    from ..core.frames import CM_PER_M, blender_to_pattern, pattern_to_blender
except ImportError:  # the checkout's top-level packages (dataset scripts, tests)
    from core.frames import CM_PER_M, blender_to_pattern, pattern_to_blender

REFERENCE_EDGE_CM = 2.0
"""Mean mesh edge (cm) at which the :class:`ClothMaterial` numbers are used as they are."""

BENDING_EXPONENT = 2.0
"""Bending stiffness goes with (reference edge / mesh edge) ** BENDING_EXPONENT."""

_GRAVITY_PATH = 'modifiers["Cloth"].settings.effector_weights.gravity'
_SEWING_PATH = 'modifiers["Cloth"].settings.sewing_force_max'
_BENDING_PATH = 'modifiers["Cloth"].settings.bending_stiffness'
_SELF_COLLISION_PATH = 'modifiers["Cloth"].collision_settings.use_self_collision'


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
    friction: float = 2.0
    sewing: float = 5.0  # sewing spring force clamp (N) at the reference edge

    def scaled(self, edge_cm: float) -> ClothMaterial:
        """The settings for a mesh whose mean edge is ``edge_cm`` (see the module docstring)."""
        r = float(edge_cm) / REFERENCE_EDGE_CM
        return replace(
            self,
            mass=self.mass * r * r,
            tension=self.tension * r,
            compression=self.compression * r,
            shear=self.shear * r,
            bending=self.bending / r**BENDING_EXPONENT,
            tension_damping=self.tension_damping * r,
            compression_damping=self.compression_damping * r,
            shear_damping=self.shear_damping * r,
            bending_damping=self.bending_damping / r**BENDING_EXPONENT,
            air_damping=self.air_damping * r * r,
            sewing=self.sewing * r,
        )


V1_MATERIALS: dict[str, ClothMaterial] = {
    "soft": ClothMaterial("soft", 0.02, 5.0, 5.0, 5.0, 0.05, 2.0, 2.0, 2.0, 0.5, 5.0, 2.0, 1.7),
    "mid": ClothMaterial("mid", 0.03, 15.0, 15.0, 15.0, 0.5, 5.0, 5.0, 5.0, 0.5, 5.0, 2.0, 5.0),
    "stiff": ClothMaterial("stiff", 0.05, 40.0, 40.0, 40.0, 2.5, 15.0, 15.0, 15.0, 1.0, 5.0, 2.0, 10.0),
}
"""The presets drapes_v1 was made with (crumpled at the mesh scale; kept for comparisons)."""


MATERIALS: dict[str, ClothMaterial] = {
    # name: mass, tension, compression, shear, bending, damping (tension, compression, shear,
    # bending), air, friction, sewing clamp; values at REFERENCE_EDGE_CM (drapes_v2).
    # Heavy enough that gravity beats bending (v1's skirts stayed cones), nearly inextensible,
    # compression soft (6 % of tension: Blender cloth with compression = tension buckles at
    # the mesh scale and blows seams open), bending high enough for the cloth to fold over
    # several edges rather than crumple at one (mid: 30x v1's; at 10x, sleeve caps, shoulders,
    # cuffs and waistbands still crumpled where the seams gather the cloth, 3-3.6 % sharp
    # creases on the worst T-shirts and skirts, 1.3-1.6 % with 3x that). The sewing clamp follows
    # the stretch stiffness (a third of it): a stronger pull stretches the fabric into
    # crumpled tubes, a weaker one lets the garment's weight pull the seams open.
    # silk / light jersey: light and limp: many smaller folds
    "soft": ClothMaterial("soft", 0.10, 40.0, 2.4, 40.0, 3.0, 2.0, 2.0, 2.0, 0.5, 5.0, 5.0, 8.5),
    # cotton shirting
    "mid": ClothMaterial("mid", 0.15, 75.0, 4.5, 75.0, 15.0, 5.0, 5.0, 5.0, 0.5, 7.5, 5.0, 25.0),
    # denim / canvas: heavier and firm: few broad folds
    "stiff": ClothMaterial("stiff", 0.25, 150.0, 9.0, 150.0, 120.0, 15.0, 15.0, 15.0, 1.0, 12.5, 5.0, 50.0),
}


@dataclass
class DrapeResult:
    """What :func:`drape` returns (the first four fields are shared with ``sim.newton_cloth``)."""

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


def _loose_pairs(pairs: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Seam pairs as unique loose edges: no self pairs, no duplicates, none that is a face edge."""
    pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    if len(pairs) == 0:
        return pairs
    e = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    n = int(max(pairs.max(), faces.max())) + 1
    return pairs[~np.isin(pairs[:, 0] * n + pairs[:, 1], e[:, 0] * n + e[:, 1])]


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


class ClothDrape:
    """A drape one frame at a time: the temporary scene is built at construction, ``step()``
    simulates the next frame (False once the drape is done), ``result()`` is what :func:`drape`
    returns and ``close()`` removes the scene and its data (also on failure or cancel). A modal
    operator steps it from a timer; :func:`drape` runs it through. Arguments: see :func:`drape`."""

    def __init__(
        self,
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
        sewing_force_max: float | None = None,
        sew_frames: int = 40,
        sew_tolerance: float = 1.0,
        gravity_ramp: int = 10,
        collision_distance: float = 0.2,
        body_thickness: float = 0.3,
        collision_quality: int = 6,
        scale_to_mesh: bool = True,
        lift: float = 3.0,
        sewing_force_after: float = 5.0,
        frame_hook: Callable[[int, np.ndarray], None] | None = None,
        start_vertices: np.ndarray | None = None,
        sewing_bending: float = 1.0,
        self_collision_while_sewing: bool = True,
        settle: tuple[float, int] | None = None,
    ) -> None:
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
        if start_vertices is not None:
            start_vertices = np.asarray(start_vertices, np.float64).reshape(-1, 3)
            if start_vertices.shape != v.shape or not np.isfinite(start_vertices).all():
                raise ValueError(f"start_vertices must be finite and {v.shape}, got {start_vertices.shape}")
        if len(pairs) and (pairs.min() < 0 or pairs.max() >= len(v)):
            raise ValueError("seam_pairs index outside the garment vertices")
        if isinstance(material, str):
            if material not in MATERIALS:
                raise ValueError(f"unknown material {material!r}, expected one of {sorted(MATERIALS)}")
            material = MATERIALS[material]
        mat = material
        pairs = _loose_pairs(pairs, f)
        edge = mean_edge_length(v, f)
        r = edge / REFERENCE_EDGE_CM if scale_to_mesh else 1.0
        if scale_to_mesh:
            mat = mat.scaled(edge)

        scene = bpy.data.scenes.new("garment_drape")
        datablocks: list = []
        self.scene, self.datablocks, self.closed = scene, datablocks, False
        try:
            initial = v + np.array([0.0, lift, 0.0]) if start_vertices is None else start_vertices
            cloth_me = _mesh("garment_drape_cloth", initial, pairs, f)
            datablocks.append(cloth_me)
            cloth = bpy.data.objects.new("garment_drape_cloth", cloth_me)
            datablocks.insert(0, cloth)
            if start_vertices is not None:
                # the cloth starts where the mesh is at frame 1; from frame 2 the mesh is the box
                # mesh (a shape key at 1) and, with a dynamic base mesh, that is the rest shape
                # the springs pull to (Blender's "rest shape key" is not honoured here)
                cloth.shape_key_add(name="Basis", from_mix=False)
                rest_key = cloth.shape_key_add(name="rest", from_mix=False)
                rest_key.data.foreach_set("co", pattern_to_blender(v).astype(np.float32).ravel())
                rest_key.value = 0.0
                rest_key.keyframe_insert("value", frame=1)
                rest_key.value = 1.0
                rest_key.keyframe_insert("value", frame=2)
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
            s.use_dynamic_mesh = start_vertices is not None
            sew0 = mat.sewing if sewing_force_max is None else sewing_force_max * r
            s.sewing_force_max = sew0
            s.shrink_min = seam_shrink
            cs = mod.collision_settings
            cs.use_collision = True
            cs.distance_min = collision_distance / CM_PER_M
            cs.collision_quality = collision_quality
            late_self_collision = self_collision and not self_collision_while_sewing
            cs.use_self_collision = self_collision and not late_self_collision
            if late_self_collision:
                cs.keyframe_insert("use_self_collision", frame=1)
            cs.self_distance_min = collision_distance / CM_PER_M
            last = frames + (settle[1] if settle else 0)
            scene.frame_start = 1
            scene.frame_end = last + 1
            mod.point_cache.frame_start = 1
            mod.point_cache.frame_end = last + 1

            s.effector_weights.gravity = 0.0
            s.effector_weights.keyframe_insert("gravity", frame=1)
            s.keyframe_insert("sewing_force_max", frame=1)
            bend0 = s.bending_stiffness
            s.bending_stiffness = bend0 * sewing_bending
            s.keyframe_insert("bending_stiffness", frame=1)
            fcurve = _fcurve(cloth, _GRAVITY_PATH)
            sew_curve = _fcurve(cloth, _SEWING_PATH)
            bend_curve = _fcurve(cloth, _BENDING_PATH)
            gravity_frame = 0

            scene.frame_set(1)
            depsgraph = scene.view_layers[0].depsgraph
            prev = _read(cloth, depsgraph, len(v))
            speed, gaps = [], []
            i = 0
        except BaseException:
            self.close()
            raise
        i = 0
        self.i = i
        self.t0 = t0
        self.scene = scene
        self.cloth = cloth
        self.depsgraph = depsgraph
        self.v = v
        self.pairs = pairs
        self.frames = frames
        self.settle = settle
        self.last = last
        self.sew_frames = sew_frames
        self.sew_tolerance = sew_tolerance
        self.gravity_ramp = gravity_ramp
        self.fcurve = fcurve
        self.sew_curve = sew_curve
        self.bend_curve = bend_curve
        self.sew0 = sew0
        self.sewing_force_after = sewing_force_after
        self.late_self_collision = late_self_collision
        self.sewing_bending = sewing_bending
        self.bend0 = bend0
        self.frame_hook = frame_hook
        self.progress = progress
        self.prev = prev
        self.speed = speed
        self.gaps = gaps
        self.gravity_frame = gravity_frame

    @property
    def finished(self) -> bool:
        i, frames, settle, last, speed = self.i, self.frames, self.settle, self.last, self.speed
        return not (i < frames or (settle and i < last and np.mean(speed[-3:]) > settle[0]))

    def step(self) -> bool:
        """Simulate the next frame; False once the drape is done (nothing is simulated then)."""
        if self.closed or self.finished:
            return False
        i, prev, gravity_frame = self.i, self.prev, self.gravity_frame
        i += 1
        self.scene.frame_set(1 + i)
        cur = _read(self.cloth, self.depsgraph, len(self.v))
        self.speed.append(float(np.linalg.norm(cur - prev, axis=1).mean()))
        gap = (
            np.linalg.norm(cur[self.pairs[:, 0]] - cur[self.pairs[:, 1]], axis=1)
            if len(self.pairs)
            else np.zeros(1)
        )
        self.gaps.append(float(gap.max()))
        prev = cur
        if not gravity_frame and (i >= self.sew_frames or np.percentile(gap, 95) < self.sew_tolerance):
            gravity_frame = i + 1
            self.fcurve.keyframe_points.insert(1 + gravity_frame, 0.0)
            self.fcurve.keyframe_points.insert(1 + gravity_frame + max(self.gravity_ramp, 1), 1.0)
            self.fcurve.update()
            if self.sewing_force_after != 1.0:
                self.sew_curve.keyframe_points.insert(1 + gravity_frame, self.sew0)
                self.sew_curve.keyframe_points.insert(
                    1 + gravity_frame + max(self.gravity_ramp, 1), self.sew0 * self.sewing_force_after
                )
                self.sew_curve.update()
            if self.late_self_collision:
                self_curve = _fcurve(self.cloth, _SELF_COLLISION_PATH)
                self_curve.keyframe_points.insert(1 + gravity_frame, 1.0)
                self_curve.update()
            if self.sewing_bending != 1.0:
                self.bend_curve.keyframe_points.insert(1 + gravity_frame, self.bend0 * self.sewing_bending)
                self.bend_curve.keyframe_points.insert(
                    1 + gravity_frame + max(self.gravity_ramp, 1), self.bend0
                )
                self.bend_curve.update()
        if self.frame_hook:
            self.frame_hook(i, cur)
        if self.progress:
            self.progress(i, self.frames)
        self.i, self.prev, self.gravity_frame = i, prev, gravity_frame
        return not self.finished

    def result(self) -> DrapeResult:
        return DrapeResult(
            vertices=self.prev,
            frames_run=self.i,
            seconds=time.perf_counter() - self.t0,
            history=np.array(self.speed),
            gravity_frame=self.gravity_frame,
            seam_gap=np.array(self.gaps),
        )

    def close(self) -> None:
        """Remove the drape's scene, objects, meshes and actions (idempotent)."""
        if self.closed:
            return
        self.closed = True
        scene, datablocks = self.scene, self.datablocks
        for block in datablocks:
            if isinstance(block, bpy.types.Object):
                bpy.data.objects.remove(block)
            else:
                bpy.data.meshes.remove(block)
        for action in [a for a in bpy.data.actions if a.users == 0 and a.name.startswith("garment_drape")]:
            bpy.data.actions.remove(action)
        bpy.data.scenes.remove(scene)


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
    sewing_force_max: float | None = None,
    sew_frames: int = 40,
    sew_tolerance: float = 1.0,
    gravity_ramp: int = 10,
    collision_distance: float = 0.2,
    body_thickness: float = 0.3,
    collision_quality: int = 6,
    scale_to_mesh: bool = True,
    lift: float = 3.0,
    sewing_force_after: float = 5.0,
    frame_hook: Callable[[int, np.ndarray], None] | None = None,
    start_vertices: np.ndarray | None = None,
    sewing_bending: float = 1.0,
    self_collision_while_sewing: bool = True,
    settle: tuple[float, int] | None = None,
) -> DrapeResult:
    """Sew the box mesh's panels together around the body and let the garment settle.

    vertices (V, 3), faces (F, 3) int and seam_pairs (P, 2) int: the box mesh in pattern
    space (cm); body_vertices / body_faces: the collision body (cm, closed, outward normals).
    material: a key of :data:`MATERIALS` or a :class:`ClothMaterial` (rescaled to the mesh's
    mean edge unless ``scale_to_mesh=False``). frames: simulated frames after the rest frame.
    self_collision: Blender cloth self collision (about 2x slower); with
    ``self_collision_while_sewing=False`` only from the gravity frame on (tried: more crumpled
    armholes than with it on throughout). substeps: Blender's
    quality, solver steps per frame. seam_shrink: Blender's shrink factor for the fabric
    (0.05 = rest lengths 5 % shorter) for a snugger fit; sewing springs always pull to 0.

    Keyword-only tuning (defaults measured on the project's t-shirts, dresses and skirts):
    sewing_force_max (N per sewing spring at the reference edge, scaled like tension; default:
    the material's ``sewing``) and sewing_force_after (its factor once gravity is on);
    sew_frames / sew_tolerance (cm) / gravity_ramp: the sewing phase, see the module
    docstring; collision_distance (cloth, cm),
    body_thickness (the body's outer collision thickness, cm) and collision_quality; lift
    (cm): the garment starts this much higher, so that seams lying on the shoulders close
    above them rather than catching on them. progress(frame, frames) and
    frame_hook(frame, vertices_cm) are called after every frame.

    sewing_bending: bending stiffness factor while the panels are sewn (gravity off); it
    falls back to the material's over the gravity ramp. A stiffer cloth wraps the body
    without buckling at the mesh scale where seams pull it round shoulders and armholes.

    start_vertices (V, 3) cm: where the cloth starts (the panels rolled around the body, or
    a coarser drape of the same garment carried to these vertices through the pattern)
    instead of the box mesh; the box mesh stays the rest shape (from the second frame on,
    through a shape key and Blender's dynamic base mesh), so spring rest lengths and flat
    bending rest angles are the pattern's. ``lift`` is not applied then; pass
    ``sew_frames=0`` to have gravity from the first frames.

    settle (speed cm/frame, extra frames): past ``frames``, go on for at most ``extra`` more
    frames while the mean vertex speed over the last 3 frames (the quality check's final
    speed) is above ``speed``. A drape settled by ``frames`` is the same as without it.

    Returns a :class:`DrapeResult`; ``history`` is the mean vertex speed per frame (cm/frame),
    ``seam_gap`` the largest seam-pair distance per frame (cm).
    """
    sim = ClothDrape(
        vertices,
        faces,
        seam_pairs,
        body_vertices,
        body_faces,
        material,
        frames,
        self_collision,
        substeps,
        seam_shrink,
        progress,
        sewing_force_max=sewing_force_max,
        sew_frames=sew_frames,
        sew_tolerance=sew_tolerance,
        gravity_ramp=gravity_ramp,
        collision_distance=collision_distance,
        body_thickness=body_thickness,
        collision_quality=collision_quality,
        scale_to_mesh=scale_to_mesh,
        lift=lift,
        sewing_force_after=sewing_force_after,
        frame_hook=frame_hook,
        start_vertices=start_vertices,
        sewing_bending=sewing_bending,
        self_collision_while_sewing=self_collision_while_sewing,
        settle=settle,
    )
    try:
        while sim.step():
            pass
    finally:
        sim.close()
    return sim.result()
