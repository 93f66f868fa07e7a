#!/usr/bin/env python3
"""Which job runner keeps Blender's main thread free: the largest gap of a 10 ms loop on the
main thread while a worker refines a 68k-vertex garment, thread against subprocess, side by side
in one run (and the synchronous call, which blocks for the whole refine, as the reference).

    python bench/worker_gap.py [--vertices 68000] [--repeats 2] [--model models/refiner.json]
        [--data data/drapes_v2] [--out bench/results/worker_gap.json]

The main loop does what Blender's timer does: poll the runner, sleep 10 ms. A gap is the time
between two loop iterations; 10 ms is a free main thread. Also: the refine's wall time under each
runner and, per runner, the time from a cancel (after the first progress report) to the job's end.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TICK_S = 0.010


def main_loop(runner, request, cancel_after_first: bool = False) -> dict:
    t0 = time.perf_counter()
    runner.start(request)
    started = time.perf_counter()
    gaps, last, t_cancel = [], started, None
    while not runner.state.finished:
        events = runner.poll()
        if cancel_after_first and t_cancel is None and any(e.kind == "progress" for e in events):
            t_cancel = time.perf_counter()
            runner.cancel()
        time.sleep(TICK_S)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
    runner.poll()
    end = time.perf_counter()
    g = np.asarray(gaps) if gaps else np.asarray([started - t0])
    return {
        "state": runner.state.value,
        "wall_s": end - t0,
        "start_call_s": started - t0,  # the synchronous runner does all its work inside start()
        "max_gap_ms": 1000 * max(float(g.max()), started - t0),
        "p99_gap_ms": 1000 * float(np.percentile(g, 99)),
        "mean_gap_ms": 1000 * float(g.mean()),
        "ticks": len(gaps),
        "cancel_to_end_s": (end - t_cancel) if t_cancel is not None else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vertices", type=int, default=68000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--model", default=str(ROOT / "models" / "refiner.json"))
    ap.add_argument("--data", default=str(ROOT / "data" / "drapes_v2"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "worker_gap.json"))
    args = ap.parse_args(argv)

    from refine_bench import NO_UPSAMPLING, make_base

    from core.jobs import RUNNERS, RefineRequest
    from core.pipeline import read_pattern_file
    from core.refiner.files import read_base
    from core.refiner.refine import RefineOptions

    with tempfile.TemporaryDirectory() as tmp:
        base_path = Path(tmp) / "base.ply"
        info = make_base(Path(args.data), args.vertices, base_path)
        inp = read_base(base_path, read_pattern_file(Path(info["pattern"])))
        request = RefineRequest.from_input(
            args.model, inp, RefineOptions(edge_length=NO_UPSAMPLING, device="cpu")
        )
        rows = []
        RUNNERS["thread"]().start(request)  # warm: the thread runner's model stays loaded in this process
        time.sleep(0.1)
        for rep in range(args.repeats):
            for name in ("sync", "thread", "subprocess"):
                r = main_loop(RUNNERS[name](), request)
                rows.append({"runner": name, "repeat": rep, **r})
                print(
                    f"{name:10s} rep {rep}: wall {r['wall_s']:.2f} s, largest gap {r['max_gap_ms']:.0f} ms",
                    flush=True,
                )
        for name in ("thread", "subprocess"):
            r = main_loop(RUNNERS[name](), request, cancel_after_first=True)
            rows.append({"runner": name, "repeat": "cancel", **r})
    summary = {}
    for name in ("sync", "thread", "subprocess"):
        rr = [r for r in rows if r["runner"] == name and r["repeat"] != "cancel"]
        cc = [r for r in rows if r["runner"] == name and r["repeat"] == "cancel"]
        summary[name] = {
            "wall_s": float(np.median([r["wall_s"] for r in rr])),
            "max_gap_ms": float(max(r["max_gap_ms"] for r in rr)),
            "p99_gap_ms": float(np.median([r["p99_gap_ms"] for r in rr])),
            "cancel_to_end_s": cc[0]["cancel_to_end_s"] if cc else None,
        }
    model = Path(args.model).name
    print(f"\n{info['vertices']:,} vertices ({info['sample']}), model {model}, tick {TICK_S * 1000:.0f} ms\n")
    print("| runner | refine wall (s) | largest main-thread gap (ms) | p99 gap (ms) | cancel -> end (s) |")
    print("|---|---|---|---|---|")
    for name, s in summary.items():
        c = f"{s['cancel_to_end_s']:.2f}" if s["cancel_to_end_s"] is not None else "-"
        print(f"| {name} | {s['wall_s']:.2f} | {s['max_gap_ms']:.0f} | {s['p99_gap_ms']:.1f} | {c} |")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    command = "bench/worker_gap.py " + " ".join(argv if argv is not None else sys.argv[1:])
    out.write_text(
        json.dumps({"command": command.strip(), "base": info, "summary": summary, "rows": rows}, indent=1)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
