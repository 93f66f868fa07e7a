#!/usr/bin/env python3
"""Validate and build the extension zip with Blender's own tool (shipped in the bpy wheel).

    python scripts/build_extension.py [--out DIR] [--wheels]

``--wheels`` also downloads the pure-Python and binary wheels the add-on needs inside a real
Blender (trimesh, triangle, scipy, svgpathtools, svgwrite, onnxruntime; Blender ships numpy) for Linux,
Windows and macOS, lists them in a staged copy of the manifest and builds one zip per
platform. Without it the zip holds the add-on alone (what the tests install into the bpy
module, whose Python already has those packages).
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WHEEL_PACKAGES = [
    "trimesh==5.2.0",
    "triangle==20250106",
    "scipy==1.17.1",
    "svgpathtools==1.8.0",
    "svgwrite==1.4.3",
    "onnxruntime==1.22.1",  # runs the refiner without torch (it imports with numpy alone)
]
PLATFORMS = {
    "linux-x64": ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
    "windows-x64": ["win_amd64"],
    "macos-arm64": ["macosx_12_0_arm64", "macosx_11_0_arm64", "macosx_14_0_arm64"],
}


def blender_ext_tool() -> Path:
    """Path of ``blender_ext.py`` inside the installed bpy wheel."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or spec.origin is None:
        raise SystemExit("the bpy module is not installed: pip install -r requirements.txt")
    tools = sorted(Path(spec.origin).parent.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    if not tools:
        raise SystemExit("blender_ext.py not found inside the bpy wheel")
    return tools[-1]


def run_tool(*args: str) -> None:
    cmd = [sys.executable, str(blender_ext_tool()), *args]
    done = subprocess.run(cmd, capture_output=True, text=True)
    print(done.stdout.strip())
    if done.returncode != 0 or "FATAL_ERROR" in done.stdout:
        raise SystemExit(f"{' '.join(args[:1])} failed:\n{done.stdout}\n{done.stderr}")


def download_wheels(dest: Path) -> list[str]:
    dest.mkdir(parents=True, exist_ok=True)
    for tags in PLATFORMS.values():
        plat = [arg for tag in tags for arg in ("--platform", tag)]
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--python-version",
                "3.11",
                *plat,
                "-d",
                str(dest),
                *WHEEL_PACKAGES,
            ],
            check=True,
        )
    return sorted(f"./wheels/{w.name}" for w in dest.glob("*.whl"))


def build(out: Path, wheels: bool = False) -> list[Path]:
    """Validate the manifest and build; returns the zip files made."""
    out.mkdir(parents=True, exist_ok=True)
    run_tool("validate", str(ROOT))
    source = ROOT
    split: list[str] = []
    if wheels:
        stage = Path(tempfile.mkdtemp(prefix="garment_stage_")) / "garment_refiner"
        shutil.copytree(ROOT, stage, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "out"))
        listed = download_wheels(stage / "wheels")
        manifest = (stage / "blender_manifest.toml").read_text()
        entries = ",\n".join(f'  "{w}"' for w in listed)
        manifest = re.sub(r"\n\[permissions\]", f"\nwheels = [\n{entries},\n]\n\n[permissions]", manifest)
        manifest = manifest.replace(
            'blender_version_min = "4.2.0"',
            'blender_version_min = "4.2.0"\nplatforms = ["linux-x64", "windows-x64", "macos-arm64"]',
        )
        (stage / "blender_manifest.toml").write_text(manifest)
        run_tool("validate", str(stage))
        source, split = stage, ["--split-platforms"]
    before = set(out.glob("*.zip"))
    run_tool("build", "--source-dir", str(source), "--output-dir", str(out), *split)
    return sorted(set(out.glob("*.zip")) - before) or sorted(out.glob("*.zip"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(ROOT / "build"), help="output folder for the zip(s)")
    ap.add_argument("--wheels", action="store_true", help="bundle dependency wheels per platform")
    args = ap.parse_args()
    for z in build(Path(args.out), args.wheels):
        print(f"built {z}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
