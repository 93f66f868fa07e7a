"""The code base stays ruff clean (the linter the project uses)."""

from __future__ import annotations

import shutil
import subprocess

from paths import ROOT


def test_ruff_check_is_clean():
    ruff = shutil.which("ruff") or str(ROOT / ".venv" / "bin" / "ruff")
    done = subprocess.run([ruff, "check", "--quiet", str(ROOT)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
