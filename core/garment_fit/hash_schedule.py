"""The HashSize schedule of the per-garment fit: how large the hash table is at each iteration.

The thesis's fit keeps the table about the size that stores the finest level without
collisions (``T_full``) while the keys settle (iterations ~1000-3000), shrinks it while the
residual is being learned (~4000-6000) and ends much smaller (7000 on). Here the schedule is a
list of *shrink points*: at iteration ``i_k`` the table becomes ``T_full * share_k``. Between them
the size is constant, so every change is one real resize of the table (``core.hashfield.resize``),
after which the loss is checked again ``check_after`` iterations later.

Defaults (for 10,000 iterations, scaled to any other count): full until 4000, then 1/2 at 4000,
1/4 at 5000, 1/8 at 6000 and 1/16 at 7000 -- the final table is T_full/16, under the target's
T_full/4.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_POINTS = ((0.4, 1 / 2), (0.5, 1 / 4), (0.6, 1 / 8), (0.7, 1 / 16))
"""(share of the fit's iterations, share of T_full) of each shrink."""


@dataclass(frozen=True)
class HashSizeSchedule:
    """Table size against iteration: ``t_full`` until the first shrink point, then steps down."""

    t_full: int
    iterations: int
    points: tuple[tuple[float, float], ...] = field(default=DEFAULT_POINTS)
    check_after: int = 200  # iterations after a shrink at which the loss is compared with before
    min_size: int = 64

    def __post_init__(self) -> None:
        shares = [p for p, _ in self.points]
        sizes = [s for _, s in self.points]
        if shares != sorted(shares) or not all(0 < p < 1 for p in shares):
            raise ValueError(f"shrink points must rise within (0, 1): {shares}")
        if sizes != sorted(sizes, reverse=True) or not all(0 < s <= 1 for s in sizes):
            raise ValueError(f"table shares must fall within (0, 1]: {sizes}")
        if self.t_full < 1 or self.iterations < 1:
            raise ValueError("t_full and iterations must be positive")

    def shrinks(self) -> list[tuple[int, int]]:
        """(iteration, new table size) of every resize, in order (sizes strictly falling)."""
        out: list[tuple[int, int]] = []
        last = self.t_full
        for share, size_share in self.points:
            it = round(share * self.iterations)
            size = max(self.min_size, round(self.t_full * size_share))
            if size < last and 0 < it < self.iterations:
                out.append((it, size))
                last = size
        return out

    def size_at(self, iteration: int) -> int:
        """The table size in use at ``iteration`` (after any resize at that iteration)."""
        size = self.t_full
        for it, s in self.shrinks():
            if iteration >= it:
                size = s
        return size

    @property
    def final_size(self) -> int:
        return self.size_at(self.iterations)

    def to_json(self) -> dict:
        return {
            "t_full": self.t_full,
            "iterations": self.iterations,
            "points": [list(p) for p in self.points],
            "check_after": self.check_after,
            "shrinks": self.shrinks(),
        }
