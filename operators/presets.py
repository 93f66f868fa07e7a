"""Quality and material presets through Blender's preset system: bundled ones in the extension's
``presets/`` folder, user ones saved by the + button (``AddPresetBase``) into Blender's user
presets folder (``scripts/presets/garment_refiner/...``) and listed beside them."""

from __future__ import annotations

from pathlib import Path

import bpy
from bl_operators.presets import AddPresetBase

BUNDLED = Path(__file__).resolve().parents[1] / "presets"
KINDS = {
    "quality": ["g.refine_steps", "g.refine_edge_length"],
    "material": ["g.refine_material"],
}


def subdir(kind: str) -> str:
    return f"garment_refiner/{kind}"


def preset_dirs(kind: str) -> list[str]:
    """Bundled first, then Blender's preset folders (the user's own presets)."""
    return [str(BUNDLED / kind), *bpy.utils.preset_paths(subdir(kind))]


def preset_files(kind: str) -> dict[str, Path]:
    """Preset name -> file, user presets overriding bundled ones of the same name."""
    out: dict[str, Path] = {}
    for d in preset_dirs(kind):
        for f in sorted(Path(d).glob("*.py")):
            out[bpy.path.display_name(f.stem, title_case=False)] = f
    return out


def _menu(kind: str) -> type:
    class Menu(bpy.types.Menu):
        bl_idname = f"GARMENT_MT_{kind}_presets"
        bl_label = f"{kind.title()} Presets"
        preset_subdir = subdir(kind)
        preset_operator = "script.execute_preset"

        def draw(self, _context):
            self.path_menu(
                preset_dirs(kind),
                self.preset_operator,
                props_default={"menu_idname": self.bl_idname},
                filter_ext=lambda ext: ext.lower() == ".py",
                display_name=lambda name: bpy.path.display_name(name, title_case=False),
            )

    Menu.__name__ = f"GARMENT_MT_{kind}_presets"
    return Menu


def _add_operator(kind: str) -> type:
    class AddPreset(AddPresetBase, bpy.types.Operator):
        bl_idname = f"garment.{kind}_preset_add"
        bl_label = f"Add {kind.title()} Preset"
        bl_description = f"Save the current {kind} settings as a preset (or remove the selected one)"
        preset_menu = f"GARMENT_MT_{kind}_presets"
        preset_subdir = subdir(kind)
        preset_defines = ["g = bpy.context.scene.garment"]
        preset_values = KINDS[kind]

    AddPreset.__name__ = f"GARMENT_OT_{kind}_preset_add"
    return AddPreset


CLASSES = tuple(c for kind in KINDS for c in (_menu(kind), _add_operator(kind)))
