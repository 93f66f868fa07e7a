"""Drape simulators that need Blender (``bpy``); ``core`` stays free of it."""
