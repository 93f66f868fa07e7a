import bpy

# 10 denoising steps on a 1 cm mesh
g = bpy.context.scene.garment
g.refine_steps = 10
g.refine_edge_length = 1.0
