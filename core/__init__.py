"""Garment Refiner core: pattern, mesh and stitch logic with no Blender dependency.

Everything here takes and returns numpy arrays or plain dataclasses, so it can be imported
and tested without Blender and reused from scripts, operators and the GPU path alike.
"""
