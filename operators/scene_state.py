"""A digest of the scene's data: what "the scene is unchanged" means after a cancel or a failure."""

from __future__ import annotations

import hashlib

import bpy
import numpy as np


def _mesh_digest(me: bpy.types.Mesh) -> str:
    h = hashlib.sha256()
    co = np.empty(len(me.vertices) * 3, np.float32)
    me.vertices.foreach_get("co", co)
    h.update(co.tobytes())
    loops = np.empty(len(me.loops), np.int32)
    me.loops.foreach_get("vertex_index", loops)
    h.update(loops.tobytes())
    for attr in sorted(me.attributes, key=lambda a: a.name):
        h.update(f"{attr.name}:{attr.domain}:{attr.data_type}".encode())
    if me.shape_keys is not None:
        for k in me.shape_keys.key_blocks:
            kco = np.empty(len(k.data) * 3, np.float32)
            k.data.foreach_get("co", kco)
            h.update(f"{k.name}:{k.value:.6f}:{k.mute}".encode())
            h.update(kco.tobytes())
    return h.hexdigest()


def _hidden(o: bpy.types.Object) -> bool | None:
    try:
        return o.hide_get()
    except RuntimeError:  # not in the view layer
        return None


def scene_digest() -> dict:
    """Objects (name, data, visibility, transform), meshes (geometry, attributes, shape keys)
    and the counts of every datablock kind a refine could add."""
    return {
        "objects": {
            o.name: (
                o.data.name if o.data else None,
                _hidden(o),
                tuple(round(v, 6) for r in o.matrix_world for v in r),
            )
            for o in bpy.data.objects
        },
        "meshes": {m.name: _mesh_digest(m) for m in bpy.data.meshes},
        "counts": {
            kind: len(getattr(bpy.data, kind))
            for kind in (
                "objects",
                "meshes",
                "materials",
                "images",
                "collections",
                "shape_keys",
                "scenes",
                "actions",
            )
        },
    }
