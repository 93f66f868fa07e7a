"""The entry points under fuzz, each as ``make(index, rng, workdir) -> Case`` over a corpus of
real files: the shipped example patterns, the GarmentCode drape in ../shared, the box meshes
the project makes, and the bundled model. A case writes only inside ``workdir``."""

from __future__ import annotations

import functools
import json
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

from .clis import cli_case
from .meshes import MeshSample, mutate_mesh, write_obj, write_ply
from .models import mutated_model
from .mutations import corrupt_bytes
from .patterns import mutate_spec_bytes, mutate_svg_bytes
from .runner import Case, Stage

ROOT = Path(__file__).resolve().parents[1]
PATTERNS = ROOT / "presets" / "patterns"
GARMENTCODE = ROOT.parent / "shared" / "garmentcode" / "dress_pencil"
Maker = Callable[[int, random.Random, Path], Case]


@functools.cache
def spec_corpus() -> list[dict]:
    files = sorted(PATTERNS.glob("*.json")) + sorted(GARMENTCODE.glob("*_specification.json"))
    return [json.loads(p.read_text()) for p in files]


@functools.cache
def svg_corpus() -> list[str]:
    files = sorted(PATTERNS.glob("*.svg")) + sorted(GARMENTCODE.glob("*_pattern.svg"))
    return [p.read_text() for p in files]


def _pattern_pipeline(path: Path) -> Callable[[Stage], None]:
    def call(stage: Stage) -> None:
        from core.boxmesh import build_box_mesh
        from core.pipeline import read_pattern_file
        from core.stitch_check import check_stitches

        stage.name = "parse"
        pattern = read_pattern_file(path)
        stage.name = "mesh"
        build_box_mesh(pattern, 2.0)
        stage.name = "stitches"
        check_stitches(pattern, None)
        stage.name = "done"

    return call


def pattern_json_case(index: int, rng: random.Random, workdir: Path) -> Case:
    data, ops = mutate_spec_bytes(rng.choice(spec_corpus()), rng)
    path = workdir / f"case{index}_specification.json"
    path.write_bytes(data)
    return Case("pattern_json", index, ops, str(path), _pattern_pipeline(path))


def pattern_svg_case(index: int, rng: random.Random, workdir: Path) -> Case:
    data, ops = mutate_svg_bytes(rng.choice(svg_corpus()), rng)
    path = workdir / f"case{index}_pattern.svg"
    path.write_bytes(data)
    return Case("pattern_svg", index, ops, str(path), _pattern_pipeline(path))


@functools.cache
def mesh_corpus() -> list[MeshSample]:
    """Box meshes of the shipped example patterns (panel ids and pattern UVs, 3 cm) and the
    GarmentCode drape (an outside mesh, no charts)."""
    from core.boxmesh import build_box_mesh
    from core.meshio import read_obj_corners
    from core.pattern import load_pattern

    out = []
    for path in sorted(PATTERNS.glob("*.json")):
        m = build_box_mesh(load_pattern(path), 3.0)
        out.append(MeshSample(m.vertices, m.faces, m.uv, m.panel_ids, tuple(m.panel_names), path))
    sim = GARMENTCODE / "dress_pencil_sim.obj"
    if sim.is_file():
        obj = read_obj_corners(sim)
        out.append(MeshSample(obj.vertices, obj.faces))
    return out


SHORT_NUVO = {"iterations": 5, "seed_iterations": 2}  # a fuzz checks inputs, not a fit's quality


def _mesh_call(path: Path, pattern_file: Path | None, nuvo: bool) -> Callable[[Stage], None]:
    def call(stage: Stage) -> None:
        from core.pattern import load_pattern
        from core.refiner.files import read_base
        from core.refiner.refine import RefineOptions, prepare_base

        pattern = load_pattern(pattern_file) if pattern_file else None
        stage.name = "parse"
        base = read_base(path, pattern)
        if base.uv is None and base.panel_ids is None and not nuvo:
            return  # a Nuvo fit takes seconds: only some cases go there
        stage.name = "charts"
        prepare_base(base, 1.2, 1.5, RefineOptions(nuvo=SHORT_NUVO))
        stage.name = "done"

    return call


def mesh_case(index: int, rng: random.Random, workdir: Path) -> Case:
    sample, ops = mutate_mesh(rng.choice(mesh_corpus()), rng)
    has_charts = sample.uv is not None and sample.panel is not None
    in_range = sample.faces.min() >= 0 and sample.faces.max() < len(sample.vertices)
    suffix = ".ply" if has_charts and in_range and rng.random() < 0.5 else ".obj"
    path = workdir / f"case{index}{suffix}"
    (write_ply if suffix == ".ply" else write_obj)(sample, path)
    if rng.random() < 0.15:
        data, kind = corrupt_bytes(path.read_bytes(), rng)
        path.write_bytes(data)
        ops.append(f"bytes:{kind}")
    pattern = sample.pattern_file if sample.panel is not None else None
    return Case("mesh", index, ops, str(path), _mesh_call(path, pattern, nuvo=rng.random() < 0.05))


@functools.cache
def small_garment():
    """The skirt's box mesh at 4 cm as a RefineInput: a small real input for a refine."""
    from core.boxmesh import build_box_mesh
    from core.pattern import load_pattern
    from core.refiner.refine import RefineInput

    pattern = load_pattern(PATTERNS / "skirt.json")
    m = build_box_mesh(pattern, 4.0)
    return RefineInput(m.vertices, m.faces, m.panel_ids, m.uv, pattern=pattern, source="skirt box mesh")


def model_case(index: int, rng: random.Random, workdir: Path) -> Case:
    path, ops = mutated_model(workdir / f"model{index}", rng)
    runtime = rng.choice(("auto", "onnx", "torch"))
    run = rng.random() < 0.15

    def call(stage: Stage) -> None:
        from core.refiner.refine import RefineOptions, Refiner

        stage.name = "load"
        refiner = Refiner(path, device="cpu", runtime=runtime)
        stage.name = "loaded"
        if run:
            refiner.refine(small_garment(), RefineOptions(steps=1, device="cpu"))
            stage.name = "done"

    return Case("model", index, [*ops, f"runtime={runtime}"], str(path.parent), call)


@functools.cache
def bundled_refiner():
    from core.refiner.refine import Refiner

    return Refiner(device="cpu")


HOSTILE_OPTIONS = {
    "seed": (-1, 2**40, 1.5, "7", None, True),
    "steps": (0, -3, 2, 5000, 2.5, "3"),
    "strength": (0.0, -1.0, 2.5, float("nan"), float("inf"), 1e9, "1"),
    "material": ("soft", "stiff", "velvet", "", 3),
    "edge_length": (1e-6, 0.0, -1.0, float("nan"), 2.0, 1e6),
    "device": ("cpu", "cuda", "tpu", ""),
    "max_texels": (0, -5, 10, 1.5),
}


def refine_case(index: int, rng: random.Random, workdir: Path) -> Case:
    """A mildly mutated real mesh (arrays, as Blender hands them over) and hostile options."""
    from core.refiner.refine import RefineInput, RefineOptions

    corpus = [m for m in mesh_corpus() if m.panel is not None]
    sample, ops = mutate_mesh(rng.choice(corpus), rng)
    options: dict = {}
    for _ in range(rng.choice((0, 0, 1, 2))):
        name = rng.choice(list(HOSTILE_OPTIONS))
        options[name] = rng.choice(HOSTILE_OPTIONS[name])
        ops.append(f"{name}={options[name]!r}")
    options.setdefault("steps", 1)
    options["nuvo"] = SHORT_NUVO
    source = f"fuzz mesh {index}"

    def call(stage: Stage) -> None:
        from core.pattern import load_pattern
        from core.refiner.refine import refine

        pattern = load_pattern(sample.pattern_file)
        stage.name = "input"
        base = RefineInput(
            sample.vertices, sample.faces, sample.panel, sample.uv, pattern=pattern, source=source
        )
        refine(base, bundled_refiner(), RefineOptions(**options))
        stage.name = "done"

    return Case("refine", index, ops, source, call)


@functools.cache
def cli_files() -> dict[str, list[Path]]:
    """Real inputs for the CLIs: an example pattern (JSON and SVG), its box mesh as PLY and OBJ
    (4 cm: a quick refine), a mesh without charts, a broken pattern and the bundled model."""
    from core.boxmesh import build_box_mesh
    from core.meshio import save_garment_mesh
    from core.pattern import load_pattern

    folder = Path(tempfile.mkdtemp(prefix="fuzz_cli_inputs_"))
    skirt = build_box_mesh(load_pattern(PATTERNS / "skirt.json"), 4.0)
    meshes = [
        save_garment_mesh(skirt, folder / "skirt_box.ply"),
        save_garment_mesh(skirt, folder / "skirt_box.obj"),
    ]
    bare = folder / "bare.obj"
    bare.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    broken = folder / "broken_specification.json"
    broken.write_text('{"pattern": {"panels": {"a": {"vertices": [[0, 0], [1e9, 0], [0, 1]]}}}}')
    configs = [ROOT / "configs" / "refiner.yaml", ROOT / "configs" / "fit.yaml"]
    bad_configs = []
    for i, text in enumerate(
        (
            "steps: [\n",
            "steps: -3\nlr: .nan\n",
            "kind: garment_fit\niterations: ten\n",
            "- a list\n",
            "patch: 1e400\nbatch: true\n",
            "kind: garment_fit\nstage2_start: 0\nresidual_scale: max\n",
            "\xff\xfe",
        )
    ):
        bad_configs.append(folder / f"bad{i}.yaml")
        bad_configs[-1].write_text(text, encoding="latin-1")
    datasets = []
    for i, text in enumerate(('{"samples": 3}', "{", '{"samples": [{"id": "x"}]}', "[]")):
        (folder / f"data{i}").mkdir()
        (folder / f"data{i}" / "manifest.json").write_text(text)
        datasets.append(folder / f"data{i}")
    return {
        "config": configs,
        "broken_config": bad_configs,
        "dataset": datasets,
        "mesh": [*meshes, bare],
        "pattern": [PATTERNS / "skirt.json", PATTERNS / "skirt.svg"],
        "broken": [broken],
        "model": [ROOT / "models" / "refiner.json"],
    }


def _cli(name: str) -> Maker:
    def make(index: int, rng: random.Random, workdir: Path) -> Case:
        return cli_case(name, cli_files())(index, rng, workdir)

    return make


TARGETS: dict[str, Maker] = {
    "pattern_json": pattern_json_case,
    "pattern_svg": pattern_svg_case,
    "mesh": mesh_case,
    "model": model_case,
    "refine": refine_case,
    "cli_refine": _cli("refine"),
    "cli_check_pattern": _cli("check_pattern"),
    "cli_batch": _cli("batch"),
    "cli_evaluate": _cli("evaluate"),
    "cli_train": _cli("train"),
}
TIME_LIMITS = {"cli_evaluate": 120.0}  # s: evaluate measures three surfaces' detail (~10 s each)
PARSERS = ("pattern_json", "pattern_svg", "mesh", "model")
