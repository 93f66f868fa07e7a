import bpy

# Jersey, silk: light, drapey cloth
g = bpy.context.scene.garment
g.refine_material = "soft"
