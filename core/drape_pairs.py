"""Coarse/fine training pairs from two drapes of one pattern, joined in pattern space."""

from __future__ import annotations

import numpy as np

from .correspondence import interpolate_at
from .drape_metrics import residual_details, surface_details, taubin_smooth
from .garment_mesh import GarmentMesh
from .pattern import Pattern


def lowpass_drape(fine: GarmentMesh, iterations: int = 20) -> GarmentMesh:
    """The fine drape with its folds filtered out (Taubin smoothing on the seam-welded mesh,
    so seams stay closed and the surface does not shrink onto the body)."""
    welded_v, welded_f, index = fine.welded()
    smoothed = taubin_smooth(welded_v, welded_f, iterations)
    return fine.with_vertices(smoothed[index])


def lowpass_coarse(fine: GarmentMesh, coarse_box: GarmentMesh, iterations: int = 20) -> GarmentMesh:
    """A coarse base mesh from a fine drape: the coarse box mesh's vertices placed on the
    low-pass filtered fine surface through (panel id, pattern coordinate)."""
    low = lowpass_drape(fine, iterations)
    return coarse_box.with_vertices(interpolate_at(low, coarse_box))


STORED_KEYS = (
    "fine_vertices",
    "fine_faces",
    "fine_panel",
    "fine_uv",
    "fine_seam_pairs",
    "coarse_vertices",
    "coarse_faces",
    "coarse_panel",
    "coarse_uv",
)
"""The arrays a compact (shipped) sample keeps; :func:`derive_arrays` remakes the others.
Samples from drapes_v2 on also keep ``coarse_sim_vertices`` (:data:`COARSE_SIM_KEY`)."""

COARSE_SIM_KEY = "coarse_sim_vertices"
"""The independent coarse drape (same topology as ``coarse_faces``), drapes_v2 on."""

DERIVED_KEYS = ("fine_box_vertices", "coarse_at_fine", "lowpass_fine", "coarse_sim_at_fine")
"""Remade on load (``coarse_sim_at_fine`` only where :data:`COARSE_SIM_KEY` is present)."""


def missing_derived(arrays: dict[str, np.ndarray]) -> list[str]:
    """The derived arrays a sample's ``arrays`` lack and :func:`derive_arrays` would add."""
    return [
        k for k in DERIVED_KEYS if k not in arrays and (k != "coarse_sim_at_fine" or COARSE_SIM_KEY in arrays)
    ]


def derive_arrays(arrays: dict[str, np.ndarray], pattern: Pattern, lowpass_iterations: int = 20) -> dict:
    """Add the derived arrays that are missing: the fine box mesh (each vertex's pattern point
    placed by its panel's translation/rotation), the coarse drape at the fine vertices and the
    low-pass filtered fine drape. Returns a new dict; existing arrays are kept as they are."""
    out = dict(arrays)
    f32 = np.float32
    names = list(pattern.panels)
    fine = GarmentMesh(
        arrays["fine_vertices"],
        arrays["fine_faces"],
        arrays["fine_panel"],
        arrays["fine_uv"],
        names,
        arrays["fine_seam_pairs"],
    )
    if "fine_box_vertices" not in out:
        box = np.zeros_like(fine.vertices)
        for pid, name in enumerate(names):
            sel = fine.panel_ids == pid
            box[sel] = pattern.panels[name].to_3d(fine.uv[sel])
        out["fine_box_vertices"] = box.astype(f32)
    if "coarse_at_fine" not in out:
        coarse = GarmentMesh(
            arrays["coarse_vertices"],
            arrays["coarse_faces"],
            arrays["coarse_panel"],
            arrays["coarse_uv"],
            names,
        )
        out["coarse_at_fine"] = interpolate_at(coarse, fine).astype(f32)
    if "lowpass_fine" not in out:
        out["lowpass_fine"] = lowpass_drape(fine, lowpass_iterations).vertices.astype(f32)
    if COARSE_SIM_KEY in out and "coarse_sim_at_fine" not in out:
        coarse_sim = GarmentMesh(
            arrays[COARSE_SIM_KEY], arrays["coarse_faces"], arrays["coarse_panel"], arrays["coarse_uv"], names
        )
        out["coarse_sim_at_fine"] = interpolate_at(coarse_sim, fine).astype(f32)
    return out


def pair_arrays(fine: GarmentMesh, coarse: GarmentMesh, box_fine: GarmentMesh, lowpass_iterations: int = 20):
    """Arrays stored per sample; ``coarse_at_fine`` is the coarse drape at every fine vertex.

    ``fine`` / ``coarse`` are the draped meshes (same topology as their box meshes), so the
    residual ``fine.vertices - coarse_at_fine`` is defined at every fine vertex.
    """
    coarse_at_fine = interpolate_at(coarse, fine)
    lowpass = lowpass_drape(fine, lowpass_iterations).vertices
    f32 = np.float32
    return {
        "fine_vertices": fine.vertices.astype(f32),
        "fine_faces": fine.faces.astype(np.int32),
        "fine_panel": fine.panel_ids.astype(np.int16),
        "fine_uv": fine.uv.astype(f32),
        "fine_seam_pairs": fine.seam_pairs.astype(np.int32),
        "fine_box_vertices": box_fine.vertices.astype(f32),
        "coarse_vertices": coarse.vertices.astype(f32),
        "coarse_faces": coarse.faces.astype(np.int32),
        "coarse_panel": coarse.panel_ids.astype(np.int16),
        "coarse_uv": coarse.uv.astype(f32),
        "coarse_at_fine": coarse_at_fine.astype(f32),
        "lowpass_fine": lowpass.astype(f32),
    }


def add_coarse_sim(arrays: dict[str, np.ndarray], coarse_sim: GarmentMesh, fine: GarmentMesh) -> dict:
    """``arrays`` plus the independent coarse drape and its interpolation at the fine vertices."""
    f32 = np.float32
    return {
        **arrays,
        COARSE_SIM_KEY: coarse_sim.vertices.astype(f32),
        "coarse_sim_at_fine": interpolate_at(coarse_sim, fine).astype(f32),
    }


def pair_details(arrays: dict[str, np.ndarray]) -> dict:
    """The details analysis of one pair: surfaces (coarse, low-pass, fine) and residuals."""
    faces = arrays["fine_faces"].astype(np.int64)
    fine = arrays["fine_vertices"].astype(np.float64)
    coarse = arrays["coarse_at_fine"].astype(np.float64)
    low = arrays["lowpass_fine"].astype(np.float64)
    box = arrays["fine_box_vertices"].astype(np.float64)
    out = {
        "box": surface_details(box, faces),
        "coarse": surface_details(coarse, faces),
        "lowpass": surface_details(low, faces),
        "fine": surface_details(fine, faces),
        "residual_coarse": residual_details(fine, coarse, faces),
        "residual_lowpass": residual_details(fine, low, faces),
    }
    if "coarse_sim_at_fine" in arrays:
        sim = arrays["coarse_sim_at_fine"].astype(np.float64)
        out["coarse_sim"] = surface_details(sim, faces)
        out["residual_coarse_sim"] = residual_details(fine, sim, faces)
    return out
