import bpy

# Denim, canvas
g = bpy.context.scene.garment
g.refine_material = "stiff"
