import bpy

# Quick look: 2 denoising steps on a 2 cm mesh
g = bpy.context.scene.garment
g.refine_steps = 2
g.refine_edge_length = 2.0
