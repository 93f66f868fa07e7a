"""Input files: found, a plain file, within ``limits.max_file_bytes``; any OS trouble (a name
too long, a folder, no permission) becomes the loader's own error naming the file."""

from __future__ import annotations

from pathlib import Path

from . import limits
from .errors import GarmentError


def input_file(
    path: str | Path,
    error: type[GarmentError],
    missing: str = "file not found",
    limit: str = "max_file_bytes",
) -> Path:
    """``path`` as a Path when it is a readable file of allowed size; else ``error``."""
    path = Path(path)
    src = str(path)
    try:
        ok = path.is_file()
        size = path.stat().st_size if ok else 0
    except OSError as err:  # ENAMETOOLONG, ELOOP, EACCES on a parent
        raise error(f"cannot open: {err.strerror or err}", source=src) from err
    if not ok:
        raise error(missing if not path.is_dir() else "a folder, not a file", source=src)
    limits.check(limit, size, error, src, what="file size (bytes)")
    return path
