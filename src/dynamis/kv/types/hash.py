"""Hashes (t_hash.c): HSET, HGET, HINCRBY[FLOAT], HRANDFIELD, HSCAN and the other hash commands.

A hash is a dict (field -> value). Python dicts keep insertion order and update in place, which
is exactly the order a listpack-encoded hash replies in, so small hashes answer HGETALL, HKEYS,
HSCAN and HRANDFIELD in Redis's order. `big` records the conversion to a hashtable, which Redis
makes once a field or value is longer than `hash-max-listpack-value` or there are more than
`hash-max-listpack-entries` fields, and never undoes.
"""

from __future__ import annotations

import random
from itertools import islice
from typing import Any

from dynamis.config import Config
from dynamis.kv.args import NOT_FLOAT, SYNTAX, int_arg, parse_int64, parse_scan_cursor, scan_options
from dynamis.kv.client import Client
from dynamis.kv.commands import command
from dynamis.kv.glob import glob_match
from dynamis.kv.keyspace import WRONGTYPE, Database
from dynamis.kv.longdouble import incr_by_float, parse_long_double
from dynamis.kv.protocol import OK, ReplyError
from dynamis.kv.types import register_type

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class HashValue(dict):
    """A Redis hash: field -> value in insertion order (what a listpack keeps); `big` once it
    has outgrown the listpack thresholds (Redis converts to a hashtable and never back)."""

    __slots__ = ("big",)

    def __init__(self) -> None:
        super().__init__()
        self.big = False


def _encoding(value: HashValue, config: Config) -> str:
    return "hashtable" if value.big else "listpack"


register_type(HashValue, "hash", _encoding)


def _lookup(db: Database, key: bytes) -> HashValue | None:
    value = db.lookup(key)
    if value is not None and type(value) is not HashValue:
        raise WRONGTYPE
    return value


def _lookup_or_new(db: Database, key: bytes) -> HashValue:
    """The hash at `key`, or a new one that `_written` stores."""
    h = _lookup(db, key)
    return HashValue() if h is None else h


def _store(client: Client, h: HashValue, pairs: list[bytes]) -> int:
    """Set field/value pairs (flat list), converting the encoding as Redis does; -> fields added."""
    before = len(h)
    h.update(zip(pairs[::2], pairs[1::2], strict=True))
    if not h.big:
        config = client.server.config
        if len(h) > config["hash-max-listpack-entries"] or max(map(len, pairs)) > config["hash-max-listpack-value"]:
            h.big = True
    return len(h) - before


def _written(db: Database, key: bytes, h: HashValue, event: str, changes: int) -> None:
    keyspace = db.keyspace
    if db.data.get(key) is h:
        keyspace.key_modified(db, key)
    else:
        db.set(key, h)  # a new hash: storing it signals the change once
    keyspace.notify(db, "h", event, key)
    keyspace.dirty += changes


# -- writes ----------------------------------------------------------------------------------

def _hset(client: Client, argv: list[bytes]) -> int:
    if len(argv) % 2:
        raise ReplyError(f"ERR wrong number of arguments for '{argv[0].decode().lower()}' command")
    db = client.db
    h = _lookup_or_new(db, argv[1])
    added = _store(client, h, argv[2:])
    _written(db, argv[1], h, "hset", (len(argv) - 2) // 2)
    return added


@command("hset", -4, "write denyoom fast", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0",
         summary="Set the string value of a hash field",
         complexity="O(1) for each field/value pair added, so O(N) to add N field/value pairs"
                    " when the command is called with multiple field/value pairs.")
def hset_command(client: Client, argv: list[bytes]) -> int:
    return _hset(client, argv)


@command("hmset", -4, "write denyoom fast", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0",
         summary="Set multiple hash fields to multiple values",
         complexity="O(N) where N is the number of fields being set.")
def hmset_command(client: Client, argv: list[bytes]) -> str:
    _hset(client, argv)
    return OK


@command("hsetnx", 4, "write denyoom fast", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0",
         key_flags="RW insert",
         summary="Set the value of a hash field, only if the field does not exist",
         complexity="O(1)")
def hsetnx_command(client: Client, argv: list[bytes]) -> int:
    db = client.db
    h = _lookup_or_new(db, argv[1])
    if argv[2] in h:
        return 0
    _store(client, h, argv[2:4])
    _written(db, argv[1], h, "hset", 1)
    return 1


@command("hdel", -3, "write fast", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0",
         key_flags="RW delete",
         summary="Delete one or more hash fields",
         complexity="O(N) where N is the number of fields to be removed.")
def hdel_command(client: Client, argv: list[bytes]) -> int:
    db = client.db
    key = argv[1]
    h = _lookup(db, key)
    if h is None:
        return 0
    deleted = 0
    for field in islice(argv, 2, None):
        if h.pop(field, None) is not None:
            deleted += 1
            if not h:
                break
    if deleted:
        db.elements_removed(key, h, "h", "hdel", deleted)
    return deleted


@command("hincrby", 4, "write denyoom fast", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0",
         key_flags="RW access update",
         summary="Increment the integer value of a hash field by the given number",
         complexity="O(1)")
def hincrby_command(client: Client, argv: list[bytes]) -> int:
    increment = int_arg(argv[3])
    db = client.db
    h = _lookup_or_new(db, argv[1])
    current = h.get(argv[2])
    value = 0
    if current is not None:
        value = parse_int64(current)
        if value is None:
            raise ReplyError("ERR hash value is not an integer")
    result = value + increment
    if not _INT64_MIN <= result <= _INT64_MAX:
        raise ReplyError("ERR increment or decrement would overflow")
    _store(client, h, [argv[2], b"%d" % result])
    _written(db, argv[1], h, "hincrby", 1)
    return result


@command("hincrbyfloat", 4, "write denyoom fast", keys=(1, 1, 1), categories="@hash", group="hash",
         since="2.6.0", key_flags="RW access update",
         summary="Increment the float value of a hash field by the given amount",
         complexity="O(1)")
def hincrbyfloat_command(client: Client, argv: list[bytes]) -> bytes:
    increment = parse_long_double(argv[3])
    if increment is None:
        raise NOT_FLOAT
    if isinstance(increment, float):
        raise ReplyError("ERR value is NaN or Infinity")
    db = client.db
    h = _lookup_or_new(db, argv[1])
    text = incr_by_float(h.get(argv[2]), argv[3], ReplyError("ERR hash value is not a float"))
    _store(client, h, [argv[2], text])
    _written(db, argv[1], h, "hincrbyfloat", 1)
    return text


# -- reads -----------------------------------------------------------------------------------

@command("hget", 3, "readonly fast", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0",
         summary="Get the value of a hash field",
         complexity="O(1)")
def hget_command(client: Client, argv: list[bytes]) -> bytes | None:
    h = _lookup(client.db, argv[1])
    return None if h is None else h.get(argv[2])


@command("hmget", -3, "readonly fast", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0",
         summary="Get the values of all the given hash fields",
         complexity="O(N) where N is the number of fields being requested.")
def hmget_command(client: Client, argv: list[bytes]) -> list[bytes | None]:
    h = _lookup(client.db, argv[1])
    if h is None:
        return [None] * (len(argv) - 2)
    get = h.get
    return [get(field) for field in islice(argv, 2, None)]


@command("hgetall", 2, "readonly", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0",
         tips="nondeterministic_output_order",
         summary="Get all the fields and values in a hash",
         complexity="O(N) where N is the size of the hash.")
def hgetall_command(client: Client, argv: list[bytes]) -> dict[bytes, bytes]:
    h = _lookup(client.db, argv[1])
    return {} if h is None else dict(h)


@command("hkeys", 2, "readonly", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0",
         tips="nondeterministic_output_order",
         summary="Get all the fields in a hash",
         complexity="O(N) where N is the size of the hash.")
def hkeys_command(client: Client, argv: list[bytes]) -> list[bytes]:
    h = _lookup(client.db, argv[1])
    return [] if h is None else list(h)


@command("hvals", 2, "readonly", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0",
         tips="nondeterministic_output_order",
         summary="Get all the values in a hash",
         complexity="O(N) where N is the size of the hash.")
def hvals_command(client: Client, argv: list[bytes]) -> list[bytes]:
    h = _lookup(client.db, argv[1])
    return [] if h is None else list(h.values())


@command("hexists", 3, "readonly fast", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0",
         key_flags="RO",
         summary="Determine if a hash field exists",
         complexity="O(1)")
def hexists_command(client: Client, argv: list[bytes]) -> int:
    h = _lookup(client.db, argv[1])
    return int(h is not None and argv[2] in h)


@command("hlen", 2, "readonly fast", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0", key_flags="RO",
         summary="Get the number of fields in a hash",
         complexity="O(1)")
def hlen_command(client: Client, argv: list[bytes]) -> int:
    h = _lookup(client.db, argv[1])
    return 0 if h is None else len(h)


@command("hstrlen", 3, "readonly fast", keys=(1, 1, 1), categories="@hash", group="hash", since="3.2.0",
         key_flags="RO",
         summary="Get the length of the value of a hash field",
         complexity="O(1)")
def hstrlen_command(client: Client, argv: list[bytes]) -> int:
    h = _lookup(client.db, argv[1])
    value = None if h is None else h.get(argv[2])
    return 0 if value is None else len(value)


# -- HRANDFIELD ------------------------------------------------------------------------------

_HALF_LONG = (2**63 - 1) // 2


@command("hrandfield", -2, "readonly", keys=(1, 1, 1), categories="@hash", group="hash", since="6.2.0",
         tips="nondeterministic_output",
         summary="Get one or multiple random fields from a hash",
         complexity="O(N) where N is the number of fields returned")
def hrandfield_command(client: Client, argv: list[bytes]) -> object:
    if len(argv) == 2:
        h = _lookup(client.db, argv[1])
        if h is None:
            return None
        return next(islice(h, random.randrange(len(h)), None))
    count = int_arg(argv[2])
    if count < -(2**63 - 1):
        raise ReplyError("ERR value is out of range, value must between -9223372036854775807 and "
                         "9223372036854775807")
    if len(argv) > 4 or (len(argv) == 4 and argv[3].lower() != b"withvalues"):
        raise SYNTAX
    withvalues = len(argv) == 4
    if withvalues and not -_HALF_LONG <= count <= _HALF_LONG:
        raise ReplyError("ERR value is out of range")
    h = _lookup(client.db, argv[1])
    if h is None or count == 0:
        return []
    fields = list(h)
    size = len(fields)
    if count < 0 or count == 1:
        picked = [fields[random.randrange(size)] for _ in range(-count if count < 0 else 1)]
    elif count >= size:
        picked = fields
    else:
        # distinct fields, kept in the hash's order as Redis's listpack sampling does
        picked = [fields[i] for i in sorted(random.sample(range(size), count))]
    if not withvalues:
        return picked
    if client.resp == 3:
        return [[field, h[field]] for field in picked]
    out: list[bytes] = []
    for field in picked:
        out.append(field)
        out.append(h[field])
    return out


# -- HSCAN -----------------------------------------------------------------------------------

@command("hscan", -3, "readonly", keys=(1, 1, 1), categories="@hash", group="hash", since="2.8.0",
         tips="nondeterministic_output",
         summary="Incrementally iterate hash fields and associated values",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough "
                    "command calls for the cursor to return back to 0. N is the number of "
                    "elements inside the collection..")
def hscan_command(client: Client, argv: list[bytes]) -> list[Any]:
    cursor = parse_scan_cursor(argv[2])
    h = _lookup(client.db, argv[1])
    if h is None:
        return [b"0", []]
    count, pattern = scan_options(argv, 3)
    if h.big:
        cursor, fields = client.server.keyspace.scan_cursors.scan(h, len(h), cursor, count)
    else:
        cursor, fields = 0, list(h)  # a listpack is returned whole, as Redis does
    items: list[bytes] = []
    for field in fields:
        value = h.get(field)
        if value is None or (pattern is not None and not glob_match(pattern, field)):
            continue
        items.append(field)
        items.append(value)
    return [b"%d" % cursor, items]
