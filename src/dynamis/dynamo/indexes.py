"""Secondary indexes (GSI and LSI): which items an index holds, under which key, and what it projects.

An index is a second WITHOUT ROWID table beside its table's (see storage.TableRows); the engine's single
write path (api.DynamoEngine._store) keeps it in step with every Put, Update, Delete and batch write inside
the same transaction.
"""

from __future__ import annotations

import zlib
from typing import Any

from .errors import invalid_param, validation
from .storage import TableRows
from .values import key_bytes

Key = tuple[int, bytes, bytes]


def key_types(schema: list[dict[str, Any]], types: dict[str, str]) -> list[tuple[str, str]]:
    """(name, type) of each element of a KeySchema."""
    return [(k["AttributeName"], types[k["AttributeName"]]) for k in schema]


class Index:
    """A global or local secondary index: its key schema, projection and rows.

    Index rows hold the whole item (so an LSI can answer ALL_ATTRIBUTES without a second read); the index's
    projection is applied when reading. Items lacking an index key attribute are not in the index (sparse).
    """

    def __init__(self, table_sql: str, definition: dict[str, Any], types: dict[str, str], local: bool,
                 table_keys: tuple[str, ...]) -> None:
        self.name: str = definition["IndexName"]
        self.local = local
        keys = key_types(definition["KeySchema"], types)
        self.hash_key = keys[0]
        self.range_key = keys[1] if len(keys) > 1 else None
        projection = definition.get("Projection") or {}
        self.projection_type: str = projection.get("ProjectionType", "ALL")
        self.key_names = tuple(dict.fromkeys(table_keys + tuple(name for name, _ in keys)))
        self.projected = frozenset(self.key_names) | frozenset(projection.get("NonKeyAttributes") or ())
        self.rows = TableRows(f"{table_sql}__{self.name}", index=True)
        self.item_count = 0
        self.size_bytes = 0

    def check(self, item: dict[str, Any]) -> None:
        """DynamoDB's errors for an item whose index key attribute has the wrong type or is empty."""
        for name, kind in filter(None, (self.hash_key, self.range_key)):
            value = item.get(name)
            if value is None:
                continue
            if kind not in value:
                raise invalid_param(f"Type mismatch for Index Key {name} Expected: {kind} Actual: "
                                    f"{next(iter(value))} IndexName: {self.name}")
            if not key_bytes(kind, value):
                raise validation("One or more parameter values are not valid. A value specified for a secondary "
                                 "index key is not supported. The AttributeValue for a key attribute cannot contain "
                                 f"an empty string value. IndexName: {self.name}, IndexKey: {name}")

    def entry(self, item: dict[str, Any], table_key: Key) -> tuple | None:
        """The index row key of an item, or None when the item is not in this index."""
        pk_value = item.get(self.hash_key[0])
        if pk_value is None:
            return None
        sk = b""
        if self.range_key is not None:
            sk_value = item.get(self.range_key[0])
            if sk_value is None:
                return None
            sk = key_bytes(self.range_key[1], sk_value)
        pk = key_bytes(self.hash_key[1], pk_value)
        return (zlib.crc32(pk), pk, sk, table_key[1], table_key[2])

    def project(self, item: dict[str, Any]) -> dict[str, Any]:
        """The attributes of an item this index projects."""
        if self.projection_type == "ALL":
            return item
        return {name: value for name, value in item.items() if name in self.projected}

    def describe(self, table_arn: str, definition: dict[str, Any]) -> dict[str, Any]:
        return {**definition, "IndexSizeBytes": self.size_bytes, "ItemCount": self.item_count,
                "IndexArn": f"{table_arn}/index/{self.name}"}
