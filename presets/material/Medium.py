import bpy

# Cotton shirting
g = bpy.context.scene.garment
g.refine_material = "mid"
