"""The drape detail measures (core/detail.py) on surfaces with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from core.detail import detail_at_radii, seam_dihedrals, sharp_crease_share, surface_detail


def sheet(width: float, height: float, step: float, height_fn=None) -> tuple[np.ndarray, np.ndarray]:
    """A grid sheet in the xy plane (cm), z = height_fn(x, y)."""
    nx, ny = round(width / step) + 1, round(height / step) + 1
    x, y = np.meshgrid(np.linspace(0, width, nx), np.linspace(0, height, ny), indexing="ij")
    z = height_fn(x, y) if height_fn else np.zeros_like(x)
    v = np.stack([x.ravel(), y.ravel(), z.ravel()], axis=1)
    idx = np.arange(nx * ny).reshape(nx, ny)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
    return v, np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])


def sine(wavelength: float, amplitude: float):
    return lambda x, y: amplitude * np.sin(2 * np.pi * x / wavelength)


def test_flat_sheet_has_no_detail():
    v, f = sheet(30, 20, 1.0)
    d = detail_at_radii(v, f)
    assert max(d.values()) < 1e-9
    assert sharp_crease_share(v, f) == 0.0


def test_sphere_matches_the_spherical_cap():
    # the mean unit normal of a cap of chord radius r on a sphere of radius R is
    # (1 + cos t) / 2 with cos t = 1 - r^2 / (2 R^2): detail = r^2 / (4 R^2)
    radius = 10.0
    m = trimesh.creation.icosphere(subdivisions=5, radius=radius)
    d = detail_at_radii(m.vertices, m.faces)
    for r, value in d.items():
        # a 0.5 cm ball holds ~30 samples: the norm of their mean is biased up by ~1/N
        assert value == pytest.approx(r * r / (4 * radius * radius), rel=0.08 if r < 1 else 0.04), r


@pytest.mark.parametrize("wavelength", [2.0, 4.0])
def test_sine_folds_gain_their_detail_below_the_wavelength(wavelength):
    radii = [wavelength * k for k in (1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0)]
    v, f = sheet(8 * wavelength, 5 * wavelength, wavelength / 16, sine(wavelength, 0.1 * wavelength))
    d = np.array(list(detail_at_radii(v, f, radii).values()))
    growth = np.diff(d)
    # most growth per octave of r between lambda/8 and lambda/2, saturated by lambda/2
    assert radii[int(np.argmax(growth)) + 1] in (wavelength / 4, wavelength / 2)
    assert d[3] > 0.9 * d[4]
    assert d[0] < 0.1 * d[4]
    # saturated near 1 - mean(cos) of the fold's slope angle (0.2 pi at most): ~0.08
    assert 0.06 < d[4] < 0.1


def test_sine_folds_are_independent_of_resolution_and_size():
    # vertex normals of a mesh resolve a fold from ~20 edges per wavelength on
    fold = sine(6.0, 0.6)
    base = detail_at_radii(*sheet(24, 15, 6 / 24, fold))
    finer = detail_at_radii(*sheet(24, 15, 6 / 48, fold))
    larger = detail_at_radii(*sheet(48, 15, 6 / 24, fold))
    for r in base:
        assert finer[r] == pytest.approx(base[r], rel=0.05), r
        assert larger[r] == pytest.approx(base[r], rel=0.05), r
    assert base[0.5] / base[1.0] < 0.5


def test_crumpled_sheet_scores_high_ratio_and_creases():
    rng = np.random.default_rng(3)
    v, f = sheet(20, 20, 0.4)
    v[:, 2] = rng.normal(0, 0.12, len(v))
    s = surface_detail(v, f)
    smooth = surface_detail(*sheet(20, 20, 0.8, sine(6.0, 0.6)))
    assert s["ratio"] > 0.5 > smooth["ratio"]
    assert s["sharp_creases"] > 0.05
    assert smooth["sharp_creases"] == 0.0


def test_sharp_creases_count_edges_above_sixty_degrees():
    # a sheet folded along x = 5 at a right angle: the fold's 10 edges out of all interior ones
    v, f = sheet(10, 10, 1.0)
    bent = v.copy()
    right = v[:, 0] > 5
    bent[right, 2] = v[right, 0] - 5
    bent[right, 0] = 5
    interior = len(trimesh.Trimesh(bent, f, process=False).face_adjacency)
    assert sharp_crease_share(bent, f) == pytest.approx(10 / interior)
    assert sharp_crease_share(bent, f, threshold_deg=95) == 0.0


def test_seam_dihedrals_split_seam_edges_from_the_rest():
    # a strip of four triangles: panel 0 flat, a 90 deg hinge at x = 1 into panel 1
    v = np.array([[0, 0, 0], [0, 1, 0], [1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1]], float)
    f = np.array([[0, 2, 1], [1, 2, 3], [2, 4, 3], [3, 4, 5]])
    seam, other = seam_dihedrals(v, f, np.array([0, 0, 1, 1]))
    assert len(seam) == 1 and abs(seam[0] - 90.0) < 1e-6
    assert len(other) == 2 and np.allclose(other, 0.0)


def test_a_tiny_surface_is_measured_with_bounded_pairs():
    """A 1 cm square gets the minimum 20k samples, every one within 4 cm of every other:
    the centres shrink to keep the pair count bounded (fuzz: 400M pairs ran out of memory);
    a garment-sized sheet keeps all its centres."""
    import core.detail as detail

    v = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], float)
    f = np.array([[0, 1, 2], [0, 2, 3]])
    points, _ = detail.sample_normals(v, f)
    tree = detail.cKDTree(points)
    centres, chunk = detail.query_plan(tree, 4.0, detail.CENTRES)
    assert (
        centres * len(points) <= 1.01 * detail.MAX_PAIRS and chunk * len(points) <= 1.01 * detail._CHUNK_PAIRS
    )
    assert centres < detail.CENTRES
    big, _ = detail.sample_normals(v * 60, f)
    assert detail.query_plan(detail.cKDTree(big), 4.0, detail.CENTRES)[0] == detail.CENTRES
    assert all(abs(x) < 1e-9 for x in detail.detail_at_radii(v, f).values())  # flat
