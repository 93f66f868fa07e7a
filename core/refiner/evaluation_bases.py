"""The two evaluation bases of a drape sample at its fine topology, prepared as the refiner
prepares a user's mesh.

- ``coarse_sim``: the independent coarse drape (~4 cm edges) upsampled through the pattern to
  the fine mesh, seams closed, de-faceted: what the refiner meets;
- ``lowpass``: the fine drape low-passed by the generator, seams closed: the fine drape's
  large-scale shape, so that placement can be measured.
"""

from __future__ import annotations

import numpy as np

from ..pattern import Pattern
from .charts import Charts
from .refine import RefineInput, prepare_base
from .upsample import defacet


def evaluation_bases(arrays: dict, pattern: Pattern, box_edge: float) -> dict[str, tuple[np.ndarray, Charts]]:
    """``{base kind: (vertices at the fine topology, charts)}`` for ``coarse_sim`` and ``lowpass``."""
    coarse = RefineInput(
        arrays["coarse_sim_vertices"],
        arrays["coarse_faces"],
        arrays["coarse_panel"],
        arrays["coarse_uv"],
        pattern=pattern,
    )
    v, f, charts, _, _ = prepare_base(coarse, target_edge=box_edge * 0.8, box_edge=box_edge)
    if len(v) != len(arrays["fine_vertices"]) or not np.array_equal(f, arrays["fine_faces"]):
        raise ValueError("the upsampled coarse drape does not match the fine mesh: another box edge?")
    lowpass = RefineInput(
        arrays["coarse_at_fine"],
        arrays["fine_faces"],
        arrays["fine_panel"],
        arrays["fine_uv"],
        pattern=pattern,
    )
    _, _, charts_lp, _, _ = prepare_base(lowpass, target_edge=1e6)
    return {
        "coarse_sim": (defacet(charts.close_seams(v), charts), charts),
        "lowpass": (charts_lp.close_seams(arrays["coarse_at_fine"]), charts_lp),
    }
