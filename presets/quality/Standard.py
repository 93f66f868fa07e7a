import bpy

# The model's own steps and mesh edge
g = bpy.context.scene.garment
g.refine_steps = 0
g.refine_edge_length = 0.0
