"""The DynamoDB operations, usable in-process: `await DynamoEngine(storage).call("PutItem", body, region)`.

Each operation validates its request on the event loop, then hands one closure to storage: writes run on
the writer thread (read-check-write atomically, since that thread runs writes one after another, which is
also what makes TransactWriteItems all-or-nothing) and reads on a reader thread, so neither the SQL nor the
per-item expression work stalls the loop. Every write goes through DynamoEngine._store, which keeps the
secondary indexes and the table counters in step. Items travel as the JSON bytes stored on disk and are
embedded in responses with orjson.Fragment, unparsed.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
import uuid
import zlib
from collections.abc import Callable
from typing import Any

import orjson

from . import capacity
from .errors import (
    DynamoError,
    condition_failed,
    constraint_errors,
    in_use,
    invalid_param,
    not_found,
    validation,
)
from .expressions import legacy
from .expressions.evaluate import (
    ExpressionContext,
    apply_update,
    condition_holds,
    key_condition,
    project,
    projection_paths,
)
from .expressions.parser import Parsed
from .indexes import Index, Key, key_types
from .storage import Storage, TableRows
from .ttl import ExpiryIndex, check_specification
from .values import MAX_HASH_KEY, MAX_RANGE_KEY, check_item, check_value, item_size, key_bytes

log = logging.getLogger("dynamis.dynamo")

MAX_ITEM_BYTES = 400 * 1024
PAGE_BYTES = 1024 * 1024
BATCH_GET_BYTES = 16 * 1024 * 1024
ACCOUNT = "000000000000"
_TABLE_NAME = re.compile(r"[a-zA-Z0-9_.-]+")
_CATALOG = ("CREATE TABLE IF NOT EXISTS catalog (region TEXT NOT NULL, name TEXT NOT NULL, sql_name TEXT NOT NULL,"
            " description BLOB NOT NULL, item_count INTEGER NOT NULL, size_bytes INTEGER NOT NULL,"
            " index_stats BLOB NOT NULL, ttl_attribute TEXT, PRIMARY KEY (region, name)) WITHOUT ROWID")
_TAGS = ("CREATE TABLE IF NOT EXISTS tags (arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
         " PRIMARY KEY (arn, key)) WITHOUT ROWID")


# JSON types of the top-level request members, checked before an operation looks at them.
_MEMBER_TYPES: dict[str, type | tuple[type, ...]] = {
    **dict.fromkeys(("TableName", "IndexName", "KeyConditionExpression", "ConditionExpression", "FilterExpression",
                     "UpdateExpression", "ProjectionExpression", "Select", "ReturnValues", "BillingMode",
                     "ReturnConsumedCapacity", "ReturnItemCollectionMetrics", "ConditionalOperator",
                     "ReturnValuesOnConditionCheckFailure", "ExclusiveStartTableName", "ResourceArn", "TableClass",
                     "ClientRequestToken"), str),
    "TimeToLiveSpecification": dict,
    **dict.fromkeys(("Item", "Key", "RequestItems", "ExpressionAttributeNames", "ExpressionAttributeValues",
                     "ExclusiveStartKey", "Expected", "KeyConditions", "QueryFilter", "ScanFilter",
                     "AttributeUpdates", "ProvisionedThroughput", "SSESpecification", "StreamSpecification"), dict),
    **dict.fromkeys(("KeySchema", "AttributeDefinitions", "TransactItems", "AttributesToGet", "Tags", "TagKeys",
                     "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "GlobalSecondaryIndexUpdates"), list),
    **dict.fromkeys(("Limit", "Segment", "TotalSegments"), int),
    **dict.fromkeys(("ConsistentRead", "ScanIndexForward", "DeletionProtectionEnabled"), bool),
}
_TYPE_NAMES = {str: "String", int: "Integer", bool: "Boolean"}


def _check_members(body: dict[str, Any]) -> None:
    """SerializationException, as DynamoDB's front end sends it, for a member of the wrong JSON type."""
    for name, value in body.items():
        expected = _MEMBER_TYPES.get(name)
        if expected is None or value is None or (isinstance(value, expected) and
                                                 (expected is bool or not isinstance(value, bool))):
            continue
        if isinstance(value, dict):
            message = "Start of structure or map found where not expected."
        elif isinstance(value, list):
            message = "Start of list found where not expected"
        elif expected in (dict, list):
            message = "Unexpected value type in payload"
        else:
            token = {True: "TRUE_VALUE", False: "FALSE_VALUE"}.get(value) if isinstance(value, bool) else (
                "STRING_VALUE" if isinstance(value, str) else "NUMBER_VALUE")
            message = f"{token} cannot be converted to {_TYPE_NAMES[expected]}"  # type: ignore[index]
        raise DynamoError("SerializationException", message)


def _check_name(value: Any, field: str, errors: list[str], required: bool = True) -> None:
    """DynamoDB's constraints on table and index names, appended in its wording."""
    if value is None:
        if required:
            errors.append(f"Value null at '{field}' failed to satisfy constraint: Member must not be null")
        return
    if not isinstance(value, str):
        raise DynamoError("SerializationException", "NUMBER_VALUE cannot be converted to String")
    if not _TABLE_NAME.fullmatch(value):
        errors.append(f"Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy regular "
                      "expression pattern: [a-zA-Z0-9_.-]+")
    if len(value) < 3:
        errors.append(f"Value '{value}' at '{field}' failed to satisfy constraint: Member must have length "
                      "greater than or equal to 3")
    if len(value) > 255:
        errors.append(f"Value '{value}' at '{field}' failed to satisfy constraint: Member must have length less "
                      "than or equal to 255")


def _table_name(body: dict[str, Any]) -> str:
    errors: list[str] = []
    name = body.get("TableName")
    _check_name(name, "tableName", errors)
    if errors:
        raise constraint_errors(errors)
    return name


def _required(body: dict[str, Any], field: str, wire: str) -> Any:
    """A parameter DynamoDB requires, with its null-constraint error when absent."""
    value = body.get(field)
    if value is None:
        raise constraint_errors([f"Value null at '{wire}' failed to satisfy constraint: Member must not be null"])
    return value


def _request_items(body: dict[str, Any]) -> dict[str, Any]:
    """The RequestItems map of a batch operation: present and not empty."""
    requests = _required(body, "RequestItems", "requestItems")
    if not requests:
        raise constraint_errors(["Value '{}' at 'requestItems' failed to satisfy constraint: Member must have "
                                  "length greater than or equal to 1"])
    return requests


def _enum(body: dict[str, Any], field: str, wire: str, allowed: tuple[str, ...]) -> Any:
    value = body.get(field)
    if value is not None and value not in allowed:
        raise constraint_errors([f"Value '{value}' at '{wire}' failed to satisfy constraint: Member must "
                                  f"satisfy enum value set: [{', '.join(allowed)}]"])
    return value


def _both(body: dict[str, Any], legacy_name: str, expression_name: str) -> None:
    if body.get(legacy_name) is not None and body.get(expression_name) is not None:
        raise validation("Can not use both expression and non-expression parameters in the same request: "
                         f"Non-expression parameters: {{{legacy_name}}} Expression parameters: "
                         f"{{{expression_name}}}")


def _encode_key_part(name: str, kind: str, value: dict[str, Any], limit: int, too_big: str) -> bytes:
    if kind not in value:
        raise invalid_param(f"Type mismatch for key {name} expected: {kind} actual: {next(iter(value))}")
    data = key_bytes(kind, value)
    if not data:
        word = "string" if kind == "S" else "binary"
        raise validation("One or more parameter values are not valid. The AttributeValue for a key attribute "
                         f"cannot contain an empty {word} value. Key: {name}")
    if len(data) > limit:
        raise invalid_param(too_big)
    return data


class Table:
    """One DynamoDB table's schema, description, secondary indexes and live counters."""

    def __init__(self, region: str, description: dict[str, Any], sql_name: str, item_count: int = 0,
                 size_bytes: int = 0) -> None:
        self.region = region
        self.description = description
        self.name: str = description["TableName"]
        self.rows = TableRows(sql_name)
        types = {d["AttributeName"]: d["AttributeType"] for d in description["AttributeDefinitions"]}
        self.key_types = key_types(description["KeySchema"], types)
        self.hash_key: tuple[str, str] = self.key_types[0]
        self.range_key: tuple[str, str] | None = self.key_types[1] if len(self.key_types) > 1 else None
        self.key_names = tuple(name for name, _ in self.key_types)
        self.item_count = item_count
        self.size_bytes = size_bytes
        self.deleted = False
        self.expiry: ExpiryIndex | None = None  # set while TTL is enabled
        self.indexes: dict[str, Index] = {}
        for field, local in (("GlobalSecondaryIndexes", False), ("LocalSecondaryIndexes", True)):
            for definition in description.get(field) or ():
                index = Index(sql_name, definition, types, local, self.key_names)
                self.indexes[index.name] = index

    def encode_key(self, source: dict[str, Any]) -> Key:
        """The storage key of the key attributes in `source` (already checked present)."""
        hash_name, hash_type = self.hash_key
        pk = _encode_key_part(hash_name, hash_type, source[hash_name], MAX_HASH_KEY,
                              f"Size of hashkey has exceeded the maximum size limit of{MAX_HASH_KEY} bytes")
        sk = b""
        if self.range_key is not None:
            range_name, range_type = self.range_key
            sk = _encode_key_part(range_name, range_type, source[range_name], MAX_RANGE_KEY,
                                  f"Aggregated size of all range keys has exceeded the size limit of "
                                  f"{MAX_RANGE_KEY} bytes")
        return (zlib.crc32(pk), pk, sk)

    def item_key(self, item: dict[str, Any]) -> Key:
        """The storage key of a (validated) item, with DynamoDB's errors for missing or mistyped keys."""
        for name in self.key_names:
            if name not in item:
                raise invalid_param(f"Missing the key {name} in the item")
        return self.encode_key(item)

    def request_key(self, key: Any, starting: bool = False) -> Key:
        """The storage key of a Key parameter, which must name exactly the key attributes."""
        prefix = "The provided starting key is invalid: " if starting else ""
        if not isinstance(key, dict):
            raise validation(prefix + "The provided key element does not match the schema")
        for value in key.values():
            check_value(value)
        if len(key) != len(self.key_names) or any(
                name not in key or kind not in key[name] for name, kind in self.key_types):
            raise validation(prefix + "The provided key element does not match the schema")
        return self.encode_key(key)

    def arn(self) -> str:
        return self.description["TableArn"]

    def check_indexes(self, item: dict[str, Any]) -> None:
        """Reject an item whose secondary-index key attributes are mistyped or empty."""
        for index in self.indexes.values():
            index.check(item)

    def describe(self) -> dict[str, Any]:
        """The TableDescription with live counters."""
        description = {**self.description, "ItemCount": self.item_count, "TableSizeBytes": self.size_bytes}
        for field in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if field in description:
                description[field] = [self.indexes[d["IndexName"]].describe(self.arn(), d)
                                       for d in description[field]]
        return description

    def index_stats(self) -> bytes:
        return orjson.dumps({name: [i.item_count, i.size_bytes] for name, i in self.indexes.items()})


class _Request:
    """The expression parameters of one data-plane request, bound and checked together."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.ctx = ExpressionContext(body.get("ExpressionAttributeNames"), body.get("ExpressionAttributeValues"))
        self.body = body

    def condition(self) -> Parsed | None:
        body = self.body
        _both(body, "Expected", "ConditionExpression")
        if body.get("ConditionExpression") is not None:
            return self.ctx.parse(body["ConditionExpression"], "ConditionExpression")
        return legacy.conditions(body.get("Expected"), body.get("ConditionalOperator"), expected=True)

    def filter(self, legacy_name: str) -> Parsed | None:
        body = self.body
        _both(body, legacy_name, "FilterExpression")
        if body.get("FilterExpression") is not None:
            return self.ctx.parse(body["FilterExpression"], "FilterExpression")
        return legacy.conditions(body.get(legacy_name), body.get("ConditionalOperator"))

    def projection(self) -> list[tuple] | None:
        body = self.body
        _both(body, "AttributesToGet", "ProjectionExpression")
        if body.get("ProjectionExpression") is not None:
            return projection_paths(self.ctx.parse(body["ProjectionExpression"], "ProjectionExpression"), self.ctx)
        if body.get("AttributesToGet") is not None:
            return legacy.projection(body["AttributesToGet"])
        return None


def _loads(blob: bytes | None) -> dict[str, Any]:
    return orjson.loads(blob) if blob else {}


class _Write:
    """One validated Put, Delete, Update or ConditionCheck; `outcome` runs on the writer thread."""

    __slots__ = ("kind", "table", "key", "body", "ctx", "item", "size", "key_item", "update", "condition",
                 "touched")

    def __init__(self, kind: str, table: Table, key: Key, body: dict[str, Any], ctx: ExpressionContext,
                 item: dict[str, Any] | None = None, size: int = 0, key_item: dict[str, Any] | None = None) -> None:
        self.kind = kind
        self.table = table
        self.key = key
        self.body = body
        self.ctx = ctx
        self.item = item
        self.size = size
        self.key_item = key_item
        self.update: Parsed | None = None
        self.condition: Parsed | None = None
        self.touched: list[tuple] = []

    def outcome(self, old: tuple[bytes, int] | None) -> tuple[dict[str, Any] | None, int, bytes] | None:
        """Check the condition against the stored row (raising ConditionalCheckFailedException) and return
        what to store: (item, size, JSON) to write, (None, 0, b"") to delete, or None for no change."""
        if self.condition is not None:
            current = _loads(old[0] if old else None)
            if not condition_holds(self.condition.ast, current, self.ctx, "ConditionExpression"):
                wants_item = self.body.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
                raise condition_failed(orjson.Fragment(old[0]) if wants_item and old is not None else None)
        if self.kind == "Put":
            assert self.item is not None
            return self.item, self.size, orjson.dumps(self.item)
        if self.kind == "Delete":
            return (None, 0, b"") if old is not None else None
        if self.kind == "ConditionCheck":
            return None
        item = _loads(old[0] if old else None)
        if not item:
            item.update(self.key_item or {})
        if self.update is not None:
            self.touched = apply_update(self.update, item, self.ctx, self.table.key_names)
        size = item_size(item)
        if size > MAX_ITEM_BYTES:
            raise validation("Item size to update has exceeded the maximum allowed size")
        self.table.check_indexes(item)
        return item, size, orjson.dumps(item)


class DynamoEngine:
    """Tables per region plus every operation; the HTTP layer only maps requests onto `call`."""

    def __init__(self, storage: Storage, default_region: str = "us-east-1") -> None:
        self.storage = storage
        self.default_region = default_region
        self.tables: dict[tuple[str, str], Table] = {}
        self._dirty: set[Table] = set()
        storage.before_commit = self._persist_counters
        storage.run_sync(self._load)
        self._operations: dict[str, Callable[..., Any]] = {
            name: getattr(self, re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower())
            for name in ("CreateTable", "DescribeTable", "ListTables", "UpdateTable", "DeleteTable",
                         "DescribeLimits", "DescribeEndpoints", "TagResource", "UntagResource",
                         "ListTagsOfResource", "PutItem", "GetItem", "DeleteItem", "UpdateItem", "Query",
                         "Scan", "BatchGetItem", "BatchWriteItem", "DescribeTimeToLive", "UpdateTimeToLive",
                         "TransactWriteItems", "TransactGetItems")
        }

    def _load(self, conn: sqlite3.Connection) -> None:
        conn.execute(_CATALOG)
        conn.execute(_TAGS)
        rows = conn.execute("SELECT region, sql_name, description, item_count, size_bytes, index_stats, "
                            "ttl_attribute FROM catalog")
        for region, sql_name, description, count, size, index_stats, ttl_attribute in rows.fetchall():
            table = Table(region, orjson.loads(description), sql_name, count, size)
            if ttl_attribute is not None:
                table.expiry = ExpiryIndex(sql_name, ttl_attribute)
            for name, (index_count, index_size) in orjson.loads(index_stats).items():
                table.indexes[name].item_count, table.indexes[name].size_bytes = index_count, index_size
            self.tables[(region, table.name)] = table

    def _persist_counters(self, conn: sqlite3.Connection) -> None:
        for table in self._dirty:
            if not table.deleted:
                conn.execute("UPDATE catalog SET item_count = ?, size_bytes = ?, index_stats = ? "
                             "WHERE region = ? AND name = ?",
                             (table.item_count, table.size_bytes, table.index_stats(), table.region, table.name))
        self._dirty.clear()

    def _save_description(self, conn: sqlite3.Connection, table: Table) -> None:
        conn.execute("UPDATE catalog SET description = ? WHERE region = ? AND name = ?",
                     (orjson.dumps(table.description), table.region, table.name))

    async def call(self, operation: str, body: dict[str, Any], region: str | None = None) -> dict[str, Any]:
        """Run one operation; raises DynamoError for anything DynamoDB would reject."""
        handler = self._operations.get(operation)
        if handler is None:
            raise DynamoError("UnknownOperationException", f"Unknown operation: {operation}")
        if not isinstance(body, dict):
            raise DynamoError("SerializationException", "Start of structure or map found where not expected.")
        _check_members(body)
        try:
            return await handler(body, region or self.default_region)
        except (TypeError, AttributeError) as exc:
            # A nested member of the wrong JSON shape (a number where a map belongs, ...): DynamoDB's front
            # end rejects those before the operation runs; here they surface as Python type errors.
            log.debug("dynamo: malformed %s request: %r", operation, exc)
            raise DynamoError("SerializationException", "Unexpected value type in payload") from None

    def _table(self, body: dict[str, Any], region: str, describe: bool = False) -> Table:
        name = _table_name(body)
        table = self.tables.get((region, name))
        if table is None:
            raise not_found(f"Requested resource not found: Table: {name} not found" if describe else
                            "Requested resource not found")
        return table

    # -- control plane ------------------------------------------------------------------------------
    async def create_table(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        errors: list[str] = []
        name = body.get("TableName")
        _check_name(name, "tableName", errors)
        definitions = body.get("AttributeDefinitions")
        schema = body.get("KeySchema")
        if definitions is None:
            errors.append("Value null at 'attributeDefinitions' failed to satisfy constraint: Member must not be "
                          "null")
        if schema is None:
            errors.append("Value null at 'keySchema' failed to satisfy constraint: Member must not be null")
        elif not 1 <= len(schema) <= 2:
            bound = "greater than or equal to 1" if not schema else "less than or equal to 2"
            errors.append(f"Value '{schema}' at 'keySchema' failed to satisfy constraint: Member must have length "
                          f"{bound}")
        billing = body.get("BillingMode")
        if billing is not None and billing not in ("PROVISIONED", "PAY_PER_REQUEST"):
            errors.append(f"Value '{billing}' at 'billingMode' failed to satisfy constraint: Member must satisfy "
                          "enum value set: [PROVISIONED, PAY_PER_REQUEST]")
        for i, definition in enumerate(definitions or []):
            kind = definition.get("AttributeType")
            if kind not in ("S", "N", "B"):
                errors.append(f"Value '{kind}' at 'attributeDefinitions.{i + 1}.member.attributeType' failed to "
                              "satisfy constraint: Member must satisfy enum value set: [B, N, S]")
        for i, element in enumerate(schema or []):
            kind = element.get("KeyType")
            if kind not in ("HASH", "RANGE"):
                errors.append(f"Value '{kind}' at 'keySchema.{i + 1}.member.keyType' failed to satisfy "
                              "constraint: Member must satisfy enum value set: [HASH, RANGE]")
        for field, entries in (("attributeDefinitions", definitions), ("keySchema", schema)):
            for i, entry in enumerate(entries or []):
                attribute = entry.get("AttributeName")
                if not isinstance(attribute, str) or not 1 <= len(attribute.encode()) <= 255:
                    bound = "less than or equal to 255" if attribute else "greater than or equal to 1"
                    errors.append(f"Value '{attribute}' at '{field}.{i + 1}.member.attributeName' failed to "
                                  f"satisfy constraint: Member must have length {bound}")
        if errors:
            raise constraint_errors(errors)
        names = [d["AttributeName"] for d in definitions]
        keys = [k["AttributeName"] for k in schema]
        if len(keys) == 2 and (any(k not in names for k in keys) or (keys[0] == keys[1] and len(names) == 1)):
            raise validation("Invalid KeySchema: Some index key attribute have no definition")
        if len(keys) == 1 and keys[0] not in names:
            raise invalid_param("Some index key attributes are not defined in AttributeDefinitions. Keys: "
                                f"[{', '.join(keys)}], AttributeDefinitions: [{', '.join(names)}]")
        if len(keys) == 2 and keys[0] == keys[1]:
            raise validation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
        if schema[0]["KeyType"] != "HASH":
            raise validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
        if len(schema) == 2 and schema[1]["KeyType"] != "RANGE":
            raise validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
        local, global_ = body.get("LocalSecondaryIndexes"), body.get("GlobalSecondaryIndexes")
        if local is None and global_ is None and len(keys) != len(names):
            raise invalid_param("Number of attributes in KeySchema does not exactly match number of attributes "
                                "defined in AttributeDefinitions")
        indexes = self._check_indexes(local, global_, names, keys, billing or "PROVISIONED")
        throughput = self._throughput(body.get("ProvisionedThroughput"), billing or "PROVISIONED")
        if (region, name) in self.tables:
            raise in_use(f"Table already exists: {name}")
        now = time.time()
        description: dict[str, Any] = {
            "AttributeDefinitions": definitions,
            "TableName": name,
            "KeySchema": schema,
            "TableStatus": "ACTIVE",
            "CreationDateTime": now,
            "ProvisionedThroughput": throughput,
            "TableArn": f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}",
            "TableId": str(uuid.uuid4()),
            "DeletionProtectionEnabled": bool(body.get("DeletionProtectionEnabled", False)),
            **indexes,
        }
        if billing == "PAY_PER_REQUEST":
            description["BillingModeSummary"] = {"BillingMode": "PAY_PER_REQUEST",
                                                 "LastUpdateToPayPerRequestDateTime": now}
        elif billing == "PROVISIONED":
            description["BillingModeSummary"] = {"BillingMode": "PROVISIONED"}
        if body.get("TableClass"):
            description["TableClassSummary"] = {"TableClass": body["TableClass"]}
        sse = body.get("SSESpecification")
        if sse and sse.get("Enabled"):
            description["SSEDescription"] = {
                "Status": "ENABLED", "SSEType": sse.get("SSEType", "KMS"),
                "KMSMasterKeyArn": sse.get("KMSMasterKeyId")
                or f"arn:aws:kms:{region}:{ACCOUNT}:key/{uuid.uuid4()}"}
        table = Table(region, description, "t_" + uuid.uuid4().hex)
        self.tables[(region, name)] = table
        tags = body.get("Tags") or []

        def create(conn: sqlite3.Connection) -> None:
            table.rows.create(conn)
            for index in table.indexes.values():
                index.rows.create(conn)
            conn.execute("INSERT INTO catalog VALUES (?, ?, ?, ?, 0, 0, ?, NULL)",
                         (region, name, table.rows.sql_name, orjson.dumps(description), table.index_stats()))
            conn.executemany("INSERT OR REPLACE INTO tags VALUES (?, ?, ?)",
                             [(table.arn(), t["Key"], t["Value"]) for t in tags])

        try:
            await self.storage.write(create)
        except BaseException:
            self.tables.pop((region, name), None)
            raise
        return {"TableDescription": {**table.describe(), "TableStatus": "CREATING"}}

    def _check_indexes(self, local: Any, global_: Any, names: list[str], keys: list[str],
                       billing: str) -> dict[str, list[dict[str, Any]]]:
        """Validate LocalSecondaryIndexes/GlobalSecondaryIndexes as DynamoDB does; return their descriptions."""
        result: dict[str, list[dict[str, Any]]] = {}
        seen: set[str] = set()
        used = set(keys)
        for field, specs, limit in (("LocalSecondaryIndexes", local, 5), ("GlobalSecondaryIndexes", global_, 20)):
            if specs is None:
                continue
            if not specs:
                raise invalid_param(f"List of {field} is empty")
            if field == "LocalSecondaryIndexes" and len(keys) != 2:
                raise invalid_param("Table KeySchema does not have a range key, which is required when specifying "
                                    "a LocalSecondaryIndex")
            described = []
            for spec in specs:
                index_name = spec.get("IndexName")
                errors: list[str] = []
                _check_name(index_name, "indexName", errors)
                if errors:
                    raise constraint_errors(errors)
                schema = spec.get("KeySchema") or []
                index_keys = [k.get("AttributeName") for k in schema]
                if not 1 <= len(schema) <= 2:
                    raise invalid_param(f"Invalid KeySchema for index: {index_name}")
                if any(k not in names for k in index_keys):
                    raise invalid_param("Some index key attributes are not defined in AttributeDefinitions. Keys: "
                                        f"[{', '.join(map(str, index_keys))}], AttributeDefinitions: "
                                        f"[{', '.join(names)}]")
                if len(index_keys) == 2 and index_keys[0] == index_keys[1]:
                    raise validation("Both the Hash Key and the Range Key element in the KeySchema have the same "
                                     "name")
                if schema[0].get("KeyType") != "HASH":
                    raise validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
                if len(schema) == 2 and schema[1].get("KeyType") != "RANGE":
                    raise validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
                if field == "LocalSecondaryIndexes":
                    if len(schema) != 2:
                        raise invalid_param(f"Index KeySchema does not have a range key for index: {index_name}")
                    if index_keys[0] != keys[0]:
                        raise invalid_param("Index KeySchema does not have the same leading hash key as table "
                                            f"KeySchema for index: {index_name}. index hash key: {index_keys[0]}, "
                                            f"table hash key: {keys[0]}")
                projection = spec.get("Projection") or {}
                projection_type = projection.get("ProjectionType")
                if projection_type not in ("ALL", "KEYS_ONLY", "INCLUDE"):
                    raise invalid_param(f"Unknown ProjectionType: {projection_type}".replace("None", "null"))
                if projection.get("NonKeyAttributes") and projection_type != "INCLUDE":
                    raise invalid_param(f"ProjectionType is {projection_type}, but NonKeyAttributes is specified")
                if index_name in seen:
                    raise invalid_param(f"Duplicate index name: {index_name}")
                seen.add(index_name)
                used.update(index_keys)
                entry: dict[str, Any] = {"IndexName": index_name, "KeySchema": schema, "Projection": projection}
                if field == "GlobalSecondaryIndexes":
                    throughput = spec.get("ProvisionedThroughput")
                    if billing == "PROVISIONED" and not throughput:
                        raise invalid_param(f"ProvisionedThroughput must be specified for index: {index_name}")
                    if billing == "PAY_PER_REQUEST" and throughput:
                        raise invalid_param(f"ProvisionedThroughput should not be specified for index: "
                                            f"{index_name} when BillingMode is PAY_PER_REQUEST")
                    entry["IndexStatus"] = "ACTIVE"
                    entry["ProvisionedThroughput"] = self._throughput(throughput, billing)
                described.append(entry)
            if len(described) > limit:
                raise invalid_param(f"Number of {field} exceeds per-table limit of {limit}"
                                    if field == "LocalSecondaryIndexes"
                                    else f"GlobalSecondaryIndex count exceeds the per-table limit of {limit}")
            result[field] = described
        unused = [n for n in names if n not in used]
        if unused and (local is not None or global_ is not None):
            raise invalid_param(f"Some AttributeDefinitions are not used. AttributeDefinitions: [{', '.join(names)}], "
                                f"keys used: [{', '.join(n for n in names if n in used)}]")
        return result

    @staticmethod
    def _throughput(spec: Any, billing: str) -> dict[str, Any]:
        if billing == "PAY_PER_REQUEST":
            if spec:
                raise invalid_param("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                                    "BillingMode is PAY_PER_REQUEST")
            return {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
        if not spec:
            raise invalid_param("ReadCapacityUnits and WriteCapacityUnits must both be specified when "
                                "BillingMode is PROVISIONED")
        errors = []
        for field in ("ReadCapacityUnits", "WriteCapacityUnits"):
            units = spec.get(field)
            wire = "provisionedThroughput." + field[0].lower() + field[1:]
            if units is None:
                errors.append(f"Value null at '{wire}' failed to satisfy constraint: Member must not be null")
            elif units < 1:
                errors.append(f"Value '{units}' at '{wire}' failed to satisfy constraint: Member must have value "
                              "greater than or equal to 1")
        if errors:
            raise constraint_errors(errors)
        for field in ("ReadCapacityUnits", "WriteCapacityUnits"):
            if spec[field] > 1000000000000:
                raise validation(f"Given value {spec[field]} for {field} is out of bounds")
        return {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": spec["ReadCapacityUnits"],
                "WriteCapacityUnits": spec["WriteCapacityUnits"]}

    async def describe_table(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        return {"Table": self._table(body, region, describe=True).describe()}

    async def describe_time_to_live(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        table = self._table(body, region, describe=True)
        if table.expiry is None:
            return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}
        return {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": table.expiry.attribute}}

    async def update_time_to_live(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        table = self._table(body, region)
        enabled, attribute = check_specification(body.get("TimeToLiveSpecification"))
        if enabled == (table.expiry is not None):
            raise validation(f"TimeToLive is already {'enabled' if enabled else 'disabled'}")
        expiry = ExpiryIndex(table.rows.sql_name, attribute) if enabled else table.expiry
        assert expiry is not None

        def switch(conn: sqlite3.Connection) -> None:
            if enabled:
                expiry.create(conn)
                # Index the items already there: one pass, as DynamoDB's own background scan does.
                for blob, _ in table.rows.scan(conn, None, 0, 1 << 32):
                    item = orjson.loads(blob)
                    if expiry.expires(item) is not None:
                        expiry.update(conn, table.encode_key(item), None, item)
            else:
                expiry.drop(conn)
            conn.execute("UPDATE catalog SET ttl_attribute = ? WHERE region = ? AND name = ?",
                         (attribute if enabled else None, region, table.name))
            table.expiry = expiry if enabled else None

        await self.storage.write(switch)
        return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}}

    def expiring(self) -> bool:
        """Whether any table has TTL enabled (the sweep has work to look for)."""
        return any(table.expiry is not None for table in self.tables.values())

    async def expire(self, now: float, limit: int = 1000) -> int:
        """Delete up to `limit` items per table whose TTL is before `now`; return how many went."""
        tables = [t for t in self.tables.values() if t.expiry is not None]

        def sweep(conn: sqlite3.Connection) -> int:
            deleted = 0
            for table in tables:
                expiry = table.expiry
                if expiry is None or table.deleted:
                    continue
                for key in expiry.due(conn, now, limit):
                    old = table.rows.get(conn, key)
                    self._store(conn, table, key, old, None)
                    deleted += old is not None
            return deleted

        return await self.storage.write(sweep)

    async def list_tables(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        limit = body.get("Limit", 100)
        errors: list[str] = []
        start = body.get("ExclusiveStartTableName")
        _check_name(start, "exclusiveStartTableName", errors, required=False)
        if not isinstance(limit, int) or limit < 1:
            errors.append(f"Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value "
                          "greater than or equal to 1")
        elif limit > 100:
            errors.append(f"Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value less "
                          "than or equal to 100")
        if errors:
            raise constraint_errors(errors)
        names = sorted(name for r, name in self.tables if r == region)
        if start is not None:
            names = [n for n in names if n > start]
        result: dict[str, Any] = {"TableNames": names[:limit]}
        if len(names) > limit:
            result["LastEvaluatedTableName"] = names[limit - 1]
        return result

    async def update_table(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        table = self._table(body, region)
        description = dict(table.description)
        billing = _enum(body, "BillingMode", "billingMode", ("PROVISIONED", "PAY_PER_REQUEST"))
        throughput = body.get("ProvisionedThroughput")
        changes = [k for k in ("ProvisionedThroughput", "BillingMode", "DeletionProtectionEnabled", "TableClass",
                               "SSESpecification", "StreamSpecification", "GlobalSecondaryIndexUpdates",
                               "ReplicaUpdates", "AttributeDefinitions") if body.get(k) is not None]
        if not changes:
            raise validation("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
                             "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
        if body.get("GlobalSecondaryIndexUpdates") is not None:
            raise invalid_param("GlobalSecondaryIndexUpdates are not supported by dynamis yet: create the table "
                                "with its indexes")
        current_billing = description.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
        new_billing = billing or current_billing
        if billing is not None or throughput is not None:
            if new_billing == "PAY_PER_REQUEST" and throughput:
                raise invalid_param("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                                    "BillingMode is PAY_PER_REQUEST")
            if new_billing == "PROVISIONED" and billing == "PROVISIONED" and current_billing != "PROVISIONED" \
                    and not throughput:
                raise validation("One or more parameter values were invalid: ProvisionedThroughput must be "
                                 "specified when BillingMode is PROVISIONED")
            old = description["ProvisionedThroughput"]
            if throughput is not None:
                updated = self._throughput(throughput, "PROVISIONED")
                if (billing is None and updated["ReadCapacityUnits"] == old["ReadCapacityUnits"]
                        and updated["WriteCapacityUnits"] == old["WriteCapacityUnits"]):
                    raise validation(
                        "The provisioned throughput for the table will not change. The requested value equals the "
                        f"current value. Current ReadCapacityUnits provisioned for the table: "
                        f"{old['ReadCapacityUnits']}. Requested ReadCapacityUnits: {updated['ReadCapacityUnits']}. "
                        f"Current WriteCapacityUnits provisioned for the table: {old['WriteCapacityUnits']}. "
                        f"Requested WriteCapacityUnits: {updated['WriteCapacityUnits']}. Refer to the Amazon "
                        "DynamoDB Developer Guide for current limits and how to request higher limits.")
                now = time.time()
                if updated["ReadCapacityUnits"] > old["ReadCapacityUnits"] or \
                        updated["WriteCapacityUnits"] > old["WriteCapacityUnits"]:
                    updated["LastIncreaseDateTime"] = now
                else:
                    updated["LastDecreaseDateTime"] = now
                    updated["NumberOfDecreasesToday"] = old.get("NumberOfDecreasesToday", 0) + 1
                description["ProvisionedThroughput"] = updated
            elif new_billing == "PAY_PER_REQUEST":
                description["ProvisionedThroughput"] = self._throughput(None, "PAY_PER_REQUEST")
            if new_billing == "PAY_PER_REQUEST":
                description["BillingModeSummary"] = {"BillingMode": "PAY_PER_REQUEST",
                                                     "LastUpdateToPayPerRequestDateTime": time.time()}
            else:
                description["BillingModeSummary"] = {"BillingMode": "PROVISIONED"}
        if body.get("DeletionProtectionEnabled") is not None:
            description["DeletionProtectionEnabled"] = bool(body["DeletionProtectionEnabled"])
        if body.get("TableClass") is not None:
            description["TableClassSummary"] = {"TableClass": body["TableClass"]}
        table.description = description
        await self.storage.write(lambda conn: self._save_description(conn, table))
        return {"TableDescription": {**table.describe(), "TableStatus": "UPDATING"}}

    async def delete_table(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        table = self._table(body, region)
        if table.description.get("DeletionProtectionEnabled"):
            raise in_use("Resource cannot be deleted as it is currently protected against deletion. Disable "
                         "deletion protection first")
        del self.tables[(region, table.name)]
        table.deleted = True

        def drop(conn: sqlite3.Connection) -> None:
            table.rows.drop(conn)
            for index in table.indexes.values():
                index.rows.drop(conn)
            if table.expiry is not None:
                table.expiry.drop(conn)
            conn.execute("DELETE FROM catalog WHERE region = ? AND name = ?", (region, table.name))
            conn.execute("DELETE FROM tags WHERE arn = ?", (table.arn(),))

        await self.storage.write(drop)
        return {"TableDescription": {**table.describe(), "TableStatus": "DELETING"}}

    async def describe_limits(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        return {"AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
                "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000}

    async def describe_endpoints(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        return {"Endpoints": [{"Address": f"dynamodb.{region}.amazonaws.com", "CachePeriodInMinutes": 1440}]}

    def _table_by_arn(self, arn: Any) -> Table:
        for table in self.tables.values():
            if table.arn() == arn:
                return table
        if not isinstance(arn, str) or not arn.startswith("arn:"):
            raise validation(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")
        raise not_found(f"Requested resource not found: ResourcArn: {arn} not found")

    async def tag_resource(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        table = self._table_by_arn(body.get("ResourceArn"))
        tags = [(table.arn(), t["Key"], t["Value"]) for t in body.get("Tags") or []]
        if not tags:
            raise invalid_param("Atleast one Tag needs to be provided as Input.")
        await self.storage.write(lambda conn: conn.executemany("INSERT OR REPLACE INTO tags VALUES (?, ?, ?)",
                                                               tags))
        return {}

    async def untag_resource(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        table = self._table_by_arn(body.get("ResourceArn"))
        keys = [(table.arn(), k) for k in body.get("TagKeys") or []]
        if not keys:
            raise invalid_param("Atleast one Tag Key needs to be provided as Input.")
        await self.storage.write(lambda conn: conn.executemany("DELETE FROM tags WHERE arn = ? AND key = ?",
                                                               keys))
        return {}

    async def list_tags_of_resource(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        table = self._table_by_arn(body.get("ResourceArn"))
        rows = await self.storage.read(lambda conn: conn.execute(
            "SELECT key, value FROM tags WHERE arn = ? ORDER BY key", (table.arn(),)).fetchall())
        return {"Tags": [{"Key": k, "Value": v} for k, v in rows]}

    # -- single items -------------------------------------------------------------------------------
    def _store(self, conn: sqlite3.Connection, table: Table, key: Key, old: tuple[bytes, int] | None,
               item: dict[str, Any] | None, size: int = 0, blob: bytes = b"") -> None:
        """Write `item` (None: delete) under `key` with its index entries, keeping ItemCount/TableSizeBytes
        current. Runs on the writer thread; the item was validated (index keys included) beforehand."""
        if item is not None:
            table.rows.put(conn, key, size, blob)
        elif old is not None:
            table.rows.delete(conn, key)
        if old is not None:
            table.item_count -= 1
            table.size_bytes -= old[1]
        if item is not None:
            table.item_count += 1
            table.size_bytes += size
        old_item = orjson.loads(old[0]) if old is not None and (table.indexes or table.expiry) else None
        if table.expiry is not None:
            table.expiry.update(conn, key, old_item, item)
        if table.indexes:
            for index in table.indexes.values():
                old_entry = index.entry(old_item, key) if old_item is not None else None
                new_entry = index.entry(item, key) if item is not None else None
                if old_entry is not None:
                    assert old_item is not None
                    index.rows.delete(conn, old_entry)
                    index.item_count -= 1
                    index.size_bytes -= item_size(index.project(old_item))
                if new_entry is not None:
                    index.rows.put(conn, new_entry, size, blob)
                    index.item_count += 1
                    index.size_bytes += item_size(index.project(item))
        self._dirty.add(table)

    @staticmethod
    def _return_values(body: dict[str, Any], allowed: tuple[str, ...]) -> str:
        value = body.get("ReturnValues") or "NONE"
        if value not in ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"):
            raise constraint_errors([f"Value '{value}' at 'returnValues' failed to satisfy constraint: Member "
                                      "must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, "
                                      "UPDATED_NEW]"])
        if value not in allowed:
            raise validation("Return values set to invalid value")
        on_failure = body.get("ReturnValuesOnConditionCheckFailure")
        if on_failure not in (None, "NONE", "ALL_OLD"):
            raise constraint_errors([f"Value '{on_failure}' at 'returnValuesOnConditionCheckFailure' failed to "
                                      "satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]"])
        return value

    def _plan(self, kind: str, body: dict[str, Any], region: str) -> _Write:
        """Validate one Put, Delete, Update or ConditionCheck request (on the loop) into a _Write."""
        table = self._table(body, region)
        request = _Request(body)
        if kind == "Put":
            item = _required(body, "Item", "item")
            size = check_item(item)
            key = table.item_key(item)
            if size > MAX_ITEM_BYTES:
                raise validation("Item size has exceeded the maximum allowed size")
            table.check_indexes(item)
            write = _Write(kind, table, key, body, request.ctx, item=item, size=size)
        else:
            key = table.request_key(_required(body, "Key", "key"))
            write = _Write(kind, table, key, body, request.ctx, key_item=dict(body["Key"]))
            if kind == "Update":
                _both(body, "AttributeUpdates", "UpdateExpression")
                if body.get("UpdateExpression") is not None:
                    write.update = request.ctx.parse(body["UpdateExpression"], "UpdateExpression")
                elif body.get("AttributeUpdates"):
                    write.update = legacy.attribute_updates(body["AttributeUpdates"])
        write.condition = request.condition()
        if kind == "ConditionCheck" and write.condition is None:
            raise validation("The ConditionExpression parameter is required for a ConditionCheck")
        request.ctx.finish()
        return write

    async def _write_one(self, write: _Write) -> tuple[tuple[bytes, int] | None, Any]:
        """Apply one write atomically on the writer thread: (old row, outcome)."""
        table, key = write.table, write.key

        def run(conn: sqlite3.Connection) -> tuple[tuple[bytes, int] | None, Any]:
            old = table.rows.get(conn, key)
            outcome = write.outcome(old)
            if outcome is not None:
                self._store(conn, table, key, old, *outcome)
            return old, outcome

        return await self.storage.write(run)

    async def put_item(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        returns = self._return_values(body, ("NONE", "ALL_OLD"))
        write = self._plan("Put", body, region)
        old, _ = await self._write_one(write)
        result: dict[str, Any] = {}
        if returns == "ALL_OLD" and old is not None:
            result["Attributes"] = orjson.Fragment(old[0])
        units = capacity.write_units(max(write.size, old[1] if old else 0))
        return self._with_capacity(result, write.table, units, body)

    @staticmethod
    def _with_capacity(result: dict[str, Any], table: Table, units: float, body: dict[str, Any]) -> dict:
        entry = capacity.consumed(table.name, units, body.get("ReturnConsumedCapacity"))
        if entry is not None:
            result["ConsumedCapacity"] = entry
        return result

    async def get_item(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        table = self._table(body, region)
        key = table.request_key(_required(body, "Key", "key"))
        request = _Request(body)
        paths = request.projection()
        request.ctx.finish()
        row = await self.storage.read(lambda conn: table.rows.get(conn, key))
        result: dict[str, Any] = {}
        if row is not None:
            result["Item"] = orjson.Fragment(row[0]) if paths is None else project(orjson.loads(row[0]), paths)
        units = capacity.read_units(row[1] if row else 0, bool(body.get("ConsistentRead")))
        return self._with_capacity(result, table, units, body)

    async def delete_item(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        returns = self._return_values(body, ("NONE", "ALL_OLD"))
        write = self._plan("Delete", body, region)
        old, _ = await self._write_one(write)
        result: dict[str, Any] = {}
        if returns == "ALL_OLD" and old is not None:
            result["Attributes"] = orjson.Fragment(old[0])
        return self._with_capacity(result, write.table, capacity.write_units(old[1] if old else 0), body)

    async def update_item(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        returns = self._return_values(body, ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"))
        write = self._plan("Update", body, region)
        old, (item, size, _) = await self._write_one(write)
        touched = write.touched
        result: dict[str, Any] = {}
        attributes: dict[str, Any] | None = None
        if returns == "ALL_NEW":
            attributes = item
        elif returns == "UPDATED_NEW":
            attributes = project(item, touched)
        elif old is not None and returns == "ALL_OLD":
            attributes = orjson.loads(old[0])
        elif old is not None and returns == "UPDATED_OLD":
            attributes = project(orjson.loads(old[0]), touched)
        if attributes:
            result["Attributes"] = attributes
        units = capacity.write_units(max(size, old[1] if old else 0))
        return self._with_capacity(result, write.table, units, body)

    # -- transactions -------------------------------------------------------------------------------
    @staticmethod
    def _transact_items(body: dict[str, Any]) -> list[dict[str, Any]]:
        items = _required(body, "TransactItems", "transactItems")
        if not isinstance(items, list) or not 1 <= len(items) <= 100:
            bound = "less than or equal to 100" if items else "greater than or equal to 1"
            raise constraint_errors([f"Value at 'transactItems' failed to satisfy constraint: Member must have "
                                      f"length {bound}"])
        return items

    async def transact_write_items(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        writes: list[_Write] = []
        for entry in self._transact_items(body):
            kinds = [k for k in ("ConditionCheck", "Put", "Delete", "Update") if entry.get(k) is not None]
            if len(kinds) != 1:
                raise validation("TransactItems can only contain one of Check, Put, Update or Delete")
            writes.append(self._plan(kinds[0], entry[kinds[0]], region))
        if len({(id(w.table), w.key) for w in writes}) != len(writes):
            raise validation("Transaction request cannot include multiple operations on one item")

        def run(conn: sqlite3.Connection) -> list[tuple[Table, float]]:
            olds = [w.table.rows.get(conn, w.key) for w in writes]
            outcomes, reasons = [], []
            for write, old in zip(writes, olds, strict=True):
                try:
                    outcomes.append(write.outcome(old))
                    reasons.append({"Code": "None"})
                except DynamoError as exc:
                    outcomes.append(None)
                    reason = {"Code": "ConditionalCheckFailed" if exc.code == "ConditionalCheckFailedException"
                              else "ValidationError", "Message": exc.message}
                    if "Item" in exc.extra:
                        reason["Item"] = exc.extra["Item"]
                    reasons.append(reason)
            if any(r["Code"] != "None" for r in reasons):
                codes = ", ".join(r["Code"] for r in reasons)
                raise DynamoError("TransactionCanceledException", "Transaction cancelled, please refer cancellation "
                                  f"reasons for specific reasons [{codes}]", CancellationReasons=reasons)
            used = []
            for write, old, outcome in zip(writes, olds, outcomes, strict=True):
                if outcome is not None:
                    self._store(conn, write.table, write.key, old, *outcome)
                # Transactions cost twice the units of plain writes.
                used.append((write.table, 2 * capacity.write_units(max(write.size if outcome is None else
                                                                           outcome[1], old[1] if old else 0))))
            return used

        used = await self.storage.write(run)
        return self._transaction_capacity({}, used, body)

    @staticmethod
    def _transaction_capacity(result: dict[str, Any], used: list[tuple[Table, float]],
                              body: dict[str, Any]) -> dict[str, Any]:
        mode = body.get("ReturnConsumedCapacity")
        if mode in ("TOTAL", "INDEXES"):
            totals: dict[str, float] = {}
            for table, units in used:
                totals[table.name] = totals.get(table.name, 0.0) + units
            result["ConsumedCapacity"] = [capacity.consumed(name, units, mode) for name, units in totals.items()]
        return result

    async def transact_get_items(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        gets = []
        for entry in self._transact_items(body):
            spec = entry.get("Get")
            if spec is None or len(entry) != 1:
                raise validation("TransactItems can only contain one Get")
            table = self._table(spec, region)
            key = table.request_key(_required(spec, "Key", "key"))
            request = _Request(spec)
            paths = request.projection()
            request.ctx.finish()
            gets.append((table, key, paths))
        if len({(id(t), k) for t, k, _ in gets}) != len(gets):
            raise validation("Transaction request cannot include multiple operations on one item")

        def read(conn: sqlite3.Connection) -> tuple[list[dict[str, Any]], list[tuple[Table, float]]]:
            responses, used = [], []
            for table, key, paths in gets:  # one read transaction: a consistent snapshot
                row = table.rows.get(conn, key)
                used.append((table, 2 * capacity.read_units(row[1] if row else 0, True)))
                if row is None:
                    responses.append({})
                else:
                    responses.append({"Item": orjson.Fragment(row[0]) if paths is None else
                                      project(orjson.loads(row[0]), paths)})
            return responses, used

        responses, used = await self.storage.read(read)
        return self._transaction_capacity({"Responses": responses}, used, body)

    # -- Query and Scan -----------------------------------------------------------------------------
    def _select(self, body: dict[str, Any], paths: list[tuple] | None, index: Index | None) -> str:
        select = _enum(body, "Select", "select", ("SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES",
                                                  "ALL_PROJECTED_ATTRIBUTES"))
        if index is not None:
            if select == "ALL_ATTRIBUTES" and not index.local and index.projection_type != "ALL":
                raise invalid_param(f"Select type ALL_ATTRIBUTES is not supported for global secondary index "
                                    f"{index.name} because its projection type is not ALL")
            if select is None and paths is None:
                select = "ALL_PROJECTED_ATTRIBUTES"
        projected_by = "ProjectionExpression" if body.get("ProjectionExpression") is not None else "AttributesToGet"
        if select == "SPECIFIC_ATTRIBUTES" and paths is None:
            raise validation("Must specify the AttributesToGet or ProjectionExpression when choosing to get "
                             "SPECIFIC_ATTRIBUTES")
        if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
            raise validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
        if select == "COUNT" and paths is not None:
            raise validation(f"Cannot specify the {projected_by} when choosing to get only the Count")
        if select == "ALL_ATTRIBUTES" and paths is not None:
            raise validation(f"Cannot specify the {projected_by} when choosing to get ALL_ATTRIBUTES")
        return select or ("SPECIFIC_ATTRIBUTES" if paths is not None else "ALL_ATTRIBUTES")

    @staticmethod
    def _limit(body: dict[str, Any]) -> int | None:
        limit = body.get("Limit")
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise constraint_errors([f"Value '{limit}' at 'limit' failed to satisfy constraint: Member must have "
                                      "value greater than or equal to 1"])
        return limit

    @staticmethod
    def _index(body: dict[str, Any], table: Table) -> Index | None:
        """The secondary index a Query/Scan reads (None: the table itself)."""
        name = body.get("IndexName")
        if name is None:
            return None
        index = table.indexes.get(name)
        if index is None:
            raise validation(f"The table does not have the specified index: {name}")
        if not index.local and body.get("ConsistentRead"):
            raise validation("Consistent reads are not supported on global secondary indexes")
        return index

    @staticmethod
    def _start_key(body: dict[str, Any], table: Table, index: Index | None) -> tuple | None:
        """The row key of ExclusiveStartKey in the table or index being read."""
        start = body.get("ExclusiveStartKey")
        if start is None:
            return None
        if index is None:
            return table.request_key(start, starting=True)
        if not isinstance(start, dict) or set(start) != set(index.key_names):
            raise validation("The provided starting key is invalid: The provided key element does not match the "
                             "schema")
        table_key = table.request_key({name: start[name] for name in table.key_names}, starting=True)
        index.check(start)
        entry = index.entry(start, table_key)
        if entry is None:  # pragma: no cover - every index key attribute was checked present above
            raise validation("The provided starting key is invalid")
        return entry

    def _page(self, table: Table, index: Index | None, rows: Any, limit: int | None, filter_: Parsed | None,
              paths: list[tuple] | None, select: str, ctx: ExpressionContext) -> dict[str, Any]:
        """Read rows up to Limit or 1 MB, filter and project them: one Query/Scan page."""
        # What a GSI returns is limited to its projection; an LSI can fetch the rest from the table.
        narrowed = index is not None and index.projection_type != "ALL" and (
            select == "ALL_PROJECTED_ATTRIBUTES" or (select == "SPECIFIC_ATTRIBUTES" and not index.local))
        items: list[Any] = []
        scanned = read_bytes = count = 0
        last: bytes | None = None
        for blob, size in rows:
            scanned += 1
            read_bytes += size
            item = None
            if filter_ is not None or narrowed or paths is not None:
                item = orjson.loads(blob)
                if narrowed:
                    assert index is not None
                    item = index.project(item)
            if filter_ is None or condition_holds(filter_.ast, item, ctx, "FilterExpression"):
                count += 1
                if select != "COUNT":
                    if paths is not None:
                        items.append(project(item, paths))
                    else:
                        items.append(item if item is not None else orjson.Fragment(blob))
            if scanned == limit or read_bytes >= PAGE_BYTES:
                last = blob
                break
        result: dict[str, Any] = {"Count": count, "ScannedCount": scanned}
        if select != "COUNT":
            result["Items"] = items
        if last is not None:
            last_item = orjson.loads(last)
            result["LastEvaluatedKey"] = {n: last_item[n] for n in (index or table).key_names}
        result["_read_bytes"] = read_bytes
        return result

    async def query(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        table = self._table(body, region)
        index = self._index(body, table)
        source: Table | Index = index or table
        request = _Request(body)
        ctx = request.ctx
        _both(body, "KeyConditions", "KeyConditionExpression")
        if body.get("KeyConditionExpression") is not None:
            key_ast = ctx.parse(body["KeyConditionExpression"], "KeyConditionExpression")
        elif body.get("KeyConditions") is not None:
            key_ast = legacy.key_conditions(body["KeyConditions"])
        else:
            raise validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in "
                             "the request.")
        filter_ = request.filter("QueryFilter")
        paths = request.projection()
        ctx.finish()
        select = self._select(body, paths, index)
        limit = self._limit(body)
        cond = key_condition(key_ast.ast, ctx, source.hash_key, source.range_key)
        if filter_ is not None:
            schema_names = [k[0] for k in (source.hash_key, source.range_key) if k]
            for name in _top_level_names(filter_.ast, ctx):
                if name in schema_names:
                    raise validation(f"Filter Expression can only contain non-primary key attributes: Primary key "
                                     f"attribute: {name}")
        pk = key_bytes(source.hash_key[1], cond.hash_value)
        bounds: list[tuple[str, bytes]] = []
        if cond.op is not None:
            assert source.range_key is not None
            kind = source.range_key[1]
            args = [key_bytes(kind, a) for a in cond.args]
            if cond.op == "BETWEEN":
                bounds += [(">=", args[0]), ("<=", args[1])]
            elif cond.op == "begins_with":
                bounds.append((">=", args[0]))
                upper = _prefix_end(args[0])
                if upper is not None:
                    bounds.append(("<", upper))
            else:
                bounds.append((cond.op, args[0]))
        forward = body.get("ScanIndexForward", True) is not False
        start = self._start_key(body, table, index)
        if start is not None and start[1] != pk:
            raise validation("The provided starting key is outside query boundaries based on provided key "
                             "conditions")
        h = zlib.crc32(pk)
        after = start[2:] if start is not None else None
        result = await self.storage.read(lambda conn: self._page(
            table, index, source.rows.query(conn, h, pk, bounds, forward, after), limit, filter_, paths, select,
            ctx))
        units = capacity.read_units(result.pop("_read_bytes"), bool(body.get("ConsistentRead")))
        return self._with_capacity(result, table, units, body)

    async def scan(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        table = self._table(body, region)
        index = self._index(body, table)
        request = _Request(body)
        filter_ = request.filter("ScanFilter")
        paths = request.projection()
        request.ctx.finish()
        select = self._select(body, paths, index)
        limit = self._limit(body)
        segment, total = body.get("Segment"), body.get("TotalSegments")
        if segment is not None and total is None:
            raise validation("The TotalSegments parameter is required but was not present in the request when "
                             "Segment parameter is present")
        if total is not None and segment is None:
            raise validation("The Segment parameter is required but was not present in the request when "
                             "parameter TotalSegments is present")
        if total is not None:
            if not 1 <= total <= 1000000:
                bound = ("greater than or equal to 1" if total < 1 else "less than or equal to 1000000")
                raise constraint_errors([f"Value '{total}' at 'totalSegments' failed to satisfy constraint: "
                                          f"Member must have value {bound}"])
            if segment < 0:
                raise constraint_errors([f"Value '{segment}' at 'segment' failed to satisfy constraint: Member "
                                          "must have value greater than or equal to 0"])
            if segment >= total:
                raise validation(f"The Segment parameter is zero-based and must be less than parameter "
                                 f"TotalSegments: Segment: {segment} is not less than TotalSegments: {total}")
        else:
            segment, total = 0, 1
        h_low, h_high = (segment << 32) // total, ((segment + 1) << 32) // total
        after = self._start_key(body, table, index)
        rows = (index or table).rows
        result = await self.storage.read(lambda conn: self._page(
            table, index, rows.scan(conn, after, h_low, h_high), limit, filter_, paths, select, request.ctx))
        units = capacity.read_units(result.pop("_read_bytes"), bool(body.get("ConsistentRead")))
        return self._with_capacity(result, table, units, body)

    # -- batches ------------------------------------------------------------------------------------
    async def batch_get_item(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        requests = _request_items(body)
        if sum(len(r.get("Keys") or []) for r in requests.values()) > 100:
            raise validation("Too many items requested for the BatchGetItem call")
        plans = []
        for name, spec in requests.items():
            table = self._table({"TableName": name}, region)
            keys = spec.get("Keys") or []
            if not keys:
                raise constraint_errors([f"Value '[]' at 'requestItems.{name}.member.keys' failed to satisfy "
                                          "constraint: Member must have length greater than or equal to 1"])
            encoded = [table.request_key(k) for k in keys]
            if len(set(encoded)) != len(encoded):
                raise validation("Provided list of item keys contains duplicates")
            request = _Request(spec)
            paths = request.projection()
            request.ctx.finish()
            plans.append((table, keys, encoded, paths, bool(spec.get("ConsistentRead"))))

        def read(conn: sqlite3.Connection) -> tuple[dict, dict, list]:
            responses: dict[str, list] = {}
            unprocessed: dict[str, Any] = {}
            used: list[tuple[Table, float]] = []
            total = 0
            for table, keys, encoded, paths, consistent in plans:
                found = responses.setdefault(table.name, [])
                units = 0.0
                for i, key in enumerate(encoded):
                    if total > BATCH_GET_BYTES:
                        entry = unprocessed.setdefault(table.name, {**requests[table.name], "Keys": []})
                        entry["Keys"].append(keys[i])
                        continue
                    row = table.rows.get(conn, key)
                    units += capacity.read_units(row[1] if row else 0, consistent)
                    if row is None:
                        continue
                    total += row[1]
                    found.append(orjson.Fragment(row[0]) if paths is None else
                                 project(orjson.loads(row[0]), paths))
                used.append((table, units))
            return responses, unprocessed, used

        responses, unprocessed, used = await self.storage.read(read)
        result: dict[str, Any] = {"Responses": responses, "UnprocessedKeys": unprocessed}
        mode = body.get("ReturnConsumedCapacity")
        if mode in ("TOTAL", "INDEXES"):
            result["ConsumedCapacity"] = [capacity.consumed(t.name, u, mode) for t, u in used]
        return result

    async def batch_write_item(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        requests = _request_items(body)
        if sum(len(r) for r in requests.values()) > 25:
            raise validation("Too many items requested for the BatchWriteItem call")
        plans: list[tuple[Table, Key, dict[str, Any] | None, int, bytes]] = []
        for name, entries in requests.items():
            table = self._table({"TableName": name}, region)
            seen: set[Key] = set()
            for entry in entries:
                put, delete = entry.get("PutRequest"), entry.get("DeleteRequest")
                if (put is None) == (delete is None):
                    raise validation("Supplied AttributeValue has more than one datatypes set, must contain "
                                     "exactly one of the supported datatypes")
                if put is not None:
                    item = put.get("Item") or {}
                    size = check_item(item)
                    key = table.item_key(item)
                    if size > MAX_ITEM_BYTES:
                        raise validation("Item size has exceeded the maximum allowed size")
                    table.check_indexes(item)
                    plans.append((table, key, item, size, orjson.dumps(item)))
                else:
                    key = table.request_key(delete.get("Key"))
                    plans.append((table, key, None, 0, b""))
                if key in seen:
                    raise validation("Provided list of item keys contains duplicates")
                seen.add(key)

        def write(conn: sqlite3.Connection) -> dict[str, float]:
            units: dict[str, float] = {}
            for table, key, item, size, blob in plans:
                old = table.rows.get(conn, key)
                self._store(conn, table, key, old, item, size, blob)
                units[table.name] = units.get(table.name, 0.0) + capacity.write_units(
                    max(size, old[1] if old else 0))
            return units

        units = await self.storage.write(write)
        result: dict[str, Any] = {"UnprocessedItems": {}}
        mode = body.get("ReturnConsumedCapacity")
        if mode in ("TOTAL", "INDEXES"):
            result["ConsumedCapacity"] = [capacity.consumed(name, u, mode) for name, u in units.items()]
        return result


def _prefix_end(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with `prefix` (None: no bound)."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


def _top_level_names(node: Any, ctx: ExpressionContext) -> set[str]:
    """Top-level attribute names referenced anywhere in an AST."""
    names: set[str] = set()
    if isinstance(node, tuple) and node:
        if node[0] == "path":
            names.add(ctx.resolve(node)[0])
            return names
        for part in node[1:] if isinstance(node[0], str) else node:
            names |= _top_level_names(part, ctx)
    return names
