#!/usr/bin/env python3
"""Generate coarse/fine drape pairs: procedural patterns on a mannequin, draped by Blender's cloth.

    python scripts/make_dataset.py --out DIR --count N --seed S [--families tshirt,skirt,...]
        [--materials soft,mid,stiff] [--shard i/N] [--workers K] [--frames F] [--fine-frames F]
        [--settle-frames F]
        [--fine-edge CM] [--coarse-factor X] [--fine-start coarse|pattern] [--start wrap|box] [--substeps N]
        [--no-self-collision] [--val-share 0.1] [--test-share 0.2] [--engine blender|newton]

Every sample gets a coarse drape (at fine edge x coarse factor), a fine drape (the target,
self-collision on, started from the coarse drape unless --fine-start box) and a low-pass
coarse mesh (sim/generate.py). Resumable: finished samples (ok or rejected) are skipped,
each sample folder is written atomically, and DIR/manifest.json lists every planned sample
with its status and timings.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import as_completed
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.dataset import (  # noqa: E402
    in_shard,
    is_done,
    parse_shard,
    plan_samples,
    read_meta,
    write_manifest,
    write_sample,
)
from core.garments import FAMILIES  # noqa: E402
from sim.generate import GenerationConfig, fresh_process_pool  # noqa: E402

MATERIALS = ("soft", "mid", "stiff")


def run_one(root: str, spec, cfg: GenerationConfig) -> dict:
    """Generate and write one sample (in a worker process); returns its meta."""
    os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="garment_bl_"))
    from sim.generate import generate_sample

    try:
        meta, pattern, arrays = generate_sample(spec, cfg)
    except Exception as err:  # a crash in one sample must not stop the batch; it is counted
        meta, pattern, arrays = (
            {"id": spec.sample_id, "status": f"error: {type(err).__name__}: {err}"},
            None,
            None,
        )
    write_sample(Path(root), spec, meta, pattern, arrays)
    return meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="dataset folder")
    ap.add_argument("--count", type=int, required=True, help="number of planned samples")
    ap.add_argument("--seed", type=int, default=0, help="base seed of the designs")
    ap.add_argument("--families", default=",".join(FAMILIES), help=f"comma list of {', '.join(FAMILIES)}")
    ap.add_argument("--materials", default=",".join(MATERIALS), help="comma list of soft, mid, stiff")
    ap.add_argument("--shard", default=None, help="i/N: only samples with index %% N == i")
    ap.add_argument("--workers", type=int, default=1, help="parallel processes (one Blender each)")
    ap.add_argument(
        "--frames", type=int, default=GenerationConfig.frames, help="frames of a drape from the box mesh"
    )
    ap.add_argument(
        "--fine-frames",
        type=int,
        default=GenerationConfig.fine_frames,
        help="frames of the fine drape from the coarse one",
    )
    ap.add_argument(
        "--settle-frames",
        type=int,
        default=GenerationConfig.settle_frames,
        help="at most this many more frames for a drape not settled by then",
    )
    ap.add_argument("--fine-edge", type=float, default=GenerationConfig.fine_edge_cm, help="cm")
    ap.add_argument("--coarse-factor", type=float, default=GenerationConfig.coarse_factor)
    ap.add_argument(
        "--fine-start",
        default=GenerationConfig.fine_start,
        choices=("coarse", "pattern"),
        help="the fine drape starts from the coarse drape or from the pattern",
    )
    ap.add_argument(
        "--start",
        default=GenerationConfig.start,
        choices=("wrap", "box"),
        help="drapes from the pattern start with the panels rolled around the body, or flat",
    )
    ap.add_argument(
        "--substeps", type=int, default=GenerationConfig.substeps, help="cloth solver steps per frame"
    )
    ap.add_argument("--no-self-collision", action="store_true", help="no self-collision in the fine drape")
    ap.add_argument("--val-share", type=float, default=0.1, help="share of designs in the validation split")
    ap.add_argument("--test-share", type=float, default=0.2, help="share of designs in the test split")
    ap.add_argument("--engine", default="blender", choices=("blender", "newton"))
    args = ap.parse_args(argv)

    families = [f for f in args.families.split(",") if f]
    materials = [m for m in args.materials.split(",") if m]
    bad = [f for f in families if f not in FAMILIES] + [m for m in materials if m not in MATERIALS]
    if bad or args.count < 1:
        ap.error(f"unknown families/materials {bad}" if bad else "--count must be >= 1")
    if not (args.val_share >= 0 and args.test_share >= 0 and args.val_share + args.test_share < 1):
        ap.error("--val-share and --test-share must be >= 0 and add up to less than 1")
    try:
        shard = parse_shard(args.shard)
    except ValueError as err:
        ap.error(str(err))
    cfg = GenerationConfig(
        fine_edge_cm=args.fine_edge,
        coarse_factor=args.coarse_factor,
        frames=args.frames,
        fine_frames=args.fine_frames,
        settle_frames=args.settle_frames,
        substeps=args.substeps,
        fine_self_collision=not args.no_self_collision,
        fine_start=args.fine_start,
        start=args.start,
        engine=args.engine,
    )
    root = Path(args.out)
    root.mkdir(parents=True, exist_ok=True)
    specs = plan_samples(args.count, args.seed, families, materials, args.val_share, args.test_share)
    mine = [s for s in specs if in_shard(s, shard)]
    todo = [s for s in mine if not is_done(root, s)]
    command = "python scripts/make_dataset.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    config = {
        **asdict(cfg),
        "families": families,
        "materials": materials,
        "seed": args.seed,
        "val_share": args.val_share,
        "test_share": args.test_share,
    }
    write_manifest(root, specs, command, config)
    print(f"{len(mine)} samples in this shard, {len(mine) - len(todo)} already done, {len(todo)} to make")

    from tqdm import tqdm

    counts: Counter = Counter()
    t0 = time.perf_counter()
    bar = tqdm(total=len(todo), unit="sample", dynamic_ncols=True)

    def done(meta: dict) -> None:
        counts["ok" if meta["status"] == "ok" else "rejected"] += 1
        bar.update(1)
        bar.set_postfix(ok=counts["ok"], rejected=counts["rejected"])
        write_manifest(root, specs, command, config)

    with fresh_process_pool(args.workers) as pool:  # one new process per sample, whatever --workers
        futures = [pool.submit(run_one, str(root), s, cfg) for s in todo]
        for fut in as_completed(futures):
            done(fut.result())
    bar.close()
    manifest = write_manifest(root, specs, command, config)
    summary = manifest["summary"]
    print(
        f"done in {time.perf_counter() - t0:.0f} s: {summary['ok']} ok, {summary['rejected']} rejected, "
        f"{summary['pending']} pending (other shards)"
    )
    reasons = Counter()
    for s in mine:
        meta = read_meta(root, s)
        if meta and meta["status"] != "ok":
            reasons[meta["status"]] += 1
    for reason, n in reasons.most_common():
        print(f"  {n:4d} x {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
