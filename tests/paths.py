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
