#!/usr/bin/env python3
"""The results tables: every method on every held-out garment, with both base kinds.

    python scripts/results.py --data data/drapes_v2 --runs runs [--split test] [--max-garments N]
        [--seeds 0,1,2,3] [--methods ...] --out docs/results.json

Bases: ``coarse_sim`` (the independent coarse drape at ~4 cm edges, upsampled through the
pattern exactly as a user's mesh is: what the refiner meets) and ``lowpass`` (the fine
drape low-passed: same large-scale shape, so placement is measurable). Methods: the base
itself, Rohmer-style strain wrinkles, spectrum-matched noise (``runs/noise``), the one-step
regression (``runs/regression``), the per-vertex MLP (``runs/point_mlp``) and the refiner
(``runs/refiner``) at 5 and 10 steps; every row at strength 1. Each garment is measured
against its fine drape with ``core.refiner.evaluation.evaluate``; the tables hold family
means and say where a target of the refiner issue is met or missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from core.dataset import load_arrays  # noqa: E402
from core.detail import surface_detail  # noqa: E402
from core.garment_mesh import GarmentMesh  # noqa: E402
from core.pattern import pattern_from_dict  # noqa: E402
from core.refiner.baselines import SpectrumNoise, strain_wrinkles  # noqa: E402
from core.refiner.evaluation import evaluate, fold_direction  # noqa: E402
from core.refiner.evaluation_bases import evaluation_bases  # noqa: E402
from core.refiner.features import condition_images, point_features  # noqa: E402
from core.refiner.field import offset_cap, world_offsets  # noqa: E402
from core.refiner.raster import build_rasterizer  # noqa: E402
from core.refiner.refine import RefineInput, Refiner, prepare_base  # noqa: E402
from core.refiner.sampling import denoise_charts  # noqa: E402
from core.refiner.training_data import local_residual  # noqa: E402

PITCH = 0.5


def method_images(name: str, cond, rast, material: str, seed: int, models: dict) -> list[np.ndarray]:
    """Residual images (cm, local frame) per chart for an image-space method."""
    if name == "base":
        return [np.zeros((3, *c.shape[1:]), np.float32) for c in cond]
    if name == "strain_wrinkles":
        return [strain_wrinkles(c, PITCH, material, phase=seed) for c in cond]
    if name == "noise":
        rng = np.random.default_rng(seed)
        return [models["noise"].sample(m.shape, rng, m) for m in rast.masks]
    key, steps = {
        "regression": ("regression", 1),
        "refiner_5": ("refiner", 5),
        "refiner_10": ("refiner", 10),
    }[name]
    refiner = models[key]
    images = denoise_charts(
        cond, refiner.runtime, refiner.plan(steps), seed, refiner.multiple, key != "regression"
    )
    return [img * refiner.scale[:, None, None] for img in images]


def point_mlp_offsets(model_path: Path, base, charts, material: str, seed: int) -> np.ndarray:
    import torch

    from core.refiner.modelfile import load_model
    from core.refiner.point_mlp import PointDenoiser, point_inputs, sample_points
    from core.refiner.schedule import SamplerPlan

    desc, tensors = load_model(model_path)
    model = PointDenoiser()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
    feats, frames = point_features(base, charts)
    x = sample_points(
        model,
        point_inputs(feats, charts.uv, material, charts.rest_known),
        SamplerPlan.from_json(desc["sampler"]["5"]),
        seed,
    )
    local = x * np.asarray(desc["residual_scale_cm"])
    world = charts.average_over_groups(np.einsum("pji,pj->pi", frames, local))
    out = charts.to_vertices(world, len(base))
    length = np.linalg.norm(out, axis=1, keepdims=True)
    return out * np.minimum(1.0, offset_cap(base) / np.maximum(length, 1e-12))


def garment_rows(
    garment: dict,
    base_kind: str,
    base,
    charts,
    fine,
    faces,
    pairs,
    methods,
    seeds,
    models,
    runs: Path,
    save=None,
) -> list[dict]:
    """Every method and seed on one garment and base kind, measured against its fine drape."""
    rows = []
    feats, frames = point_features(base, charts)
    rast = build_rasterizer(charts, PITCH)
    cond = condition_images(rast, feats, garment["material"])
    true_images = rast.rasterize(local_residual(fine, base, charts, frames))
    known = {"reference": surface_detail(fine, faces), "base": surface_detail(base, faces)}
    for method in methods:
        per_seed = []
        for seed in seeds:
            t0 = time.perf_counter()
            if method == "point_mlp":
                offsets = point_mlp_offsets(
                    runs / "point_mlp" / "point_mlp.json", base, charts, garment["material"], seed
                )
                images = rast.rasterize(local_residual(base + offsets, base, charts, frames))
            else:
                images = method_images(method, cond, rast, garment["material"], seed, models)
                offsets = world_offsets(rast, images, frames, len(base), cap=offset_cap(base))
            seconds = time.perf_counter() - t0
            per_seed.append(offsets)
            if save is not None and seed == seeds[0]:
                save(f"{garment['id']}_{base_kind}_{method}", base + offsets)
            ev = evaluate(base + offsets, fine, faces, base=base, seam_pairs=pairs, known_detail=known)
            ev["fold_direction"] = {
                "refined": fold_direction(images, cond, rast.masks),
                "reference": fold_direction(true_images, cond, rast.masks),
            }
            rows.append(
                {**garment, "base": base_kind, "method": method, "seed": seed, "seconds": seconds, **ev}
            )
            d2, f2 = ev["detail"]["refined"]["detail"]["2"], ev["detail"]["reference"]["detail"]["2"]
            print(
                f"{garment['id']} {base_kind:10s} {method:16s} seed {seed}: r2 {d2:.3f} (fine {f2:.3f})",
                flush=True,
            )
        spread = seed_spread(per_seed)
        for row in rows[-len(seeds) :]:
            row["seed_spread"] = spread
    return rows


def mesh_saver(folder: str, data: Path, sample_id: str, arrays: dict):
    """A function ``save(name, vertices)`` writing the garment at the fine topology with its
    body to ``folder/name.npz`` (what ``scripts/render_sheet.py --npz`` renders)."""
    from core.body import BodyParams, make_body
    from core.dataset import read_meta

    body = make_body(BodyParams(**read_meta(data, sample_id)["body"]), 2.0)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)

    def save(name: str, vertices: np.ndarray) -> None:
        np.savez_compressed(
            out / f"{name}.npz",
            vertices=np.asarray(vertices, np.float32),
            faces=arrays["fine_faces"],
            panel=arrays["fine_panel"],
            body_vertices=body.vertices,
            body_faces=body.faces,
        )

    return save


def seed_spread(offsets: list[np.ndarray]) -> float:
    """How much the seed changes the wrinkles: the mean over seed pairs of the RMS difference
    of the offsets, over their RMS (0: the seed changes nothing; ~1.4: independent patterns)."""
    if len(offsets) < 2:
        return float("nan")
    rms = float(np.sqrt(np.mean([np.mean(np.sum(o**2, axis=1)) for o in offsets])))
    if rms == 0:
        return 0.0
    diffs = [
        np.sqrt(np.mean(np.sum((a - b) ** 2, axis=1)))
        for i, a in enumerate(offsets)
        for b in offsets[i + 1 :]
    ]
    return float(np.mean(diffs) / rms)


def garmentcode_rows(folder: Path, methods, seeds, models, runs: Path) -> list[dict]:
    """GarmentCode's simulated pencil dress (another simulator), refined from its own low-pass
    version (Taubin, 20 rounds, as the dataset's low-pass base): charts from its UV islands,
    no rest shape (strain unknown), material mid."""
    from core.drape_metrics import taubin_smooth
    from core.meshio import read_obj_corners

    obj = read_obj_corners(folder / "dress_pencil_sim.obj")
    fine = np.asarray(obj.vertices, np.float64)
    lowpass = taubin_smooth(fine, obj.faces, 20)
    base_in = RefineInput(lowpass, obj.faces, uv=obj.uv, uv_faces=obj.uv_faces, source="dress_pencil_sim.obj")
    v, f, charts, _, _ = prepare_base(base_in, target_edge=1e6)
    garment = {"id": "garmentcode_dress_pencil", "family": "garmentcode", "material": "mid"}
    return garment_rows(garment, "pencil_lowpass", v, charts, fine, f, None, methods, seeds, models, runs)


def _row_values(r: dict) -> dict[str, float]:
    d, ref = r["detail"]["refined"], r["detail"]["reference"]
    out = {f"ratio_{k}": d["detail"][k] / ref["detail"][k] for k in ("0.5", "1", "2", "4")}
    out.update(
        creases=d["sharp_creases"],
        creases_fine=ref["sharp_creases"],
        lse=r["large_scale_error"]["mean_cm"],
        lse_base=r["large_scale_error_base"]["mean_cm"],
        place=r["placement"]["overall"],
        place_band=r["placement"]["band_2_4cm"],
        fold=r["fold_direction"]["refined"],
        fold_fine=r["fold_direction"]["reference"],
        gap=r.get("seam_gap_cm", {}).get("refined", float("nan")),
        gap_base=r.get("seam_gap_cm", {}).get("base", float("nan")),
    )
    return out


def _means(rows: list[dict], base: str, method: str) -> dict[str, float] | None:
    vals = [_row_values(r) for r in rows if r["base"] == base and r["method"] == method]
    if not vals:
        return None
    out = {k: float(np.mean([v[k] for v in vals])) for k in vals[0]}
    out["gap_excess_max"] = float(max(v["gap"] - v["gap_base"] for v in vals))
    return out


def summary_table(rows: list[dict]) -> str:
    """Markdown: per base kind and method, means over garments and seeds."""
    head = [
        "base",
        "method",
        "detail / fine at 0.5, 1, 2, 4 cm",
        "creases (fine)",
        "large-scale error cm (base)",
    ]
    head += ["placement all / 2-4 cm", "fold direction (fine)", "seam gap cm (base)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for base, method in sorted({(r["base"], r["method"]) for r in rows}):
        m = _means(rows, base, method)
        ratios = " / ".join(f"{m[f'ratio_{k}']:.2f}" for k in ("0.5", "1", "2", "4"))
        cells = [base, method, ratios, f"{m['creases']:.2%} ({m['creases_fine']:.2%})"]
        cells += [f"{m['lse']:.3f} ({m['lse_base']:.3f})", f"{m['place']:.2f} / {m['place_band']:.2f}"]
        cells += [f"{m['fold']:.2f} ({m['fold_fine']:.2f})", f"{m['gap']:.2f} ({m['gap_base']:.2f})"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def family_table(rows: list[dict], methods=("base", "point_mlp", "regression", "refiner_5")) -> str:
    """Markdown: detail / fine at 1 and 2 cm and placement per family, for a few methods."""
    head = ["base", "family", "garments"] + [f"{m}: detail 1 / 2 cm, placement" for m in methods]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for base, family in sorted({(r["base"], r["family"]) for r in rows}):
        sel = [r for r in rows if r["base"] == base and r["family"] == family]
        cells = [base, family, str(len({r["id"] for r in sel}))]
        for method in methods:
            m = _means(sel, base, method)
            if m is None:
                cells.append("-")
                continue
            cells.append(f"{m['ratio_1']:.2f} / {m['ratio_2']:.2f}, {m['place']:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets_table(rows: list[dict], model: str = "refiner_5") -> str:
    """Markdown: each target of the refiner issue, per base kind, met or missed (means over
    garments; baselines are every other method present but the refiner's other step counts)."""
    lines = ["| base | target | refiner | against | verdict |", "|---|---|---|---|---|"]
    for base in sorted({r["base"] for r in rows}):
        m = _means(rows, base, model)
        if m is None:
            continue
        others = sorted(
            {r["method"] for r in rows if r["base"] == base and not r["method"].startswith("refiner")}
        )
        ref = {o: _means(rows, base, o) for o in others}

        def add(target, value, against, ok, base=base):
            lines.append(f"| {base} | {target} | {value} | {against} | {'met' if ok else '**missed**'} |")

        ratios = [m[f"ratio_{k}"] for k in ("1", "2", "4")]
        add(
            "detail at 1 / 2 / 4 cm within 15 % of the fine drape's",
            " / ".join(f"{x:.2f}" for x in ratios),
            "0.85-1.15",
            all(abs(x - 1) <= 0.15 for x in ratios),
        )
        for k in ("1", "2", "4"):
            dist = abs(m[f"ratio_{k}"] - 1)
            best = min(others, key=lambda o: abs(ref[o][f"ratio_{k}"] - 1)) if others else None
            if best is None:
                continue
            bd = abs(ref[best][f"ratio_{k}"] - 1)
            add(
                f"closer to the fine drape at {k} cm than every baseline",
                f"{m[f'ratio_{k}']:.3f}",
                f"closest baseline {best} {ref[best][f'ratio_{k}']:.3f}",
                dist < bd,
            )
        add(
            "detail at 0.5 cm at most 1.3x the fine drape's",
            f"{m['ratio_0.5']:.2f}",
            "1.30",
            m["ratio_0.5"] <= 1.3,
        )
        add(
            "sharp creases no more than the fine drape's",
            f"{m['creases']:.2%}",
            f"{m['creases_fine']:.2%}",
            m["creases"] <= m["creases_fine"],
        )
        add(
            "large-scale error no worse than the base's (cm)",
            f"{m['lse']:.3f}",
            f"{m['lse_base']:.3f}",
            m["lse"] <= m["lse_base"],
        )
        if base != "coarse_sim":  # placement needs the reference's large-scale shape
            rivals = [o for o in ("noise", "strain_wrinkles") if o in ref]
            best = max((ref[o]["place"] for o in rivals), default=float("nan"))
            add(
                "placement better than noise and strain wrinkles",
                f"{m['place']:.2f}",
                f"{best:.2f}",
                bool(rivals) and m["place"] > best,
            )
        if np.isfinite(m["gap_excess_max"]):
            add(
                "seams never opened (gap at most the base's + 1 mm, worst garment)",
                f"+{m['gap_excess_max'] * 10:.2f} mm",
                "+1 mm",
                m["gap_excess_max"] <= 0.1,
            )
    return "\n".join(lines)


def diversity_table(rows: list[dict]) -> str:
    """Markdown: per method with several seeds, how much the seed changes the wrinkles
    (:func:`seed_spread`) and how little it changes their statistics (std over seeds of the
    detail ratio at 1 and 2 cm, mean over garments)."""
    head = ["base", "method", "seeds", "seed spread", "std over seeds of detail / fine at 1 / 2 cm"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for base, method in sorted({(r["base"], r["method"]) for r in rows}):
        sel = [r for r in rows if r["base"] == base and r["method"] == method]
        ids = sorted({r["id"] for r in sel})
        spreads = [r["seed_spread"] for r in sel if np.isfinite(r.get("seed_spread", float("nan")))]
        if not spreads:
            continue
        stds = {
            k: float(np.mean([np.std([_row_values(r)[k] for r in sel if r["id"] == i]) for i in ids]))
            for k in ("ratio_1", "ratio_2")
        }
        seeds = len({r["seed"] for r in sel})
        cells = [base, method, str(seeds), f"{np.mean(spreads):.2f}"]
        cells.append(f"{stds['ratio_1']:.3f} / {stds['ratio_2']:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def merged_rows(files: list[list[dict]]) -> list[dict]:
    """The rows of several results files; a later file's row replaces an earlier one of the same
    garment, base, method and seed (a re-measured method), keeping the earlier order."""
    merged: dict[tuple, dict] = {}
    for rows in files:
        for r in rows:
            merged[(r["id"], r["base"], r["method"], r["seed"])] = r
    return list(merged.values())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--runs", default=str(ROOT / "runs"))
    ap.add_argument("--split", default="test")
    ap.add_argument("--max-garments", type=int, default=None)
    ap.add_argument("--seeds", default="0")
    ap.add_argument(
        "--methods", default="base,strain_wrinkles,noise,regression,point_mlp,refiner_5,refiner_10"
    )
    ap.add_argument("--out", default=str(ROOT / "docs" / "results.json"))
    ap.add_argument("--refiner-run", default=None, help="the refiner's run folder (default: <runs>/refiner)")
    ap.add_argument(
        "--regression-run",
        default=None,
        help="the regression baseline's run folder (default: <runs>/regression)",
    )
    ap.add_argument(
        "--garmentcode",
        default=None,
        help="also GarmentCode's pencil dress folder (../shared/garmentcode/dress_pencil)",
    )
    ap.add_argument("--family", default=None, help="only garments of this family")
    ap.add_argument("--save-meshes", default=None, help="folder for each result's mesh (seed 0) as .npz")
    ap.add_argument("--per-family", type=int, default=None, help="the first N garments of each family")
    ap.add_argument(
        "--tables",
        nargs="+",
        default=None,
        help="only print the tables of earlier results JSON files (a later file's row replaces an "
        "earlier one of the same garment, base, method and seed)",
    )
    args = ap.parse_args(argv)
    if args.tables:
        rows = merged_rows([json.loads(Path(f).read_text())["rows"] for f in args.tables])
        print(summary_table(rows))
        print()
        print(family_table(rows))
        print()
        print(targets_table(rows))
        if any(np.isfinite(r.get("seed_spread", float("nan"))) for r in rows):
            print()
            print(diversity_table(rows))
        return 0
    data, runs = Path(args.data), Path(args.runs)
    manifest = json.loads((data / "manifest.json").read_text())
    box_edge = manifest["config"]["fine_edge_cm"]
    rows_in = [
        r
        for r in manifest["samples"]
        if r["status"] == "ok" and r["split"] == args.split and args.family in (None, r["family"])
    ]
    if args.per_family:
        families = sorted({r["family"] for r in rows_in})
        by_family = {fam: [x for x in rows_in if x["family"] == fam] for fam in families}
        rows_in = [r for fam in families for r in by_family[fam][: args.per_family]]
    rows_in = rows_in[: args.max_garments]
    methods = args.methods.split(",")
    models: dict = {}
    if "noise" in methods:
        models["noise"] = SpectrumNoise.from_json(json.loads((runs / "noise" / "noise.json").read_text()))
    for key in ("refiner", "regression"):
        if any(m.startswith(key) for m in methods):
            chosen = {"refiner": args.refiner_run, "regression": args.regression_run}[key]
            run = Path(chosen) if chosen else runs / key
            models[key] = Refiner(run / "refiner.json")
    seeds = [int(x) for x in args.seeds.split(",")]
    rows = []
    for r in rows_in:
        a = load_arrays(data, r["id"])
        pattern = pattern_from_dict(json.loads((data / "samples" / r["id"] / "pattern.json").read_text()))
        fine = np.asarray(a["fine_vertices"], np.float64)
        pairs = GarmentMesh(
            fine, a["fine_faces"], a["fine_panel"], a["fine_uv"], list(pattern.panels), a["fine_seam_pairs"]
        ).seam_pairs
        garment = {"id": r["id"], "family": r["family"], "material": r["material"]}
        save = mesh_saver(args.save_meshes, data, r["id"], a) if args.save_meshes else None
        if save is not None:
            save(f"{r['id']}_fine", fine)
        for base_kind, (base, charts) in evaluation_bases(a, pattern, box_edge).items():
            if save is not None:
                save(f"{r['id']}_{base_kind}", base)
            rows += garment_rows(
                garment,
                base_kind,
                base,
                charts,
                fine,
                a["fine_faces"],
                pairs,
                methods,
                seeds,
                models,
                runs,
                save,
            )
    if args.garmentcode:
        rows += garmentcode_rows(Path(args.garmentcode), methods, seeds, models, runs)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"command": " ".join(["python", "scripts/results.py", *(argv or sys.argv[1:])]), "rows": rows}
        )
        + "\n"
    )
    print(summary_table(rows))
    print(family_table(rows))
    print(f"wrote {out}: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
