#!/usr/bin/env python3
"""Export a drape dataset as training tensors: one numpy-only ``<split>.npz`` per split.

    python scripts/export_tensors.py --data data/drapes_v2 [--out DIR] [--splits train,val,test] [--compact]

Derived arrays are remade here (this needs trimesh/scipy), so the files read with numpy
alone (``core.training_tensors.load_split``) on a machine that has neither, e.g. the GPU
machine that trains. Default output: DIR/tensors/, with a copy of the dataset's manifest (its
generation config).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from core.dataset import SPLITS, load_arrays, read_meta  # noqa: E402
from core.training_tensors import pack_split  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="dataset folder with manifest.json")
    ap.add_argument("--out", default=None, help="output folder (default DATA/tensors)")
    ap.add_argument("--splits", default=",".join(SPLITS))
    ap.add_argument("--compact", action="store_true", help="only what training reads, bases as fp16 deltas")
    args = ap.parse_args(argv)
    data = Path(args.data)
    if not (data / "manifest.json").is_file():
        print(f"error: {data} has no manifest.json (not a dataset folder)", file=sys.stderr)
        return 1
    out = Path(args.out or data / "tensors")
    out.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((data / "manifest.json").read_text())
    for split in args.splits.split(","):
        rows = [r for r in manifest["samples"] if r["status"] == "ok" and r["split"] == split]
        samples = [(read_meta(data, r["id"]), load_arrays(data, r["id"])) for r in rows]
        path = out / f"{split}.npz"
        np.savez_compressed(path, **pack_split(samples, compact=args.compact))
        print(f"wrote {path}: {len(samples)} samples, {path.stat().st_size / 2**20:.1f} MiB")
    # the generation settings travel with the tensors (training records the box edge from them)
    (out / "manifest.json").write_text(json.dumps({**manifest, "source": str(data)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
