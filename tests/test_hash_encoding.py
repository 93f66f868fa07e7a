"""The hash grid encoding over (chart, u, v): exact values at vertices, level indexing, the hash
itself, collision counts, gradients, the distilling resize, config round trips and a tiny fit."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

from core.hashfield import (  # noqa: E402
    DenseGridConfig,
    DenseUVGrid,
    HashEncoding,
    HashField,
    HashGridConfig,
    hash_index,
    level_vertex_mask,
    remap_rows,
    resize,
    t_full,
)

P1, P2 = 2654435761, 805459861


def py_hash(x: int, y: int, c: int, t: int) -> int:
    """The spatial hash with Python's unbounded ints (the reference)."""
    return ((x * 1) ^ (y * P1) ^ (c * P2)) % 2**32 % t


def set_table(enc: HashEncoding, fn) -> None:
    """Fill every level's table by ``fn(level, slot) -> (F,) values``."""
    with torch.no_grad():
        for info in enc.levels:
            t = enc.level_table(info.level)
            for s in range(info.table_size):
                t[s] = torch.as_tensor(fn(info.level, s), dtype=t.dtype)


def test_exact_values_at_vertices_and_bilinear_between():
    cfg = HashGridConfig(n_levels=1, base_resolution=4, log2_hashmap_size=10, n_charts=2)
    enc = HashEncoding(cfg)
    assert enc.levels[0].dense and enc.levels[0].table_size == 2 * 25
    rng = np.random.default_rng(0)
    vals = rng.normal(size=(2, 5, 5, 2))  # chart, y, x, feature

    def value(level, slot):
        c, rest = divmod(slot, 25)
        return vals[c, rest // 5, rest % 5]

    set_table(enc, value)
    pts = [(c, x, y) for c in range(2) for x in range(5) for y in range(5)]
    chart = torch.tensor([p[0] for p in pts])
    uv = torch.tensor([[p[1] / 4, p[2] / 4] for p in pts], dtype=torch.float32)
    out = enc(chart, uv)
    expect = torch.tensor(np.array([vals[c, y, x] for c, x, y in pts]), dtype=torch.float32)
    assert torch.equal(out, expect)  # grid vertices (u = 1 included) read their own slot exactly

    # edge midpoints and cell centres: the mean of the 2 or 4 vertices
    q = [(1, 1.5, 2.0), (0, 3.0, 0.5), (1, 2.5, 3.5), (0, 0.5, 0.5)]
    uv = torch.tensor([[x / 4, y / 4] for _, x, y in q], dtype=torch.float32)
    out = enc(torch.tensor([c for c, _, _ in q]), uv).double()
    expect = [
        (vals[1, 2, 1] + vals[1, 2, 2]) / 2,
        (vals[0, 0, 3] + vals[0, 1, 3]) / 2,
        (vals[1, 3, 2] + vals[1, 3, 3] + vals[1, 4, 2] + vals[1, 4, 3]) / 4,
        (vals[0, 0, 0] + vals[0, 0, 1] + vals[0, 1, 0] + vals[0, 1, 1]) / 4,
    ]
    assert torch.allclose(out, torch.tensor(np.array(expect)), atol=1e-6)

    # a general point: the bilinear blend, by hand
    u, v = 0.3, 0.85
    fx, fy = u * 4 - 1, v * 4 - 3
    blend = (
        (1 - fx) * (1 - fy) * vals[0, 3, 1]
        + fx * (1 - fy) * vals[0, 3, 2]
        + (1 - fx) * fy * vals[0, 4, 1]
        + fx * fy * vals[0, 4, 2]
    )
    out = enc(torch.tensor([0]), torch.tensor([[u, v]], dtype=torch.float64)).double()
    assert torch.allclose(out[0], torch.tensor(blend), atol=1e-6)
    # outside [0, 1] is clamped onto the chart's border
    assert torch.equal(
        enc(torch.tensor([0]), torch.tensor([[1.7, -0.2]])),
        enc(torch.tensor([0]), torch.tensor([[1.0, 0.0]])),
    )


def test_dense_levels_where_the_grid_fits_hashed_above():
    cfg = HashGridConfig(n_levels=4, base_resolution=4, per_level_scale=2.0, n_charts=3, table_size=3 * 9**2)
    enc = HashEncoding(cfg)
    assert [lv.resolution for lv in enc.levels] == [4, 8, 16, 32]
    assert [lv.dense for lv in enc.levels] == [True, True, False, False]  # 3 * 9^2 fits exactly
    assert [lv.table_size for lv in enc.levels] == [75, 243, 243, 243]
    assert [lv.offset for lv in enc.levels] == [0, 75, 318, 561]
    assert enc.table.shape == (804, 2) and enc.out_dim == 8 and enc.in_dim == 2
    assert enc.table.abs().max() <= 1e-4 and enc.table.abs().max() > 0  # Instant-NGP's init

    fine = HashGridConfig(n_levels=16, base_resolution=16, finest_resolution=2048)
    b = math.exp((math.log(2048) - math.log(16)) / 15)
    assert fine.resolutions() == [math.floor(16 * b**lv + 1e-6) for lv in range(16)]
    assert fine.resolutions()[0] == 16 and fine.resolutions()[-1] == 2048
    assert HashGridConfig().resolutions()[:4] == [16, 24, 36, 54]  # floor(16 * 1.5^l)

    # T_full: the table size from which the finest level stops hashing
    small = HashGridConfig(n_levels=3, base_resolution=4, finest_resolution=16, n_charts=2)
    assert t_full(small) == 2 * 17**2 == t_full(16, n_charts=2) == t_full(small.to_dict())
    assert HashEncoding(replace(small, table_size=t_full(small))).levels[-1].dense
    assert not HashEncoding(replace(small, table_size=t_full(small) - 1)).levels[-1].dense


def test_hash_index_matches_python_ints():
    x, y, c = (
        torch.tensor([3, 2**31 - 1, 0]),
        torch.tensor([7, 2**31 - 1, 5]),
        torch.tensor([2, 2**31 - 1, 9]),
    )
    for t in (2**14, 2**24, 1000):
        expect = [py_hash(int(a), int(b), int(d), t) for a, b, d in zip(x, y, c, strict=True)]
        assert hash_index(x, y, c, t).tolist() == expect  # no int64 overflow at the largest coordinates
    assert py_hash(3, 7, 2, 2**14) == ((3 ^ 7 * 2654435761 ^ 2 * 805459861) & 0xFFFFFFFF) % 16384

    # through the encoding: a hashed level whose slot s holds the value s
    cfg = HashGridConfig(n_levels=1, base_resolution=8, log2_hashmap_size=6, n_charts=3)
    enc = HashEncoding(cfg)
    assert not enc.levels[0].dense
    set_table(enc, lambda level, s: [s, -s])
    assert enc.vertex_slots(0, 2, 3, 7).item() == py_hash(3, 7, 2, 64)
    out = enc(torch.tensor([2]), torch.tensor([[3 / 8, 7 / 8]]))
    assert out.tolist() == [[py_hash(3, 7, 2, 64), -py_hash(3, 7, 2, 64)]]
    # a dense level: chart * (R + 1)^2 + y * (R + 1) + x
    dense = HashEncoding(replace(cfg, log2_hashmap_size=10))
    assert dense.levels[0].dense and dense.vertex_slots(0, 2, 3, 7).item() == 2 * 81 + 7 * 9 + 3


def reference_collisions(res: int, n_charts: int, t: int, vertices=None) -> tuple[int, int, int]:
    """(vertices, distinct slots, vertices in shared slots) with Python sets and a Counter."""
    if vertices is None:
        vertices = [(c, x, y) for c in range(n_charts) for x in range(res + 1) for y in range(res + 1)]
    dense = n_charts * (res + 1) ** 2 <= t
    slots = [c * (res + 1) ** 2 + y * (res + 1) + x if dense else py_hash(x, y, c, t) for c, x, y in vertices]
    per_slot = Counter(slots)
    return len(vertices), len(set(slots)), sum(k for k in per_slot.values() if k > 1)


def test_collision_count_of_a_known_case():
    # resolution 4: 25 vertices into a table of 16 slots
    enc = HashEncoding(HashGridConfig(n_levels=1, base_resolution=4, table_size=16))
    (level,) = enc.collision_counts()
    n, used, colliding = reference_collisions(4, 1, 16)
    assert (level.n_vertices, level.n_slots_used, level.n_colliding) == (n, used, colliding) == (25, 8, 25)
    assert level.excess == 17 and not level.dense  # x ^ y mod 16: prime 1 on x, 2654435761 = 1 mod 16

    # two charts into 17 slots, and a level that is dense (no collisions)
    cfg = HashGridConfig(n_levels=2, base_resolution=4, per_level_scale=2.0, n_charts=2, table_size=60)
    counts = HashEncoding(cfg).collision_counts()
    assert counts[0].dense and (counts[0].n_vertices, counts[0].n_colliding, counts[0].excess) == (50, 0, 0)
    got = (counts[1].n_vertices, counts[1].n_slots_used, counts[1].n_colliding)
    assert got == reference_collisions(8, 2, 60)

    # with occupancy: only the vertices the covered texels read
    masks = [np.zeros((8, 8), bool), np.zeros((8, 8), bool)]
    masks[0][2:4, 5] = True  # rows along v, cols along u
    masks[1][7, 7] = True
    counts = HashEncoding(cfg).collision_counts(occupancy=masks)
    verts1 = [(0, x, y) for x in (5, 6) for y in (2, 3, 4)] + [(1, x, y) for x in (7, 8) for y in (7, 8)]
    got = (counts[1].n_vertices, counts[1].n_slots_used, counts[1].n_colliding)
    assert got == reference_collisions(8, 2, 60, verts1)
    assert counts[0].n_vertices == 4 + 4  # level 4: texel rows 2-3 -> cell row 1, col 5 -> cell col 2
    assert t_full(cfg, occupancy=masks) == 10  # the finest level is 8: 6 + 4 vertices


def test_level_vertex_mask_coarser_and_finer_than_the_mask():
    m = np.zeros((8, 8), bool)
    m[3, 5] = True
    verts = level_vertex_mask(m, 4)  # texel (3, 5) lies in level cell (1, 2)
    assert verts.shape == (5, 5) and set(zip(*np.nonzero(verts), strict=True)) == {
        (1, 2),
        (1, 3),
        (2, 2),
        (2, 3),
    }
    m = np.zeros((3, 3), bool)
    m[1, 1] = True  # [1/3, 2/3]^2 straddles both cells of resolution 2
    assert level_vertex_mask(m, 2).all()
    m = np.zeros((2, 2), bool)
    m[0, 0] = True  # a texel covering 2 x 2 cells of resolution 4
    verts = level_vertex_mask(m, 4)
    assert verts[:3, :3].all() and verts.sum() == 9


def test_gradients_reach_only_the_touched_slots_with_the_bilinear_weights():
    cfg = HashGridConfig(n_levels=3, base_resolution=5, per_level_scale=4.0, n_charts=2, log2_hashmap_size=9)
    enc = HashEncoding(cfg, seed=1)
    assert [lv.dense for lv in enc.levels] == [True, False, False]
    u, v, c = 21 / 64, 39 / 64, 1  # exact in float32, off the vertices of every level
    enc(torch.tensor([c]), torch.tensor([[u, v]])).sum().backward()
    grad = enc.table.grad
    expect: dict[int, float] = {}
    for info in enc.levels:
        r = info.resolution
        x0, y0 = min(math.floor(u * r), r - 1), min(math.floor(v * r), r - 1)
        fx, fy = u * r - x0, v * r - y0
        for dx, dy, w in (
            (0, 0, (1 - fx) * (1 - fy)),
            (1, 0, fx * (1 - fy)),
            (0, 1, (1 - fx) * fy),
            (1, 1, fx * fy),
        ):
            row = info.offset + int(enc.vertex_slots(info.level, c, x0 + dx, y0 + dy))
            expect[row] = expect.get(row, 0.0) + w
        level_grad = grad[info.offset : info.offset + info.table_size]
        assert torch.allclose(level_grad.sum(0), torch.ones(2), atol=1e-6)  # the weights sum to 1
    rows = torch.nonzero(grad.abs().sum(1)).flatten().tolist()
    assert sorted(rows) == sorted(expect) and len(rows) == 12
    for row, w in expect.items():
        assert torch.allclose(grad[row], torch.full((2,), w), atol=1e-6)  # both features alike


def random_queries(n: int, n_charts: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, n_charts, (n,), generator=g), torch.rand(n, 2, generator=g)


def test_resize_shrinks_the_table_keeps_dense_levels_and_beats_a_re_init():
    cfg = HashGridConfig(n_levels=6, base_resolution=4, per_level_scale=2.0, n_charts=2, log2_hashmap_size=14)
    old = HashEncoding(cfg)
    with torch.no_grad():
        old.table.normal_(generator=torch.Generator().manual_seed(0))  # a "trained" table
    before = old.table.detach().clone()
    new = resize(old, 10, seed=3)
    assert new.config.hashmap_size == 1024 and new.table.shape[0] < old.table.shape[0]
    assert torch.equal(old.table, before)  # the old encoding is left alone
    assert [lv.dense for lv in old.levels] == [True] * 5 + [False]
    assert [lv.dense for lv in new.levels] == [True] * 3 + [False] * 3

    chart, uv = random_queries(4000, 2)
    with torch.no_grad():
        y_old, y_new = old(chart, uv), new(chart, uv)
        y_re = HashEncoding(new.config, seed=3)(chart, uv)
    assert torch.equal(y_new[:, :6], y_old[:, :6])  # levels 0-2 (2 features each) unchanged
    err = ((y_new - y_old) ** 2).mean(0)
    err_re = ((y_re - y_old) ** 2).mean(0)
    # the shrunk levels: the slot means beat a re-init, by most where few vertices share a slot
    # (level 3: 2178 vertices into 1024 slots; levels 4-5: 8 and 32 a slot, little left to keep)
    assert err[6:8].mean() < 0.6 * err_re[6:8].mean() and (err[6:] < err_re[6:]).all()
    assert err.mean() < 0.5 * err_re.mean()  # overall

    # growing to T_full makes every level dense: the field comes back exactly
    grown = resize(new, table_size=t_full(cfg))
    assert all(lv.dense for lv in grown.levels)
    with torch.no_grad():
        assert torch.allclose(grown(chart, uv), y_new, atol=1e-6)


def test_resize_with_occupancy_is_exact_where_the_cloth_does_not_collide():
    cfg = HashGridConfig(n_levels=3, base_resolution=8, per_level_scale=2.0, n_charts=2, log2_hashmap_size=12)
    old = HashEncoding(cfg)
    with torch.no_grad():
        old.table.normal_(generator=torch.Generator().manual_seed(1))
    masks = [np.zeros((32, 32), bool), np.zeros((32, 32), bool)]
    masks[0][4:6, 10:12] = True
    masks[1][20, 3] = True
    new = resize(old, table_size=97, occupancy=masks)
    assert all(not lv.dense for lv in new.levels[1:])
    counts = new.collision_counts(occupancy=masks)
    assert all(lc.n_colliding == 0 for lc in counts)  # a few vertices, each alone in its slot
    g = torch.Generator().manual_seed(2)
    uv = torch.cat(
        [
            (torch.tensor([10.0, 4.0]) + 2 * torch.rand(50, 2, generator=g)) / 32,
            (torch.tensor([[3.5, 20.5]])) / 32,
        ]
    )
    chart = torch.tensor([0] * 50 + [1])
    with torch.no_grad():
        assert torch.allclose(new(chart, uv), old(chart, uv), atol=1e-6)


def test_remap_rows_carries_per_entry_state_the_way_resize_carries_the_table():
    cfg = HashGridConfig(n_levels=4, base_resolution=4, per_level_scale=2.0, n_charts=2, log2_hashmap_size=12)
    old = HashEncoding(cfg)
    with torch.no_grad():
        old.table.normal_(generator=torch.Generator().manual_seed(4))
    new = resize(old, table_size=200, seed=5)
    # the table itself: the same slot means as resize's (rows nothing reaches from the fill)
    assert torch.equal(remap_rows(old, new, old.table.detach(), fill=new.table.detach()), new.table.detach())
    # a constant (e.g. an Adam second moment of 1 everywhere) stays that constant on every
    # reached row; unreached rows get zeros, not the new table's random init
    ones = remap_rows(old, new, torch.ones_like(old.table))
    reached = ones[:, 0] > 0
    assert torch.equal(ones[reached], torch.ones_like(ones[reached]))
    assert reached.float().mean() > 0.9
    with pytest.raises(ValueError, match="do not match"):
        remap_rows(old, new, torch.ones(3, 2))


def test_configs_round_trip_through_json():
    for cfg in (
        HashGridConfig(),
        HashGridConfig(
            n_levels=8, n_features_per_level=4, table_size=3000, finest_resolution=512, n_charts=7
        ),
    ):
        back = HashGridConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
        assert back == cfg and back.resolutions() == cfg.resolutions()
    tcnn = {
        "otype": "HashGrid",
        "n_levels": 16,
        "n_features_per_level": 2,
        "log2_hashmap_size": 19,
        "base_resolution": 16,
        "per_level_scale": 1.5,
    }
    assert HashGridConfig.from_dict(tcnn) == HashGridConfig()
    with pytest.raises(ValueError):
        HashGridConfig.from_dict({"otype": "Frequency"})
    assert DenseGridConfig.from_dict(
        json.loads(json.dumps(DenseGridConfig(9, 4, 2).to_dict()))
    ) == DenseGridConfig(9, 4, 2)

    small = HashGridConfig(
        n_levels=4, base_resolution=4, finest_resolution=32, log2_hashmap_size=8, n_charts=2
    )
    chart, uv = random_queries(64, 2)
    enc = HashEncoding(small)
    enc2 = HashEncoding.from_dict(json.loads(json.dumps(enc.to_dict())))
    assert list(enc.state_dict()) == ["table"]
    enc2.load_state_dict(enc.state_dict())
    assert torch.equal(enc2(chart, uv), enc(chart, uv))
    field = HashField({"encoding": small.to_dict(), "network": {"n_neurons": 16}})
    field2 = HashField.from_dict(json.loads(json.dumps(field.to_dict())))
    field2.load_state_dict(field.state_dict())
    assert torch.equal(field2(chart, uv), field(chart, uv)) and field.out_dim == 3


def test_dense_uv_grid_matches_a_single_dense_level():
    grid = DenseUVGrid({"resolution": 6, "n_features": 3, "n_charts": 2})
    enc = HashEncoding(HashGridConfig(n_levels=1, n_features_per_level=3, base_resolution=6, n_charts=2))
    assert enc.levels[0].dense and grid.table.shape == enc.table.shape == (98, 3)
    with torch.no_grad():
        grid.table.normal_()
        enc.table.copy_(grid.table)
    chart, uv = random_queries(200, 2)
    assert torch.allclose(grid(chart, uv), enc(chart, uv), atol=1e-6) and grid.out_dim == 3
    zero = DenseUVGrid(DenseGridConfig(4, 3, 1), zero=True)
    assert torch.count_nonzero(zero(torch.zeros(5, dtype=torch.long), torch.rand(5, 2))) == 0
    field = HashField({"encoding": grid.to_dict()})  # the MLP on the dense grid baseline
    assert isinstance(field.encoding, DenseUVGrid) and field(chart, uv).shape == (200, 3)


def test_hash_field_fits_a_sine_pattern():
    torch.manual_seed(0)
    cfg = {
        "encoding": HashGridConfig(
            n_levels=4, base_resolution=4, finest_resolution=32, log2_hashmap_size=10, n_charts=2
        ).to_dict(),
        "network": {"n_neurons": 32, "n_hidden_layers": 2, "out_dim": 3},
    }
    field = HashField(cfg)

    def target(chart, uv):
        s = torch.sin(2 * math.pi * uv[:, 0]) * torch.cos(2 * math.pi * uv[:, 1])
        return torch.stack([s, (1 - 2 * chart.float()) * s, 0.5 * torch.sin(4 * math.pi * uv[:, 0])], dim=1)

    opt = torch.optim.Adam(field.parameters(), lr=1e-2)
    for step in range(300):
        chart, uv = random_queries(512, 2, seed=step + 10)
        loss = ((field(chart, uv) - target(chart, uv)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    chart, uv = random_queries(2000, 2, seed=1)
    with torch.no_grad():
        y = target(chart, uv)
        mse = ((field(chart, uv) - y) ** 2).mean()
    assert mse < 0.01 * y.var()
