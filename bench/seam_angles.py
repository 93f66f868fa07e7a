#!/usr/bin/env python3
"""How sharply garments fold at their seams: dihedral angles across seam edges vs elsewhere.

    python bench/seam_angles.py --data data/drapes_v2 [--count 12] [--split test]
        [--garmentcode ../shared/garmentcode/dress_pencil] [--out bench/results/seam_angles.json]

For each ok sample (the first ``--count`` of ``--split``) the fine drape and the coarse drape
are welded at their seams and the dihedral angle of every interior edge is measured
(``core.detail.seam_dihedrals``): median and 90th percentile across seam edges and off them,
and the share of sharp creases (> 60 deg) that lie on seams. GarmentCode's simulated drape is
the outside reference: its seam edges are those whose two vertices carry the same stitch
label in ``*_sim_segmentation.txt``. A sewn seam in real cloth is smooth or gently ridged;
a median of 100+ degrees is a fin, the two panels folded against each other.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.boxmesh import build_box_mesh  # noqa: E402
from core.dataset import load_arrays, read_meta  # noqa: E402
from core.detail import CREASE_DEG, dihedral_angles, seam_dihedrals  # noqa: E402
from core.garment_mesh import weld_seams  # noqa: E402
from core.meshio import read_obj_corners  # noqa: E402
from core.pattern import load_pattern  # noqa: E402


def summary(seam: np.ndarray, other: np.ndarray) -> dict:
    """Medians, 90th percentiles and where the sharp creases are."""
    sharp_seam, sharp_other = int((seam > CREASE_DEG).sum()), int((other > CREASE_DEG).sum())
    return {
        "seam_median": float(np.median(seam)),
        "seam_p90": float(np.percentile(seam, 90)),
        "other_median": float(np.median(other)),
        "other_p90": float(np.percentile(other, 90)),
        "sharp_share": (sharp_seam + sharp_other) / (len(seam) + len(other)),
        "sharp_on_seams": sharp_seam / max(sharp_seam + sharp_other, 1),
    }


def garment_angles(vertices, faces, panel, seam_pairs) -> dict:
    """Seam / other dihedral summary of a box-mesh-ordered drape, welded at its seams."""
    wv, wf, index = weld_seams(vertices, faces, seam_pairs)
    f = index[faces]
    ok = (f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2])
    return summary(*seam_dihedrals(wv, wf, np.asarray(panel)[faces[ok, 0]]))


def garmentcode_angles(folder: Path) -> dict:
    """The same summary for a GarmentCode drape (OBJ + per-vertex segmentation)."""
    obj = read_obj_corners(next(folder.glob("*_sim.obj")))
    labels = next(folder.glob("*_sim_segmentation.txt")).read_text().split()
    stitches = [{x for x in lab.split(",") if x.startswith("stitch")} for lab in labels]
    pairs, angles = dihedral_angles(obj.vertices, obj.faces)
    f = obj.faces
    # the edge shared by two adjacent faces: the two vertices they have in common
    shared = [np.intersect1d(f[a], f[b]) for a, b in pairs]
    seam = np.array([len(e) == 2 and bool(stitches[e[0]] & stitches[e[1]]) for e in shared])
    return summary(angles[seam], angles[~seam])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="dataset folder (with manifest.json)")
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--split", default="test")
    ap.add_argument("--garmentcode", default=str(ROOT.parent / "shared" / "garmentcode" / "dress_pencil"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "seam_angles.json"))
    args = ap.parse_args()
    rows = []
    gc = Path(args.garmentcode)
    if gc.is_dir():
        rows.append({"id": f"GarmentCode {gc.name}", "stage": "fine", **garmentcode_angles(gc)})
    if args.data:
        manifest = json.loads((Path(args.data) / "manifest.json").read_text())
        ok = [s for s in manifest["samples"] if s["status"] == "ok" and s["split"] == args.split]
        for s in ok[: args.count]:
            a = load_arrays(args.data, s["id"])
            meta = read_meta(args.data, s["id"])
            pattern = load_pattern(Path(args.data) / "samples" / s["id"] / "pattern.json")
            coarse_box = build_box_mesh(pattern, meta["coarse_sim"]["edge_cm"])  # the pairs are not stored
            if coarse_box.n_vertices != len(a["coarse_sim_vertices"]):
                raise SystemExit(f"{s['id']}: the remade coarse box mesh does not match the stored one")
            for stage, faces, panel, pairs in (
                ("fine", a["fine_faces"], a["fine_panel"], a["fine_seam_pairs"]),
                ("coarse_sim", coarse_box.faces, coarse_box.panel_ids, coarse_box.seam_pairs),
            ):
                rows.append(
                    {
                        "id": s["id"],
                        "stage": stage,
                        **garment_angles(a[f"{stage}_vertices"], faces, panel, pairs),
                    }
                )
    print(
        "| garment | drape | seam median / p90 (deg) | elsewhere median / p90 | creases > 60 deg | on seams |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['id']} | {r['stage']} | {r['seam_median']:.0f} / {r['seam_p90']:.0f} | "
            f"{r['other_median']:.1f} / {r['other_p90']:.0f} | {100 * r['sharp_share']:.2f}% | "
            f"{100 * r['sharp_on_seams']:.0f}% |"
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
