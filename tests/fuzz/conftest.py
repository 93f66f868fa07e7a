"""The fuzz suite's guard: while it runs, this process may allocate at most 3 GB more data than
it holds (RLIMIT_DATA), so a case that would exhaust memory raises MemoryError (a reported
failure) instead of taking the machine down."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

EXTRA = 3 << 30


def _data_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmData:"):
            return int(line.split()[1]) * 1024
    return 0


@pytest.fixture(autouse=True, scope="package")
def bounded_memory():
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = _data_bytes() + EXTRA
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))
