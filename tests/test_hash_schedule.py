"""The per-garment fit's HashSize schedule: full, shrinking, much smaller; each step one resize."""

from __future__ import annotations

import itertools

import pytest

from core.garment_fit.hash_schedule import HashSizeSchedule


def test_default_schedule_follows_the_thesis_phases():
    s = HashSizeSchedule(t_full=100_000, iterations=10_000)
    assert [s.size_at(i) for i in (0, 1000, 3000, 3999)] == [100_000] * 4  # about full until ~3000
    assert s.size_at(4000) == 50_000 and s.size_at(5000) == 25_000 and s.size_at(6000) == 12_500
    assert s.size_at(7000) == s.size_at(9999) == s.final_size == 6_250  # much smaller from ~7000
    assert s.final_size <= s.t_full / 4  # the target's final table
    assert s.shrinks() == [(4000, 50_000), (5000, 25_000), (6000, 12_500), (7000, 6_250)]


def test_schedule_scales_with_the_iteration_count_and_never_grows():
    s = HashSizeSchedule(t_full=5_000, iterations=2_000)
    its = [i for i, _ in s.shrinks()]
    assert its == [800, 1000, 1200, 1400]
    sizes = [s.size_at(i) for i in range(2_000)]
    assert all(a >= b for a, b in itertools.pairwise(sizes))


def test_a_floor_drops_shrinks_that_would_not_shrink():
    s = HashSizeSchedule(t_full=200, iterations=1000, min_size=64)
    assert s.shrinks() == [(400, 100), (500, 64)]  # 1/8 and 1/16 of 200 are below the floor


@pytest.mark.parametrize("points", [((0.5, 0.5), (0.4, 0.25)), ((0.4, 0.25), (0.5, 0.5)), ((1.2, 0.5),)])
def test_bad_points_are_refused(points):
    with pytest.raises(ValueError):
        HashSizeSchedule(t_full=1000, iterations=100, points=points)
