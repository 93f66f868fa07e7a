"""Runners in this process: a worker thread (``ThreadRunner``) and the synchronous call
(``SyncRunner``, for background mode where no timer or modal handler ever fires).

Every runner has the same face: ``start(request)``, ``poll()`` (the events since the last poll,
never blocking: the step a timer or a test calls), ``cancel()``, ``state``, ``outcome`` and
``error``."""

from __future__ import annotations

import queue
import threading

from ..errors import GarmentError
from .events import JobCancelled, JobEvent, JobState
from .refine_job import RefineOutcome, RefineRequest, run_refine


class _Runner:
    def __init__(self) -> None:
        self.state = JobState.IDLE
        self.outcome: RefineOutcome | None = None
        self.error: str | None = None
        self.last_progress: JobEvent | None = None

    def _finish(self, event: JobEvent) -> None:
        if event.kind == "progress":
            self.last_progress = event
        elif event.kind == "done":
            self.state = JobState.DONE
        elif event.kind == "failed":
            self.state, self.error = JobState.FAILED, event.message
        elif event.kind == "cancelled":
            self.state = JobState.CANCELLED


def drain(events: queue.SimpleQueue) -> list[JobEvent]:
    """Every event queued so far, without waiting."""
    out = []
    while True:
        try:
            out.append(events.get_nowait())
        except queue.Empty:
            return out


def _run(request: RefineRequest, emit, cancelled) -> tuple[RefineOutcome | None, JobEvent]:
    """The refine, its ending as an event: cancelled, failed with the error's message (a
    ``GarmentError`` names the file and the place) or done."""
    try:
        outcome = run_refine(request, emit, cancelled)
    except JobCancelled:
        return None, JobEvent("cancelled")
    except (GarmentError, MemoryError, OSError) as err:
        return None, JobEvent("failed", message=str(err) or type(err).__name__)
    return outcome, JobEvent("done")


class ThreadRunner(_Runner):
    """The refine in a daemon thread; onnxruntime and numpy release the GIL in their kernels,
    the Python between them shares it with Blender's main thread."""

    name = "thread"

    def __init__(self) -> None:
        super().__init__()
        self._events: queue.SimpleQueue[JobEvent] = queue.SimpleQueue()
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, request: RefineRequest) -> None:
        self.state = JobState.RUNNING

        def work() -> None:
            outcome, end = _run(request, self._events.put, self._cancel.is_set)
            self.outcome = outcome
            self._events.put(end)

        self._thread = threading.Thread(target=work, name="garment-refine", daemon=True)
        self._thread.start()

    def poll(self) -> list[JobEvent]:
        out = drain(self._events)
        for ev in out:
            self._finish(ev)
        return out

    def cancel(self) -> None:
        self._cancel.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


class SyncRunner(_Runner):
    """``start`` runs the whole refine before it returns; ``poll`` then hands its events over."""

    name = "sync"

    def __init__(self) -> None:
        super().__init__()
        self._events: list[JobEvent] = []
        self._cancelled = False

    def start(self, request: RefineRequest) -> None:
        self.state = JobState.RUNNING
        self.outcome, end = _run(request, self._events.append, lambda: self._cancelled)
        self._events.append(end)

    def poll(self) -> list[JobEvent]:
        out, self._events = self._events, []
        for ev in out:
            self._finish(ev)
        return out

    def cancel(self) -> None:
        self._cancelled = True
