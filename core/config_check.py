"""Configs read from YAML and flags: a value of the wrong type, out of its range or not finite
is a ConfigError naming the file (or ``--flag``) and the key, before any data is loaded."""

from __future__ import annotations

import math
import types
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .inputs import input_file


def read_config(path: str | Path) -> dict:
    """A YAML mapping from ``path``; a missing file, bad YAML or a non-mapping is a ConfigError."""
    path = input_file(path, ConfigError, limit="max_pattern_bytes")
    src = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise ConfigError(f"not UTF-8 text (byte {err.start})", source=src) from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise ConfigError(f"not valid YAML: {getattr(err, 'problem', None) or err}", src, where) from err
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(k, str) for k in raw):
        raise ConfigError(f"expected a mapping of names to values, got {type(raw).__name__}", source=src)
    return raw


def _accepts(annotation: Any, value: Any) -> bool:
    """Whether ``value`` fits a dataclass field's annotation (the subset configs use)."""
    if annotation is Any:
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_accepts(a, value) for a in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is str:
        return isinstance(value, str)
    if origin is tuple:
        return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
    if origin is dict or annotation is dict:
        return isinstance(value, dict)
    return True  # an annotation configs do not use: left to the dataclass


def check_config(
    cls: type,
    values: dict,
    source: str,
    ranges: dict[str, tuple[float, float]],
    choices: dict[str, tuple] | None = None,
) -> None:
    """Check ``values`` for dataclass ``cls``: known keys, types by annotation, finite numbers,
    ``ranges`` (key -> inclusive (low, high)) and ``choices`` (key -> allowed values)."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"unknown config keys: {', '.join(unknown)}", source=source)
    for key, value in values.items():
        if not _accepts(hints[key], value):
            expected = str(hints[key]).replace("typing.", "")
            raise ConfigError(f"expected {expected}, got {value!r:.60}", source=source, where=key)
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"must be finite, got {value}", source=source, where=key)
        if key in ranges and isinstance(value, int | float):
            low, high = ranges[key]
            if not low <= value <= high:
                raise ConfigError(f"must lie in [{low:g}, {high:g}], got {value:g}", source=source, where=key)
        allowed = (choices or {}).get(key)
        if allowed is not None and value is not None and value not in allowed:
            options = ", ".join(map(str, allowed))
            raise ConfigError(f"expected one of {options}, got {value!r:.60}", source=source, where=key)
