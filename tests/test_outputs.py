"""Atomic output files and the clean-up of what a killed writer leaves: the temp files of a
dead process on this machine go, those of a live writer or another machine's stay."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from core.errors import OutputError
from core.outputs import (
    PARTIAL,
    STALE_AFTER_S,
    check_output,
    partial_path,
    remove_partial_files,
    write_bytes_atomic,
)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _temp(folder, target: str, host: str, pid: int):
    path = folder / f".{target}{PARTIAL}{host}-{pid}-abc123{os.path.splitext(target)[1]}"
    path.write_bytes(b"half")
    return path


def test_an_atomic_write_leaves_only_the_file(tmp_path):
    target = tmp_path / "a" / "mesh.obj"
    write_bytes_atomic(target, b"v 0 0 0\n")
    write_bytes_atomic(target, b"v 1 1 1\n")
    assert target.read_bytes() == b"v 1 1 1\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["mesh.obj"]


def test_a_partial_path_keeps_the_suffix_and_names_its_writer(tmp_path):
    tmp = partial_path(tmp_path / "scene.blend")
    assert tmp.parent == tmp_path and tmp.suffix == ".blend"
    assert tmp.name.startswith(f".scene.blend{PARTIAL}{socket.gethostname()}-{os.getpid()}-")


def test_resume_removes_the_temps_of_dead_writers_only(tmp_path):
    host = socket.gethostname()
    (tmp_path / "v1").mkdir()
    dead = _temp(tmp_path / "v1", "drape.npz", host, _dead_pid())
    live = _temp(tmp_path, "entry.json", host, os.getpid())
    remote = _temp(tmp_path, "mesh.obj", "another-machine", 12345)
    old_remote = _temp(tmp_path, "mesh.glb", "another-machine", 12345)
    past = time.time() - STALE_AFTER_S - 60
    os.utime(old_remote, (past, past))
    keep = tmp_path / "v1" / "drape.npz"
    keep.write_bytes(b"finished")
    removed = remove_partial_files(tmp_path)
    assert sorted(removed) == sorted([dead, old_remote])
    assert live.exists() and remote.exists() and keep.read_bytes() == b"finished"
    assert not dead.exists() and not old_remote.exists()


def test_an_output_in_a_folder_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "blocker").write_text("x")
    with pytest.raises(OutputError, match="cannot write"):
        check_output(tmp_path / "blocker" / "out.obj", (".obj",))
