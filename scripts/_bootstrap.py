"""Import this checkout as the ``garment_refiner`` package, whatever its folder is called.

Scripts run both as ``python scripts/x.py`` (with the ``bpy`` module) and as
``blender -b -P scripts/x.py -- args``; both go through here so that they call the very
operators and core functions the buttons call.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "garment_refiner"


def load_package() -> ModuleType:
    """The checkout as an importable package (register() not called)."""
    if PACKAGE in sys.modules:
        return sys.modules[PACKAGE]
    spec = importlib.util.spec_from_file_location(
        PACKAGE, ROOT / "__init__.py", submodule_search_locations=[str(ROOT)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    spec.loader.exec_module(module)
    return module


def load_extension() -> ModuleType:
    """Load and register the extension in the running Blender (or bpy module)."""
    import bpy

    module = load_package()
    if not hasattr(bpy.types.Scene, "garment"):
        module.register()
    return module


def script_args(argv: list[str] | None = None) -> list[str]:
    """Arguments for the script: those after ``--`` under Blender, else sys.argv[1:]."""
    argv = sys.argv if argv is None else argv
    if "--" in argv:
        return argv[argv.index("--") + 1 :]
    return argv[1:]
