"""Paths and helpers the tests share (importable because pytest puts tests/ on sys.path)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
PRESETS = ROOT / "presets" / "patterns"


def run_script(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """A project script run the way a user runs it: a subprocess from the checkout."""
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


V2_PART = sorted((ROOT / "datasets" / "drapes_v2_parts").glob("part-000-*.tar.xz"))


def extract_v2_sample(out: Path) -> tuple[Path, dict, dict]:
    """The first ok sample of the first shipped drapes_v2 part, extracted under ``out``:
    (dataset root ``out/drapes_v2``, its manifest row, the whole manifest). Skips without a part."""
    import json
    import tarfile

    import pytest

    if not V2_PART:
        pytest.skip("no drapes_v2 part shipped")
    with tarfile.open(V2_PART[0]) as tar:
        manifest = json.load(tar.extractfile("drapes_v2/manifest.json"))
        row = next(r for r in manifest["samples"] if r["status"] == "ok")
        prefix = f"drapes_v2/samples/{row['id']}/"
        tar.extractall(out, members=[m for m in tar.getmembers() if m.name.startswith(prefix)], filter="data")
    return out / "drapes_v2", row, manifest
