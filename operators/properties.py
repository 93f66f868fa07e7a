"""Scene settings of the Garment tab and the last stitch report shown in it."""

from __future__ import annotations

import bpy
from bpy.props import (
    CollectionProperty,
    EnumProperty,
    FloatProperty,
    IntProperty,
    StringProperty,
)


def _strength_changed(self, context) -> None:
    """The strength is the value of the active garment's current wrinkle key."""
    from . import scene_io

    key = scene_io.current_wrinkles_key(context.active_object)
    if key is not None:
        key.slider_max = max(1.0, self.refine_strength)
        key.value = self.refine_strength


class GarmentReportLine(bpy.types.PropertyGroup):
    """One bad stitch, as shown in the panel."""

    text: StringProperty(name="Text")  # type: ignore[valid-type]


class BodySettings(bpy.types.PropertyGroup):
    """The mannequin's measurements (cm, degrees), as core.body.BodyParams takes them."""

    height: FloatProperty(name="Height", default=170.0, min=120.0, max=210.0)  # type: ignore[valid-type]
    bust: FloatProperty(name="Bust", default=92.0, min=60.0, max=160.0)  # type: ignore[valid-type]
    waist: FloatProperty(name="Waist", default=76.0, min=50.0, max=150.0)  # type: ignore[valid-type]
    hips: FloatProperty(name="Hips", default=98.0, min=60.0, max=170.0)  # type: ignore[valid-type]
    shoulder_width: FloatProperty(name="Shoulders", default=40.0, min=25.0, max=60.0)  # type: ignore[valid-type]
    arm_length: FloatProperty(name="Arm Length", default=58.0, min=40.0, max=80.0)  # type: ignore[valid-type]
    inseam: FloatProperty(name="Inseam", default=78.0, min=50.0, max=110.0)  # type: ignore[valid-type]
    arm_angle_deg: FloatProperty(  # type: ignore[valid-type]
        name="Arm Angle", description="A-pose angle from vertical (degrees)", default=40.0, min=0.0, max=80.0
    )


class GarmentSettings(bpy.types.PropertyGroup):
    """Per-scene settings (``scene.garment``)."""

    edge_length: FloatProperty(  # type: ignore[valid-type]
        name="Edge Length",
        description="Target triangle edge length of the box mesh, in centimetres",
        default=2.0,
        min=0.3,
        max=20.0,
        subtype="DISTANCE_CAMERA",
        unit="NONE",
    )
    length_tol: FloatProperty(  # type: ignore[valid-type]
        name="Length Tolerance",
        description="Largest accepted length difference of two stitched edges, in centimetres",
        default=1.0,
        min=0.0,
        max=50.0,
    )
    gap_tol: FloatProperty(  # type: ignore[valid-type]
        name="Gap Tolerance",
        description="Largest accepted 3D distance of points that a stitch joins, in centimetres",
        default=0.5,
        min=0.0,
        max=50.0,
    )
    pattern_path: StringProperty(name="Pattern", subtype="FILE_PATH")  # type: ignore[valid-type]
    body: bpy.props.PointerProperty(type=BodySettings)  # type: ignore[valid-type]
    report_object: StringProperty(name="Checked Object")  # type: ignore[valid-type]
    report_stitches: IntProperty(name="Stitches", default=-1)  # type: ignore[valid-type]
    report_accuracy: FloatProperty(name="Stitch Accuracy", subtype="PERCENTAGE")  # type: ignore[valid-type]
    report_max_gap: FloatProperty(name="Largest Gap (cm)", default=-1.0)  # type: ignore[valid-type]
    report_lines: CollectionProperty(type=GarmentReportLine)  # type: ignore[valid-type]
    refine_seed: IntProperty(  # type: ignore[valid-type]
        name="Seed", description="Another seed gives other wrinkles of the same kind", default=0, min=0
    )
    refine_steps: IntProperty(  # type: ignore[valid-type]
        name="Steps", description="Denoising steps (0: the model's default)", default=0, min=0, max=50
    )
    refine_strength: FloatProperty(  # type: ignore[valid-type]
        name="Strength",
        description="Value of the current Wrinkles shape key (changes it live)",
        default=1.0,
        min=0.0,
        soft_max=2.0,
        update=_strength_changed,
    )
    refine_material: EnumProperty(  # type: ignore[valid-type]
        name="Material",
        items=[
            ("AUTO", "From Pattern", "The pattern's material, else mid"),
            ("soft", "Soft", "Light, drapey cloth (jersey, silk)"),
            ("mid", "Medium", "Cotton shirting"),
            ("stiff", "Stiff", "Denim, canvas"),
        ],
        default="AUTO",
    )
    refine_edge_length: FloatProperty(  # type: ignore[valid-type]
        name="Mesh Edge",
        description="Edge length (cm) the base is re-tessellated to when it is coarser (0: the model's own)",
        default=0.0,
        min=0.0,
        soft_max=5.0,
    )
    refine_device: EnumProperty(  # type: ignore[valid-type]
        name="Device",
        items=[
            ("PREFS", "From Preferences", "The add-on preference's device"),
            ("auto", "Auto", "CUDA when available, else the CPU"),
            ("cpu", "CPU", "The bundled onnxruntime on the CPU"),
            ("cuda", "CUDA", "torch on an NVIDIA GPU"),
        ],
        default="PREFS",
    )
    inspect_map: EnumProperty(  # type: ignore[valid-type]
        name="Map",
        items=[
            ("chart", "Chart", "Chart (panel) id"),
            ("residual", "Wrinkles", "Wrinkle offset (mm)"),
            ("strain", "Strain", "Strain against the pattern (%)"),
            ("error", "Error", "Distance to the reference drape (mm)"),
        ],
        default="residual",
    )
    inspect_reference: bpy.props.PointerProperty(  # type: ignore[valid-type]
        name="Reference", description="A reference drape for the error map", type=bpy.types.Object
    )
    inspect_readout: StringProperty(name="Readout")  # type: ignore[valid-type]
    inspect_min: FloatProperty(name="Min")  # type: ignore[valid-type]
    inspect_max: FloatProperty(name="Max")  # type: ignore[valid-type]
    model_path: StringProperty(  # type: ignore[valid-type]
        name="Model",
        description="Refiner model JSON for this scene (empty: the preference's, else the bundled one)",
        subtype="FILE_PATH",
    )


CLASSES = (GarmentReportLine, BodySettings, GarmentSettings)


def register() -> None:
    bpy.types.Scene.garment = bpy.props.PointerProperty(type=GarmentSettings)


def unregister() -> None:
    del bpy.types.Scene.garment
