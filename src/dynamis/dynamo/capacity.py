"""Consumed capacity as DynamoDB computes it: 4 KB read units (half for eventual consistency), 1 KB writes."""

from __future__ import annotations

import math
from typing import Any


def read_units(size: int, consistent: bool) -> float:
    """Read capacity for reading `size` bytes (one item, or a Query/Scan page summed)."""
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


def write_units(size: int) -> float:
    """Write capacity for writing an item of `size` bytes (the larger of old and new for replacements)."""
    return float(max(1, math.ceil(size / 1024)))


def consumed(table_name: str, units: float, mode: Any) -> dict[str, Any] | None:
    """The ConsumedCapacity entry for ReturnConsumedCapacity `mode` (None for NONE or absent)."""
    if mode == "TOTAL":
        return {"TableName": table_name, "CapacityUnits": units}
    if mode == "INDEXES":
        return {"TableName": table_name, "CapacityUnits": units, "Table": {"CapacityUnits": units}}
    return None
