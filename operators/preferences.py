"""The add-on's preferences: device, model file, job runner (and the GPU installer)."""

from __future__ import annotations

from pathlib import Path

import bpy
from bpy.props import EnumProperty, StringProperty

from ..core.gpu_install import CUDA_BUILDS
from ..core.refiner.refine import DEFAULT_MODEL

ADDON = __package__.rpartition(".")[0]  # the extension's package (bl_ext.<repo>.garment_refiner)

DEVICE_ITEMS = [
    ("auto", "Auto", "CUDA when an NVIDIA GPU and a CUDA torch are there, else the CPU (onnxruntime)"),
    ("cpu", "CPU", "The bundled onnxruntime on the CPU"),
    ("cuda", "CUDA", "torch on an NVIDIA GPU (Install GPU Support first)"),
]


class GarmentRefinerPreferences(bpy.types.AddonPreferences):
    bl_idname = ADDON

    device: EnumProperty(  # type: ignore[valid-type]
        name="Device", items=DEVICE_ITEMS, default="auto", description="Where the refiner runs by default"
    )
    model_path: StringProperty(  # type: ignore[valid-type]
        name="Model",
        description="A refiner model JSON (its safetensors / ONNX files beside it, checked against the "
        "checksums in the JSON; nothing is unpickled). Empty: the bundled model",
        subtype="FILE_PATH",
    )
    runner: EnumProperty(  # type: ignore[valid-type]
        name="Run Refine In",
        items=[
            (
                "subprocess",
                "Worker Process",
                "A separate process: a crash or out-of-memory there cannot take Blender",
            ),
            ("thread", "Worker Thread", "A thread in Blender (starts faster; the model stays loaded)"),
        ],
        default="subprocess",
    )

    cuda_build: EnumProperty(  # type: ignore[valid-type]
        name="CUDA Build",
        items=[("AUTO", "From the Driver", "The newest build nvidia-smi's driver supports")]
        + [(b, b, f"torch built for CUDA {b[2:-1]}.{b[-1]}") for b in CUDA_BUILDS],
        default="AUTO",
    )

    def draw(self, context):
        layout = self.layout
        layout.prop(self, "device")
        layout.prop(self, "model_path")
        layout.label(text=f"Bundled model: {DEFAULT_MODEL.name}", icon="INFO")
        layout.prop(self, "runner")
        box = layout.box()
        box.label(text="Refining runs on the CPU out of the box; an NVIDIA GPU needs torch's CUDA build")
        row = box.row()
        row.prop(self, "cuda_build")
        row.operator("garment.install_gpu", icon="IMPORT")
        if not bpy.app.online_access:
            box.label(text="Allow Online Access (Preferences > System) to download it", icon="ERROR")


def preferences(context=None) -> GarmentRefinerPreferences | None:
    """The add-on's preferences, or None where it is not registered as an add-on (a bare module)."""
    context = context or bpy.context
    addon = context.preferences.addons.get(ADDON)
    return addon.preferences if addon is not None else None


def preferred_model(context=None) -> Path:
    prefs = preferences(context)
    return Path(bpy.path.abspath(prefs.model_path)) if prefs and prefs.model_path else DEFAULT_MODEL


def preferred_device(context=None) -> str:
    prefs = preferences(context)
    return prefs.device if prefs else "auto"


def preferred_runner(context=None) -> str:
    prefs = preferences(context)
    return prefs.runner if prefs else "subprocess"


CLASSES = (GarmentRefinerPreferences,)
