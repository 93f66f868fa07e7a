"""Training tensors: a dataset split as one ``.npz`` that numpy alone reads.

A GPU machine without trimesh, scipy or bpy trains from these: every array a sample has
(derived ones included: the coarse drapes at the fine vertices, the low-pass drape, the box
mesh) is concatenated over the split's samples, with offsets to slice one sample back out.

Layout of ``<split>.npz``:

- ``ids`` (N,) str, ``family`` (N,) str, ``material`` (N,) str;
- ``<prefix>_offsets`` (N + 1,) int64 for each vertex or face prefix below, so sample ``i``'s
  rows are ``[offsets[i], offsets[i + 1])``; face and seam-pair indices are local to their
  sample;
- fine vertex arrays (``fine_vertices``, ``fine_uv``, ``fine_panel``, ``fine_box_vertices``,
  ``coarse_at_fine``, ``coarse_sim_at_fine``, ``lowpass_fine``) share ``fine_v_offsets``;
  ``fine_faces`` uses ``fine_f_offsets``, ``fine_seam_pairs`` ``fine_s_offsets``; coarse vertex
  arrays (``coarse_vertices``, ``coarse_sim_vertices``, ``coarse_uv``, ``coarse_panel``)
  share ``coarse_v_offsets`` and ``coarse_faces`` uses ``coarse_f_offsets``.

``compact=True`` keeps only what training reads (:data:`TRAINING_KEYS`) and stores the two
bases as float16 offsets from the fine drape (``<key>_delta16``: ~0.2 cm for the low-pass,
at most a few cm for the coarse drape, so float16 is exact to ~0.004 cm): a split about half
the size, for the GPU machine's 64 MiB per upload. ``load_split`` gives the bases back as
float32 positions either way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

GROUPS = {
    "fine_v": (
        "fine_vertices",
        "fine_uv",
        "fine_panel",
        "fine_box_vertices",
        "coarse_at_fine",
        "coarse_sim_at_fine",
        "lowpass_fine",
    ),
    "fine_f": ("fine_faces",),
    "fine_s": ("fine_seam_pairs",),
    "coarse_v": ("coarse_vertices", "coarse_sim_vertices", "coarse_uv", "coarse_panel"),
    "coarse_f": ("coarse_faces",),
}
"""Offset group -> the arrays whose rows it counts."""

TRAINING_KEYS = ("fine_vertices", "fine_uv", "fine_panel", "fine_faces", "fine_seam_pairs")
DELTA_KEYS = ("coarse_at_fine", "coarse_sim_at_fine")
DELTA_SUFFIX = "_delta16"


def pack_split(
    samples: list[tuple[dict, dict[str, np.ndarray]]], compact: bool = False
) -> dict[str, np.ndarray]:
    """(meta, arrays) per sample -> the split's tensors (see the module docstring). Keys that
    some sample lacks (``coarse_sim_*`` in drapes_v1) are left out."""
    if compact:
        samples = [(m, _compact(a)) for m, a in samples]
    out: dict[str, np.ndarray] = {
        "ids": np.array([m["id"] for m, _ in samples]),
        "family": np.array([m["family"] for m, _ in samples]),
        "material": np.array([m["material"] for m, _ in samples]),
    }
    for group, keys in GROUPS.items():
        if group == "fine_v":
            keys = (*keys, *(k + DELTA_SUFFIX for k in DELTA_KEYS))
        keys = [k for k in keys if all(k in a for _, a in samples)]
        if not keys:
            continue
        counts = [len(a[keys[0]]) for _, a in samples]
        out[f"{group}_offsets"] = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        for k in keys:
            out[k] = np.concatenate([a[k] for _, a in samples]) if samples else np.zeros(0)
    return out


def _compact(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {k: arrays[k] for k in TRAINING_KEYS if k in arrays}
    for k in DELTA_KEYS:
        if k in arrays:
            out[k + DELTA_SUFFIX] = (arrays[k] - arrays["fine_vertices"]).astype(np.float16)
    return out


def load_split(path: str | Path) -> list[dict[str, np.ndarray]]:
    """The samples of a tensors file, one dict of arrays (plus ``id``, ``family``,
    ``material``) each."""
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    samples = []
    for i, sid in enumerate(data["ids"]):
        s: dict = {"id": str(sid), "family": str(data["family"][i]), "material": str(data["material"][i])}
        for group, keys in GROUPS.items():
            off = data.get(f"{group}_offsets")
            if off is None:
                continue
            for k in (*keys, *(k + DELTA_SUFFIX for k in DELTA_KEYS)) if group == "fine_v" else keys:
                if k in data:
                    s[k] = data[k][off[i] : off[i + 1]]
        for k in DELTA_KEYS:
            delta = s.pop(k + DELTA_SUFFIX, None)
            if delta is not None:
                s[k] = s["fine_vertices"] + delta.astype(np.float32)
        samples.append(s)
    return samples
