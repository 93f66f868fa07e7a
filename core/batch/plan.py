"""What a batch makes: designs (pattern files, or draws of a family with narrowed parameter
ranges) and N refiner seeds of each, as variants with stable ids; ``--shard i/N`` keeps every
N-th design (a design's variants share its drape, so they stay in one shard)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class DesignSpec:
    id: str
    pattern: str | None = None  # a pattern file, or:
    family: str | None = None  # a family drawn with ``seed`` in ``ranges``
    seed: int = 0
    ranges: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class VariantSpec:
    id: str
    design: str
    seed: int  # the refiner's seed


@dataclass
class BatchPlan:
    designs: list[DesignSpec]
    variants: list[VariantSpec]

    def design(self, design_id: str) -> DesignSpec:
        return next(d for d in self.designs if d.id == design_id)

    def shard(self, index: int, count: int) -> BatchPlan:
        keep = [d for k, d in enumerate(self.designs) if k % count == index]
        ids = {d.id for d in keep}
        return BatchPlan(keep, [v for v in self.variants if v.design in ids])


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/N"`` (0 <= i < N) -> (i, N)."""
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError as err:
        raise ValueError(f"--shard expects i/N, got {text!r}") from err
    if not (n >= 1 and 0 <= i < n):
        raise ValueError(f"--shard {text}: need 0 <= i < N")
    return i, n


def parse_ranges(items: list[str] | None) -> dict[str, tuple[float, float]]:
    """``["name=a:b", ...]`` -> {name: (a, b)} (a single value ``name=a`` fixes the parameter)."""
    out = {}
    for item in items or []:
        name, sep, rng = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--param expects name=a:b, got {item!r}")
        try:
            lo, _, hi = rng.partition(":")
            a, b = float(lo), float(hi or lo)
        except ValueError as err:
            raise ValueError(f"--param {item!r}: the range must be numbers a:b") from err
        out[name] = (min(a, b), max(a, b))
    return out


MAX_SEEDS = 10_000  # refiner variants per design
MAX_ID_CHARS = 80  # design ids from file names (folder names must stay under the system's 255)
MAX_DESIGNS = 100_000  # designs drawn of a family


def plan_batch(
    seeds: int,
    patterns: list[str] | None = None,
    family: str | None = None,
    count: int = 0,
    ranges: dict | None = None,
    first_seed: int = 0,
) -> BatchPlan:
    """Designs from ``patterns`` (ids from the file names) or ``count`` draws of ``family``
    (design seeds first_seed, first_seed + 1, ...), each with refiner seeds 0 .. seeds - 1."""
    if not 1 <= seeds <= MAX_SEEDS:
        raise ValueError(f"--seeds must be in 1..{MAX_SEEDS}, got {seeds}")
    if family and not 1 <= count <= MAX_DESIGNS:
        raise ValueError(f"--count must be in 1..{MAX_DESIGNS}, got {count}")
    if not 0 <= first_seed < 2**32:
        raise ValueError(f"--first-seed must be in 0..2**32-1, got {first_seed}")
    designs: list[DesignSpec] = []
    if patterns:
        seen: dict[str, int] = {}
        for p in patterns:
            stem = Path(p).stem[:MAX_ID_CHARS] or "pattern"  # a folder name: bounded, never empty
            seen[stem] = seen.get(stem, 0) + 1
            did = stem if seen[stem] == 1 else f"{stem}_{seen[stem]}"
            designs.append(DesignSpec(did, pattern=str(Path(p).resolve())))
    elif family:
        if count < 1:
            raise ValueError(f"--count must be >= 1, got {count}")
        designs = [
            DesignSpec(
                f"{family}_{first_seed + k:04d}",
                family=family,
                seed=first_seed + k,
                ranges=dict(ranges or {}),
            )
            for k in range(count)
        ]
    else:
        raise ValueError("give --patterns or --family with --count")
    variants = [VariantSpec(f"{d.id}_seed{s}", d.id, s) for d in designs for s in range(seeds)]
    return BatchPlan(designs, variants)
