"""Parametric garment families that write GarmentCode sewing patterns sized to a body.

``FAMILIES`` maps a family's name to its instance; see :mod:`core.garments.base` for the API
(``family.params``, ``family.build(design, body)``, :func:`validate`, :func:`sample_pattern`).
"""

from __future__ import annotations

from .base import (
    DesignRejected,
    GarmentFamily,
    ParamSpec,
    default_body,
    sample_design,
    sample_pattern,
    validate,
)
from .dress import Dress
from .skirt import Skirt
from .trousers import Trousers
from .tshirt import TShirt

FAMILIES: dict[str, GarmentFamily] = {f.name: f for f in (TShirt(), Skirt(), Dress(), Trousers())}

__all__ = [
    "FAMILIES",
    "DesignRejected",
    "GarmentFamily",
    "ParamSpec",
    "default_body",
    "sample_design",
    "sample_pattern",
    "validate",
]
