"""Coarse/fine training pairs from two drapes of one pattern, joined in pattern space."""

from __future__ import annotations

import numpy as np

from .correspondence import interpolate_at
from .drape_metrics import residual_details, smooth, surface_details
from .garment_mesh import GarmentMesh


def pair_arrays(fine: GarmentMesh, coarse: GarmentMesh, box_fine: GarmentMesh, lowpass_iterations: int = 20):
    """Arrays stored per sample; ``coarse_at_fine`` is the coarse drape at every fine vertex.

    ``fine`` / ``coarse`` are the draped meshes (same topology as their box meshes), so the
    residual ``fine.vertices - coarse_at_fine`` is defined at every fine vertex.
    """
    coarse_at_fine = interpolate_at(coarse, fine)
    lowpass = smooth(fine.vertices, fine.faces, lowpass_iterations)
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


def pair_details(arrays: dict[str, np.ndarray]) -> dict:
    """The details analysis of one pair: surfaces (coarse, low-pass, fine) and residuals."""
    faces = arrays["fine_faces"].astype(np.int64)
    fine = arrays["fine_vertices"].astype(np.float64)
    coarse = arrays["coarse_at_fine"].astype(np.float64)
    low = arrays["lowpass_fine"].astype(np.float64)
    box = arrays["fine_box_vertices"].astype(np.float64)
    return {
        "box": surface_details(box, faces),
        "coarse": surface_details(coarse, faces),
        "lowpass": surface_details(low, faces),
        "fine": surface_details(fine, faces),
        "residual_coarse": residual_details(fine, coarse, faces),
        "residual_lowpass": residual_details(fine, low, faces),
    }
