"""Teaser renders: the garment (and the mannequin) in a studio scene of their own — a key, a fill
and a rim light, a fabric material, a camera framing both — rendered with Cycles on the GPU
(OptiX or CUDA) when Blender has one and on the CPU otherwise: stills, a turntable and a
before/after pair (the wrinkle key at 0 and at its value) side by side.

The studio holds copies of the objects (mesh data copied too), so the user's scene, its
materials and its shape-key values are never touched; the studio scene stays for tweaking
(``TEASER_SCENE``) until the next teaser replaces it."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import bpy
import numpy as np
from mathutils import Euler, Vector

from . import scene_io

TEASER_SCENE = "Garment Teaser"
FABRIC = "Teaser Fabric"
SKIN = "Teaser Mannequin"


def _material(
    name: str, color: tuple[float, float, float], roughness: float, sheen: float
) -> bpy.types.Material:
    mat = bpy.data.materials.get(name) or bpy.data.materials.new(name)
    mat.use_nodes = True
    bsdf = mat.node_tree.nodes.get("Principled BSDF") or mat.node_tree.nodes.new("ShaderNodeBsdfPrincipled")
    bsdf.inputs["Base Color"].default_value = (*color, 1.0)
    bsdf.inputs["Roughness"].default_value = roughness
    if "Sheen Weight" in bsdf.inputs:
        bsdf.inputs["Sheen Weight"].default_value = sheen
    return mat


def gpu_device() -> str | None:
    """OPTIX or CUDA when Cycles sees such a device (then it is enabled), else None (CPU)."""
    try:
        prefs = bpy.context.preferences.addons["cycles"].preferences
    except KeyError:
        return None
    for kind in ("OPTIX", "CUDA"):
        try:
            prefs.compute_device_type = kind
            prefs.get_devices()
        except (TypeError, ValueError):
            continue
        devices = [d for d in prefs.devices if d.type == kind]
        if devices:
            for d in devices:
                d.use = True
            return kind
    return None


def _copy_into(scene: bpy.types.Scene, obj: bpy.types.Object) -> bpy.types.Object:
    dup = obj.copy()
    dup.data = obj.data.copy()
    dup.name = f"Teaser {obj.name}"
    scene.collection.objects.link(dup)
    dup.hide_render = dup.hide_viewport = False
    return dup


def build_studio(
    garment: bpy.types.Object,
    body: bpy.types.Object | None = None,
    resolution: int = 512,
    samples: int = 32,
) -> bpy.types.Scene:
    """A new scene (replacing an earlier teaser's) with copies of ``garment`` and ``body``."""
    old = bpy.data.scenes.get(TEASER_SCENE)
    if old is not None:
        remove_studio(old)
    scene = bpy.data.scenes.new(TEASER_SCENE)
    g = _copy_into(scene, garment)
    objects = [g]
    g.data.materials.clear()
    g.data.materials.append(_material(FABRIC, (0.42, 0.45, 0.55), 0.8, 0.5))
    g.data.polygons.foreach_set("use_smooth", np.ones(len(g.data.polygons), bool))
    g.shadow_terminator_normal_offset = 0.3
    if body is not None:
        b = _copy_into(scene, body)
        b.data.materials.clear()
        b.data.materials.append(_material(SKIN, (0.3, 0.3, 0.32), 0.5, 0.0))
        b.data.polygons.foreach_set("use_smooth", np.ones(len(b.data.polygons), bool))
        objects.append(b)
    scene["garment_teaser_object"] = g.name

    scene.render.engine = "CYCLES"
    device = gpu_device()
    scene.cycles.device = "GPU" if device else "CPU"
    scene["garment_teaser_device"] = device or "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = False
    scene.render.resolution_x = scene.render.resolution_y = resolution
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    scene.render.film_transparent = False
    scene.view_settings.view_transform = "Standard"
    world = bpy.data.worlds.get(TEASER_SCENE) or bpy.data.worlds.new(TEASER_SCENE)
    world.use_nodes = True
    bg = world.node_tree.nodes.get("Background")
    bg.inputs["Color"].default_value = (0.85, 0.86, 0.9, 1.0)
    bg.inputs["Strength"].default_value = 0.3
    scene.world = world

    pts = np.array([o.matrix_world @ v.co for o in objects for v in o.data.vertices])
    centre = Vector(((pts.min(0) + pts.max(0)) / 2).tolist())
    size = float(np.ptp(pts, axis=0).max())
    pivot = bpy.data.objects.new("Teaser Pivot", None)  # the turntable turns the camera rig
    pivot.location = centre
    scene.collection.objects.link(pivot)
    for name, energy, az, el, dist in (
        ("Key", 160.0, 65, 25, 2.2),
        ("Fill", 30.0, -60, 15, 2.5),
        ("Rim", 150.0, 170, 40, 2.2),
    ):
        light = bpy.data.objects.new(f"Teaser {name}", bpy.data.lights.new(f"Teaser {name}", "AREA"))
        light.data.energy = energy * (size / 1.7) ** 2
        light.data.size = 0.6 * size
        a, e = math.radians(az - 90), math.radians(el)
        light.location = (
            centre + Vector((math.cos(a) * math.cos(e), math.sin(a) * math.cos(e), math.sin(e))) * dist * size
        )
        light.rotation_euler = (light.location - centre).to_track_quat("Z", "Y").to_euler()
        scene.collection.objects.link(light)
        light.parent = pivot
        light.matrix_parent_inverse = pivot.matrix_world.inverted()
    cam = bpy.data.objects.new("Teaser Camera", bpy.data.cameras.new("Teaser Camera"))
    cam.data.lens = 70.0
    scene.collection.objects.link(cam)
    cam.rotation_euler = Euler((math.radians(86), 0.0, math.radians(20)))
    scene.camera = cam
    scene.view_layers[0].update()
    co, _ = cam.camera_fit_coords(scene.view_layers[0].depsgraph, pts.ravel().tolist())
    cam.location = co + (cam.matrix_world.to_quaternion() @ Vector((0, 0, 1))) * 0.12 * size
    cam.parent = pivot
    cam.matrix_parent_inverse = pivot.matrix_world.inverted()
    return scene


def remove_studio(scene: bpy.types.Scene) -> None:
    """The teaser scene and everything it made (its copies, lights, camera, world)."""
    for obj in list(scene.collection.objects):
        data = obj.data
        bpy.data.objects.remove(obj)
        if data is not None and data.users == 0:
            if isinstance(data, bpy.types.Mesh):
                bpy.data.meshes.remove(data)
            elif isinstance(data, bpy.types.Light):
                bpy.data.lights.remove(data)
            elif isinstance(data, bpy.types.Camera):
                bpy.data.cameras.remove(data)
    world = scene.world
    bpy.data.scenes.remove(scene)
    if world is not None and world.users == 0:
        bpy.data.worlds.remove(world)


def render(scene: bpy.types.Scene, path: Path) -> Path:
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True, scene=scene.name)
    return path


def read_png(path: Path) -> np.ndarray:
    """(h, w, 4) float pixels of an image file, top row first."""
    img = bpy.data.images.load(str(path), check_existing=False)
    try:
        w, h = img.size
        px = np.empty(w * h * 4, np.float32)
        img.pixels.foreach_get(px)
    finally:
        bpy.data.images.remove(img)
    return px.reshape(h, w, 4)[::-1]


def write_png(pixels: np.ndarray, path: Path) -> Path:
    h, w = pixels.shape[:2]
    img = bpy.data.images.new(path.stem, w, h, alpha=True)
    try:
        img.pixels.foreach_set(np.ascontiguousarray(pixels[::-1], np.float32).ravel())
        img.filepath_raw = str(path)
        img.file_format = "PNG"
        img.save()
    finally:
        bpy.data.images.remove(img)
    return path


def garment_coverage(scene: bpy.types.Scene, path: Path) -> float:
    """Share of the frame's pixels the garment covers (a transparent-film render without the body)."""
    hidden = [
        o for o in scene.collection.objects if o.type == "MESH" and o.name != scene["garment_teaser_object"]
    ]
    samples, transparent = scene.cycles.samples, scene.render.film_transparent
    for o in hidden:
        o.hide_render = True
    scene.cycles.samples, scene.render.film_transparent = 1, True
    try:
        alpha = read_png(render(scene, path))[..., 3]
    finally:
        for o in hidden:
            o.hide_render = False
        scene.cycles.samples, scene.render.film_transparent = samples, transparent
        Path(path).unlink(missing_ok=True)
    return float((alpha > 0.5).mean())


def render_teaser(
    garment: bpy.types.Object,
    out: Path,
    body: bpy.types.Object | None = None,
    resolution: int = 512,
    samples: int = 32,
    before_after: bool = True,
    turntable: int = 0,
    mp4: bool = False,
) -> dict:
    """Stills of ``garment`` (and ``body``) into ``out``: teaser.png, before_after.png (the wrinkle
    key at 0 | at its value), turntable/NNNN.png (``turntable`` frames round the garment) or
    turntable.mp4; returns the files, the device and the garment's pixel coverage."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scene = build_studio(garment, body, resolution, samples)
    g = bpy.data.objects[scene["garment_teaser_object"]]
    files = {"teaser": str(render(scene, out / "teaser.png"))}
    report = {"device": scene["garment_teaser_device"], "files": files}
    report["coverage"] = garment_coverage(scene, out / "_coverage.png")
    key = scene_io.current_wrinkles_key(g)
    if before_after and key is not None:
        value = key.value
        key.value = 0.0
        before = read_png(render(scene, out / "_before.png"))
        key.value = value
        after = read_png(render(scene, out / "_after.png"))
        for name in ("_before.png", "_after.png"):
            (out / name).unlink()
        gap = np.ones((before.shape[0], max(4, before.shape[1] // 64), 4), np.float32)
        files["before_after"] = str(
            write_png(np.concatenate([before, gap, after], axis=1), out / "before_after.png")
        )
        report["before_after_difference"] = float(np.abs(before[..., :3] - after[..., :3]).mean())
    if turntable > 0:
        pivot = bpy.data.objects["Teaser Pivot"]
        frames = out / "turntable"
        frames.mkdir(exist_ok=True)
        for k in range(turntable):
            pivot.rotation_euler = (0.0, 0.0, 2 * math.pi * k / turntable)
            render(scene, frames / f"{k:04d}.png")
        pivot.rotation_euler = (0.0, 0.0, 0.0)
        files["turntable"] = str(frames)
        if mp4:
            files["turntable_mp4"] = str(encode_mp4(scene, frames, out / "turntable.mp4"))
    return report


def encode_mp4(scene: bpy.types.Scene, frames: Path, path: Path) -> Path:
    """The turntable PNGs as an H.264 MP4 through Blender's own ffmpeg (the sequence editor)."""
    pngs = sorted(frames.glob("*.png"))
    seq_scene = bpy.data.scenes.new("Teaser Video")
    try:
        seq_scene.render.resolution_x, seq_scene.render.resolution_y = (
            scene.render.resolution_x,
            scene.render.resolution_y,
        )
        seq_scene.render.fps = 24
        ed = seq_scene.sequence_editor_create()
        strips = ed.strips if hasattr(ed, "strips") else ed.sequences
        strip = strips.new_image("turntable", str(pngs[0]), 1, 1)
        for p in pngs[1:]:
            strip.elements.append(p.name)
        seq_scene.frame_start, seq_scene.frame_end = 1, len(pngs)
        r = seq_scene.render
        if hasattr(r.image_settings, "media_type"):  # Blender 5: video is a media type of its own
            r.image_settings.media_type = "VIDEO"
        r.image_settings.file_format = "FFMPEG"
        r.ffmpeg.format = "MPEG4"
        r.ffmpeg.codec = "H264"
        r.filepath = str(path.with_suffix(""))
        bpy.ops.render.render(animation=True, scene=seq_scene.name)
        made = sorted(path.parent.glob(path.stem + "*.mp4"))
        if made and made[0] != path:
            shutil.move(made[0], path)
    finally:
        bpy.data.scenes.remove(seq_scene)
    return path
