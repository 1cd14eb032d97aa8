"""Value types: one module per type holding the type and its commands (as Redis's t_*.c files).

Each module registers its value classes here, so that TYPE, OBJECT ENCODING, SCAN TYPE, MEMORY
USAGE and (later) RDB serialization find a value's type without knowing every module.
"""

from __future__ import annotations

import itertools
import sys
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


_SIZES: dict[type, Callable[[Any, int], int]] = {}


def register_size(cls: type, size: Callable[[Any, int], int]) -> None:
    """Give MEMORY USAGE a size function for `cls`: `size(value, samples)` in bytes, where `samples` is how
    many nested elements to look at (-1 for all), as Redis's objectComputeSize samples."""
    _SIZES[cls] = size


def memory_usage(value: Any, samples: int = 5) -> int:
    """Bytes a value takes: its registered size function, else sys.getsizeof of the value plus, for a
    container, the average size of `samples` of its elements (keys and values of a mapping) times its length."""
    size = _SIZES.get(type(value))
    if size is not None:
        return size(value, samples)
    total = sys.getsizeof(value)
    if isinstance(value, (bytes, bytearray, str, int, float)):
        return total
    try:
        n = len(value)
        items = iter(value.items() if isinstance(value, dict) else value)
    except TypeError:
        return total
    if not n:
        return total
    picked = list(itertools.islice(items, n if samples < 0 else max(samples, 1)))
    sampled = sum(_element_size(e) for e in picked)
    return total + sampled * n // len(picked)


def _element_size(element: Any) -> int:
    if isinstance(element, tuple):
        return sum(_element_size(e) for e in element)
    if isinstance(element, (list, dict, set, frozenset)) and element:
        return memory_usage(element, 5)
    return sys.getsizeof(element)
