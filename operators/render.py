"""A small Cycles preview render of garment objects (teasers, headless jobs, tests)."""

from __future__ import annotations

import math
from pathlib import Path

import bpy
import numpy as np
from mathutils import Euler, Vector

from .scene_io import PANEL_ATTR

PANEL_PALETTE = [
    (0.80, 0.30, 0.25),
    (0.25, 0.45, 0.80),
    (0.90, 0.75, 0.30),
    (0.35, 0.70, 0.45),
    (0.65, 0.40, 0.75),
    (0.95, 0.55, 0.35),
    (0.40, 0.75, 0.80),
    (0.75, 0.75, 0.75),
]


def fabric_material(name: str = "Garment Fabric") -> bpy.types.Material:
    """Principled cloth shader coloured by the ``panel`` attribute (one hue per panel)."""
    mat = bpy.data.materials.get(name) or bpy.data.materials.new(name)
    mat.use_nodes = True
    nt = mat.node_tree
    nt.nodes.clear()
    out = nt.nodes.new("ShaderNodeOutputMaterial")
    bsdf = nt.nodes.new("ShaderNodeBsdfPrincipled")
    bsdf.inputs["Roughness"].default_value = 0.85
    if "Sheen Weight" in bsdf.inputs:
        bsdf.inputs["Sheen Weight"].default_value = 0.4
    attr = nt.nodes.new("ShaderNodeAttribute")
    attr.attribute_name = PANEL_ATTR
    scale = nt.nodes.new("ShaderNodeMath")
    scale.operation = "DIVIDE"
    scale.inputs[1].default_value = float(len(PANEL_PALETTE))
    ramp = nt.nodes.new("ShaderNodeValToRGB")
    ramp.color_ramp.interpolation = "CONSTANT"
    elements = ramp.color_ramp.elements
    while len(elements) < len(PANEL_PALETTE):
        elements.new(0.0)
    for k, (el, rgb) in enumerate(zip(elements, PANEL_PALETTE, strict=True)):
        el.position = k / len(PANEL_PALETTE)
        el.color = (*rgb, 1.0)
    nt.links.new(attr.outputs["Fac"], scale.inputs[0])
    nt.links.new(scale.outputs[0], ramp.inputs["Fac"])
    nt.links.new(ramp.outputs["Color"], bsdf.inputs["Base Color"])
    nt.links.new(bsdf.outputs["BSDF"], out.inputs["Surface"])
    return mat


def _world_bounds(objects) -> np.ndarray:
    pts = []
    for obj in objects:
        mw = obj.matrix_world
        pts += [mw @ v.co for v in obj.data.vertices] if obj.type == "MESH" else []
    return np.array(pts)


def setup_preview(objects, resolution: int = 256, samples: int = 16) -> bpy.types.Object:
    """Camera at a three-quarter front view framing ``objects``, a sun, a grey world, Cycles CPU."""
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = False
    scene.render.resolution_x = scene.render.resolution_y = resolution
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    world = scene.world or bpy.data.worlds.new("World")
    scene.world = world
    world.color = (0.6, 0.62, 0.66)
    if world.use_nodes and "Background" in world.node_tree.nodes:
        world.node_tree.nodes["Background"].inputs["Color"].default_value = (0.6, 0.62, 0.66, 1.0)
    sun = bpy.data.objects.new("Preview Sun", bpy.data.lights.new("Preview Sun", "SUN"))
    sun.data.energy = 3.0
    sun.rotation_euler = Euler((math.radians(40), math.radians(10), math.radians(30)))
    scene.collection.objects.link(sun)
    cam = bpy.data.objects.new("Preview Camera", bpy.data.cameras.new("Preview Camera"))
    scene.collection.objects.link(cam)
    cam.rotation_euler = Euler((math.radians(80), 0.0, math.radians(25)))
    scene.camera = cam
    bpy.context.view_layer.update()
    pts = _world_bounds(objects)
    if len(pts):
        co, _ = cam.camera_fit_coords(bpy.context.evaluated_depsgraph_get(), pts.ravel().tolist())
        direction = cam.matrix_world.to_quaternion() @ Vector((0, 0, 1))
        cam.location = co + direction * 0.08 * float(np.ptp(pts, axis=0).max())
    mat = fabric_material()
    for obj in objects:
        if obj.type == "MESH" and PANEL_ATTR in obj.data.attributes:
            obj.data.materials.clear()
            obj.data.materials.append(mat)
    return cam


def render_png(path: str | Path) -> Path:
    """Render the current scene camera to a PNG file."""
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    bpy.context.scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    return path


def grey_material(name: str, value: float = 0.55, roughness: float = 0.7) -> bpy.types.Material:
    """A plain grey diffuse-ish material (no panel colours): shading shows the folds alone."""
    mat = bpy.data.materials.get(name) or bpy.data.materials.new(name)
    mat.use_nodes = True
    bsdf = mat.node_tree.nodes.get("Principled BSDF") or mat.node_tree.nodes.new("ShaderNodeBsdfPrincipled")
    bsdf.inputs["Base Color"].default_value = (value, value, value, 1.0)
    bsdf.inputs["Roughness"].default_value = roughness
    return mat


TERMINATOR_OFFSET = 0.3


def setup_closeup(
    garment: bpy.types.Object,
    others=(),
    resolution: int = 512,
    samples: int = 16,
    view_deg: float = 25.0,
    light_elevation_deg: float = 25.0,
    light_azimuth_deg: float = 60.0,
    band: tuple[float, float] | None = None,
) -> bpy.types.Object:
    """Camera framing ``garment`` alone (three-quarter front view, ``view_deg`` from the front;
    with ``band``, only its vertices between those fractions of its height, 0 = bottom: a close-up),
    a grey garment and a darker body (``others``, casting no shadows), and a raking sun
    ``light_elevation_deg`` above the horizon from ``light_azimuth_deg`` off the view: folds
    cast long shadows.
    Smooth shading on everything; Cycles on the CPU. Returns the camera."""
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = False
    scene.render.resolution_x = scene.render.resolution_y = resolution
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    scene.view_settings.view_transform = "Standard"
    world = scene.world or bpy.data.worlds.new("World")
    scene.world = world
    world.use_nodes = True
    bg = world.node_tree.nodes.get("Background")
    if bg is not None:
        bg.inputs["Color"].default_value = (0.9, 0.9, 0.92, 1.0)
        bg.inputs["Strength"].default_value = 0.25
    sun = bpy.data.objects.new("Raking Sun", bpy.data.lights.new("Raking Sun", "SUN"))
    sun.data.energy = 3.0
    sun.data.angle = math.radians(1.0)
    # the view looks along +Y (Blender) turned by view_deg; the sun comes from the side, low
    az = math.radians(view_deg + light_azimuth_deg)
    sun.rotation_euler = Euler((math.radians(90.0 - light_elevation_deg), 0.0, az))
    scene.collection.objects.link(sun)
    cam = bpy.data.objects.new("Closeup Camera", bpy.data.cameras.new("Closeup Camera"))
    cam.data.lens = 85.0
    scene.collection.objects.link(cam)
    cam.rotation_euler = Euler((math.radians(88), 0.0, math.radians(view_deg)))
    scene.camera = cam
    bpy.context.view_layer.update()
    pts = _world_bounds([garment])
    if len(pts) and band is not None:
        z0, z1 = pts[:, 2].min(), pts[:, 2].max()
        inside = (pts[:, 2] >= z0 + band[0] * (z1 - z0)) & (pts[:, 2] <= z0 + band[1] * (z1 - z0))
        pts = pts[inside] if inside.any() else pts
    if len(pts):
        co, _ = cam.camera_fit_coords(bpy.context.evaluated_depsgraph_get(), pts.ravel().tolist())
        direction = cam.matrix_world.to_quaternion() @ Vector((0, 0, 1))
        cam.location = co + direction * 0.04 * float(np.ptp(pts, axis=0).max())
    cloth = grey_material("Closeup Cloth", 0.6)
    skin = grey_material("Closeup Body", 0.25, 0.5)
    for obj, mat in [(garment, cloth)] + [(o, skin) for o in others]:
        if obj.type != "MESH":
            continue
        obj.data.materials.clear()
        obj.data.materials.append(mat)
        obj.data.polygons.foreach_set("use_smooth", np.ones(len(obj.data.polygons), bool))
        # smooth normals on ~1 cm triangles under a grazing sun: without the offset the
        # shadow terminator breaks into dark triangular shards that look like creases
        obj.shadow_terminator_normal_offset = TERMINATOR_OFFSET
    for obj in others:
        obj.visible_shadow = False  # the arms' shadows would hide the garment's own folds
    return cam
