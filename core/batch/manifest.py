"""The batch's record: ``DIR/variants/<id>/entry.json`` per finished variant (written atomically
by whoever ran it), assembled into ``DIR/manifest.json`` (also atomically) after each one. A
killed batch leaves whole entries or none, and ``manifest.json`` is always a complete file."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..outputs import write_text_atomic


class Manifest:
    def __init__(self, root: Path, header: dict | None = None):
        self.root = Path(root)
        self.header = header or {}

    def variant_dir(self, variant_id: str) -> Path:
        return self.root / "variants" / variant_id

    def entry_path(self, variant_id: str) -> Path:
        return self.variant_dir(variant_id) / "entry.json"

    def read_entry(self, variant_id: str) -> dict | None:
        try:
            return json.loads(self.entry_path(variant_id).read_text())
        except (OSError, ValueError):
            return None  # none yet (or a foreign broken file): the variant is to do

    def is_done(self, variant_id: str) -> bool:
        """Finished with status ok and every output still there."""
        e = self.read_entry(variant_id)
        return (
            bool(e)
            and e.get("status") == "ok"
            and all(Path(p).exists() for p in e.get("outputs", {}).values())
        )

    def write_entry(self, entry: dict) -> None:
        write_text_atomic(self.entry_path(entry["id"]), json.dumps(entry, indent=1))

    def entries(self) -> list[dict]:
        out = []
        for f in sorted((self.root / "variants").glob("*/entry.json")):
            try:
                out.append(json.loads(f.read_text()))
            except (OSError, ValueError):
                continue
        return out

    def write(self, planned: list[str] | None = None) -> dict:
        """Assemble ``manifest.json``: every entry, plus ``pending`` for planned ids without one."""
        entries = {e["id"]: e for e in self.entries()}
        for vid in planned or []:
            entries.setdefault(vid, {"id": vid, "status": "pending"})
        counts: dict[str, int] = {}
        for e in entries.values():
            key = "failed" if str(e.get("status", "")).startswith("failed") else e.get("status", "?")
            counts[key] = counts.get(key, 0) + 1
        doc = {**self.header, "updated": time.strftime("%Y-%m-%dT%H:%M:%S"), "counts": counts,
               "variants": [entries[k] for k in sorted(entries)]}  # fmt: skip
        write_text_atomic(self.root / "manifest.json", json.dumps(doc, indent=1))
        return doc
