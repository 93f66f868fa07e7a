"""Install GPU support (no bpy): which CUDA build of torch fits the driver (from ``nvidia-smi``),
where it goes (a folder keyed by Python version and CUDA build, so Blender 5.1's Python 3.13
gets its own) and the pip command that puts it there — never a second numpy beside Blender's."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from .errors import GarmentError

TORCH_VERSION = "2.7.1"  # a release with wheels for every build below and for Python 3.11-3.13
CUDA_BUILDS = ("cu118", "cu126", "cu128")  # torch's CUDA builds for that release, oldest first
INDEX_URL = "https://download.pytorch.org/whl/{build}"


class InstallError(GarmentError):
    """GPU support cannot be installed (no NVIDIA driver, offline, pip failed)."""


def driver_cuda_version(nvidia_smi: str = "nvidia-smi") -> tuple[int, int]:
    """The highest CUDA version the installed driver supports, from ``nvidia-smi``'s header."""
    exe = shutil.which(nvidia_smi)
    if exe is None:
        raise InstallError("no NVIDIA GPU found: nvidia-smi is not on the PATH", source="nvidia-smi")
    try:
        out = subprocess.run([exe], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired) as err:
        raise InstallError(f"nvidia-smi did not answer: {err}", source=exe) from err
    m = re.search(r"CUDA Version:\s*(\d+)\.(\d+)", out)
    if not m:
        raise InstallError(
            "nvidia-smi printed no 'CUDA Version': is the NVIDIA driver installed?", source=exe
        )
    return int(m.group(1)), int(m.group(2))


def cuda_build(driver: tuple[int, int]) -> str:
    """The newest torch CUDA build the driver runs (a build needs a driver of at least its CUDA)."""
    fitting = [b for b in CUDA_BUILDS if (int(b[2:-1]), int(b[-1])) <= driver]
    if not fitting:
        raise InstallError(
            f"the driver supports CUDA {driver[0]}.{driver[1]}, older than torch's oldest build "
            f"({CUDA_BUILDS[0]}): update the NVIDIA driver",
            source="nvidia-smi",
        )
    return fitting[-1]


def deps_folder(python: tuple[int, int] | None = None, build: str = "cu128") -> str:
    """``deps/cp3XX-<cuXXX>``, relative to the extension's user folder."""
    major, minor = python or sys.version_info[:2]
    return f"deps/cp{major}{minor}-{build}"


def pip_command(python_exe: str, target: Path, build: str, constraints: Path) -> list[str]:
    """pip installing torch's ``build`` into ``target``; ``constraints`` pins numpy to Blender's
    (torch does not need numpy; a numpy pulled in anyway would shadow Blender's own)."""
    if build not in CUDA_BUILDS:
        raise InstallError(
            f"unknown CUDA build {build!r}, expected one of {CUDA_BUILDS}", source="preferences"
        )
    return [
        python_exe, "-m", "pip", "install", "--upgrade", "--no-input", "--disable-pip-version-check",
        "--target", str(target), "--index-url", INDEX_URL.format(build=build),
        "--constraint", str(constraints), f"torch=={TORCH_VERSION}",
    ]  # fmt: skip


def write_constraints(path: Path) -> Path:
    import numpy

    path.write_text(f"numpy=={numpy.__version__}\n")
    return path


def remove_foreign_numpy(target: Path) -> list[str]:
    """Delete any numpy pip put into ``target`` (Blender's must be the one imported)."""
    gone = []
    for p in (
        list(target.glob("numpy")) + list(target.glob("numpy-*.dist-info")) + list(target.glob("numpy.libs"))
    ):
        shutil.rmtree(p, ignore_errors=True)
        gone.append(p.name)
    return gone
