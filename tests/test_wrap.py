"""Drape starts with the panels rolled around the body (core/garments/wrap.py)."""

from __future__ import annotations

import numpy as np
import pytest

from core.body import make_body, sample_body_params, signed_distance_inside
from core.boxmesh import build_box_mesh
from core.drape_metrics import edge_strain
from core.garments import FAMILIES
from core.garments.base import sample_pattern
from core.garments.wrap import wrapped_start


def _garment(family: str, seed: int):
    body_params = sample_body_params(np.random.default_rng(seed))
    pattern, _ = sample_pattern(FAMILIES[family], seed, body_params)
    return pattern, build_box_mesh(pattern, 2.0), body_params


def _gaps(vertices: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    return np.linalg.norm(vertices[pairs[:, 0]] - vertices[pairs[:, 1]], axis=1)


@pytest.mark.parametrize(("family", "seed"), [("tshirt", 3), ("skirt", 3), ("dress", 100029)])
def test_rolled_panels_are_nearly_isometric_closer_and_outside_the_body(family, seed):
    pattern, box, body_params = _garment(family, seed)
    start = wrapped_start(pattern, box, body_params)
    strain = edge_strain(start, box.vertices, box.faces)
    assert abs(np.median(strain)) < 0.005
    # rows keep their length; columns stretch where the cross-section changes (a flared
    # panel is a sector of a cone, not rows of circles): a start, the flat panels stay the rest
    assert np.mean(np.abs(strain) < 0.1) > 0.85
    assert np.median(_gaps(start, box.seam_pairs)) < 0.3 * np.median(_gaps(box.vertices, box.seam_pairs))
    body = make_body(body_params, 2.0)
    assert not signed_distance_inside(body, start).any()


def test_sleeves_roll_round_the_arm_and_trouser_legs_stay_flat():
    pattern, box, body_params = _garment("tshirt", 3)
    start = wrapped_start(pattern, box, body_params)
    from core.garments.bodydims import BodyDims

    dims = BodyDims.from_body(body_params)
    joint, u = dims.shoulder_joint(), dims.arm_dir()
    sleeve = np.isin(box.panel_ids, [box.panel_names.index(n) for n in box.panel_names if "left_sleeve" in n])
    rel = start[sleeve] - joint
    radial = np.linalg.norm(rel - np.outer(rel @ u, u), axis=1)
    # a tube round the arm: every point about the arm's radius plus the gap away from its axis
    assert radial.min() > dims.arm_girth(dims.arm_length) / (2 * np.pi)
    assert np.ptp(radial) < 6.0
    pattern, box, body_params = _garment("trousers", 3)
    np.testing.assert_array_equal(wrapped_start(pattern, box, body_params), box.vertices)
