"""Long work off Blender's main thread: a refine request run by a swappable job runner.

``events`` (what a running job reports), ``refine_job`` (the request and its outcome as plain
arrays, and the one function every runner calls), ``thread_runner`` (a worker thread in this
process), ``subprocess_runner`` (a worker process started with ``sys.executable``, exchanging
numpy arrays through files: ``refine_worker`` is its entry point). No bpy here.
"""

from __future__ import annotations

from .events import JobCancelled, JobEvent, JobState
from .refine_job import RefineOutcome, RefineRequest, run_refine
from .subprocess_runner import SubprocessRunner
from .thread_runner import SyncRunner, ThreadRunner

RUNNERS = {"subprocess": SubprocessRunner, "thread": ThreadRunner, "sync": SyncRunner}
"""Runner classes by name (the preference's choice)."""

__all__ = [
    "RUNNERS",
    "JobCancelled",
    "JobEvent",
    "JobState",
    "RefineOutcome",
    "RefineRequest",
    "SubprocessRunner",
    "SyncRunner",
    "ThreadRunner",
    "run_refine",
]
