"""The refine in a worker process: ``sys.executable`` (Blender's own Python inside Blender)
runs ``refine_worker.py`` on a request folder; numpy arrays go both ways as ``.npz`` files,
progress comes back as JSON lines on the worker's stdout. A cancel terminates the process, so it
ends within a second whatever the worker is doing, and Blender's main thread never shares a GIL
with the refine."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from .events import JobEvent, JobState
from .refine_job import RefineOutcome, RefineRequest
from .thread_runner import _Runner, drain

WORKER = Path(__file__).with_name("refine_worker.py")
EXTENSION_ROOT = Path(__file__).resolve().parents[2]
KILL_AFTER_S = 1.0


class SubprocessRunner(_Runner):
    name = "subprocess"

    def __init__(self, python: str | None = None) -> None:
        super().__init__()
        self.python = python or sys.executable
        self._events: queue.SimpleQueue[JobEvent] = queue.SimpleQueue()
        self._proc: subprocess.Popen | None = None
        self._folder: Path | None = None
        self._ended = False
        self._cancel_requested = False

    def start(self, request: RefineRequest) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="garment_refine_"))
        request.save(self._folder)
        env = dict(os.environ)
        # the worker sees the modules this process sees (Blender's bundled wheels included)
        env["PYTHONPATH"] = os.pathsep.join([str(EXTENSION_ROOT), *(p for p in sys.path if p)])
        self._proc = subprocess.Popen(
            [self.python, str(WORKER), str(self._folder)],
            stdout=subprocess.PIPE,
            stderr=open(self._folder / "stderr.txt", "wb"),  # noqa: SIM115 - the child owns it
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=str(self._folder),
        )
        self.state = JobState.RUNNING
        self._reader = threading.Thread(target=self._read, args=(self._proc,), daemon=True)
        self._reader.start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            try:
                self._events.put(JobEvent.from_json(json.loads(line)))
            except (ValueError, TypeError, KeyError):
                continue  # a stray print in the worker is not an event
        proc.stdout.close()

    def poll(self) -> list[JobEvent]:
        out = []
        for ev in drain(self._events):
            if ev.kind == "done":
                self.outcome = RefineOutcome.load(self._folder)
            if ev.kind != "progress":
                self._ended = True
            self._finish(ev)
            out.append(ev)
        if not self._ended and self._proc is not None and self._proc.poll() is not None:
            # the process is gone: read what is left in its pipe, then, without a last word, decide
            self._reader.join(KILL_AFTER_S)
            if self._events.empty():
                self._ended = True
                if self._cancel_requested:
                    ev = JobEvent("cancelled")
                else:
                    ev = JobEvent("failed", message=self._crash())
                self._finish(ev)
                out.append(ev)
            else:
                out.extend(self.poll())
        if self.state.finished:
            self._cleanup()
        return out

    def _crash(self) -> str:
        tail = ""
        if self._folder is not None and (self._folder / "stderr.txt").exists():
            lines = (self._folder / "stderr.txt").read_text(errors="replace").strip().splitlines()
            tail = lines[-1] if lines else ""
        return f"the refine worker stopped (exit code {self._proc.returncode}){': ' + tail if tail else ''}"

    def cancel(self) -> None:
        self._cancel_requested = True
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(KILL_AFTER_S)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def _cleanup(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None
