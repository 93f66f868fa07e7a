"""Parametric mannequin: a closed, outward mesh of the right size, girths, landmarks, inside test."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
import trimesh
from shapely.geometry import Point, Polygon

from core.body import BodyParams, body_sdf, make_body, sample_body_params, signed_distance_inside

SURFACE_MARKS = [
    *("head_top", "neck_front", "neck_back", "neck_side_l", "neck_side_r", "shoulder_l", "shoulder_r"),
    *("armpit_l", "armpit_r", "bust_front", "waist_front", "waist_back", "waist_l", "waist_r"),
    *("hip_front", "hip_back", "hip_l", "hip_r", "crotch", "toe_l", "toe_r"),
]
JOINT_MARKS = [
    *("neck_base", "shoulder_joint_l", "shoulder_joint_r", "elbow_l", "elbow_r", "wrist_l", "wrist_r"),
    *("hip_joint_l", "hip_joint_r", "knee_l", "knee_r", "ankle_l", "ankle_r"),
]


@pytest.fixture(scope="module")
def body() -> trimesh.Trimesh:
    return make_body(BodyParams(), resolution=2.0)


def torso_loop(mesh: trimesh.Trimesh, y: float) -> np.ndarray:
    """The horizontal section at height ``y`` around the body's axis, as (x, z) points."""
    section = mesh.section(plane_origin=[0.0, y, 0.0], plane_normal=[0.0, 1.0, 0.0])
    assert section is not None
    loops = [p[:, [0, 2]] for p in section.discrete if Polygon(p[:, [0, 2]]).contains(Point(0.0, 0.0))]
    assert len(loops) == 1
    return loops[0]


def girth(mesh: trimesh.Trimesh, y: float) -> float:
    loop = torso_loop(mesh, y)
    return float(np.linalg.norm(np.diff(np.vstack([loop, loop[:1]]), axis=0), axis=1).sum())


def check_body(mesh: trimesh.Trimesh, params: BodyParams) -> None:
    assert mesh.is_watertight
    assert mesh.is_winding_consistent
    assert mesh.volume > 0
    assert mesh.body_count == 1
    lo, hi = mesh.bounds
    assert abs(hi[1] - params.height) <= 0.02 * params.height
    assert abs(lo[1]) < 0.5
    marks = params.landmarks()
    for level, measured in (("waist", params.waist), ("hip", params.hips), ("bust", params.bust)):
        y = marks[f"{level}_front"][1]
        assert girth(mesh, y) == pytest.approx(measured, rel=0.06), level


def test_default_body_is_closed_outward_and_sized(body):
    check_body(body, BodyParams())
    assert 45_000 < body.volume < 90_000  # cm^3: an adult's volume
    lo, hi = body.bounds
    assert abs(lo[0] + hi[0]) < 1.0 and abs(lo[2] + hi[2]) < 8.0  # centred on x (feet stick out at +z)


def test_mesh_follows_the_implicit_surface(body):
    assert np.abs(body_sdf(BodyParams(), body.vertices)).max() < 0.1
    eps = 0.05
    c = body.triangles_center
    grad = np.stack(
        [body_sdf(BodyParams(), c + eps * e) - body_sdf(BodyParams(), c - eps * e) for e in np.eye(3)], 1
    )
    assert np.all(np.sum(grad * body.face_normals, axis=1) > 0)  # no folded-over faces


def test_edge_length_follows_resolution(body):
    assert body.edges_unique_length.mean() == pytest.approx(2.0, rel=0.2)
    fine = make_body(BodyParams(), resolution=1.5)
    assert fine.edges_unique_length.mean() < body.edges_unique_length.mean()
    assert fine.is_watertight and fine.is_winding_consistent


def test_torso_sections_are_elliptic(body):
    marks = BodyParams().landmarks()
    for level in ("bust", "waist", "hip"):
        loop = torso_loop(body, marks[f"{level}_front"][1])
        width, depth = np.ptp(loop, axis=0)
        assert width > 1.15 * depth, level


def test_different_params_change_the_mesh(body):
    wide = make_body(BodyParams(hips=112.0, arm_angle_deg=30.0), resolution=2.0)
    assert wide.volume > body.volume
    assert (
        girth(wide, BodyParams(hips=112.0).landmarks()["hip_front"][1])
        > girth(body, BodyParams().landmarks()["hip_front"][1]) + 10
    )
    assert wide.bounds[1, 0] < body.bounds[1, 0] - 3  # arms closer to the body


def test_landmarks(body):
    params = BodyParams()
    marks = params.landmarks()
    assert set(SURFACE_MARKS + JOINT_MARKS) <= set(marks)
    assert all(v.shape == (3,) for v in marks.values())
    # surface landmarks lie on the surface, joint centres inside the body
    for name in SURFACE_MARKS:
        d = np.linalg.norm(body.vertices - marks[name], axis=1).min()
        assert d < 2.0, name
        assert abs(body_sdf(params, marks[name][None])[0]) < 0.1, name
    assert signed_distance_inside(body, np.array([marks[k] for k in JOINT_MARKS])).all()
    # left / right mirror each other
    for name in marks:
        if name.endswith("_l"):
            assert np.allclose(marks[name] * [-1, 1, 1], marks[name[:-2] + "_r"], atol=1e-6), name
    # heights in order, fronts at +z, left at +x
    y = {k: v[1] for k, v in marks.items()}
    order = [
        "ankle_l",
        "knee_l",
        "crotch",
        "hip_front",
        "waist_front",
        "bust_front",
        "armpit_l",
        "shoulder_l",
    ]
    order += ["neck_base", "head_top"]
    assert all(y[a] < y[b] for a, b in itertools.pairwise(order))
    assert marks["crotch"][1] == pytest.approx(params.inseam, abs=1.0)
    assert marks["head_top"][1] == pytest.approx(params.height, abs=0.5)
    assert marks["waist_front"][2] > 0 > marks["waist_back"][2]
    assert marks["shoulder_l"][0] == pytest.approx(params.shoulder_width / 2)
    assert marks["wrist_l"][0] > marks["elbow_l"][0] > marks["shoulder_joint_l"][0] > 0
    arm = marks["wrist_l"] - marks["shoulder_joint_l"]
    assert np.linalg.norm(arm) == pytest.approx(params.arm_length)
    assert np.degrees(np.arctan2(arm[0], -arm[1])) == pytest.approx(params.arm_angle_deg)


def test_inside_query(body):
    marks = BodyParams().landmarks()
    torso = np.array([0.0, marks["waist_front"][1], 0.0])
    front = torso + np.array([0.0, 0.0, 50.0])
    assert signed_distance_inside(body, np.array([torso, front])).tolist() == [True, False]
    rng = np.random.default_rng(0)
    lo, hi = body.bounds
    pts = rng.uniform(lo - 2.0, hi + 2.0, size=(20_000, 3))
    t0 = time.perf_counter()
    inside = signed_distance_inside(body, pts)
    assert time.perf_counter() - t0 < 2.0
    sdf = body_sdf(BodyParams(), pts)
    clear = np.abs(sdf) > 0.5  # the mesh is within 0.1 cm of the implicit surface
    assert np.array_equal(inside[clear], sdf[clear] < 0)
    assert 0.02 < inside.mean() < 0.2


@pytest.mark.parametrize("seed", range(5))
def test_sampled_bodies(seed):
    params = sample_body_params(np.random.default_rng(seed))
    assert params.waist < params.bust and params.waist < params.hips
    assert 0.4 * params.height < params.inseam < 0.5 * params.height
    assert 30.0 <= params.arm_angle_deg <= 45.0
    check_body(make_body(params, resolution=2.5), params)


def test_sampling_is_reproducible_and_varied():
    a = [sample_body_params(np.random.default_rng(s)) for s in range(3)]
    assert a == [sample_body_params(np.random.default_rng(s)) for s in range(3)]
    assert len(set(a)) == 3


@pytest.mark.parametrize(
    "bad", [{"height": -1.0}, {"inseam": 120.0}, {"arm_angle_deg": 95.0}, {"waist": 0.0}]
)
def test_implausible_params_are_rejected(bad):
    with pytest.raises(ValueError):
        BodyParams(**bad)
