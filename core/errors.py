"""Typed errors that name the file and the place in it that is wrong."""

from __future__ import annotations


class GarmentError(ValueError):
    """Base class: a user-facing error about an input file or object.

    ``source`` names the file (or Blender object) and ``where`` the place inside it,
    e.g. ``panels.front.edges[3]``; both appear in ``str(error)``.
    """

    def __init__(self, message: str, source: str | None = None, where: str | None = None):
        self.message = message
        self.source = source
        self.where = where
        super().__init__(self._format())

    def _format(self) -> str:
        parts = [p for p in (self.source, self.where) if p]
        prefix = ": ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message


class PatternError(GarmentError):
    """A sewing pattern (JSON or SVG) that cannot be read or is inconsistent."""


class MeshError(GarmentError):
    """A base mesh that cannot be read or cannot be used."""


class OutputError(GarmentError):
    """An output path that cannot be written (wrong suffix, a folder in the way, read-only)."""


class BudgetError(GarmentError):
    """A long job that ran past the time budget it was given."""


class ModelError(GarmentError):
    """A model file that is missing, corrupt, or does not match its description."""


class ConfigError(GarmentError):
    """A training or fit configuration (YAML or a flag) that is unreadable or out of range."""


class DatasetError(GarmentError):
    """A dataset folder without a readable manifest, or without the garments a run asks for."""
