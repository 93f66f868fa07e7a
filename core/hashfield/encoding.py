"""Multiresolution hash encoding (Instant-NGP, Müller et al. 2022) over chart coordinates.

Input: a chart id (int in ``[0, n_charts)``) and ``(u, v)`` normalised to ``[0, 1]`` per chart
(values outside are clamped). Output: ``n_levels * n_features_per_level`` features, level-major
(level 0's F features first), like tiny-cuda-nn's ``HashGrid``.

Levels. Level ``l`` has resolution ``N_l = floor(N_min * b^l)`` cells per chart side
(``N_min = base_resolution``; ``b = per_level_scale``, or ``exp((ln N_max - ln N_min) / (L - 1))``
when ``finest_resolution = N_max`` is given; a 1e-6 slack keeps ``floor`` from losing an integer
to rounding). Its grid vertices sit at ``(u, v) = (x, y) / N_l`` with integer ``x, y`` in
``[0, N_l]``: ``(N_l + 1)^2`` vertices per chart (this encoding puts no half-cell offset on the
input, unlike tiny-cuda-nn). A query reads the 4 vertices of its cell and blends them
bilinearly (at ``u = 1`` the last cell is used with weight 1 on its far side).

Charts. The chart id is a third integer coordinate of the grid: one table serves all charts.

* Dense level, where ``n_charts * (N_l + 1)^2 <= T``: the level's table holds exactly that many
  slots and vertex ``(x, y)`` of chart ``c`` lives at ``c * (N_l + 1)^2 + y * (N_l + 1) + x``
  (no collisions; the table is smaller than ``T``, as tiny-cuda-nn does).
* Hashed level, otherwise: ``T`` slots and
  ``h = ((x * 1) XOR (y * 2654435761) XOR (c * 805459861)) mod 2^32``, slot ``h mod T``
  (``T`` need not be a power of two).

Integer arithmetic is int64: every coordinate is below ``2^31`` (checked on the config: the
finest resolution and ``n_charts``) and every prime below ``2^32``, so each product is below
``2^63`` and never overflows; the ``& 0xFFFFFFFF`` then gives exactly tiny-cuda-nn's uint32
wrap-around. The table is one parameter ``(sum of level sizes, F)`` initialised uniformly in
``±1e-4`` as in Instant-NGP.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch
from torch import nn

HASH_PRIMES = (1, 2654435761, 805459861)
"""Per-coordinate primes of the spatial hash, for (x, y, chart) (tiny-cuda-nn's first three)."""

_MASK32 = 0xFFFFFFFF
_MAX_COORD = 2**31 - 1  # coordinates must stay below 2^31 for the int64 products not to overflow
_INIT_RANGE = 1e-4
_CHUNK = 1 << 20  # vertices per chunk when walking whole grids (collision counts, resize)


@dataclass
class HashGridConfig:
    """Shape of a hash grid; a JSON-able dict via ``to_dict`` (tiny-cuda-nn's ``HashGrid`` keys
    plus ``n_charts``, ``table_size`` and ``finest_resolution``).

    ``table_size``, when given, overrides ``2 ** log2_hashmap_size`` (and may be any positive
    int); ``finest_resolution``, when given, overrides ``per_level_scale``.
    """

    n_levels: int = 16
    n_features_per_level: int = 2
    log2_hashmap_size: int = 19
    base_resolution: int = 16
    per_level_scale: float = 1.5
    n_charts: int = 1
    table_size: int | None = None
    finest_resolution: int | None = None

    def __post_init__(self) -> None:
        if self.n_levels < 1 or self.n_features_per_level < 1:
            raise ValueError("n_levels and n_features_per_level must be >= 1")
        if self.base_resolution < 1 or self.n_charts < 1 or self.hashmap_size < 1:
            raise ValueError("base_resolution, n_charts and the table size must be >= 1")
        if self.finest_resolution is not None and self.finest_resolution < self.base_resolution:
            raise ValueError("finest_resolution must be >= base_resolution")
        if self.scale < 1.0:
            raise ValueError("per_level_scale must be >= 1")
        if self.resolutions()[-1] >= _MAX_COORD or self.n_charts > _MAX_COORD:
            raise ValueError("resolutions and n_charts must stay below 2^31 (int64 hash products)")

    @property
    def hashmap_size(self) -> int:
        """T: the slots of a hashed level."""
        return int(self.table_size) if self.table_size is not None else 2 ** int(self.log2_hashmap_size)

    @property
    def scale(self) -> float:
        """b: the growth factor between levels."""
        if self.finest_resolution is None:
            return float(self.per_level_scale)
        if self.n_levels == 1:
            return 1.0
        return math.exp(
            (math.log(self.finest_resolution) - math.log(self.base_resolution)) / (self.n_levels - 1)
        )

    def resolutions(self) -> list[int]:
        """N_l = floor(N_min * b^l) for every level (cells per chart side)."""
        b = self.scale
        return [math.floor(self.base_resolution * b**level + 1e-6) for level in range(self.n_levels)]

    def to_dict(self) -> dict:
        return {"otype": "HashGrid", **asdict(self)}

    @classmethod
    def from_dict(cls, d: dict) -> HashGridConfig:
        d = dict(d)
        otype = d.pop("otype", "HashGrid")
        if otype != "HashGrid":
            raise ValueError(f"not a HashGrid config: otype {otype!r}")
        return cls(**d)


@dataclass(frozen=True)
class LevelInfo:
    """One level of a hash grid: its resolution, indexing and place in the table."""

    level: int
    resolution: int  # N_l cells per chart side; (N_l + 1)^2 vertices per chart
    dense: bool  # True: one slot per vertex (no collisions)
    table_size: int  # slots this level uses: n_charts * (N_l + 1)^2 if dense, else T
    offset: int  # first row of the level in the flat table
    n_vertices: int  # n_charts * (N_l + 1)^2


@dataclass(frozen=True)
class LevelCollisions:
    """Collision count of one level over the vertices considered (all, or the occupied ones).

    ``n_colliding``: vertices whose slot also holds another considered vertex (every member of
    a shared slot counts). ``excess = n_vertices - n_slots_used``: vertices beyond one per slot
    (the slots a collision-free table would need more).
    """

    level: int
    resolution: int
    dense: bool
    table_size: int
    n_vertices: int
    n_slots_used: int
    n_colliding: int

    @property
    def excess(self) -> int:
        return self.n_vertices - self.n_slots_used


def hash_index(x: torch.Tensor, y: torch.Tensor, chart: torch.Tensor, table_size: int) -> torch.Tensor:
    """Slot ``((x * p0) XOR (y * p1) XOR (chart * p2)) mod 2^32 mod table_size`` (int64 tensors,
    each coordinate in ``[0, 2^31)``, so no product overflows int64)."""
    p0, p1, p2 = HASH_PRIMES
    h = ((x * p0) ^ (y * p1) ^ (chart * p2)) & _MASK32
    return h % table_size


def _corners(uv: torch.Tensor, res: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Cell corners and bilinear weights of ``uv`` (N, 2) at resolutions ``res`` (L,):
    integer vertex coordinates ``x, y`` (N, L, 4) and weights (N, L, 4) summing to 1."""
    pos = uv.clamp(0.0, 1.0).unsqueeze(1) * res.to(uv.dtype).view(1, -1, 1)  # (N, L, 2)
    cell = torch.minimum(pos.floor().long(), (res - 1).view(1, -1, 1))
    frac = pos - cell.to(uv.dtype)
    dx = torch.tensor([0, 1, 0, 1], device=uv.device)
    dy = torch.tensor([0, 0, 1, 1], device=uv.device)
    x = cell[..., :1] + dx  # (N, L, 4)
    y = cell[..., 1:] + dy
    fx, fy = frac[..., :1], frac[..., 1:]
    w = torch.where(dx.bool(), fx, 1.0 - fx) * torch.where(dy.bool(), fy, 1.0 - fy)
    return x, y, w


def level_vertex_mask(mask: np.ndarray, resolution: int) -> np.ndarray:
    """The vertices ``(N + 1, N + 1)`` of a level of resolution N that queries inside the
    occupied texels of ``mask`` can read (corners of every level cell overlapping an occupied
    texel). ``mask``: (rows, cols) bool over the chart's [0, 1]^2, rows along v, cols along u
    (any resolution; typically the finest level's)."""
    m = np.asarray(mask, dtype=bool)
    rows, cols = m.shape
    n = int(resolution)
    i, j = np.nonzero(m)
    a0, a1 = i * n // rows, ((i + 1) * n - 1) // rows  # level cell rows the texel overlaps
    b0, b1 = j * n // cols, ((j + 1) * n - 1) // cols
    if n <= rows and n <= cols:  # a texel overlaps at most 2 x 2 level cells
        cells = np.zeros((n, n), dtype=bool)
        for a in (a0, a1):
            for b in (b0, b1):
                cells[a, b] = True
    else:  # texels span several level cells: 2D difference array of their rectangles
        diff = np.zeros((n + 1, n + 1), dtype=np.int32)
        np.add.at(diff, (a0, b0), 1)
        np.add.at(diff, (a0, b1 + 1), -1)
        np.add.at(diff, (a1 + 1, b0), -1)
        np.add.at(diff, (a1 + 1, b1 + 1), 1)
        cells = np.cumsum(np.cumsum(diff, axis=0), axis=1)[:n, :n] > 0
    verts = np.zeros((n + 1, n + 1), dtype=bool)
    verts[:-1, :-1] |= cells
    verts[1:, :-1] |= cells
    verts[:-1, 1:] |= cells
    verts[1:, 1:] |= cells
    return verts


def _check_occupancy(occupancy: Sequence[np.ndarray] | None, n_charts: int) -> None:
    if occupancy is not None and len(occupancy) != n_charts:
        raise ValueError(f"occupancy holds {len(occupancy)} masks for {n_charts} charts")


def t_full(
    config_or_resolution: HashGridConfig | dict | int,
    n_charts: int | None = None,
    occupancy: Sequence[np.ndarray] | None = None,
) -> int:
    """T_full: the finest level's grid vertex count over the charts, ``n_charts * (N_max + 1)^2``,
    the table size from which the finest level is dense (no collisions).

    ``config_or_resolution``: a config (its finest resolution and, unless ``n_charts`` is given,
    its ``n_charts``) or the finest resolution N_max itself (``n_charts`` defaults to 1). With
    ``occupancy`` (one (rows, cols) bool texel mask per chart, see ``level_vertex_mask``) only the
    vertices the occupied texels read are counted: the size a compact per-vertex indexing would
    need (a hash table of that size would still collide; this is a count, not an indexing).
    """
    if isinstance(config_or_resolution, dict):
        config_or_resolution = HashGridConfig.from_dict(config_or_resolution)
    if isinstance(config_or_resolution, HashGridConfig):
        res = config_or_resolution.resolutions()[-1]
        n_charts = config_or_resolution.n_charts if n_charts is None else n_charts
    else:
        res = int(config_or_resolution)
        n_charts = 1 if n_charts is None else n_charts
    if occupancy is None:
        return int(n_charts) * (res + 1) ** 2
    _check_occupancy(occupancy, int(n_charts))
    return int(sum(int(level_vertex_mask(m, res).sum()) for m in occupancy))


class HashEncoding(nn.Module):
    """Hash grid encoding ``forward(chart (N,) long, uv (N, 2)) -> (N, n_levels * F)``.

    ``in_dim`` = 2 (u, v; the chart id comes as its own integer argument), ``out_dim`` =
    ``n_levels * F``. ``compile=True`` runs the encoding through ``torch.compile`` and falls back to
    eager (with a warning) if compiling or running the compiled code fails. ``seed`` makes the
    table's initialisation reproducible.
    """

    def __init__(
        self, config: HashGridConfig | dict | None = None, *, compile: bool = False, seed: int | None = None
    ):
        super().__init__()
        if config is None:
            config = HashGridConfig()
        elif isinstance(config, dict):
            config = HashGridConfig.from_dict(config)
        self.config = config
        self.in_dim = 2
        t = config.hashmap_size
        levels, offset = [], 0
        for level, res in enumerate(config.resolutions()):
            n_vertices = config.n_charts * (res + 1) ** 2
            dense = n_vertices <= t
            size = n_vertices if dense else t
            levels.append(LevelInfo(level, res, dense, size, offset, n_vertices))
            offset += size
        self.levels: list[LevelInfo] = levels
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        table = torch.empty(offset, config.n_features_per_level)
        table.uniform_(-_INIT_RANGE, _INIT_RANGE, generator=gen)
        self.table = nn.Parameter(table)
        # derived from the config, so kept out of the state dict (which holds only ``table``)
        self.register_buffer("_res", torch.tensor([lv.resolution for lv in levels]), persistent=False)
        self.register_buffer("_dense", torch.tensor([lv.dense for lv in levels]), persistent=False)
        self.register_buffer("_offsets", torch.tensor([lv.offset for lv in levels]), persistent=False)
        self._compiled = None
        if compile:
            try:
                self._compiled = torch.compile(self._encode, dynamic=True)
            except Exception as e:  # pragma: no cover - depends on the platform's compiler
                warnings.warn(f"torch.compile unavailable, hash encoding runs eagerly: {e}", stacklevel=2)

    @property
    def out_dim(self) -> int:
        return self.config.n_levels * self.config.n_features_per_level

    @property
    def compiled(self) -> bool:
        """Whether forward currently runs compiled code."""
        return self._compiled is not None

    def to_dict(self) -> dict:
        return self.config.to_dict()

    @classmethod
    def from_dict(cls, d: dict, **kwargs) -> HashEncoding:
        return cls(HashGridConfig.from_dict(d), **kwargs)

    def level_table(self, level: int) -> torch.Tensor:
        """The rows of the table that ``level`` uses (a view, ``(table_size, F)``)."""
        info = self.levels[level]
        return self.table[info.offset : info.offset + info.table_size]

    def vertex_slots(
        self, level: int, chart: torch.Tensor | int, x: torch.Tensor | int, y: torch.Tensor | int
    ) -> torch.Tensor:
        """Slot (row of ``level_table(level)``) of grid vertex ``(x, y)`` of ``chart`` (broadcast)."""
        info = self.levels[level]
        dev = self.table.device
        c, x, y = (torch.as_tensor(a, dtype=torch.long, device=dev) for a in (chart, x, y))
        if info.dense:
            side = info.resolution + 1
            return (c * side + y) * side + x
        return hash_index(x, y, c, info.table_size)

    def _encode(self, chart: torch.Tensor, uv: torch.Tensor) -> torch.Tensor:
        n = uv.shape[0]
        x, y, w = _corners(uv, self._res)  # (N, L, 4)
        res = self._res.view(1, -1, 1)
        c = chart.long().view(-1, 1, 1)
        dense_idx = (c * (res + 1) + y) * (res + 1) + x
        hashed_idx = hash_index(x, y, c, self.config.hashmap_size)
        idx = torch.where(self._dense.view(1, -1, 1), dense_idx, hashed_idx) + self._offsets.view(1, -1, 1)
        feats = self.table[idx]  # (N, L, 4, F)
        out = (feats * w.unsqueeze(-1).to(feats.dtype)).sum(dim=2)
        return out.reshape(n, self.out_dim)

    def forward(self, chart: torch.Tensor, uv: torch.Tensor) -> torch.Tensor:
        if uv.ndim != 2 or uv.shape[1] != 2 or chart.shape != uv.shape[:1]:
            raise ValueError(
                f"expected chart (N,) and uv (N, 2), got {tuple(chart.shape)}, {tuple(uv.shape)}"
            )
        if self._compiled is not None:
            try:
                return self._compiled(chart, uv)
            except Exception as e:  # pragma: no cover - depends on the platform's compiler
                warnings.warn(f"compiled hash encoding failed, falling back to eager: {e}", stacklevel=2)
                self._compiled = None
        return self._encode(chart, uv)

    def _vertex_chunks(
        self, level: int, occupancy: Sequence[np.ndarray] | None
    ) -> Iterator[tuple[int, torch.Tensor, torch.Tensor]]:
        """(chart, x, y) chunks of the level's grid vertices: all, or those the occupancy reads."""
        res = self.levels[level].resolution
        side = res + 1
        dev = self.table.device
        for c in range(self.config.n_charts):
            if occupancy is None:
                rows = max(1, _CHUNK // side)
                for y0 in range(0, side, rows):
                    ys = torch.arange(y0, min(side, y0 + rows), device=dev)
                    xs = torch.arange(side, device=dev)
                    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
                    yield c, xx.reshape(-1), yy.reshape(-1)
            else:
                flat = torch.from_numpy(np.flatnonzero(level_vertex_mask(occupancy[c], res))).to(dev)
                for s in range(0, len(flat), _CHUNK):
                    f = flat[s : s + _CHUNK]
                    yield c, f % side, f // side

    @torch.no_grad()
    def collision_counts(self, occupancy: Sequence[np.ndarray] | None = None) -> list[LevelCollisions]:
        """Per level, how many grid vertices share a slot (see ``LevelCollisions``), over all
        ``n_charts * (N_l + 1)^2`` vertices or, with ``occupancy`` (one texel mask per chart, any
        resolution, see ``level_vertex_mask``), over the vertices the occupied texels read."""
        _check_occupancy(occupancy, self.config.n_charts)
        out = []
        for info in self.levels:
            counts = torch.zeros(info.table_size, dtype=torch.long, device=self.table.device)
            for c, x, y in self._vertex_chunks(info.level, occupancy):
                counts += torch.bincount(self.vertex_slots(info.level, c, x, y), minlength=info.table_size)
            n_vertices = int(counts.sum())
            used = int(torch.count_nonzero(counts))
            colliding = int(counts[counts > 1].sum())
            out.append(
                LevelCollisions(
                    info.level, info.resolution, info.dense, info.table_size, n_vertices, used, colliding
                )
            )
        return out


@torch.no_grad()
def resize(
    encoding: HashEncoding,
    log2_hashmap_size: int | None = None,
    *,
    table_size: int | None = None,
    occupancy: Sequence[np.ndarray] | None = None,
    seed: int | None = None,
) -> HashEncoding:
    """A new encoding with hash table size ``2 ** log2_hashmap_size`` (or ``table_size``), its
    entries distilled from ``encoding`` (which is left untouched).

    Level by level, every grid vertex (of every chart; with ``occupancy``, only the vertices the
    occupied texels read) takes the old encoding's value at that vertex (its old slot's entry:
    bilinear interpolation is exact at vertices) to its new slot; each new slot gets the mean of
    the values arriving there. That is the least-squares fit of the old per-vertex values under
    the new indexing, so the field moves as little as the new table allows: levels dense in the
    new table are reproduced exactly (levels dense in both are copied as they are), and a table
    grown to ``t_full`` reproduces the whole encoding. Slots no considered vertex reaches keep
    the new table's random initialisation. Shrinking or growing both work.
    """
    if (log2_hashmap_size is None) == (table_size is None):
        raise ValueError("give exactly one of log2_hashmap_size and table_size")
    if table_size is not None:
        cfg = replace(encoding.config, table_size=int(table_size))
    else:
        cfg = replace(encoding.config, log2_hashmap_size=int(log2_hashmap_size), table_size=None)
    _check_occupancy(occupancy, cfg.n_charts)
    new = HashEncoding(cfg, compile=encoding.compiled, seed=seed)
    new = new.to(device=encoding.table.device, dtype=encoding.table.dtype)
    with torch.no_grad():
        new.table.copy_(remap_rows(encoding, new, encoding.table, occupancy, fill=new.table))
    return new


@torch.no_grad()
def remap_rows(
    old: HashEncoding,
    new: HashEncoding,
    values: torch.Tensor,
    occupancy: Sequence[np.ndarray] | None = None,
    fill: torch.Tensor | None = None,
) -> torch.Tensor:
    """Rows ``values`` (``old.table``'s shape: the table itself, or per-entry optimiser state)
    carried into ``new``'s indexing the way ``resize`` carries the table: each grid vertex (all,
    or those ``occupancy`` reads) takes its old slot's row to its new slot, each new slot the mean
    of what arrives. Levels dense in both are copied; rows nothing reaches come from ``fill``
    (``new``'s shape; zeros without it)."""
    if values.shape != old.table.shape:
        raise ValueError(f"values {tuple(values.shape)} do not match the table {tuple(old.table.shape)}")
    _check_occupancy(occupancy, new.config.n_charts)
    out = torch.zeros_like(new.table) if fill is None else fill.detach().clone()
    for old_info, new_info in zip(old.levels, new.levels, strict=True):
        old_t = values[old_info.offset : old_info.offset + old_info.table_size]
        new_t = out[new_info.offset : new_info.offset + new_info.table_size]
        if old_info.dense and new_info.dense:
            new_t.copy_(old_t)
            continue
        sums = torch.zeros_like(new_t)
        counts = torch.zeros(new_info.table_size, dtype=new_t.dtype, device=new_t.device)
        for c, x, y in old._vertex_chunks(old_info.level, occupancy):
            slots = new.vertex_slots(new_info.level, c, x, y)
            sums.index_add_(0, slots, old_t[old.vertex_slots(old_info.level, c, x, y)])
            counts.index_add_(0, slots, torch.ones_like(slots, dtype=counts.dtype))
        hit = counts > 0
        new_t[hit] = sums[hit] / counts[hit].unsqueeze(1)
    return out
