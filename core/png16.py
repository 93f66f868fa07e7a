"""A 16-bit RGB PNG writer (zlib + the PNG chunk layout), so baked data maps are written exactly
as computed: no colour management, no 8-bit rounding, no imaging library inside Blender."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def write_png16(path: str | Path, rgb: np.ndarray) -> Path:
    """(H, W, 3) values in [0, 1], row 0 the top row, as a 16-bit RGB PNG."""
    a = np.asarray(rgb, np.float64)
    if a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"expected (H, W, 3), got {a.shape}")
    q = np.round(np.clip(a, 0.0, 1.0) * 65535.0).astype(">u2")
    h, w = q.shape[:2]
    rows = np.concatenate([np.zeros((h, 1), np.uint8), q.reshape(h, -1).view(np.uint8)], axis=1)
    header = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)  # 16 bits, RGB
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
    data += _chunk(b"IEND", b"")
    path = Path(path)
    path.write_bytes(data)
    return path
