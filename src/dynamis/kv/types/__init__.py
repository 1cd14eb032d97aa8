"""Value types: one module per type holding the type and its commands (as Redis's t_*.c files).

Each module registers its value classes here, so that TYPE, OBJECT ENCODING, SCAN TYPE, MEMORY
USAGE and (later) RDB serialization find a value's type without knowing every module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dynamis.config import Config

TYPE_NAMES: dict[type, str] = {}
_ENCODINGS: dict[type, Callable[[Any, Config], str]] = {}


def register_type(cls: type, name: str, encoding: Callable[[Any, Config], str]) -> None:
    """Declare that values of `cls` are Redis type `name` ("string", "hash", ...)."""
    TYPE_NAMES[cls] = name
    _ENCODINGS[cls] = encoding


def type_name(value: Any) -> str:
    return TYPE_NAMES[type(value)]


def encoding_of(value: Any, config: Config) -> str:
    """What OBJECT ENCODING reports, following the same thresholds as Redis (listpack, intset, ...)."""
    return _ENCODINGS[type(value)](value, config)
