"""Run one fuzz case and sort its outcome: ``ok`` (with the stage it reached), ``error`` (a
GarmentError naming the file), ``usage`` (argparse), or a failure: ``vague`` (a GarmentError
that does not name the file), ``crash`` (any other exception, with its site), ``hang``
(past the time limit) and ``memory`` (MemoryError, e.g. under the bench's RLIMIT_DATA)."""

from __future__ import annotations

import signal
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.errors import GarmentError

FAILURES = ("vague", "crash", "hang", "memory")
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Stage:
    """How far a case got: a call sets ``name`` as it passes each step."""

    name: str = "start"


@dataclass
class Case:
    """One input for an entry point: ``call(stage)`` runs it; ``source`` names its file
    (empty for a CLI, whose message is checked by the CLI case itself)."""

    target: str
    index: int
    ops: list[str]
    source: str
    call: Callable[[Stage], None]


@dataclass
class Outcome:
    target: str
    index: int
    ops: list[str]
    kind: str
    stage: str
    seconds: float
    detail: str = ""
    site: str = ""

    @property
    def failed(self) -> bool:
        return self.kind in FAILURES


class CaseTimeout(BaseException):
    """Raised in the main thread when a case runs past its limit (a BaseException: the code
    under test must not swallow it)."""


def _on_alarm(signum, frame):
    raise CaseTimeout


def crash_site(err: BaseException) -> str:
    """``file:line`` of the innermost frame in the project (else the innermost frame)."""
    frames = traceback.extract_tb(err.__traceback__)
    root = str(ROOT)
    ours = [
        f
        for f in frames
        if f.filename.startswith(root) and "/fuzz/" not in f.filename and "/.venv/" not in f.filename
    ]
    f = (ours or frames or [None])[-1]
    if f is None:
        return ""
    name = str(Path(f.filename).relative_to(root)) if f.filename.startswith(root) else f.filename
    return f"{name}:{f.lineno}"


def names_file(err: GarmentError, source: str) -> bool:
    text = str(err)
    return not source or source in text or Path(source).name in text


def run_case(case: Case, time_limit: float = 30.0) -> Outcome:
    """Run ``case`` under a wall-clock limit (SIGALRM, main thread only) and classify it."""
    stage = Stage()
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, time_limit)
    t0 = time.perf_counter()
    kind, detail, site = "ok", "", ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            case.call(stage)
    except CaseTimeout:
        kind, detail = "hang", f"past {time_limit:g} s"
    except GarmentError as err:
        kind = "error" if names_file(err, case.source) else "vague"
        detail = str(err)[:300]
        site = crash_site(err) if kind == "vague" else ""
    except SystemExit as err:  # argparse's usage error, or a CLI's exit code
        kind = {2: "usage", 1: "error"}.get(err.code, "crash")
        detail = f"exit {err.code}"
    except MemoryError as err:
        kind, detail, site = "memory", "MemoryError", crash_site(err)
    except Exception as err:
        kind, detail, site = "crash", f"{type(err).__name__}: {str(err)[:200]}", crash_site(err)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return Outcome(
        case.target, case.index, case.ops, kind, stage.name, time.perf_counter() - t0, detail, site
    )
