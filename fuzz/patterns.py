"""Mutations that know a GarmentCode specification's and an SVG's shape: empty and
self-intersecting panels, dangling and duplicate stitches, huge coordinates and control points,
open paths, ``<use>``, transforms and CSS."""

from __future__ import annotations

import copy
import json
import random
import re
import xml.etree.ElementTree as ET

from .mutations import TREE_OPS, corrupt_bytes, mutate_tree

SVG_NS = "http://www.w3.org/2000/svg"
HUGE = (1e8, 1e9, 1e10, -1e10, 1e30)


def _panels(spec) -> dict:
    p = spec.get("pattern") if isinstance(spec, dict) else None
    panels = p.get("panels") if isinstance(p, dict) else None
    return panels if isinstance(panels, dict) and panels else {}


def _panel(spec, rng: random.Random) -> dict | None:
    panels = _panels(spec)
    if not panels:
        return None
    panel = panels[rng.choice(list(panels))]
    return panel if isinstance(panel, dict) else None


def _vertices(panel: dict | None) -> list | None:
    v = panel.get("vertices") if panel else None
    ok = isinstance(v, list) and v and all(isinstance(x, list) and len(x) == 2 for x in v)
    return v if ok else None


def huge_coordinate(spec, rng):
    """One vertex coordinate of 1e8-1e30 cm (the crash the issue measured)."""
    v = _vertices(_panel(spec, rng))
    if v:
        v[rng.randrange(len(v))][rng.randrange(2)] = rng.choice(HUGE)
    return spec


def huge_control_point(spec, rng):
    panel = _panel(spec, rng)
    edges = panel.get("edges") if panel else None
    if isinstance(edges, list) and edges:
        e = rng.choice(edges)
        if isinstance(e, dict):
            kind = rng.choice(("quadratic", "cubic", "circle"))
            h = rng.choice(HUGE)
            params = {"quadratic": [[0.5, h]], "cubic": [[0.3, h], [0.7, -h]], "circle": [h, 0, 1]}[kind]
            e["curvature"] = {"type": kind, "params": params}
    return spec


def tiny_units(spec, rng):
    """``units_in_meter`` so small that every coordinate becomes huge (or large, or tiny)."""
    if isinstance(spec, dict):
        props = spec.setdefault("properties", {})
        if isinstance(props, dict):
            props["units_in_meter"] = rng.choice((1e-9, 1e-6, 1e-3, 1e6, 1e12))
    return spec


def empty_panel(spec, rng):
    panel = _panel(spec, rng)
    if panel:
        panel[rng.choice(("vertices", "edges"))] = []
    return spec


def collapse_panel(spec, rng):
    v = _vertices(_panel(spec, rng))
    if v:
        for i in range(len(v)):
            v[i] = list(v[0])
    return spec


def self_intersect(spec, rng):
    """Swap two vertices of a panel: its outline crosses itself."""
    v = _vertices(_panel(spec, rng))
    if v and len(v) > 3:
        i, j = rng.sample(range(len(v)), 2)
        v[i], v[j] = v[j], v[i]
    return spec


def sliver_panel(spec, rng):
    """Squash a panel to a sliver (near-zero, not zero, area)."""
    v = _vertices(_panel(spec, rng))
    if v:
        f = rng.choice((1e-3, 1e-6, 1e-9))
        for x in v:
            if isinstance(x[1], int | float):
                x[1] = x[1] * f
    return spec


def _stitches(spec) -> list | None:
    p = spec.get("pattern") if isinstance(spec, dict) else None
    s = p.get("stitches") if isinstance(p, dict) else None
    return s if isinstance(s, list) else None


def dangling_stitch(spec, rng):
    s = _stitches(spec)
    if s is not None:
        side = {"panel": rng.choice(["nowhere", *list(_panels(spec))]), "edge": rng.choice((-1, 99, 10**9))}
        s.append([side, copy.deepcopy(side) if rng.random() < 0.3 else {"panel": "x", "edge": 0}])
    return spec


def duplicate_stitch(spec, rng):
    s = _stitches(spec)
    if s:
        s.append(copy.deepcopy(rng.choice(s)))
        if rng.random() < 0.5 and isinstance(s[-1], list) and len(s[-1]) == 2:  # an edge sewn to itself
            s[-1][1] = copy.deepcopy(s[-1][0])
    return spec


def many_panels(spec, rng):
    panels = _panels(spec)
    if panels:
        name = rng.choice(list(panels))
        for i in range(rng.choice((50, 400, 600))):
            panels[f"{name}_copy{i}"] = copy.deepcopy(panels[name])
    return spec


def many_vertices(spec, rng):
    """A panel edge split into very many collinear vertices (a huge but legal array)."""
    panel = _panel(spec, rng)
    v = _vertices(panel)
    if v and isinstance(panel.get("edges"), list):
        n = rng.choice((1000, 100_000))
        a, b = v[0], v[1]
        if all(isinstance(c, int | float) for c in (*a, *b)):
            pts = [[a[0] + (b[0] - a[0]) * k / n, a[1] + (b[1] - a[1]) * k / n] for k in range(n)]
            panel["vertices"] = pts + v[1:]
            m = len(panel["vertices"])
            panel["edges"] = [{"endpoints": [i, (i + 1) % m]} for i in range(m)]
    return spec


SPEC_OPS = {
    **TREE_OPS,
    "huge_coordinate": huge_coordinate,
    "huge_control_point": huge_control_point,
    "tiny_units": tiny_units,
    "empty_panel": empty_panel,
    "collapse_panel": collapse_panel,
    "self_intersect": self_intersect,
    "sliver_panel": sliver_panel,
    "dangling_stitch": dangling_stitch,
    "duplicate_stitch": duplicate_stitch,
    "many_panels": many_panels,
    "many_vertices": many_vertices,
}
MILD = (
    "perturb",
    "self_intersect",
    "sliver_panel",
    "dangling_stitch",
    "duplicate_stitch",
    "huge_control_point",
)
MILD_SPEC_OPS = {k: SPEC_OPS[k] for k in MILD}


def mutate_spec_bytes(spec: dict, rng: random.Random) -> tuple[bytes, list[str]]:
    """A mutated specification as file bytes: structured mutations, or corrupted JSON text."""
    if rng.random() < 0.15:
        data, kind = corrupt_bytes(json.dumps(spec, indent=1).encode(), rng)
        return data, [f"bytes:{kind}"]
    mild = rng.random() < 0.3  # legal-looking changes only: these reach meshing and stitching
    tree, ops = mutate_tree(spec, rng, MILD_SPEC_OPS if mild else SPEC_OPS)
    try:
        text = json.dumps(tree)
    except (ValueError, RecursionError):  # a depth json cannot write: write it by hand
        text = "[" * 20_000 + "]" * 20_000
        ops.append("deep_text")
    return text.encode(), ops


# --------------------------------------------------------------------------- SVG

_NUM = re.compile(r"-?\d+\.?\d*(?:e-?\d+)?")


def _shapes(root: ET.Element) -> list[ET.Element]:
    return [el for el in root.iter() if el.tag.rsplit("}", 1)[-1] in ("path", "rect", "polygon", "circle")]


def _open_path(root, rng):
    for el in _shapes(root):
        if el.get("d"):
            el.set("d", re.sub(r"[zZ]\s*$", "", el.get("d").strip()))
            break


TRANSFORMS = (
    "scale(1e9)",
    "scale(0)",
    "matrix(1 0 0 1 nan 0)",
    "rotate(30) skewX(80)",
    "translate(1e300 0)",
    "scale(-1 1)",
    "rotate(",
    "matrix(1 2 3)",
)


def _transform(root, rng):
    shapes = _shapes(root)
    if shapes:
        rng.choice(shapes).set("transform", rng.choice(TRANSFORMS))


def _use(root, rng):
    shapes = [el for el in _shapes(root) if el.get("id")]
    if shapes:
        use = ET.SubElement(root, f"{{{SVG_NS}}}use")
        use.set("href", "#" + rng.choice(shapes).get("id"))
        use.set("x", "10")


def _css(root, rng):
    style = ET.SubElement(root, f"{{{SVG_NS}}}style")
    style.text = "path { transform: scale(1e9); fill: red } #front { display: none }"
    shapes = _shapes(root)
    if shapes:
        rng.choice(shapes).set("style", "transform: rotate(45deg); stroke-width: 1e9")


NUMBER_SWAPS = ("1e10", "-1e30", "nan", "inf", "0", "1e400", "--1")


def _numbers(root, rng):
    shapes = [el for el in _shapes(root) if el.get("d")]
    if shapes:
        el = rng.choice(shapes)
        nums = list(_NUM.finditer(el.get("d")))
        if nums:
            m = rng.choice(nums)
            d = el.get("d")
            new = rng.choice((*NUMBER_SWAPS, str(float(m.group()) * 1.1)))
            el.set("d", d[: m.start()] + new + d[m.end() :])


DEGENERATE = (
    "M 0 0 Z",
    "M 0 0 L 0 0 L 0 0 Z",
    "M 0 0 L 10 10 L 10 0 L 0 10 Z",
    "M 0 0 L 1e-9 0 L 0 1e-9 Z",
    "",
    "M",
)


def _degenerate(root, rng):
    path = ET.SubElement(root, f"{{{SVG_NS}}}path")
    path.set("id", f"junk{rng.randrange(100)}")
    path.set("d", rng.choice(DEGENERATE))


def _document_size(root, rng):
    key = rng.choice(("width", "height", "viewBox"))
    root.set(key, rng.choice(("0", "-5cm", "1e30cm", "0 0 0 0", "nan", "abc", "0 0 1e-30 1e-30", "1e-9mm")))


def _metadata(root, rng):
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] == "metadata" and el.text:
            try:
                tree, _ = mutate_tree(json.loads(el.text), rng)
                el.text = json.dumps(tree)
            except (ValueError, RecursionError):  # an earlier op nested it too deep to walk
                el.text = "{"
            return


def _drop_shape(root, rng):
    shapes = _shapes(root)
    for parent in root.iter():
        for child in list(parent):
            if child in shapes and rng.random() < 0.5:
                parent.remove(child)
                return


def _nest(root, rng):
    shapes = _shapes(root)
    if shapes:
        el = rng.choice(shapes)
        parent = next(p for p in root.iter() if el in list(p))
        group = el
        for _ in range(rng.choice((5, 200))):
            g = ET.Element(f"{{{SVG_NS}}}g", {"transform": "translate(1 0)"})
            g.append(group)
            group = g
        parent.remove(el)
        parent.append(group)


SVG_OPS = {
    "open_path": _open_path,
    "transform": _transform,
    "use": _use,
    "css": _css,
    "numbers": _numbers,
    "degenerate_shape": _degenerate,
    "document_size": _document_size,
    "metadata": _metadata,
    "drop_shape": _drop_shape,
    "nest": _nest,
}


def mutate_svg_bytes(text: str, rng: random.Random) -> tuple[bytes, list[str]]:
    """A mutated SVG document: structural edits through ElementTree, or corrupted bytes."""
    if rng.random() < 0.15:
        data, kind = corrupt_bytes(text.encode(), rng)
        return data, [f"bytes:{kind}"]
    ET.register_namespace("", SVG_NS)
    root = ET.fromstring(text)
    ops = []
    for _ in range(rng.randint(1, 3)):
        name = rng.choice(list(SVG_OPS))
        SVG_OPS[name](root, rng)
        ops.append(name)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True), ops
