"""Drape a box mesh on a body with NVIDIA Newton's VBD cloth solver (optional second engine).

Same interface as :func:`sim.blender_cloth.drape`, but runs on NVIDIA Warp (CPU, or CUDA with
``device="cuda"``) instead of Blender. Newton is an optional dependency::

    pip install newton "numpy<2"     # pulls warp-lang (~150 MB); keep numpy 1.26 for bpy

The simulation runs directly in the input units: centimetres, grams, seconds, +Y up, gravity
-981 cm/s^2 along Y. It has two phases:

* sewing (``seam_frames``, default 20): no gravity and no body friction; every seam pair is a
  zero-rest-length spring whose stiffness ramps geometrically from ``seam_ramp_floor * seam_ke``
  to ``seam_ke``, so the panels slide around the body and meet without being flung at it;
* draping: gravity and friction ramp in over ``gravity_ramp`` frames; the springs stay at
  full stiffness and hold the seams shut (gap ~0.1 cm).

The seam springs are added to the VBD graph colouring (Newton's own colouring ignores springs),
and with ``self_collision`` the self-contact between the two sides of a seam is filtered out so
that sewn edges can meet. Cloth-body contact is vertex-based (``particle_radius`` 0.4 cm) and
re-detected every substep; ``full_surface=True`` adds edge/face contacts (~3x slower on CPU).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

try:  # share the result type with the Blender engine when bpy is available
    from sim.blender_cloth import DrapeResult
except ImportError:  # pragma: no cover - depends on bpy being installed

    @dataclass
    class DrapeResult:
        vertices: np.ndarray
        frames_run: int
        seconds: float
        history: np.ndarray


INSTALL_HINT = 'pip install newton "numpy<2"'


@dataclass(frozen=True)
class NewtonClothMaterial:
    """Cloth parameters in cm-g-s units (stiffness in dyn/cm = g/s^2)."""

    name: str
    density: float  # areal density [g/cm^2]; 0.02 g/cm^2 = 200 g/m^2
    tri_ke: float  # membrane shear modulus (Neo-Hookean mu) [g/s^2]
    tri_ka: float  # membrane area modulus (Neo-Hookean lambda) [g/s^2]
    tri_kd: float  # membrane damping
    edge_ke: float  # bending stiffness [g cm^2/s^2 per rad]
    edge_kd: float  # bending damping
    friction: float = 1.5  # cloth-body friction coefficient (Coulomb)


# bending spans 100x between soft and stiff, stretch 10x, mass ~3x
MATERIALS = {
    "soft": NewtonClothMaterial("soft", 0.012, 3.0e4, 3.0e4, 1.0e-2, 1.0, 0.1),
    "mid": NewtonClothMaterial("mid", 0.02, 1.0e5, 1.0e5, 1.5e-2, 10.0, 1.0),
    "stiff": NewtonClothMaterial("stiff", 0.035, 3.0e5, 3.0e5, 3.0e-2, 100.0, 10.0),
}


def _import_newton(quiet: bool = True):
    try:
        import warp as wp

        if quiet:  # before newton initialises Warp: no banner, no "Module ... load" lines
            wp.config.log_level = max(wp.config.log_level, wp.LOG_WARNING)
        import newton
    except ImportError as exc:  # pragma: no cover - exercised only without newton
        raise RuntimeError(
            f"the newton drape engine needs NVIDIA Newton and Warp: {INSTALL_HINT} ({exc})"
        ) from exc
    return newton, wp


def available() -> bool:
    """True when Newton and Warp can be imported (the engine is optional)."""
    try:
        _import_newton()
    except RuntimeError:
        return False
    return True


# Blender-engine keyword arguments that have no Newton counterpart; accepted and ignored so the
# two engines can be called with the same arguments
_BLENDER_ONLY = frozenset(
    {"seam_shrink", "sewing_force_max", "collision_distance", "body_thickness", "collision_quality"}
)

#: details of the last :func:`drape` call (graph capture used, contact capacity, ...)
last_run: dict = {}


def _vertex_rings(n: int, faces: np.ndarray) -> list[set[int]]:
    ring: list[set[int]] = [set() for _ in range(n)]
    for a, b, c in faces:
        ring[a].update((b, c))
        ring[b].update((a, c))
        ring[c].update((a, b))
    return ring


def _seam_filters(n: int, faces: np.ndarray, edges: np.ndarray, sp: np.ndarray):
    """Self-contact pairs to ignore across each seam: the two sides are meant to touch.

    Returns (vertex -> triangles, edge -> edges) maps as Newton's SolverVBD expects them.
    """
    ring = _vertex_rings(n, faces)
    partners: dict[int, set[int]] = {}
    for a, b in sp:
        partners.setdefault(int(a), set()).add(int(b))
        partners.setdefault(int(b), set()).add(int(a))
    # "near" = the partners of a seam vertex and their one-ring
    near: dict[int, set[int]] = {}
    for v, ps in partners.items():
        s = set(ps)
        for p in ps:
            s |= ring[p]
        near[v] = s
    vert_tris: list[list[int]] = [[] for _ in range(n)]
    for t, tri in enumerate(faces):
        for v in tri:
            vert_tris[v].append(t)
    vert_edges: list[list[int]] = [[] for _ in range(n)]
    for e, (v1, v2) in enumerate(edges):
        vert_edges[v1].append(e)
        vert_edges[v2].append(e)
    vmap = {v: sorted({t for u in s for t in vert_tris[u]}) for v, s in near.items()}
    emap: dict[int, set[int]] = {}
    for v, s in near.items():
        far_edges = {e for u in s for e in vert_edges[u]}
        for e in vert_edges[v]:
            emap.setdefault(e, set()).update(far_edges)
    return vmap, {e: sorted(s) for e, s in emap.items()}


def drape(
    vertices,
    faces,
    seam_pairs,
    body_vertices,
    body_faces,
    material="mid",
    frames=120,
    self_collision=False,
    progress: Callable[[int, int], None] | None = None,
    device="cpu",
    *,
    fps=24.0,
    substeps=10,
    iterations=10,
    seam_frames=20,
    seam_ramp_floor=1.0e-3,
    gravity_start=None,
    gravity_ramp=10,
    seam_ke=None,
    seam_kd=None,
    particle_radius=0.4,
    body_margin=1.0,
    full_surface=False,
    collide_every=1,
    contact_capacity=None,
    body_ke=1.0e5,
    body_kd=1.0e1,
    self_contact_margin=0.25,
    self_contact_gap=0.15,
    seam_contact_filter=True,
    stop_speed=None,
    use_graph=True,
    frame_hook=None,
    quiet=True,
    **kw,
) -> DrapeResult:
    """Drape the box mesh ``vertices``/``faces`` (cm, +Y up) on the static body mesh.

    ``seam_pairs`` (P, 2) are sewn with zero-rest-length springs. ``material`` is a name in
    :data:`MATERIALS` (or an object with such a ``name``, e.g. a Blender-engine material) or a
    :class:`NewtonClothMaterial`. ``device`` is a Warp device ("cpu", "cuda", "cuda:0").
    One frame is ``1/fps`` s in ``substeps`` VBD steps of ``iterations`` iterations each.
    ``stop_speed`` (cm/frame): stop early once the mean vertex speed stays below it for 5
    frames after sewing. ``frame_hook(i, vertices)`` and ``progress(i, frames)`` are called
    after every frame. The Blender engine's ``mass_scale`` scales the density; its other
    tuning keywords (``collision_distance``, ``sewing_force_max`` ...) are accepted and ignored.

    Returns a ``DrapeResult``: vertices (V, 3) float64 cm in the input order, frames run,
    wall seconds (setup included), per-frame mean vertex speed (cm/frame). Raises
    ``RuntimeError`` when newton is not installed.
    """
    t0 = time.perf_counter()
    last_run.clear()
    unknown = set(kw) - _BLENDER_ONLY - {"mass_scale"}
    if unknown:
        raise TypeError(f"drape() got unexpected keyword arguments {sorted(unknown)}")
    newton, wp = _import_newton(quiet)
    mat = _material(material)
    density = mat.density * float(kw.get("mass_scale", 1.0))
    v = np.asarray(vertices, np.float64).reshape(-1, 3)
    f = np.asarray(faces, np.int64).reshape(-1, 3)
    sp = np.asarray(seam_pairs, np.int64).reshape(-1, 2)
    bv = np.asarray(body_vertices, np.float64).reshape(-1, 3)
    bf = np.asarray(body_faces, np.int64).reshape(-1, 3)
    n = len(v)
    frame_dt = 1.0 / fps
    dt = frame_dt / substeps
    seam_ke = mat.tri_ke * 10.0 if seam_ke is None else seam_ke
    seam_kd = 0.0 if seam_kd is None else seam_kd

    with wp.ScopedDevice(device):
        builder = newton.ModelBuilder(up_axis=newton.Axis.Y, gravity=(0.0, -981.0, 0.0))
        builder.default_shape_cfg.ke = body_ke
        builder.default_shape_cfg.kd = body_kd
        builder.default_shape_cfg.mu = mat.friction
        builder.add_shape_mesh(
            body=-1,
            mesh=newton.Mesh(bv.astype(np.float32), bf.astype(np.int32).ravel(), compute_inertia=False),
        )
        builder.add_cloth_mesh(
            pos=wp.vec3(0.0, 0.0, 0.0),
            rot=wp.quat_identity(),
            scale=1.0,
            vel=wp.vec3(0.0, 0.0, 0.0),
            vertices=v.astype(np.float32),
            indices=f.astype(np.int32).ravel(),
            density=density,
            tri_ke=mat.tri_ke,
            tri_ka=mat.tri_ka,
            tri_kd=mat.tri_kd,
            edge_ke=mat.edge_ke,
            edge_kd=mat.edge_kd,
            particle_radius=particle_radius,
        )
        for a, b in sp:
            builder.add_spring(int(a), int(b), seam_ke, seam_kd, 0.0)
        builder.color(include_bending=True)
        _color_with_springs(builder, sp, n)
        model = builder.finalize()
        model.soft_contact_ke = body_ke
        model.soft_contact_kd = body_kd
        # VBD mixes the particle-side friction (a scalar, baked into a captured graph) and the
        # shape-side one (an array, read live) as a geometric mean: keep the scalar at 1 and drive
        # the array, so friction is off while the seams close (the panels must slide around the
        # body) and comes on with gravity
        model.soft_contact_mu = 1.0
        model.edge_rest_angle.zero_()  # flat panels: rest is flat

        if len(sp):
            # zero rest length keeps the spring Hessian positive definite (a compressed spring with
            # positive rest length is not, and VBD blows up on it); the pull is ramped instead
            model.spring_rest_length.zero_()

        # one body shape: at most a few contacts per vertex, edge and face. Newton's default
        # capacity for full-surface contact is ~20x that, and the VBD contact kernels are launched
        # over the whole capacity every iteration, which made them dominate the frame time.
        n_prims = n + (model.edge_count + model.tri_count if full_surface else 0)
        pipeline = newton.CollisionPipeline(
            model,
            broad_phase="nxn",
            soft_contact_gap=body_margin,
            enable_rigid_soft_full_surface_contact=full_surface,
            soft_contact_max=int((contact_capacity or (8.0 if full_surface else 2.0)) * n_prims),
        )
        kw = {}
        if self_collision:
            edges = model.edge_indices.numpy()[:, 2:4] if model.edge_count else np.zeros((0, 2), int)
            vmap, emap = _seam_filters(n, f, edges, sp) if seam_contact_filter else (None, None)
            kw = dict(
                particle_enable_self_contact=True,
                particle_self_contact_margin=self_contact_margin,
                particle_self_contact_gap=self_contact_gap,
                particle_topological_contact_filter_threshold=2,
                particle_external_vertex_contact_filtering_map=vmap,
                particle_external_edge_contact_filtering_map=emap,
            )
        solver = newton.solvers.SolverVBD(model, iterations=iterations, **kw)
        contacts = pipeline.contacts()
        s0, s1 = model.state(), model.state()
        control = model.control()
        every = max(1, int(collide_every or substeps))

        def simulate():
            nonlocal s0, s1
            for k in range(substeps):
                if k % every == 0:  # cloth-body detection; the contacts stay valid within body_margin
                    pipeline.collide(s0, contacts)
                s0.clear_forces()
                solver.step(s0, s1, control, contacts, dt)
                s0, s1 = s1, s0

        graph = None
        if use_graph and substeps % 2 == 0:  # even substeps: the captured graph ends on s0
            try:
                simulate()  # warm-up: compiles kernels, sizes contact buffers
                with wp.ScopedCapture() as cap:
                    simulate()
                graph = cap.graph
            except Exception as exc:  # fall back to eager launches
                last_run["graph_error"] = repr(exc)
                graph = None
            # restart from the initial state
            s0.particle_q.assign(model.particle_q)
            s0.particle_qd.zero_()
            s1.particle_q.assign(model.particle_q)
            s1.particle_qd.zero_()

        last_run.update(graph=graph is not None, device=str(wp.get_device()), vertices=n)
        prev = v.copy()
        hist: list[float] = []
        calm = 0
        frames_run = 0
        g_start = seam_frames if gravity_start is None else gravity_start
        for i in range(1, frames + 1):
            if len(sp):
                k = min(i / max(seam_frames, 1), 1.0)
                model.spring_stiffness.fill_(float(seam_ke * seam_ramp_floor ** (1.0 - k)))
            gk = float(np.clip((i - g_start) / max(gravity_ramp, 1), 0.0, 1.0))
            model.gravity.fill_(wp.vec3(0.0, -981.0 * gk, 0.0))
            model.shape_material_mu.fill_((mat.friction * gk) ** 2)
            if graph is not None:
                wp.capture_launch(graph)
            else:
                simulate()
            cur = s0.particle_q.numpy().astype(np.float64)
            speed = float(np.linalg.norm(cur - prev, axis=1).mean())
            hist.append(speed)
            prev = cur
            frames_run = i
            if not np.isfinite(speed):
                break
            if frame_hook:
                frame_hook(i, cur)
            if progress:
                progress(i, frames)
            if stop_speed is not None and i > seam_frames:
                calm = calm + 1 if speed < stop_speed else 0
                if calm >= 5:
                    break
    return DrapeResult(prev, frames_run, time.perf_counter() - t0, np.array(hist))


def _material(material) -> NewtonClothMaterial:
    if isinstance(material, NewtonClothMaterial):
        return material
    name = material if isinstance(material, str) else getattr(material, "name", None)
    if name not in MATERIALS:
        raise ValueError(f"unknown material {material!r}; expected one of {sorted(MATERIALS)}")
    return MATERIALS[name]


def _color_with_springs(builder, sp: np.ndarray, n: int) -> None:
    """Recolour the particle graph so the two ends of a seam spring never share a colour.

    Newton's ``ModelBuilder.color`` builds its graph from triangles and bending edges only;
    seam springs connecting two panels would otherwise be updated in parallel from stale
    positions (Gauss-Seidel race), which makes stiff seams jitter.
    """
    if len(sp) == 0:
        return
    import warp as wp
    from newton.utils import color_graph

    groups = builder.particle_color_groups
    col = np.empty(n, np.int64)
    for c, idx in enumerate(groups):
        col[np.asarray(idx, np.int64)] = c
    if not np.any(col[sp[:, 0]] == col[sp[:, 1]]):
        return
    tri = np.asarray(builder.tri_indices, np.int64).reshape(-1, 3)
    e = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]], sp])
    if builder.edge_indices:
        be = np.asarray(builder.edge_indices, np.int64).reshape(-1, 4)
        be = be[(be[:, 0] >= 0) & (be[:, 1] >= 0)]
        e = np.concatenate([e, be[:, [0, 1]]])
    e = np.sort(e, axis=1)
    e = np.unique(e[e[:, 0] != e[:, 1]], axis=0).astype(np.int32)
    builder.particle_color_groups = color_graph(n, wp.array(e, dtype=int, device="cpu"))
