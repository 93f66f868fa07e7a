"""Output files: checked before the work that fills them (a wrong suffix or a folder in the
way is found before a refine, not after), and written atomically (a temp file beside the
target, renamed over it), so a killed run leaves the old file or the new one, never half."""

from __future__ import annotations

import os
import socket
import tempfile
import time
import uuid
from pathlib import Path

from .errors import OutputError


def check_output(path: str | Path, suffixes: tuple[str, ...] | None = None, what: str = "output") -> Path:
    """``path`` as a Path, its folder created; OutputError when it cannot be written."""
    path = Path(path)
    src = str(path)
    if not path.name or path.name in (".", ".."):
        raise OutputError(f"the {what} needs a file name", source=src)
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise OutputError(
            f"write the {what} as {', '.join(suffixes)} (got {path.suffix or 'no suffix'!r})", source=src
        )
    try:
        is_dir = path.is_dir()
        if not is_dir:
            path.parent.mkdir(parents=True, exist_ok=True)
        writable = os.access(path.parent, os.W_OK)
    except OSError as err:  # a name too long, a file where a folder should be, no permission
        raise OutputError(f"cannot write the {what} there: {err.strerror or err}", source=src) from err
    if is_dir:
        raise OutputError(f"the {what} path is a folder", source=src)
    if not writable:
        raise OutputError(f"the {what}'s folder is not writable", source=src)
    return path


PARTIAL = ".partial-"  # in every temp file's name: ``.<target>.partial-<host>-<pid>-<random>``
STALE_AFTER_S = 24 * 3600  # a temp file of another machine's writer is left alone this long


def _partial_prefix(path: Path) -> str:
    return f".{path.name}{PARTIAL}{socket.gethostname()}-{os.getpid()}-"


def partial_path(path: str | Path) -> Path:
    """A temp path beside ``path``, with its suffix (for writers that take a file name, such as
    Blender's exporters); write it, then ``os.replace`` it over ``path``."""
    path = Path(path)
    return path.with_name(f"{_partial_prefix(path)}{uuid.uuid4().hex[:8]}{path.suffix}")


def _writer_is_gone(name: str, now: float, mtime: float) -> bool:
    """True when the process that made temp file ``name`` cannot still be writing it."""
    if now - mtime > STALE_AFTER_S:
        return True
    host_pid = name.split(PARTIAL, 1)[1].rsplit("-", 1)[0]
    host, _, pid = host_pid.rpartition("-")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


def remove_partial_files(folder: str | Path) -> list[Path]:
    """Delete the temp files that killed writers left under ``folder`` (a resumed batch calls
    it); those of a writer still running, here or on another machine, stay. Returns them."""
    now = time.time()
    removed = []
    for tmp in Path(folder).rglob(f".*{PARTIAL}*"):
        try:
            if tmp.is_file() and _writer_is_gone(tmp.name, now, tmp.stat().st_mtime):
                tmp.unlink()
                removed.append(tmp)
        except OSError:  # gone meanwhile, or not ours to delete
            continue
    return removed


def _atomic(path: Path, data: bytes) -> None:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_partial_prefix(path), dir=path.parent)
    except OSError as err:  # a folder that says it is writable but is not (/proc), a name too long
        raise OutputError(f"cannot write there: {err.strerror or err}", source=str(path)) from err
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:  # a full disk, a quota: the old file stays as it was
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write there: {err.strerror or err}", source=str(path)) from err
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to a temp file beside ``path`` and rename it over ``path``."""
    _atomic(Path(path), text.encode("utf-8"))


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    _atomic(Path(path), data)
