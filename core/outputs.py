"""Output files: checked before the work that fills them (a wrong suffix or a folder in the
way is found before a refine, not after), and written atomically (a temp file beside the
target, renamed over it), so a killed run leaves the old file or the new one, never half."""

from __future__ import annotations

import os
import tempfile
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


def _atomic(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to a temp file beside ``path`` and rename it over ``path``."""
    _atomic(Path(path), text.encode("utf-8"))


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    _atomic(Path(path), data)
