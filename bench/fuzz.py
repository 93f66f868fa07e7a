#!/usr/bin/env python3
"""The long fuzz run: every entry point fed mutated real inputs, in worker processes that a
case cannot take down with it, with 0 crashes, 0 hangs and peak memory <= 4 GB as the targets.

    python bench/fuzz.py [--cases pattern_json=10000,pattern_svg=10000,mesh=10000,model=10000,
        refine=1000,cli_refine=1000,cli_check_pattern=1000,cli_batch=1000] [--targets a,b]
        [--seed 0] [--time-limit 30] [--memory-gb 4] [--jobs 2] [--out bench/results/fuzz.json]

Each target runs in a child process (``--worker``) under RLIMIT_DATA = ``--memory-gb``: an
allocation past it is a MemoryError the child reports (a ``memory`` failure), not the machine's
OOM killer. A child that dies or stops answering is restarted after the case it was on, which
is counted as a crash (or a hang). Prints a table (cases, outcomes, share past parsing, peak
memory, the crash sites) and writes JSON with every failure's case, seed and site.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import queue
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fuzz.targets import TIME_LIMITS  # noqa: E402

DEFAULT_CASES = {
    "pattern_json": 10_000,
    "pattern_svg": 10_000,
    "mesh": 10_000,
    "model": 10_000,
    "refine": 1_000,
    "cli_refine": 1_000,
    "cli_check_pattern": 1_000,
    "cli_batch": 1_000,
    "cli_evaluate": 1_000,
    "cli_train": 1_000,
}
CASES_PER_WORKER = 1000  # a fresh child after this many: a case's memory, not the allocator's history
PARSING = {"start", "parse", "load", "run", "input"}  # stages that are still parsing


def case_seed(seed: int, target: str, index: int) -> int:
    """The seed of one case: a case is re-run alone from (seed, index)."""
    return (seed * 1_000_003 + index) & 0xFFFFFFFF


def worker(target: str, first: int, count: int, seed: int, time_limit: float, memory_gb: float) -> None:
    """Run cases ``first..first+count-1`` of ``target``; one JSON line per case on stdout,
    with a ``begin`` line before each so the parent knows which case a dead child was on."""
    import random

    limit = int(memory_gb * (1 << 30))
    resource.setrlimit(resource.RLIMIT_DATA, (limit, resource.RLIM_INFINITY))
    from fuzz.runner import run_case
    from fuzz.targets import TARGETS

    workdir = Path(tempfile.mkdtemp(prefix=f"fuzz_{target}_"))
    try:
        for index in range(first, first + min(count, CASES_PER_WORKER)):
            print(json.dumps({"begin": index}), flush=True)
            case_dir = workdir / f"c{index}"
            case_dir.mkdir()
            rng = random.Random(case_seed(seed, target, index))
            try:
                case = TARGETS[target](index, rng, case_dir)
            except MemoryError:
                print(
                    json.dumps({"index": index, "kind": "skipped", "detail": "generator MemoryError"}),
                    flush=True,
                )
                continue
            o = run_case(case, time_limit)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB
            row = {**o.__dict__, "ops": [str(x)[:120] for x in o.ops], "peak_mib": rss}
            print(json.dumps(row), flush=True)
            shutil.rmtree(case_dir, ignore_errors=True)  # the folder this loop made, nothing else
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _lines_or_stuck(proc: subprocess.Popen, timeout: float):
    """The child's stdout lines, then ``None`` once it has said nothing for ``timeout`` s."""
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put("")  # end of output

    threading.Thread(target=pump, daemon=True).start()
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            yield None
            return
        if line == "":
            return
        yield line


def run_target(target: str, count: int, seed: int, time_limit: float, memory_gb: float) -> list[dict]:
    rows: list[dict] = []
    next_index = 0
    t0 = time.perf_counter()
    while next_index < count:
        cmd = [sys.executable, __file__, "--worker", target, str(next_index), str(count - next_index)]
        cmd += ["--seed", str(seed), "--time-limit", str(time_limit), "--memory-gb", str(memory_gb)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
        current = None
        stuck = False
        for line in _lines_or_stuck(proc, 2 * time_limit + 60):
            if line is None:  # the case's own alarm cannot fire inside a C loop: kill the child
                stuck = True
                proc.kill()
                break
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a library printing to stdout
            if "begin" in row:
                current = row["begin"]
                continue
            rows.append(row)
            next_index = row["index"] + 1
            done = len(rows)
            if done % 200 == 0:
                rate = done / (time.perf_counter() - t0)
                print(f"  {target}: {done}/{count} ({rate:.1f} cases/s)", flush=True)
        proc.wait()
        if stuck and current is not None:
            rows.append(
                {
                    "index": current,
                    "target": target,
                    "kind": "hang",
                    "stage": "?",
                    "detail": f"no answer for {2 * time_limit + 60:g} s (killed)",
                    "site": "process",
                    "ops": [],
                }
            )
            next_index = current + 1
        elif proc.returncode != 0 and current is not None and next_index <= current:
            # the child died on ``current`` (killed, aborted by a C library): a crash, carry on after it
            rows.append(
                {
                    "index": current,
                    "target": target,
                    "kind": "crash",
                    "stage": "?",
                    "detail": f"worker died (exit {proc.returncode})",
                    "site": "process",
                    "ops": [],
                }
            )
            next_index = current + 1
        elif proc.returncode != 0 or next_index <= (current if current is not None else -1):
            break
    return rows


def summarise(target: str, rows: list[dict], seconds: float) -> dict:
    kinds = collections.Counter(r["kind"] for r in rows)
    past = sum(1 for r in rows if r.get("stage") not in PARSING and r["kind"] != "skipped")
    fails = [r for r in rows if r["kind"] in ("vague", "crash", "hang", "memory")]
    sites = collections.Counter(f"{r['kind']} {r.get('site', '')} {r.get('detail', '')[:80]}" for r in fails)
    return {
        "target": target,
        "cases": len(rows),
        "outcomes": dict(kinds),
        "past_parsing": past / max(len(rows), 1),
        "failures": len(fails),
        "peak_mib": max((r.get("peak_mib", 0) for r in rows), default=0),
        "seconds": seconds,
        "sites": dict(sites.most_common(20)),
        "failed_cases": [
            {k: r.get(k) for k in ("index", "kind", "site", "detail", "ops")} for r in fails[:50]
        ],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", nargs=3, metavar=("TARGET", "FIRST", "COUNT"), help=argparse.SUPPRESS)
    ap.add_argument("--cases", default="", help="target=count,... (default: the issue's counts)")
    ap.add_argument("--targets", default="", help="only these targets (comma-separated)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=30.0, help="seconds a case may take")
    ap.add_argument("--memory-gb", type=float, default=4.0)
    ap.add_argument("--jobs", type=int, default=1, help="targets run side by side")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "fuzz.json"))
    args = ap.parse_args(argv)
    if args.worker:
        target, first, count = args.worker
        worker(target, int(first), int(count), args.seed, args.time_limit, args.memory_gb)
        return 0
    cases = dict(DEFAULT_CASES)
    for item in filter(None, args.cases.split(",")):
        name, _, n = item.partition("=")
        cases[name.strip()] = int(n)
    if args.targets:
        cases = {k: v for k, v in cases.items() if k in args.targets.split(",")}

    def one(item: tuple[str, int]) -> dict:
        target, count = item
        print(f"{target}: {count} cases", flush=True)
        t0 = time.perf_counter()
        limit = max(args.time_limit, TIME_LIMITS.get(target, 0.0))
        rows = run_target(target, count, args.seed, limit, args.memory_gb)
        return summarise(target, rows, time.perf_counter() - t0)

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:  # each target in its own child process
        results = list(pool.map(one, cases.items()))
    header = f"{'target':<18}{'cases':>7}{'ok':>7}{'error':>7}{'usage':>7}{'fail':>6}"
    header += f"{'past parse':>11}{'peak MiB':>10}{'s':>8}"
    print("\n" + header)
    for r in results:
        o = r["outcomes"]
        print(
            f"{r['target']:<18}{r['cases']:>7}{o.get('ok', 0):>7}{o.get('error', 0):>7}{o.get('usage', 0):>7}"
            f"{r['failures']:>6}{r['past_parsing']:>11.0%}{r['peak_mib']:>10.0f}{r['seconds']:>8.0f}"
        )
        for site, n in r["sites"].items():
            print(f"    {n:>5} x {site}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(
            {
                "seed": args.seed,
                "time_limit_s": args.time_limit,
                "memory_gb": args.memory_gb,
                "command": " ".join(sys.argv),
                "targets": results,
            },
            indent=1,
        )
    )
    os.replace(tmp, out)
    print(f"wrote {out}")
    return 1 if any(r["failures"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
