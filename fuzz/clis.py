"""CLI arguments under fuzz: each script's ``main(argv)`` with flags drawn from its own options
and values drawn from real files, missing paths and hostile numbers and strings. Each call
runs with the case's own folder as the working directory, so a relative path lands there."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import os
import random
import sys
from pathlib import Path

from .runner import Case, Stage

ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def script(name: str):
    """The module of ``scripts/<name>.py`` (imported once, like ``python scripts/<name>.py``)."""
    if str(ROOT / "scripts") not in sys.path:
        sys.path.insert(0, str(ROOT / "scripts"))
    spec = importlib.util.spec_from_file_location(f"fuzz_cli_{name}", ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NUMBERS = ("0", "-1", "1", "3", "1e9", "nan", "inf", "-inf", "1.5", "abc", "", "9" * 40)
JUNK = ("", "-", "--", "../x", "x" * 300, "\u00e9\u00e8", "a=b:c")


def _values(rng: random.Random, case_dir: Path) -> dict[str, str]:
    """One value of each generic kind for this case; paths inside ``case_dir``."""
    outs = ("out.obj", "out.ply", "out.glb", "out.txt", "sub/out.obj", "out")
    return {
        "missing": str(case_dir / "nowhere" / "x.json"),
        "dir": str(case_dir),
        "out": str(case_dir / rng.choice(outs)),
        "report": str(case_dir / rng.choice(("report.json", "sub/report.json"))),
        "number": rng.choice(NUMBERS),
        "junk": rng.choice(JUNK),
    }


# flag -> value kinds (a kind names a list of real files, a generic value, or itself); None: a switch
CLIS: dict[str, dict[str, tuple[str, ...] | None]] = {
    "refine": {
        "--base-mesh": ("mesh", "mesh", "pattern", "missing", "dir", "junk"),
        "--pattern": ("pattern", "pattern", "mesh", "missing", "junk"),
        "--out": ("out", "out", "dir", "junk"),
        "--report": ("out", "missing", "dir"),
        "--seed": ("number",),
        "--steps": ("1", "1", "number"),
        "--strength": ("number", "1"),
        "--material": ("soft", "mid", "stiff", "junk"),
        "--edge-length": ("number", "2"),
        "--device": ("cpu", "cuda", "auto", "junk"),
        "--model": ("model", "missing", "mesh", "junk"),
        "--scale": ("number", "1"),
        "--nuvo-iterations": ("3", "number"),
    },
    "check_pattern": {
        "": ("pattern", "pattern", "mesh", "missing", "dir", "junk"),
        "--report": ("out", "dir", "missing"),
        "--boxmesh": ("out", "dir"),
        "--edge-length": ("number", "2", "3"),
        "--mesh": ("mesh", "missing", "pattern"),
        "--length-tol": ("number",),
        "--gap-tol": ("number",),
    },
    "batch": {  # patterns that fail and families that do not exist: no case drapes for a minute
        "--out": ("dir", "out", "junk"),
        "--patterns": ("broken", "missing", "junk"),
        "--family": ("velvet", "junk", "number"),
        "--count": ("number",),
        "--first-seed": ("number",),
        "--param": ("junk", "waist=1:2", "length=nan:1", "x=3:1"),
        "--seeds": ("number",),
        "--shard": ("0/2", "3/2", "junk", "1/0", "number"),
        "--material": ("soft", "junk"),
        "--steps": ("number",),
        "--strength": ("number",),
        "--model": ("model", "missing"),
        "--resolution": ("number",),
        "--frames": ("number",),
        "--glb": None,
    },
    "evaluate": {
        "--refined": ("mesh", "mesh", "missing", "pattern", "dir"),
        "--reference": ("mesh", "mesh", "missing", "junk"),
        "--base": ("mesh", "missing"),
        "--pattern": ("pattern", "missing", "mesh"),
        "--report": ("report", "report", "out", "dir", "junk"),
        "--plots": ("dir", "junk", "out"),
    },
    "train": {  # no real dataset among the choices: a case checks configs and flags, never trains
        "--config": ("config", "config", "broken_config", "missing", "dir", "mesh"),
        "--data": ("dataset", "missing", "dir", "junk"),
        "--out": ("dir", "junk"),
        "--sample_idx": ("0", "number"),
        "--material": ("soft", "velvet", "junk"),
        "--exclude_family": ("skirt", "junk"),
        "--diffusion_steps": ("number", "2"),
        "--objective": ("diffusion", "regression", "junk"),
        "--target": ("highpass", "junk"),
        "--steps": ("1", "number"),
        "--lr": ("number",),
        "--val_every": ("number",),
        "--ema_decay": ("number",),
        "--max_garments": ("1", "number"),
        "--device": ("cpu", "cuda", "junk"),
        "--threads": ("1", "number"),
        "--seed": ("number",),
        "--resume": None,
    },
}

REQUIRED = {
    "refine": ("--base-mesh", "--out"),
    "check_pattern": ("",),
    "batch": ("--out", "--patterns"),
    "evaluate": ("--refined", "--reference", "--report"),
    "train": ("--config",),
}


def cli_case(name: str, files: dict[str, list[Path]]):
    """A case maker for the CLI ``name`` over ``files`` (kind -> real paths)."""

    def make(index: int, rng: random.Random, workdir: Path) -> Case:
        case_dir = workdir / f"cli{index}"
        case_dir.mkdir(parents=True, exist_ok=True)
        spec = CLIS[name]
        values = _values(rng, case_dir)
        argv: list[str] = []
        flags = rng.sample(list(spec), rng.randint(1, len(spec)))
        if rng.random() < 0.8:  # most cases carry the required arguments, so they get past argparse
            flags = [f for f in REQUIRED[name] if f not in flags] + flags
        for flag in flags:
            kinds = spec[flag]
            if kinds is None:
                argv.append(flag)
                continue
            kind = rng.choice(kinds)
            value = str(rng.choice(files[kind])) if kind in files else values.get(kind, kind)
            argv += [value] if flag == "" else [flag, value]
        if name == "refine":  # the model's default steps and a full Nuvo fit are for quality
            argv += [] if "--steps" in argv else ["--steps", "1"]
            argv += [] if "--nuvo-iterations" in argv else ["--nuvo-iterations", "3"]

        def call(stage: Stage) -> None:
            stage.name = "run"
            err, out = io.StringIO(), io.StringIO()
            cwd = os.getcwd()
            os.chdir(case_dir)
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    code = script(name).main(argv)
            except SystemExit as exit_:  # argparse
                code = exit_.code
            finally:
                os.chdir(cwd)
            if code == 2:
                raise SystemExit(2)
            stage.name = "args"  # past argparse
            if code not in (0, None):  # 1: a clear message (an error, or a batch's failed variants)
                said = (err.getvalue() + out.getvalue()).lower()
                raise SystemExit(1 if code == 1 and ("error" in said or "failed" in said) else 99)
            stage.name = "done"

        return Case(f"cli_{name}", index, argv, "", call)

    return make
