#!/usr/bin/env bash
# Set up everything Garment Refiner needs on a fresh machine: the system libraries the bpy
# module links against (only if missing) and a .venv with the pinned requirements.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=0
for lib in libX11.so.6 libXrender.so.1 libXfixes.so.3 libXi.so.6 libxkbcommon.so.0 libSM.so.6 libGL.so.1 libXext.so.6; do
  ldconfig -p 2>/dev/null | grep -q "$lib" || missing=1
done
if [ "$missing" = 1 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq libx11-6 libxrender1 libxfixes3 libxi6 libxkbcommon0 libsm6 libgl1 libxext6 >/dev/null
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -r requirements.txt
.venv/bin/python -c "import bpy, torch, trimesh; print('ready: bpy', bpy.app.version_string, '| torch', torch.__version__)"
