"""Mesh mutations over real meshes (the box meshes the project makes, the GarmentCode drape):
degenerate and zero-area triangles, duplicated vertices, non-manifold edges, NaN, a single
triangle, overlapping or degenerate UV islands, bad panel ids, written as OBJ or PLY."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np


@dataclass
class MeshSample:
    vertices: np.ndarray
    faces: np.ndarray
    uv: np.ndarray | None = None  # per vertex (pattern coordinates, cm)
    panel: np.ndarray | None = None  # per vertex
    panel_names: tuple[str, ...] = ()
    pattern_file: Path | None = None


def _nan(m, rng):
    v = m.vertices.copy()
    v[rng.randrange(len(v)), rng.randrange(3)] = rng.choice((np.nan, np.inf, -np.inf, 1e30, 1e300))
    return replace(m, vertices=v)


def _degenerate_faces(m, rng):
    f = m.faces.copy()
    idx = np.array([rng.randrange(len(f)) for _ in range(rng.randint(1, 50))])
    f[idx, 1] = f[idx, 0]
    return replace(m, faces=f)


def _zero_area(m, rng):
    v = m.vertices.copy()
    for i in [rng.randrange(len(m.faces)) for _ in range(rng.randint(1, 50))]:
        a, b, c = m.faces[i]
        v[c] = 0.5 * (v[a] + v[b])  # collinear
    return replace(m, vertices=v)


def _duplicate_vertices(m, rng):
    k = rng.randint(1, max(1, len(m.vertices) // 10))
    pick = np.array([rng.randrange(len(m.vertices)) for _ in range(k)])
    v = np.concatenate([m.vertices, m.vertices[pick]])
    extra = {}
    if m.uv is not None:
        extra["uv"] = np.concatenate([m.uv, m.uv[pick]])
    if m.panel is not None:
        extra["panel"] = np.concatenate([m.panel, m.panel[pick]])
    f = m.faces.copy()
    remap = dict(zip(pick.tolist(), range(len(m.vertices), len(v)), strict=False))
    flat = f.reshape(-1)
    for j in range(len(flat)):
        if flat[j] in remap and rng.random() < 0.5:
            flat[j] = remap[flat[j]]
    return replace(m, vertices=v, faces=f, **extra)


def _non_manifold(m, rng):
    a, b, _ = m.faces[rng.randrange(len(m.faces))]
    extra = np.array([[a, b, rng.randrange(len(m.vertices))] for _ in range(rng.randint(2, 5))])
    return replace(m, faces=np.concatenate([m.faces, extra]))


def _single_triangle(m, rng):
    f = m.faces[rng.randrange(len(m.faces))]
    return replace(
        m,
        vertices=m.vertices[f],
        faces=np.array([[0, 1, 2]]),
        uv=None if m.uv is None else m.uv[f],
        panel=None if m.panel is None else m.panel[f],
    )


def _bad_index(m, rng):
    f = m.faces.copy()
    f[rng.randrange(len(f)), rng.randrange(3)] = rng.choice((len(m.vertices), -len(m.vertices) - 5, 2**40))
    return replace(m, faces=f)


def _uv_overlap(m, rng):
    if m.uv is None:
        return m
    uv = m.uv.copy()
    if rng.random() < 0.5:
        uv[:] = uv[0]  # every vertex at one point: a fully degenerate map
    else:  # the panels folded over one another
        uv = (uv - uv.min(0)) % 10.0
    return replace(m, uv=uv)


def _uv_nan(m, rng):
    if m.uv is None:
        return m
    uv = m.uv.copy()
    uv[rng.randrange(len(uv))] = rng.choice((np.nan, 1e30, np.inf))
    return replace(m, uv=uv)


def _panel_ids(m, rng):
    if m.panel is None:
        return m
    p = m.panel.copy()
    p[rng.randrange(len(p))] = rng.choice((-1, 99, 2**31 - 1, len(m.panel_names)))
    return replace(m, panel=p)


def _drop_charts(m, rng):
    return replace(m, uv=None, panel=None)


def _scale(m, rng):
    return replace(m, vertices=m.vertices * rng.choice((1e-6, 1e-3, 100.0, 1e6)))


def _jitter(m, rng):  # mild: keeps it a usable garment
    g = np.random.default_rng(rng.randrange(2**32))
    return replace(m, vertices=m.vertices + g.normal(0, 0.2, m.vertices.shape))


MESH_OPS = {
    "nan": _nan,
    "degenerate_faces": _degenerate_faces,
    "zero_area": _zero_area,
    "duplicate_vertices": _duplicate_vertices,
    "non_manifold": _non_manifold,
    "single_triangle": _single_triangle,
    "bad_index": _bad_index,
    "uv_overlap": _uv_overlap,
    "uv_nan": _uv_nan,
    "panel_ids": _panel_ids,
    "drop_charts": _drop_charts,
    "scale": _scale,
    "jitter": _jitter,
}
MESH_WEIGHTS = {"jitter": 4, "degenerate_faces": 2, "zero_area": 2, "duplicate_vertices": 2}


def mutate_mesh(m: MeshSample, rng: random.Random) -> tuple[MeshSample, list[str]]:
    names = list(MESH_OPS)
    weights = [MESH_WEIGHTS.get(n, 1.0) for n in names]
    ops = []
    for _ in range(rng.randint(1, 2)):
        name = rng.choices(names, weights)[0]
        m = MESH_OPS[name](m, rng)
        ops.append(name)
    return m, ops


def _fmt(x: float) -> str:
    return repr(float(x))


def write_obj(m: MeshSample, path: Path) -> Path:
    """OBJ with ``vt`` (pattern coordinates) and one ``g`` group per panel when it has them."""
    lines = [f"v {_fmt(a)} {_fmt(b)} {_fmt(c)}" for a, b, c in m.vertices]
    if m.uv is not None:
        lines += [f"vt {_fmt(u)} {_fmt(v)}" for u, v in m.uv]
    groups = m.panel if m.panel is not None and m.panel_names else None
    last = None
    for a, b, c in m.faces.tolist():
        if groups is not None:
            g = int(groups[a]) if 0 <= a < len(groups) else -1
            name = m.panel_names[g] if 0 <= g < len(m.panel_names) else f"stray{g}"
            if name != last:
                lines.append(f"g {name}")
                last = name
        if m.uv is not None:
            lines.append(f"f {a + 1}/{a + 1} {b + 1}/{b + 1} {c + 1}/{c + 1}")
        else:
            lines.append(f"f {a + 1} {b + 1} {c + 1}")
    path.write_text("\n".join(lines) + "\n")
    return path


def write_ply(m: MeshSample, path: Path) -> Path:
    """PLY with ``panel``, ``u``, ``v`` vertex properties (faces must be in range)."""
    import trimesh

    t = trimesh.Trimesh(m.vertices, m.faces, process=False, validate=False)
    if m.panel is not None and m.uv is not None:
        t.vertex_attributes["panel"] = m.panel.astype(np.int32)
        t.vertex_attributes["u"] = m.uv[:, 0]
        t.vertex_attributes["v"] = m.uv[:, 1]
    path.write_bytes(t.export(file_type="ply"))
    return path
