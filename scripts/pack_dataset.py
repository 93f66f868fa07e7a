#!/usr/bin/env python3
"""Pack a drape dataset folder into one compact, reproducible .tar.xz (the shipped form).

    python scripts/pack_dataset.py --data data/drapes_v1 --out datasets/drapes_v1.tar.xz
    tar -xJf datasets/drapes_v1.tar.xz -C data      # gives data/drapes_v1/ again
    python scripts/pack_dataset.py --data data/drapes_v2 --indices 0:54 --top drapes_v2 \
        --out datasets/drapes_v2_parts/part-000-054.tar.xz   # a finished index range

Every planned sample goes in (rejected ones keep meta.json and pattern.json, so the reasons
stay with the data); ok samples keep only the arrays that cannot be remade
(``core.drape_pairs.STORED_KEYS``): ``core.dataset.load_arrays`` rebuilds the box mesh, the
coarse drape at the fine vertices and the low-pass drape on load. Arrays are stored
uncompressed inside the archive so that xz sees raw floats (about a quarter smaller than
zipped .npz files). Entries are sorted and time-stamped 0: the same folder gives the same bytes.
Every archive, part or whole, holds the manifest as it was when packed.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from core.dataset import compact_arrays, load_arrays  # noqa: E402


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def pack(data: Path, out: Path, indices: tuple[int, int] | None = None, top: str | None = None) -> dict:
    """Write ``out`` from the dataset folder ``data``; returns a summary. ``indices`` (start,
    end) packs only the samples of that index range (a part, for generation that spans
    sessions); ``top`` names the folder inside the archive (default: the archive's name)."""
    manifest = json.loads((data / "manifest.json").read_text())
    top = top or out.name.removesuffix(".tar.xz")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    n_ok = n_rejected = 0
    with tarfile.open(tmp, "w:xz", preset=9) as tar:
        _add(tar, f"{top}/manifest.json", (data / "manifest.json").read_bytes())
        for row in sorted(manifest["samples"], key=lambda r: r["id"]):
            if indices and not indices[0] <= row["index"] < indices[1]:
                continue
            folder = data / "samples" / row["id"]
            if not (folder / "meta.json").is_file():
                continue  # pending: not made yet
            for name in ("meta.json", "pattern.json"):
                if (folder / name).is_file():
                    _add(tar, f"{top}/samples/{row['id']}/{name}", (folder / name).read_bytes())
            if row["status"] == "ok":
                buf = io.BytesIO()
                np.savez(buf, **compact_arrays(load_arrays(data, row["id"], derive=False)))
                _add(tar, f"{top}/samples/{row['id']}/arrays.npz", buf.getvalue())
                n_ok += 1
            else:
                n_rejected += 1
    tmp.replace(out)
    return {"archive": str(out), "bytes": out.stat().st_size, "ok": n_ok, "rejected": n_rejected}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="dataset folder with manifest.json")
    ap.add_argument("--out", required=True, help="archive path ending in .tar.xz")
    ap.add_argument("--indices", default=None, help="START:END: only the samples with START <= index < END")
    ap.add_argument(
        "--top", default=None, help="folder name inside the archive (default: the archive's name)"
    )
    args = ap.parse_args(argv)
    data, out = Path(args.data), Path(args.out)
    if not (data / "manifest.json").is_file():
        print(f"error: {data} has no manifest.json (not a dataset folder)", file=sys.stderr)
        return 1
    if not out.name.endswith(".tar.xz"):
        ap.error("--out must end in .tar.xz")
    indices = None
    if args.indices:
        try:
            indices = tuple(int(x) for x in args.indices.split(":"))
        except ValueError:
            ap.error(f"--indices expects START:END, got {args.indices!r}")
        if len(indices) != 2 or indices[0] >= indices[1]:
            ap.error(f"--indices expects START:END with START < END, got {args.indices!r}")
    summary = pack(data, out, indices, args.top)
    mb = summary["bytes"] / 2**20
    print(f"wrote {out}: {mb:.1f} MiB, {summary['ok']} ok samples, {summary['rejected']} rejected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
