"""Bake Wrinkle Maps: the refined residual (the current Wrinkles key) written into a packed UV
layout of the garment's charts as a vector displacement map and a tangent-space normal map
(OpenEXR float or 16-bit PNG), wired into a fabric material so Cycles renders the wrinkles on the
light base mesh — true displacement under adaptive subdivision, or the normal map alone."""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np
from bpy.props import EnumProperty, IntProperty, StringProperty

from ..core.errors import GarmentError, MeshError
from ..core.frames import pattern_to_blender
from ..core.png16 import write_png16
from ..core.texture_bake import bake_vertex_values, pack_charts, tangent_space_normals
from . import inspect_ops, scene_io

BAKE_UV = "wrinkle_bake"
MATERIAL = "Garment Wrinkle Maps"


def save_image(name: str, pixels: np.ndarray, path: Path, fmt: str) -> bpy.types.Image:
    """(H, W, 3) floats (row 0 at the bottom, as Blender stores pixels) as OpenEXR (float) or a
    16-bit PNG, written to a temp name and renamed; loaded back as a Non-Color Blender image."""
    h, w = pixels.shape[:2]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    if fmt == "PNG":
        write_png16(tmp, pixels[::-1, :, :3])
    else:
        rgba = np.ones((h, w, 4), np.float32)
        rgba[..., :3] = pixels[..., :3]
        img = bpy.data.images.new(f"{name}.tmp", w, h, alpha=False, float_buffer=True, is_data=True)
        try:
            img.pixels.foreach_set(rgba.ravel())
            settings = bpy.context.scene.render.image_settings
            keep = (settings.file_format, settings.color_depth, settings.color_mode)
            try:
                settings.file_format, settings.color_mode, settings.color_depth = "OPEN_EXR", "RGB", "32"
                img.save_render(str(tmp), scene=bpy.context.scene)  # EXR: linear data, no view transform
            finally:
                settings.file_format, settings.color_depth, settings.color_mode = keep
        finally:
            bpy.data.images.remove(img)
    tmp.replace(path)
    old = bpy.data.images.get(name)
    if old is not None:
        bpy.data.images.remove(old)
    loaded = bpy.data.images.load(str(path), check_existing=False)
    loaded.name = name
    loaded.colorspace_settings.name = "Non-Color"
    return loaded


def wire_material(
    obj, disp: bpy.types.Image, normal: bpy.types.Image, midlevel: float, scale: float, mode: str
):
    mat = bpy.data.materials.get(MATERIAL) or bpy.data.materials.new(MATERIAL)
    mat.use_nodes = True
    nt = mat.node_tree
    nt.nodes.clear()
    out = nt.nodes.new("ShaderNodeOutputMaterial")
    bsdf = nt.nodes.new("ShaderNodeBsdfPrincipled")
    bsdf.inputs["Base Color"].default_value = (0.45, 0.47, 0.55, 1.0)
    bsdf.inputs["Roughness"].default_value = 0.8
    uvmap = nt.nodes.new("ShaderNodeUVMap")
    uvmap.uv_map = BAKE_UV
    nt.links.new(bsdf.outputs["BSDF"], out.inputs["Surface"])
    d_tex = nt.nodes.new("ShaderNodeTexImage")
    d_tex.image, d_tex.interpolation, d_tex.label = disp, "Linear", "Wrinkle displacement"
    n_tex = nt.nodes.new("ShaderNodeTexImage")
    n_tex.image, n_tex.interpolation, n_tex.label = normal, "Linear", "Wrinkle normals"
    for t in (d_tex, n_tex):
        nt.links.new(uvmap.outputs["UV"], t.inputs["Vector"])
    vdisp = nt.nodes.new("ShaderNodeVectorDisplacement")
    vdisp.space = "OBJECT"
    vdisp.inputs["Midlevel"].default_value = midlevel
    vdisp.inputs["Scale"].default_value = scale
    nt.links.new(d_tex.outputs["Color"], vdisp.inputs["Vector"])
    nmap = nt.nodes.new("ShaderNodeNormalMap")
    nmap.space, nmap.uv_map = "TANGENT", BAKE_UV
    nt.links.new(n_tex.outputs["Color"], nmap.inputs["Color"])
    if mode == "DISPLACEMENT":
        nt.links.new(vdisp.outputs["Displacement"], out.inputs["Displacement"])
        mat.displacement_method = "DISPLACEMENT"
        sub = obj.modifiers.get("Wrinkle Dicing") or obj.modifiers.new("Wrinkle Dicing", "SUBSURF")
        sub.subdivision_type = "SIMPLE"
        sub.use_adaptive_subdivision = True
    else:
        nt.links.new(nmap.outputs["Normal"], bsdf.inputs["Normal"])
        mat.displacement_method = "BUMP"
    obj.data.materials.clear()
    obj.data.materials.append(mat)
    return mat


def bake_maps(obj, out: Path, size: int, fmt: str, mode: str) -> dict:
    """Bake ``obj``'s current wrinkle key into maps under ``out``; returns paths and encodings."""
    base = scene_io.object_to_base_mesh(obj, evaluated=False)
    if base.panel_ids is None or base.uv is None:
        raise MeshError(
            "baking needs the garment's charts: a 'panel' attribute and 'pattern' UVs", source=obj.name
        )
    offsets_cm = inspect_ops.key_offsets_cm(obj)
    uv, extent_cm = pack_charts(base.uv, base.panel_ids)
    offsets_m = pattern_to_blender(offsets_cm)  # a direction: the same axes, metres
    disp, _ = bake_vertex_values(uv, base.faces, offsets_m, size)
    normals, _ = bake_vertex_values(
        uv, base.faces, tangent_space_normals(base.vertices, base.vertices + offsets_cm, base.faces, uv), size
    )
    midlevel, scale = 0.0, 1.0
    if fmt == "PNG":  # 16-bit unsigned: offsets mapped into 0..1 around 0.5
        scale = float(2.0 * max(np.abs(disp).max(), 1e-6))
        midlevel = 0.5
        disp = disp / scale + midlevel
    ext = ".exr" if fmt == "EXR" else ".png"
    name = bpy.path.clean_name(obj.name)
    d_img = save_image(f"{name}_displacement", disp, out / f"{name}_displacement{ext}", fmt)
    n_img = save_image(f"{name}_normal", normals, out / f"{name}_normal{ext}", fmt)
    me = obj.data
    layer = me.uv_layers.get(BAKE_UV) or me.uv_layers.new(name=BAKE_UV)
    loop_vert = np.empty(len(me.loops), np.int32)
    me.loops.foreach_get("vertex_index", loop_vert)
    layer.uv.foreach_set("vector", uv[loop_vert].astype(np.float32).ravel())
    wire_material(obj, d_img, n_img, midlevel, scale, mode)
    key = scene_io.current_wrinkles_key(obj)
    key.value = 0.0  # the maps carry the wrinkles now: the key would add them twice
    return {
        "displacement": d_img.filepath,
        "normal": n_img.filepath,
        "size": size,
        "format": fmt,
        "midlevel": midlevel,
        "scale": scale,
        "texel_cm": extent_cm / size,
        "uv_map": BAKE_UV,
    }


class GARMENT_OT_bake_maps(bpy.types.Operator):
    """Bake the wrinkles into displacement and normal maps on the garment's UVs and render them
    on the light base (the Wrinkles key is set to 0)"""

    bl_idname = "garment.bake_maps"
    bl_label = "Bake Wrinkle Maps"
    bl_options = {"REGISTER", "UNDO"}

    directory: StringProperty(name="Folder", subtype="DIR_PATH", default="//wrinkle_maps/")  # type: ignore[valid-type]
    resolution: IntProperty(name="Resolution", default=2048, min=64, max=16384)  # type: ignore[valid-type]
    file_format: EnumProperty(  # type: ignore[valid-type]
        name="Format",
        items=[
            ("EXR", "OpenEXR (float)", "32-bit float"),
            ("PNG", "PNG 16-bit", "16-bit, offsets scaled around 0.5"),
        ],
        default="EXR",
    )
    mode: EnumProperty(  # type: ignore[valid-type]
        name="Render With",
        items=[
            ("DISPLACEMENT", "Displacement", "True displacement under adaptive subdivision (Cycles)"),
            ("NORMAL", "Normal Map", "The normal map alone: no extra geometry"),
        ],
        default="DISPLACEMENT",
    )

    @classmethod
    def poll(cls, context):
        obj = context.active_object
        if obj is None or obj.type != "MESH" or scene_io.current_wrinkles_key(obj) is None:
            cls.poll_message_set("Select a refined garment (with a Wrinkles key)")
            return False
        return True

    def execute(self, context):
        out = Path(bpy.path.abspath(self.directory or "//wrinkle_maps/"))
        try:
            info = bake_maps(context.active_object, out, self.resolution, self.file_format, self.mode)
        except (GarmentError, OSError, RuntimeError) as err:
            self.report({"ERROR"}, str(err))
            return {"CANCELLED"}
        context.active_object["garment_wrinkle_maps"] = info
        self.report({"INFO"}, f"Wrinkle maps ({info['size']} px, {info['texel_cm']:.2f} cm a texel) in {out}")
        return {"FINISHED"}


CLASSES = (GARMENT_OT_bake_maps,)
