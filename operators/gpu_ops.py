"""Install GPU Support: torch's CUDA build (chosen from ``nvidia-smi``, or the preference's
override) pip-installed from a worker into the extension's user folder, ``deps/cp3XX-cuXXX``,
which is put on ``sys.path`` at register. Refining works without it (onnxruntime on the CPU).
Respects Blender's Allow Online Access; progress and cancel; a restart of Blender afterwards."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import bpy
from bpy.props import BoolProperty

from ..core import gpu_install
from . import preferences

ACTIVE: InstallJob | None = None


def user_folder(create: bool = True) -> Path:
    """The extension's own user folder (the add-on's config folder when loaded as a plain module)."""
    try:
        return Path(bpy.utils.extension_path_user(preferences.ADDON, create=create))
    except ValueError:  # not an extension (a checkout loaded for scripts and tests)
        path = Path(bpy.utils.user_resource("CONFIG", path=preferences.ADDON, create=create))
        return path


def deps_path(build: str) -> Path:
    return user_folder() / gpu_install.deps_folder(sys.version_info[:2], build)


def add_deps_to_path() -> list[str]:
    """Put every installed deps folder of this Python on ``sys.path`` (at register)."""
    added = []
    try:
        root = user_folder(create=False) / "deps"
    except (ValueError, RuntimeError):
        return added
    tag = f"cp{sys.version_info[0]}{sys.version_info[1]}-"
    for d in sorted(root.glob(f"{tag}*")) if root.is_dir() else []:
        if str(d) not in sys.path:
            sys.path.append(str(d))
            added.append(str(d))
    return added


def chosen_build(context) -> str:
    prefs = preferences.preferences(context)
    override = prefs.cuda_build if prefs is not None else "AUTO"
    if override != "AUTO":
        return override
    return gpu_install.cuda_build(gpu_install.driver_cuda_version())


class InstallJob:
    """pip in a subprocess, its output read by a thread; ``poll`` is the timer's step."""

    def __init__(self, command: list[str], target: Path):
        self.command, self.target = command, target
        self.lines: list[str] = []
        self.returncode: int | None = None
        self.cancelled = False
        self.proc: subprocess.Popen | None = None

    def start(self) -> InstallJob:
        self.target.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            self.command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        return self

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())
        self.returncode = self.proc.wait()

    @property
    def finished(self) -> bool:
        return self.returncode is not None

    def cancel(self) -> None:
        self.cancelled = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()


class GARMENT_OT_install_gpu(bpy.types.Operator):
    """Download and install the CUDA build of torch for refining on an NVIDIA GPU (needs online
    access; Blender restarts to use it)"""

    bl_idname = "garment.install_gpu"
    bl_label = "Install GPU Support"

    dry_run: BoolProperty(  # type: ignore[valid-type]
        name="Dry Run",
        description="Only report the command and folder",
        default=False,
        options={"SKIP_SAVE", "HIDDEN"},
    )

    _timer = None

    def _prepare(self, context) -> InstallJob | None:
        if not bpy.app.online_access:
            self.report(
                {"ERROR"}, "Online access is off: allow it in Preferences > System > Network to install"
            )
            return None
        try:
            build = chosen_build(context)
            target = deps_path(build)
            constraints = gpu_install.write_constraints(user_folder() / "constraints.txt")
            command = gpu_install.pip_command(sys.executable, target, build, constraints)
        except gpu_install.InstallError as err:
            self.report({"ERROR"}, str(err))
            return None
        context.window_manager["garment_gpu_install"] = {
            "command": command,
            "target": str(target),
            "build": build,
        }
        return InstallJob(command, target)

    def _done(self, job: InstallJob) -> set[str]:
        if job.cancelled:
            self.report({"WARNING"}, "GPU support install cancelled")
            return {"CANCELLED"}
        if job.returncode != 0:
            tail = " | ".join(job.lines[-3:])
            self.report({"ERROR"}, f"pip failed (exit {job.returncode}): {tail}")
            return {"CANCELLED"}
        removed = gpu_install.remove_foreign_numpy(job.target)
        note = f" (removed a second numpy: {', '.join(removed)})" if removed else ""
        self.report({"INFO"}, f"GPU support installed in {job.target}{note}: restart Blender to use it")
        return {"FINISHED"}

    def execute(self, context):
        job = self._prepare(context)
        if job is None:
            return {"CANCELLED"}
        if self.dry_run:
            self.report({"INFO"}, f"would run: {' '.join(job.command)}")
            return {"FINISHED"}
        job.start().reader.join()
        return self._done(job)

    def invoke(self, context, event):
        global ACTIVE
        if bpy.app.background or context.window is None or self.dry_run:
            return self.execute(context)
        job = self._prepare(context)
        if job is None:
            return {"CANCELLED"}
        ACTIVE = job.start()
        self._timer = context.window_manager.event_timer_add(0.2, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        job = ACTIVE
        if event.type == "ESC":
            job.cancel()
        if event.type != "TIMER" and not job.cancelled:
            return {"PASS_THROUGH"}
        if context.workspace is not None:
            last = job.lines[-1][:80] if job.lines else "starting pip"
            context.workspace.status_text_set(f"Installing GPU support: {last}  (Esc to cancel)")
        if not job.finished:
            return {"PASS_THROUGH"}
        context.window_manager.event_timer_remove(self._timer)
        if context.workspace is not None:
            context.workspace.status_text_set(None)
        return self._done(job)


CLASSES = (GARMENT_OT_install_gpu,)
