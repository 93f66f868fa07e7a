"""Generic mutators over parsed JSON trees and raw bytes, driven by a ``random.Random``
(Hypothesis's ``st.randoms()`` in the tests, a seeded one in the bench)."""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Callable
from typing import Any

Path_ = tuple[Any, ...]

HOSTILE_NUMBERS = (math.nan, math.inf, -math.inf, 0, -1, -1e-9, 1e-300, 1e8, -1e8, 1e10, 1e308, 10**30, 2**63)
HOSTILE_VALUES = (None, True, False, "", "x" * 5000, "12", [], {}, [[]], {"a": 1}, [1, 2], [math.nan] * 3)


def paths(tree: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every node's path (keys and indices from the root); the root is ``()``."""
    out = [prefix]
    if isinstance(tree, dict):
        for k, v in tree.items():
            out += paths(v, (*prefix, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out += paths(v, (*prefix, i))
    return out


def get(tree: Any, path: Path_) -> Any:
    for k in path:
        tree = tree[k]
    return tree


def put(tree: Any, path: Path_, value: Any) -> Any:
    """``tree`` with the node at ``path`` replaced (in place; the root is returned replaced)."""
    if not path:
        return value
    get(tree, path[:-1])[path[-1]] = value
    return tree


def delete(tree: Any, path: Path_) -> Any:
    if path:
        del get(tree, path[:-1])[path[-1]]
    return tree


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def numeric_paths(tree: Any) -> list[Path_]:
    return [p for p in paths(tree) if _is_number(get(tree, p))]


def nested(depth: int) -> Any:
    out: Any = 1
    for _ in range(depth):
        out = [out]
    return out


def _perturb(tree, rng):  # a mild change to a coordinate: the case gets past parsing into meshing
    ps = [p for p in numeric_paths(tree) if isinstance(get(tree, p), float)] or numeric_paths(tree)
    if ps:
        p = rng.choice(ps)
        put(tree, p, get(tree, p) * rng.uniform(0.7, 1.3) + rng.uniform(-2, 2))
    return tree


def _hostile_number(tree, rng):
    ps = numeric_paths(tree)
    if ps:
        put(tree, rng.choice(ps), rng.choice(HOSTILE_NUMBERS))
    return tree


def _scale_number(tree, rng):
    ps = numeric_paths(tree)
    if ps:
        p = rng.choice(ps)
        put(tree, p, get(tree, p) * rng.choice((-1.0, 0.0, 1e-9, 1e4, 1e8, 1e10)))
    return tree


def _hostile_value(tree, rng):
    ps = paths(tree)[1:]
    if ps:
        put(tree, rng.choice(ps), copy.deepcopy(rng.choice(HOSTILE_VALUES)))
    return tree


def _drop(tree, rng):
    ps = paths(tree)[1:]
    if ps:
        delete(tree, rng.choice(ps))
    return tree


def _duplicate(tree, rng):
    lists = [p for p in paths(tree) if isinstance(get(tree, p), list) and get(tree, p)]
    if lists:
        seq = get(tree, rng.choice(lists))
        seq.insert(rng.randrange(len(seq) + 1), copy.deepcopy(rng.choice(seq)))
    return tree


def _swap(tree, rng):
    lists = [p for p in paths(tree) if isinstance(get(tree, p), list) and len(get(tree, p)) > 1]
    if lists:
        seq = get(tree, rng.choice(lists))
        i, j = rng.sample(range(len(seq)), 2)
        seq[i], seq[j] = seq[j], seq[i]
    return tree


def _deep(tree, rng):
    return put(tree, rng.choice(paths(tree)), nested(rng.choice((50, 500, 5000, 100_000))))


def _huge_array(tree, rng):
    lists = [p for p in paths(tree) if isinstance(get(tree, p), list) and get(tree, p)]
    if lists:
        p = rng.choice(lists)
        put(tree, p, [copy.deepcopy(get(tree, p)[0])] * rng.choice((1000, 100_000)))
    return tree


def _stringify(tree, rng):
    ps = numeric_paths(tree)
    if ps:
        p = rng.choice(ps)
        put(tree, p, str(get(tree, p)))
    return tree


TREE_OPS: dict[str, Callable[[Any, random.Random], Any]] = {
    "perturb": _perturb,
    "hostile_number": _hostile_number,
    "scale_number": _scale_number,
    "hostile_value": _hostile_value,
    "drop": _drop,
    "duplicate": _duplicate,
    "swap": _swap,
    "deep_nesting": _deep,
    "huge_array": _huge_array,
    "stringify": _stringify,
}
# ops that make a tree huge or deep: at most one a case, and last (walking it again is slow)
BIG_OPS = {"deep_nesting", "huge_array", "many_panels", "many_vertices"}
# how often each is drawn: mild changes often, so that a fair share reaches meshing
TREE_WEIGHTS = {"perturb": 6, "swap": 2, "duplicate": 2, "deep_nesting": 0.3, "huge_array": 0.3}


def mutate_tree(
    tree: Any, rng: random.Random, ops: dict | None = None, max_ops: int = 3
) -> tuple[Any, list[str]]:
    """A deep copy of ``tree`` with 1..max_ops random mutations; returns (tree, names applied)."""
    ops = ops or TREE_OPS
    names = list(ops)
    weights = [TREE_WEIGHTS.get(n, 1.0) for n in names]
    tree = copy.deepcopy(tree)
    applied: list[str] = []
    for _ in range(rng.randint(1, max_ops)):
        name = rng.choices(names, weights)[0]
        tree = ops[name](tree, rng)
        applied.append(name)
        if name in BIG_OPS:
            break
    return tree, applied


def corrupt_bytes(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Truncate, flip bytes, splice in junk or repeat a chunk."""
    kind = rng.choice(("truncate", "flip", "insert", "repeat", "empty"))
    if kind == "empty" or not data:
        return b"", "empty"
    if kind == "truncate":
        return data[: rng.randrange(len(data))], kind
    buf = bytearray(data)
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
        return bytes(buf), kind
    i = rng.randrange(len(buf))
    if kind == "insert":
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
        return bytes(buf[:i] + junk + buf[i:]), kind
    j = min(len(buf), i + rng.randint(1, 4096))
    return bytes(buf[:j] + buf[i:j] * rng.randint(2, 50) + buf[j:]), kind
