#!/usr/bin/env python3
"""Would smoothing a coarse-drape base along its seams take its fins away? (no model involved)

    python bench/seam_cleanup.py [--data data/drapes_v2/tensors/test.npz] [--garments 4]
        [--rings 4] [--iterations 30]

For the first test garments: the coarse drape at the fine vertices (``coarse_sim_at_fine``),
welded at its seams, as it is, after the refiner's Taubin de-faceting, and after a plain
Laplacian smoothing confined to a band of ``--rings`` vertex rings around the seams (weight
tapering to 0 at the band's edge). Prints each one's detail over the fine drape's at 0.5 / 1 /
2 / 4 cm, the median dihedral across its seams and how far it moved the base (cm).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.seam_angles import garment_angles  # noqa: E402
from core.detail import surface_detail  # noqa: E402
from core.drape_metrics import adjacency_matrix, taubin_smooth  # noqa: E402
from core.garment_mesh import weld_seams  # noqa: E402
from core.training_tensors import load_split  # noqa: E402

RADII = ("0.5", "1", "2", "4")


def ring_distance(n: int, faces: np.ndarray, seeds: np.ndarray, rings: int) -> np.ndarray:
    """Vertex rings from the ``seeds`` mask (inf beyond ``rings``)."""
    a = adjacency_matrix(n, faces)
    d = np.where(seeds, 0.0, np.inf)
    front = seeds.copy()
    for r in range(1, rings + 1):
        front = ((a @ front.astype(float)) > 0) & ~np.isfinite(d)
        d[front] = r
    return d


def seam_smooth(v: np.ndarray, faces: np.ndarray, seam: np.ndarray, rings: int, iters: int) -> np.ndarray:
    """Plain Laplacian smoothing in a band around the seams, tapering to nothing at its edge."""
    d = ring_distance(len(v), faces, seam, rings)
    weight = (np.where(np.isfinite(d), 1.0 - d / (rings + 1), 0.0) * 0.5)[:, None]
    w = adjacency_matrix(len(v), faces)
    x = v.copy()
    for _ in range(iters):
        x = x + weight * (w @ x - x)
    return x


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "data" / "drapes_v2" / "tensors" / "test.npz"))
    ap.add_argument("--garments", type=int, default=4)
    ap.add_argument("--rings", type=int, default=4)
    ap.add_argument("--iterations", type=int, default=30)
    args = ap.parse_args()
    for a in load_split(args.data)[: args.garments]:
        faces, pairs = a["fine_faces"], a["fine_seam_pairs"]
        base, faces_w, index = weld_seams(a["coarse_sim_at_fine"], faces, pairs)
        fine = weld_seams(a["fine_vertices"], faces, pairs)[0]
        seam = np.bincount(index, minlength=len(base)) > 1
        defaceted = taubin_smooth(base, faces_w, 10)
        variants = {
            "coarse drape": base,
            "de-faceted (Taubin 10)": defaceted,
            f"+ seam band {args.rings} rings x {args.iterations}": seam_smooth(
                defaceted, faces_w, seam, args.rings, args.iterations
            ),
        }
        ref = surface_detail(fine, faces_w)["detail"]
        print(a["id"])
        for name, v in variants.items():
            d = surface_detail(v, faces_w)["detail"]
            angles = garment_angles(v[index], faces, a["fine_panel"], pairs)
            move = np.linalg.norm(v - base, axis=1)
            print(
                f"  {name:32s} detail / fine {' / '.join(f'{d[r] / ref[r]:.2f}' for r in RADII)}, "
                f"seams {angles['seam_median']:.0f} deg, moved {move.mean():.2f} cm (max {move.max():.2f})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
