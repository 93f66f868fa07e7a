#!/usr/bin/env python3
"""Evaluate a refined garment against a reference drape.

    python scripts/evaluate.py --refined R.ply --reference GT.ply [--base B.ply] --report out.json
        [--plots DIR] [--render] [--pattern P.json]

Meshes in cm, +Y up (PLY with panel ids and pattern uv as this project writes them, OBJ or
GLB). With the same vertex count the meshes are taken to correspond (v2v error, normal
consistency, dihedral and curvature differences, placement); otherwise the large-scale
error is a two-sided Chamfer distance. ``--plots`` writes detail-vs-radius curves, maps of
the residual's magnitude and of the large-scale error, and with ``--render`` a close-up
(raking light, grey) of base | refined | reference through Blender's Cycles.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from core.meshio import load_mesh  # noqa: E402
from core.refiner.evaluation import evaluate, fold_direction  # noqa: E402


def _fold_direction(base, refined, pattern_path) -> float | None:
    """Fold direction in the charts of a panel-carrying base (needs panel ids and uv)."""
    if base.panel_ids is None or base.uv is None:
        return None
    from core.refiner.charts import charts_from_panels
    from core.refiner.features import condition_images, point_features
    from core.refiner.raster import build_rasterizer
    from core.refiner.training_data import local_residual

    pairs = None
    if pattern_path:
        from core.boxmesh import stitch_pairs
        from core.garment_mesh import GarmentMesh
        from core.pipeline import read_pattern_file

        pattern = read_pattern_file(pattern_path)
        names = list(pattern.panels)
        pairs = stitch_pairs(pattern, GarmentMesh(base.vertices, base.faces, base.panel_ids, base.uv, names))
    n = int(base.panel_ids.max()) + 1
    charts = charts_from_panels(base.panel_ids, base.uv, base.faces, [f"p{i}" for i in range(n)], pairs)
    feats, frames = point_features(base.vertices, charts)
    rast = build_rasterizer(charts)
    cond = condition_images(rast, feats, "mid")
    res = rast.rasterize(local_residual(refined.vertices, base.vertices, charts, frames))
    return fold_direction(res, cond, rast.masks)


def plots(report: dict, refined, reference, base, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    files = []
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name, style in (("base", "--"), ("refined", "-"), ("reference", ":")):
        d = report["detail"].get(name)
        if d:
            r = sorted(d["detail"], key=float)
            ax.plot([float(k) for k in r], [d["detail"][k] for k in r], style, marker="o", label=name)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("radius (cm)")
    ax.set_ylabel("detail (normal dispersion)")
    ax.legend()
    fig.tight_layout()
    files.append(out / "detail_vs_radius.png")
    fig.savefig(files[-1], dpi=120)
    plt.close(fig)
    if base is not None and len(base.vertices) == len(refined.vertices) == len(reference.vertices):
        fig, axes = plt.subplots(1, 3, figsize=(12, 5), sharex=True, sharey=True)
        ref_res = np.linalg.norm(reference.vertices - base.vertices, axis=1)
        our_res = np.linalg.norm(refined.vertices - base.vertices, axis=1)
        vmax = float(np.percentile(np.r_[ref_res, our_res], 99))
        err = np.linalg.norm(refined.vertices - reference.vertices, axis=1)
        for ax, values, title, cmap, top in (
            (axes[0], our_res, "|refined - base| (cm)", "magma", vmax),
            (axes[1], ref_res, "|reference - base| (cm)", "magma", vmax),
            (axes[2], err, "|refined - reference| (cm)", "viridis", float(np.percentile(err, 99))),
        ):
            order = np.argsort(base.vertices[:, 2])  # front-most drawn last
            sc = ax.scatter(
                base.vertices[order, 0],
                base.vertices[order, 1],
                c=values[order],
                s=1,
                cmap=cmap,
                vmin=0,
                vmax=top,
            )
            ax.set_title(title)
            ax.set_aspect("equal")
            fig.colorbar(sc, ax=ax, shrink=0.7)
        fig.tight_layout()
        files.append(out / "residual_and_error_maps.png")
        fig.savefig(files[-1], dpi=120)
        plt.close(fig)
    return files


def render(refined, reference, base, out: Path) -> Path:
    """base | refined | reference close-ups through scripts/render_sheet.py (bpy)."""
    tmp = Path(tempfile.mkdtemp())
    paths = []
    empty = np.zeros((0, 3))
    for name, mesh in (("base", base), ("refined", refined), ("reference", reference)):
        if mesh is None:
            continue
        p = tmp / f"{name}.npz"
        panel = mesh.panel_ids if mesh.panel_ids is not None else np.zeros(len(mesh.vertices), np.int32)
        np.savez(
            p,
            vertices=mesh.vertices,
            faces=mesh.faces,
            panel=panel,
            body_vertices=empty,
            body_faces=np.zeros((0, 3), int),
        )
        paths.append(str(p))
    png = out / "closeup_base_refined_reference.png"
    cmd = [
        sys.executable,
        str(ROOT / "scripts" / "render_sheet.py"),
        "--npz",
        *paths,
        "--cols",
        str(len(paths)),
        "--size",
        "512",
        "--closeup",
        "--out",
        str(png),
    ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=600)
    return png


def check_plot_folder(folder: str) -> None:
    """The plots' folder, made now: an OutputError before the work when it cannot be."""
    from core.errors import OutputError

    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot make the plots folder: {err.strerror or err}", source=folder) from err
    if not os.access(path, os.W_OK):
        raise OutputError("the plots folder is not writable", source=folder)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--refined", required=True)
    ap.add_argument("--reference", required=True)
    ap.add_argument("--base", default=None)
    ap.add_argument("--pattern", default=None, help="pattern of panel-carrying meshes (seam pairs)")
    ap.add_argument("--report", required=True)
    ap.add_argument("--plots", default=None, help="folder for PNG plots")
    ap.add_argument("--render", action="store_true", help="also a Cycles close-up (needs bpy)")
    args = ap.parse_args(argv)
    from core.errors import GarmentError

    try:
        return run(args)
    except GarmentError as err:  # an input or output the evaluation cannot use: said, not traced
        print(f"error: {err}", file=sys.stderr)
        return 1


def run(args: argparse.Namespace) -> int:
    from core.outputs import check_output, write_text_atomic

    report_path = check_output(args.report, (".json",), "report")
    if args.plots:
        check_plot_folder(args.plots)
    refined, reference = load_mesh(args.refined), load_mesh(args.reference)
    base = load_mesh(args.base) if args.base else None
    corresponds = len(refined.vertices) == len(reference.vertices)
    report = evaluate(
        refined.vertices,
        reference.vertices,
        refined.faces,
        base=base.vertices if base is not None and len(base.vertices) == len(refined.vertices) else None,
        ref_faces=None if corresponds else reference.faces,
    )
    if base is not None and len(base.vertices) == len(refined.vertices):
        fd = _fold_direction(base, refined, args.pattern)
        if fd is not None:
            report["fold_direction"] = {
                "refined": fd,
                "reference": _fold_direction(base, reference, args.pattern) if corresponds else None,
            }
    report["inputs"] = {"refined": args.refined, "reference": args.reference, "base": args.base}
    if args.plots:
        out = Path(args.plots)
        report["plots"] = [str(p) for p in plots(report, refined, reference, base, out)]
        if args.render:
            report["plots"].append(str(render(refined, reference, base, out)))
    write_text_atomic(report_path, json.dumps(report, indent=1) + "\n")
    d, err = report["detail"], report["large_scale_error"]
    print(
        "detail r1/r2/r4 refined "
        + " ".join(f"{d['refined']['detail'][k]:.3f}" for k in ("1", "2", "4"))
        + " | reference "
        + " ".join(f"{d['reference']['detail'][k]:.3f}" for k in ("1", "2", "4"))
        + f" | large-scale error {err['mean_cm']:.3f} cm ({err['kind']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
