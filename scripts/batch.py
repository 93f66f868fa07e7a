#!/usr/bin/env python3
"""Batches of procedural garment assets: designs x refiner seeds, each variant draped (shared by
its design), refined, saved and optionally rendered, every one recorded in DIR/manifest.json.

    python scripts/batch.py --out DIR (--patterns A.json B.json ... | --family F --count K) --seeds N
        [--param name=a:b ...] [--render] [--glb] [--shard i/N] [--ray auto|ADDRESS] [--workers W]
        [--material m] [--steps K] [--strength s] [--model M] [--frames F]
    blender -b -P scripts/batch.py --python-exit-code 1 -- (same arguments)

``--family F --count K`` draws K designs of a family (design parameters sampled in their ranges,
narrowed with ``--param name=a:b``); ``--seeds N`` makes N refiner variants of each design, all
from that design's one drape. Per variant: DIR/variants/<id>/ holds refined.blend, refined.obj
(refined.glb, render/), refine.json and entry.json (status, inputs, seed, settings, outputs,
timings); DIR/designs/<id>/ the pattern and its drape. A failing variant is recorded and the batch
goes on; re-running skips finished variants; outputs are written atomically; ``--shard i/N``
keeps every N-th design; ``--ray`` runs drapes and variants as Ray tasks through the same
functions (scripts/batch_worker.py). Exit code 1 when any variant failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bootstrap import ROOT, script_args

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="batch.py", description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="the batch folder (manifest.json, designs/, variants/)")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--patterns", nargs="+", help="pattern files (GarmentCode JSON or SVG)")
    src.add_argument("--family", help="draw designs of this family (tshirt, skirt, dress, trousers)")
    ap.add_argument("--count", type=int, default=1, help="designs to draw of --family")
    ap.add_argument("--first-seed", type=int, default=0, help="design seed of the first drawn design")
    ap.add_argument("--param", action="append", default=[], help="narrow a design parameter: name=a:b")
    ap.add_argument("--seeds", type=int, default=1, help="refiner variants per design")
    ap.add_argument("--render", action="store_true", help="render each variant (teaser still + before/after)")
    ap.add_argument("--resolution", type=int, default=256)
    ap.add_argument("--glb", action="store_true", help="also export GLB")
    ap.add_argument("--shard", default=None, help="i/N: this process's share of the designs")
    ap.add_argument("--ray", default=None, metavar="auto|ADDRESS", help="run as Ray tasks")
    ap.add_argument("--workers", type=int, default=None, help="CPUs of a local Ray cluster (default: all)")
    ap.add_argument("--material", choices=("soft", "mid", "stiff"), default=None)
    ap.add_argument("--steps", type=int, default=0, help="denoising steps (0: the model's)")
    ap.add_argument("--strength", type=float, default=1.0)
    ap.add_argument("--model", default=None, help="refiner model JSON (default: the bundled one)")
    ap.add_argument("--frames", type=int, default=0, help="drape frames (0: the dataset's coarse drape)")
    return ap.parse_args(argv)


def run_local(plan, todo, root: Path, settings: dict, record) -> None:
    import batch_worker

    by_design: dict[str, list] = {}
    for v in todo:
        by_design.setdefault(v.design, []).append(v)
    for did, variants in by_design.items():
        dres = batch_worker.drape_design(plan.design(did).to_json(), str(root), settings)
        for v in variants:
            record(batch_worker.refine_variant(v.__dict__, dres, str(root), settings))


def run_ray(plan, todo, root: Path, settings: dict, record, address: str, workers: int | None) -> None:
    import ray

    env = {
        "PYTHONPATH": os.pathsep.join([str(ROOT / "scripts"), str(ROOT), os.environ.get("PYTHONPATH", "")])
    }
    for k in ("BLENDER_USER_RESOURCES",):
        if k in os.environ:
            env[k] = os.environ[k]
    runtime_env = {"env_vars": env}
    if address == "auto":
        try:
            ray.init(address="auto", runtime_env=runtime_env, log_to_driver=False)
        except ConnectionError:  # no running cluster: a local one on this machine
            ray.init(num_cpus=workers, runtime_env=runtime_env, log_to_driver=False, include_dashboard=False)
    else:
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
    import batch_worker

    drape = ray.remote(num_cpus=1, max_retries=0)(batch_worker.drape_design)
    refine = ray.remote(num_cpus=1, max_retries=0)(batch_worker.refine_variant)
    drapes = {}
    pending = {}
    for v in todo:
        if v.design not in drapes:
            drapes[v.design] = drape.remote(plan.design(v.design).to_json(), str(root), settings)
        pending[refine.remote(v.__dict__, drapes[v.design], str(root), settings)] = v
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            v = pending.pop(done[0])
            try:
                record(ray.get(done[0]))
            except ray.exceptions.RayError as err:  # a worker that died or raised
                record({"id": v.id, "design": v.design, "seed": v.seed, "status": f"failed: {err}"[:500]})
    finally:
        ray.shutdown()


def main(argv: list[str] | None = None) -> int:
    args = parse(script_args() if argv is None else argv)
    from core.batch import Manifest, parse_ranges, parse_shard, plan_batch

    try:
        ranges = parse_ranges(args.param)
        plan = plan_batch(args.seeds, args.patterns, args.family, args.count, ranges, args.first_seed)
        if args.family:
            from core.garments import FAMILIES
            from core.garments.base import check_ranges

            if args.family not in FAMILIES:
                raise ValueError(f"unknown family {args.family!r}, expected one of {sorted(FAMILIES)}")
            check_ranges(FAMILIES[args.family], ranges)
        if args.shard:
            plan = plan.shard(*parse_shard(args.shard))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    root = Path(args.out).resolve()
    try:
        root.mkdir(parents=True, exist_ok=True)
        if not os.access(root, os.W_OK):
            raise PermissionError(f"{root} is not writable")
    except OSError as err:
        print(f"error: --out {args.out}: cannot make the batch folder: {err}", file=sys.stderr)
        return 1
    from core.outputs import remove_partial_files

    if stale := remove_partial_files(root):
        print(f"removed {len(stale)} partial file(s) a killed run left")
    settings = {
        "material": args.material,
        "steps": args.steps,
        "strength": args.strength,
        "model": str(Path(args.model).resolve()) if args.model else None,
        "frames": args.frames,
        "render": args.render,
        "resolution": args.resolution,
        "glb": args.glb,
    }
    header = {
        "batch": {"designs": [d.to_json() for d in plan.designs], "seeds": args.seeds, "settings": settings}
    }
    manifest = Manifest(root, header)
    planned = [v.id for v in plan.variants]
    todo = [v for v in plan.variants if not manifest.is_done(v.id)]
    done = len(planned) - len(todo)
    print(f"{len(planned)} variants of {len(plan.designs)} designs: {done} done, {len(todo)} to do")
    manifest.write(planned)
    t0, n = time.perf_counter(), [0]

    def record(entry: dict) -> None:
        manifest.write_entry(entry)
        manifest.write(planned)
        n[0] += 1
        dt = time.perf_counter() - t0
        print(f"[{n[0]}/{len(todo)}] {entry['id']}: {entry['status']} ({dt:.0f} s)", flush=True)

    try:
        if args.ray:
            run_ray(plan, todo, root, settings, record, args.ray, args.workers)
        else:
            run_local(plan, todo, root, settings, record)
    except KeyboardInterrupt:
        doc = manifest.write(planned)
        print(f"interrupted: {doc['counts']} (re-run to resume)", file=sys.stderr)
        return 130
    doc = manifest.write(planned)
    failed = doc["counts"].get("failed", 0)
    print(f"{root / 'manifest.json'}: {doc['counts']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
