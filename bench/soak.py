#!/usr/bin/env python3
"""Soak: many refines in one bpy session, alternating garment sizes, runners and cancels, with
the resident memory and the datablock counts followed from refine to refine.

    python bench/soak.py [--refines 200] [--warmup 20] [--out bench/results/soak.json]

Each round refines one of two garments (the skirt's box mesh at 4 cm and the dress's at
3 cm, both upsampled to the model's edge): the synchronous operator, a worker job driven to
its end (thread or subprocess runner), or a worker job cancelled after its first progress
report. Target: resident memory after the warm-up grows by less than 5%, and every round ends
with the same datablocks as the first (no leaks), the cancelled ones with the scene unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--refines", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "soak.json"))
    args = ap.parse_args(argv)
    os.environ.setdefault("BLENDER_USER_RESOURCES", str(Path("/tmp") / f"soak_user_{os.getpid()}"))
    from _bootstrap import load_extension

    ext = load_extension()
    import bpy

    from core.boxmesh import build_box_mesh
    from core.pattern import load_pattern

    scene_io = import_module(f"{ext.__name__}.operators.scene_io")
    refine_job = import_module(f"{ext.__name__}.operators.refine_job")
    scene_state = import_module(f"{ext.__name__}.operators.scene_state")
    bpy.ops.wm.read_homefile(use_empty=True)
    objs = []
    for name, edge in (("skirt", 4.0), ("dress", 3.0)):
        pattern = load_pattern(ROOT / "presets" / "patterns" / f"{name}.json")
        objs.append(scene_io.garment_to_object(build_box_mesh(pattern, edge), name, pattern, stage="base"))

    def select(obj):
        for o in bpy.context.view_layer.objects:
            o.select_set(o == obj)
        bpy.context.view_layer.objects.active = obj

    def drive(job, cancel: bool) -> str:
        t0 = time.perf_counter()
        while not job.step().finished:
            if cancel and job.fraction > 0.0:
                job.cancel()
                cancel = False
            if time.perf_counter() - t0 > 300:
                raise RuntimeError("a job did not end in 300 s")
            time.sleep(0.01)
        return job.state.value

    rows, counts0 = [], None
    modes = ("sync", "thread", "subprocess", "cancel")
    t_start = time.perf_counter()
    for i in range(args.refines):
        obj = objs[i % 2]
        mode = modes[(i // 2) % len(modes)]
        select(obj)
        bpy.context.scene.garment.refine_seed = i
        t0 = time.perf_counter()
        before = scene_state.scene_digest()
        if mode == "sync":
            state = "done" if bpy.ops.garment.refine() == {"FINISHED"} else "failed"
        else:
            runner = "thread" if mode == "thread" else "subprocess"
            job = refine_job.RefineJob(bpy.context, obj, runner).start()
            state = drive(job, cancel=mode == "cancel")
            if state == "done":
                job.finish(bpy.context)
        digest = scene_state.scene_digest()
        unchanged = digest == before
        counts = digest["counts"]
        if i == 1:  # both garments refined once: each has its shape keys from here on
            counts0 = counts
        rows.append(
            {
                "round": i,
                "garment": obj.name,
                "mode": mode,
                "state": state,
                "seconds": time.perf_counter() - t0,
                "rss_mib": rss_mib(),
                "counts_same": counts0 is None or counts == counts0,
                "cancel_left_scene_unchanged": unchanged if state == "cancelled" else None,
            }
        )
        if (i + 1) % 20 == 0:
            print(f"  {i + 1}/{args.refines}: rss {rows[-1]['rss_mib']:.0f} MiB, {mode} {state}", flush=True)
    warm = rows[args.warmup - 1]["rss_mib"] if args.refines >= args.warmup else rows[0]["rss_mib"]
    growth = (rows[-1]["rss_mib"] - warm) / warm
    states: dict[str, int] = {}
    for r in rows:
        states[f"{r['mode']}:{r['state']}"] = states.get(f"{r['mode']}:{r['state']}", 0) + 1
    cancels = [r["cancel_left_scene_unchanged"] for r in rows if r["state"] == "cancelled"]
    summary = {
        "command": " ".join(["python", "bench/soak.py", *(argv or sys.argv[1:])]),
        "refines": args.refines,
        "warmup": args.warmup,
        "rss_after_warmup_mib": warm,
        "rss_end_mib": rows[-1]["rss_mib"],
        "rss_peak_mib": max(r["rss_mib"] for r in rows),
        "rss_growth_after_warmup": growth,
        "target_growth": 0.05,
        "datablocks_constant": all(r["counts_same"] for r in rows),
        "cancels": len(cancels),
        "cancels_left_scene_unchanged": sum(bool(c) for c in cancels),
        "states": states,
        "seconds": time.perf_counter() - t_start,
        "rows": rows,
    }
    print(
        f"\n{'refines':>8}{'rss warm MiB':>14}{'rss end MiB':>13}{'growth':>9}"
        f"{'datablocks':>12}{'cancels ok':>12}"
        f"\n{args.refines:>8}{warm:>14.0f}{rows[-1]['rss_mib']:>13.0f}{growth:>9.1%}"
        f"{'constant' if summary['datablocks_constant'] else 'LEAK':>12}"
        f"{summary['cancels_left_scene_unchanged']:>6}/{len(cancels):<5}"
    )
    print("states:", states)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=1))
    print(f"wrote {out}")
    ok = (
        growth < 0.05
        and summary["datablocks_constant"]
        and len(cancels) == summary["cancels_left_scene_unchanged"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
