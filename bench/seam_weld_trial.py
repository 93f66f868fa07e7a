#!/usr/bin/env python3
"""Trial (2026-12-01, not adopted): weld the seams after sewing, or give the cloth a 3D rest.

    python bench/seam_weld_trial.py FAMILY MATERIAL SEED [fine]

Drapes one dataset design at the coarse edge with ``sim.blender_cloth.drape_welded`` (sew,
weld, drape with the sewn shape as rest), then with ``fine`` the fine drape three ways from
the upsampled coarse drape: welded with the coarse rest upsampled, welded with its own sewn
rest, and unwelded (sewing springs) with the sewn 3D rest instead of the flat box mesh.
Prints seam dihedrals, detail, strain; saves npz files under /tmp/seam for render_sheet.py.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.seam_angles import garment_angles  # noqa: E402
from core.body import make_body, sample_body_params, signed_distance_inside  # noqa: E402
from core.boxmesh import build_box_mesh  # noqa: E402
from core.correspondence import upsample_drape  # noqa: E402
from core.detail import surface_detail  # noqa: E402
from core.drape_metrics import edge_strain  # noqa: E402
from core.garments import FAMILIES  # noqa: E402
from core.garments.base import sample_pattern  # noqa: E402
from core.garments.wrap import wrapped_start  # noqa: E402
from sim.blender_cloth import MATERIALS, drape, drape_welded, mean_edge_length  # noqa: E402
from sim.generate import GenerationConfig  # noqa: E402

OUT = Path("/tmp/seam")


def report(tag, box, body, res, rest, seconds) -> None:
    v = res.vertices
    wv, wf, _ = box.with_vertices(v).welded()
    a = garment_angles(v, box.faces, box.panel_ids, box.seam_pairs)
    s = edge_strain(v, box.vertices, box.faces)
    rs = edge_strain(rest, box.vertices, box.faces)
    d = surface_detail(wv, wf)
    print(
        f"{tag}: {seconds:.0f} s, {res.frames_run} frames, inside {signed_distance_inside(body, v).sum()}, "
        f"seam {a['seam_median']:.0f} / {a['seam_p90']:.0f} deg, elsewhere {a['other_median']:.1f}, "
        f"creases {100 * d['sharp_creases']:.2f}%, detail 2 cm {d['detail']['2']:.4f} 4 cm {d['detail']['4']:.4f}, "
        f"strain p5/p95 {np.percentile(s, 5):.3f}/{np.percentile(s, 95):.3f}, "
        f"rest strain p1/p99 {np.percentile(rs, 1):.3f}/{np.percentile(rs, 99):.3f}"
    )


def main() -> int:
    family, material, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    OUT.mkdir(exist_ok=True)
    cfg = GenerationConfig()
    bp = sample_body_params(np.random.default_rng(seed))
    pattern, _ = sample_pattern(FAMILIES[family], seed, bp)
    body = make_body(bp, cfg.body_resolution_cm)
    box = build_box_mesh(pattern, cfg.coarse_edge_cm)
    t = time.time()
    res = drape_welded(
        box.vertices, box.faces, box.seam_pairs, body.vertices, body.faces, material=material,
        frames=cfg.frames, self_collision=True, substeps=cfg.coarse_substeps,
        start_vertices=wrapped_start(pattern, box, bp), settle=(0.2, cfg.settle_frames),
    )  # fmt: skip
    report("coarse welded", box, body, res, res.rest_vertices, time.time() - t)
    if sys.argv[4:] != ["fine"]:
        return 0
    fbox = build_box_mesh(pattern, cfg.fine_edge_cm)
    start = upsample_drape(box.with_vertices(res.vertices), fbox)
    common = dict(self_collision=True, substeps=cfg.substeps, start_vertices=start, gravity_ramp=1,
                  settle=(0.1, cfg.settle_frames))  # fmt: skip
    sewn = drape(
        fbox.vertices, fbox.faces, fbox.seam_pairs, body.vertices, body.faces, material=material, frames=40,
        self_collision=True, substeps=cfg.substeps, start_vertices=wrapped_start(pattern, fbox, bp),
        sew_frames=41, stop_when_sewn=1.0,
    ).vertices  # fmt: skip
    trials = {
        "welded, coarse rest upsampled": upsample_drape(box.with_vertices(res.rest_vertices), fbox),
        "welded, own sewn rest": sewn,
    }
    for tag, rest in trials.items():
        t = time.time()
        fres = drape_welded(
            fbox.vertices, fbox.faces, fbox.seam_pairs, body.vertices, body.faces, material=material,
            frames=cfg.fine_frames, rest_vertices=rest, **common,
        )  # fmt: skip
        report(f"fine {tag}", fbox, body, fres, rest, time.time() - t)
    t = time.time()
    mat = MATERIALS[material].scaled(mean_edge_length(fbox.vertices, fbox.faces))
    fres = drape(
        sewn, fbox.faces, fbox.seam_pairs, body.vertices, body.faces, material=mat, scale_to_mesh=False,
        frames=cfg.fine_frames, sew_frames=0, sewing_force_after=cfg.fine_sewing_after, **common,
    )  # fmt: skip
    report("fine sewn panels, 3D rest", fbox, body, fres, sewn, time.time() - t)
    np.savez(OUT / f"{family}_{material}_{seed}_3d_rest.npz", vertices=fres.vertices, faces=fbox.faces,
             panel=fbox.panel_ids, body_vertices=body.vertices, body_faces=body.faces)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
