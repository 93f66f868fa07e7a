#!/usr/bin/env python3
"""Drape the same box-mesh garments with the Blender and the Newton engine, side by side.

    python bench/drape_engines.py [--family skirt] [--edge-lengths 4,2.2,1.4] [--frames 60]
        [--engines blender,newton] [--self-collision 0,1] [--material mid] [--device cpu]
        [--save DIR] [--out bench/results/drape_engines.json]

For each garment size and engine it reports the wall time (model setup included), seconds per
frame, the final seam gap (max / mean over seam pairs, cm), the cloth vertices inside the body,
NaNs and the mean vertex speed over the last 5 frames (cm/frame; small = settled). An engine
that cannot be imported (no ``bpy`` / no ``newton``) is listed as unavailable, not an error.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.body import BodyParams, make_body, signed_distance_inside  # noqa: E402
from core.boxmesh import build_box_mesh  # noqa: E402
from core.garments import FAMILIES  # noqa: E402
from core.garments.base import sample_pattern  # noqa: E402


def _engine(name: str):
    """The ``drape`` function of an engine, or the reason it is unavailable."""
    try:
        if name == "blender":
            from sim.blender_cloth import drape
        elif name == "newton":
            from sim import newton_cloth

            if not newton_cloth.available():
                return None, f"newton not installed ({newton_cloth.INSTALL_HINT})"
            drape = newton_cloth.drape
        else:
            return None, f"unknown engine {name!r}"
    except Exception as exc:  # an engine that does not import is reported, not fatal
        return None, f"{type(exc).__name__}: {exc}"
    return drape, None


def _versions() -> dict:
    out = {"python": platform.python_version(), "numpy": np.__version__}
    for mod in ("bpy", "newton", "warp"):
        try:
            m = __import__(mod)
            out[mod] = str(getattr(m, "__version__", getattr(getattr(m, "app", None), "version_string", "?")))
        except Exception:
            out[mod] = None
    return out


def run(args) -> dict:
    body = make_body(BodyParams(), args.body_resolution)
    pattern, _ = sample_pattern(FAMILIES[args.family], args.seed, BodyParams())
    engines = {name: _engine(name) for name in args.engines}
    rows = []
    for el in args.edge_lengths:
        mesh = build_box_mesh(pattern, edge_length=el)
        v, f, sp = mesh.vertices, mesh.faces, np.asarray(mesh.seam_pairs).reshape(-1, 2)
        for name, (drape, why) in engines.items():
            for sc in args.self_collision:
                row = {
                    "engine": name,
                    "family": args.family,
                    "edge_length": el,
                    "vertices": len(v),
                    "faces": len(f),
                    "seam_pairs": len(sp),
                    "self_collision": bool(sc),
                    "material": args.material,
                    "frames": args.frames,
                }
                if drape is None:
                    rows.append({**row, "status": "unavailable", "error": why})
                    _print_row(rows[-1])
                    continue
                kw = {"device": args.device} if name == "newton" else {}
                try:
                    t0 = time.perf_counter()
                    res = drape(
                        v,
                        f,
                        sp,
                        body.vertices,
                        body.faces,
                        material=args.material,
                        frames=args.frames,
                        self_collision=bool(sc),
                        **kw,
                    )
                    wall = time.perf_counter() - t0
                except Exception as exc:
                    rows.append(
                        {
                            **row,
                            "status": "error",
                            "error": f"{type(exc).__name__}: {exc}",
                            "traceback": traceback.format_exc(),
                        }
                    )
                    _print_row(rows[-1])
                    continue
                x = np.asarray(res.vertices, float)
                if args.save:
                    args.save.mkdir(parents=True, exist_ok=True)
                    tag = f"{name}_{args.family}_{len(v)}_sc{int(sc)}.npz"
                    np.savez_compressed(args.save / tag, vertices=x, faces=f, seam_pairs=sp, rest=v)
                finite = bool(np.isfinite(x).all())
                gap = np.linalg.norm(x[sp[:, 0]] - x[sp[:, 1]], axis=1) if len(sp) and finite else np.zeros(1)
                hist = np.asarray(res.history, float)
                rows.append(
                    {
                        **row,
                        "status": "ok",
                        "frames_run": int(res.frames_run),
                        "seconds": round(wall, 2),
                        "s_per_frame": round(wall / max(res.frames_run, 1), 4),
                        "seam_gap_max": round(float(gap.max()), 3),
                        "seam_gap_mean": round(float(gap.mean()), 3),
                        "inside_body": int(signed_distance_inside(body, x).sum()) if finite else None,
                        "nan": not finite,
                        "final_speed": round(float(hist[-5:].mean()), 4) if len(hist) else None,
                        "y_range": [round(float(x[:, 1].min()), 1), round(float(x[:, 1].max()), 1)]
                        if finite
                        else None,
                    }
                )
                _print_row(rows[-1])
    return {
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "host": {"cpus": os.cpu_count(), "load_avg_start": os.getloadavg(), "machine": platform.machine()},
        "versions": _versions(),
        "rows": rows,
    }


HEADER = (
    f"{'engine':8} {'self':>4} {'verts':>6} {'frames':>6} {'seconds':>8} {'s/frame':>8} "
    f"{'gap max':>8} {'gap mean':>8} {'inside':>6} {'speed':>7} {'nan':>4}"
)


def _print_row(r: dict) -> None:
    if r["status"] != "ok":
        print(
            f"{r['engine']:8} {int(r['self_collision']):>4} {r['vertices']:>6}  "
            f"{r['status']}: {r.get('error')}",
            flush=True,
        )
        return
    print(
        f"{r['engine']:8} {int(r['self_collision']):>4} {r['vertices']:>6} {r['frames_run']:>6} "
        f"{r['seconds']:>8.1f} {r['s_per_frame']:>8.3f} {r['seam_gap_max']:>8.3f} {r['seam_gap_mean']:>8.3f} "
        f"{r['inside_body']:>6} {r['final_speed']:>7.3f} {r['nan']!s:>4}",
        flush=True,
    )


def _floats(s: str) -> list[float]:
    return [float(t) for t in s.split(",") if t]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--family", default="skirt", choices=sorted(FAMILIES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--edge-lengths",
        type=_floats,
        default=[4.0, 2.2, 1.4],
        help="box-mesh edge lengths in cm (skirt: 4 -> ~1k, 2.2 -> ~3k, 1.4 -> ~8k vertices)",
    )
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--engines", type=lambda s: s.split(","), default=["blender", "newton"])
    ap.add_argument("--self-collision", type=lambda s: [int(t) for t in s.split(",")], default=[0])
    ap.add_argument("--material", default="mid")
    ap.add_argument("--device", default="cpu", help="Warp device for newton: cpu, cuda, cuda:0")
    ap.add_argument("--body-resolution", type=float, default=2.0)
    ap.add_argument("--save", type=Path, default=None, help="folder for the draped meshes (.npz)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "drape_engines.json")
    args = ap.parse_args(argv)
    print(HEADER, flush=True)
    out = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1))
    print(f"wrote {args.out}")
    return 0 if all(r["status"] != "error" for r in out["rows"]) else 1


if __name__ == "__main__":
    sys.exit(main())
