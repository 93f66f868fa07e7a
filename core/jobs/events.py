"""What a running job reports: progress, then one of done / failed / cancelled."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass


class JobState(enum.StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class JobCancelled(Exception):
    """Raised inside a job's progress callback once its cancel flag is set."""


STAGE_LABELS = {
    "charts": "Charts",
    "nuvo": "Fitting charts",
    "raster": "Chart images",
    "denoise": "Denoising",
    "sample_back": "Offsets",
}

# the share of a refine's time each stage takes (about, on the bundled example), for one bar; a
# Nuvo fit (a mesh with no charts) reports inside the charts stage
STAGE_WEIGHTS = {"charts": 0.15, "raster": 0.15, "denoise": 0.6, "sample_back": 0.1}


@dataclass(frozen=True)
class JobEvent:
    """``kind``: progress | done | failed | cancelled; ``stage`` and ``done/total`` for progress,
    ``message`` for failures."""

    kind: str
    stage: str = ""
    done: int = 0
    total: int = 0
    message: str = ""

    @property
    def label(self) -> str:
        name = STAGE_LABELS.get(self.stage, self.stage)
        return f"{name} {self.done}/{self.total}" if self.total > 1 else name

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> JobEvent:
        return cls(**{k: d[k] for k in ("kind", "stage", "done", "total", "message") if k in d})


def overall_fraction(stage: str, done: int, total: int) -> float:
    """One 0-1 figure for a progress bar across the refine's stages."""
    order = list(STAGE_WEIGHTS)
    stage = "charts" if stage == "nuvo" else stage
    if stage not in STAGE_WEIGHTS:
        return 0.0
    before = sum(STAGE_WEIGHTS[s] for s in order[: order.index(stage)])
    share = done / total if total else 1.0
    whole = sum(STAGE_WEIGHTS.values())
    return min(1.0, (before + STAGE_WEIGHTS[stage] * share) / whole)
