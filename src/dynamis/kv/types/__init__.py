"""Value types: one module per type holding the type and its commands (as Redis's t_*.c files).

Each module registers its value classes here, so that TYPE, OBJECT ENCODING, SCAN TYPE, MEMORY
USAGE and (later) RDB serialization find a value's type without knowing every module.
"""

from __future__ import annotations

import itertools
import sys
from collections import deque
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
# the submodules `list`, `set`, `hash`... become attributes of this package and hide the builtins of the same
# name from the functions below: keep the builtins under names of their own
_list, _set, _dict = list, set, dict


def register_size(cls: type, size: Callable[[Any, int], int]) -> None:
    """Give MEMORY USAGE a size function for `cls`: `size(value, samples)` in bytes, where `samples` is how
    many nested elements to look at (-1 for all), as Redis's objectComputeSize samples."""
    _SIZES[cls] = size


def memory_usage(value: Any, samples: int = 5) -> int:
    """Bytes a value takes: its registered size function, else an estimate from sys.getsizeof: a container
    adds the average size of `samples` of its elements (keys and values of a mapping) times its length, a
    value class the sizes of its fields."""
    size = _SIZES.get(type(value))
    if size is not None:
        return size(value, samples)
    return _estimate(value, samples, 5)


def _estimate(value: Any, samples: int, depth: int) -> int:
    total = sys.getsizeof(value)
    if isinstance(value, (bytes, bytearray, str, int, float)) or value is None or depth <= 0:
        return total
    if isinstance(value, (_list, _dict, _set, frozenset, tuple, deque)):
        n = len(value)
        if not n:
            return total
        items = iter(value.items() if isinstance(value, _dict) else value)
        picked = _list(itertools.islice(items, n if samples < 0 else max(samples, 1)))
        sampled = sum(_estimate(e, samples, depth - 1) for e in picked)
        return total + sampled * n // len(picked)
    # an object of a value class (or of a library it uses, such as a SortedList): its fields
    names = [name for cls in type(value).__mro__ for name in getattr(cls, "__slots__", ())]
    fields = [getattr(value, name, None) for name in names]
    fields += _list(getattr(value, "__dict__", {}).values())
    return total + sum(_estimate(f, samples, depth - 1) for f in fields if not callable(f))
