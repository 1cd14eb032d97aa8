"""Time to live: a table's TTL attribute, an expiry index over it, and the sweep that deletes expired items.

The expiry index is one more WITHOUT ROWID table per TTL-enabled table, keyed (expires, h, pk, sk) and kept
by the engine's write path, so a sweep reads only the items already due instead of scanning the table.
DynamoDB deletes expired items in the background, typically within days; the sweep here runs every second.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import constraint_errors

Key = tuple[int, bytes, bytes]


class ExpiryIndex:
    """(expiry epoch second, item key) rows of one table's items that carry a numeric TTL attribute."""

    def __init__(self, table_sql: str, attribute: str) -> None:
        self.sql_name = f"{table_sql}__ttl"
        self.attribute = attribute

    def create(self, conn: sqlite3.Connection) -> None:
        conn.execute(f'CREATE TABLE IF NOT EXISTS "{self.sql_name}" (expires INTEGER NOT NULL, h INTEGER NOT NULL, '
                     "pk BLOB NOT NULL, sk BLOB NOT NULL, PRIMARY KEY (expires, h, pk, sk)) WITHOUT ROWID")

    def drop(self, conn: sqlite3.Connection) -> None:
        conn.execute(f'DROP TABLE IF EXISTS "{self.sql_name}"')

    def expires(self, item: dict[str, Any] | None) -> int | None:
        """The epoch second an item expires at; None when its TTL attribute is absent or not a number."""
        value = item.get(self.attribute) if item else None
        if value is None or "N" not in value:
            return None
        try:
            return int(Decimal(value["N"]))
        except (InvalidOperation, OverflowError):
            return None

    def update(self, conn: sqlite3.Connection, key: Key, old: dict[str, Any] | None,
               new: dict[str, Any] | None) -> None:
        """Move an item's entry from its old expiry to its new one."""
        before, after = self.expires(old), self.expires(new)
        if before == after:
            return
        if before is not None:
            conn.execute(f'DELETE FROM "{self.sql_name}" WHERE expires = ? AND h = ? AND pk = ? AND sk = ?',
                         (before, *key))
        if after is not None:
            conn.execute(f'INSERT OR REPLACE INTO "{self.sql_name}" VALUES (?, ?, ?, ?)', (after, *key))

    def due(self, conn: sqlite3.Connection, now: float, limit: int) -> list[Key]:
        """Keys of items whose expiry is before `now`, oldest first."""
        rows = conn.execute(f'SELECT h, pk, sk FROM "{self.sql_name}" WHERE expires < ? ORDER BY expires LIMIT ?',
                            (int(now), limit))
        return [tuple(row) for row in rows.fetchall()]  # type: ignore[misc]


def check_specification(spec: Any) -> tuple[bool, str]:
    """(Enabled, AttributeName) of a TimeToLiveSpecification, with DynamoDB's constraint errors."""
    errors: list[str] = []
    if not isinstance(spec, dict):
        raise constraint_errors(["Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member "
                                  "must not be null"])
    enabled, attribute = spec.get("Enabled"), spec.get("AttributeName")
    if enabled is None:
        errors.append("Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must "
                      "not be null")
    if attribute is None:
        errors.append("Value null at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member "
                      "must not be null")
    elif not 1 <= len(attribute) <= 255:
        bound = "greater than or equal to 1" if not attribute else "less than or equal to 255"
        errors.append(f"Value '{attribute}' at 'timeToLiveSpecification.attributeName' failed to satisfy "
                      f"constraint: Member must have length {bound}")
    if errors:
        raise constraint_errors(errors)
    return bool(enabled), attribute
