#!/usr/bin/env python3
"""Bundle a trained refiner run into ``models/``: weights, description, ONNX export, model card.

    python scripts/bundle_model.py --run runs/refiner [--name refiner] [--out models] [--note TEXT]

Copies ``refiner.safetensors`` and ``refiner.json`` (checksums rewritten for the copies),
exports the ONNX file that the extension runs with onnxruntime, checks it against torch on
random inputs, refuses a bundle over 20 MB, and writes the model card ``<name>.md`` from the
run's own records (data, command, validation, time). Needs torch (for the export).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MAX_BYTES = 20 * 2**20
ONNX_TOLERANCE = 1e-4


def weights_kind(cfg: dict) -> str:
    decay = cfg.get("ema_decay", 0)
    return f"the moving average (decay {decay})" if decay else "as trained (no moving average)"


def card(name: str, desc: dict, history: dict, files: dict[str, int], onnx_diff: float, note: str) -> str:
    rec, cfg = desc["record"], desc["train_config"]
    flags = " ".join(
        f"--{k} {v}"
        for k, v in (
            ("steps", cfg["steps"]),
            ("objective", cfg["objective"]),
            ("target", cfg.get("target")),
            ("lr", cfg.get("lr")),
            ("data", cfg["data"]),
        )
        if v is not None
    )
    val = history.get("val", [])
    rows = [
        "| step | detail ratio 1 / 2 / 4 cm (refined / fine) | base's | placement | mean offset (cm) |",
        "|---|---|---|---|---|",
    ]
    for v in val:
        ratios = " / ".join(f"{v[f'detail_ratio_{r}']:.2f}" for r in "124")
        base = " / ".join(f"{v.get(f'base_detail_ratio_{r}', float('nan')):.2f}" for r in "124")
        place = f"{v['placement']:.3f}" if "placement" in v else "-"
        rows.append(f"| {v['step']} | {ratios} | {base} | {place} | {v['mean_offset_cm']:.3f} |")
    net = desc["network"]
    target = f"`{desc.get('target', 'residual')}`"
    if "target_sigma_cm" in desc:
        target += f" at sigma {desc['target_sigma_cm']:g} cm"
    plans = ", ".join(desc["sampler"])
    conditions = ", ".join(desc["condition_channels"])
    size = ", ".join(f"`{n}` {b / 2**20:.1f} MiB" for n, b in files.items())
    return f"""# {name}: the bundled wrinkle refiner

{note}

- **What**: few-step residual diffusion over chart images ({desc["objective"]}, target {target}),
  a U-Net of {rec["parameters"]:,} parameters (widths {net["widths"]}, stem stride
  {net.get("stem_stride", 1)}, full-resolution branch width {net.get("fine_width", 0)}),
  {desc["pitch_cm"]} cm per chart pixel, {desc["default_steps"]} sampler
  steps by default (plans for {plans} stored), conditions: {conditions}.
- **Data**: `{cfg["data"]}`: {rec["train_garments"]} training garments, {rec["examples"]} examples
  (bases: {", ".join(cfg["bases"])}); fine mesh edge {rec["target_edge_cm"]:.2f} cm (box edge
  {rec.get("box_edge_cm")} cm); the target's std over cloth pixels (t_u, t_v, n):
  {" / ".join(f"{x:.4f}" for x in desc["residual_scale_cm"])} cm, 1 after normalisation.
- **Command**: `python scripts/train.py --config configs/refiner.yaml {flags}` then
  `python scripts/bundle_model.py --run {cfg["out"]}`.
- **Training**: {rec["steps_done"]} steps, batch {cfg["batch"]} patches of {cfg["patch"]} px, lr {cfg["lr"]}
  ({cfg.get("lr_schedule", "constant")}), weights {weights_kind(cfg)},
  {rec["seconds"] / 60:.0f} min on {rec["device"]}.
- **Files**: {size}; loaded with safetensors (never unpickled), each checked against the sha256
  in `{name}.json`; ONNX vs torch max difference {onnx_diff:.1e} on random inputs.
- **Licence**: GPL-3.0-or-later, as the extension; trained only on drapes this project made.

Validation (held-out garments, seed 0, the default steps):

{chr(10).join(rows)}
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True, help="training output folder (refiner.json inside)")
    ap.add_argument("--name", default="refiner")
    ap.add_argument("--out", default=str(ROOT / "models"))
    ap.add_argument("--note", default="", help="a paragraph at the top of the card")
    args = ap.parse_args(argv)

    from core.refiner.export import export_onnx, max_difference
    from core.refiner.modelfile import load_model, save_model

    run = Path(args.run)
    desc, tensors = load_model(run / "refiner.json")
    history = json.loads((run / "history.json").read_text()) if (run / "history.json").is_file() else {}
    out = Path(args.out)
    keep = {k: v for k, v in desc.items() if k not in ("format", "weights", "sha256")}
    json_path = save_model(out / args.name, tensors, keep)
    onnx = export_onnx(json_path)
    diff = max_difference(json_path)
    if diff > ONNX_TOLERANCE:
        raise SystemExit(f"ONNX export differs from torch by {diff:.2e} (> {ONNX_TOLERANCE:g})")
    files = {p.name: p.stat().st_size for p in (json_path.with_suffix(".safetensors"), onnx, json_path)}
    total = sum(files.values())
    if total > MAX_BYTES:
        raise SystemExit(f"the bundle is {total / 2**20:.1f} MiB (> 20 MB)")
    card_path = out / f"{args.name}.md"
    card_path.write_text(card(args.name, json.loads(json_path.read_text()), history, files, diff, args.note))
    print(f"bundled {json_path} (+ .safetensors, .onnx; {total / 2**20:.1f} MiB), card {card_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
