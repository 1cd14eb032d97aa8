"""Hashes (t_hash.c): HSET, HGET, HINCRBY[FLOAT], HRANDFIELD, HSCAN, field expiry (HEXPIRE, HTTL,
HPERSIST...) and the other hash commands.

A hash is a dict (field -> value). Python dicts keep insertion order and update in place, which
is exactly the order a listpack-encoded hash replies in, so small hashes answer HGETALL, HKEYS,
HSCAN and HRANDFIELD in Redis's order. `big` records the conversion to a hashtable, which Redis
makes once a field or value is longer than `hash-max-listpack-value` or there are more than
`hash-max-listpack-entries` fields, and never undoes.

Field expiry (Redis 7.4): the first HEXPIRE on a hash turns it into a `HashValueEx` (Redis's
listpackEx, or a hashtable with HFE metadata) that keeps its fields' times in `ttls`. Plain hashes
pay nothing: every lookup already tests `type(value) is HashValue`, and only the other branch looks
at times. As in Redis 7.4, HGET, HMGET, HEXISTS, HSTRLEN, HSETNX and HINCRBY[FLOAT] delete an
expired field they touch (`hexpired` event); HGETALL, HKEYS, HVALS, HSCAN and the TTL commands
skip it; HLEN, HSET and HDEL still count it until it is reclaimed; HRANDFIELD reclaims them all
first. Each db files the hashes with field times in `db.hexpires`, a heap of (earliest field time,
key) like Redis's ebuckets, which the cron walks to reclaim fields nobody reads again.
"""

from __future__ import annotations

import heapq
import random
import time
from itertools import islice
from typing import Any

from dynamis.config import Config
from dynamis.kv.args import (
    NOT_FLOAT,
    SYNTAX,
    collection_scan_options,
    int_arg,
    parse_int64,
    parse_scan_cursor,
)
from dynamis.kv.client import Client
from dynamis.kv.commands import command
from dynamis.kv.glob import glob_match
from dynamis.kv.keyspace import WRONGTYPE, Database, now_ms
from dynamis.kv.longdouble import incr_by_float, parse_long_double
from dynamis.kv.protocol import OK, ReplyError
from dynamis.kv.types import register_type

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class HashValue(dict):
    """A Redis hash: field -> value in insertion order (what a listpack keeps); `big` once it
    has outgrown the listpack thresholds (Redis converts to a hashtable and never back)."""

    __slots__ = ("big", "ttls")

    def __init__(self) -> None:
        super().__init__()
        self.big = False
        self.ttls: FieldTimes | None = None  # set on a HashValueEx only


class HashValueEx(HashValue):
    """A hash that has had field expiry: `ttls` holds the times. It stays one when its last time goes,
    as Redis's listpackEx stays (OBJECT ENCODING keeps saying listpackex)."""

    __slots__ = ()
    ttls: FieldTimes


class FieldTimes:
    """A hash's field expiry times (unix ms), with a heap that finds the earliest in O(log n).

    Heap entries whose field has since got another time, or none, are skipped when met (and the heap
    rebuilt once they are the majority), so changing a time is O(log n) without a search."""

    __slots__ = ("when", "heap", "filed")

    def __init__(self) -> None:
        self.when: dict[bytes, int] = {}
        self.heap: list[tuple[int, bytes]] = []
        self.filed: int | None = None  # the time this hash is filed under in its db's `hexpires`

    def set(self, field: bytes, when: int) -> None:
        self.when[field] = when
        heapq.heappush(self.heap, (when, field))
        if len(self.heap) > 2 * len(self.when) + 16:
            self.heap = [(t, f) for f, t in self.when.items()]
            heapq.heapify(self.heap)

    def earliest(self) -> int | None:
        heap, when = self.heap, self.when
        while heap:
            t, field = heap[0]
            if when.get(field) == t:
                return t
            heapq.heappop(heap)
        return None


def _encoding(value: HashValue, config: Config) -> str:
    if value.big:
        return "hashtable"
    return "listpackex" if type(value) is HashValueEx else "listpack"


register_type(HashValue, "hash", _encoding)
register_type(HashValueEx, "hash", _encoding)


def _lookup(db: Database, key: bytes) -> HashValue | None:
    """The hash at `key`, expired fields and all (what HLEN, HDEL, HSET and the TTL commands see)."""
    value = db.lookup(key)
    if value is not None and type(value) is not HashValue and type(value) is not HashValueEx:
        raise WRONGTYPE
    return value


def _lookup_field(db: Database, key: bytes, field: bytes) -> HashValue | None:
    """The hash at `key` once `field` is deleted if its time has passed (Redis's HFE_LAZY_EXPIRE);
    None when that was the hash's last field."""
    value = db.lookup(key)
    if value is None or type(value) is HashValue:
        return value
    if type(value) is not HashValueEx:
        raise WRONGTYPE
    return None if _expire_field(db, key, value, field, now_ms(), True) == 2 else value


def _store(client: Client, h: HashValue, pairs: list[bytes], keep_ttl: bool = False) -> int:
    """Set field/value pairs (flat list), converting the encoding as Redis does; -> fields added.

    An overwritten field loses its time unless `keep_ttl` (HINCRBY), and a small hash moves it to the
    end, where its listpack keeps the fields without one."""
    before = len(h)
    # plain loops: for the usual one or two pairs, zip() over slices and max(map(len)) cost twice as much
    times = h.ttls.when if type(h) is HashValueEx and not keep_ttl else None
    for i in range(0, len(pairs), 2):
        field = pairs[i]
        if times is not None and times.pop(field, None) is not None and not h.big:
            del h[field]
        h[field] = pairs[i + 1]
    if not h.big:
        config = client.server.config.values
        if len(h) > config["hash-max-listpack-entries"]:
            h.big = True
        else:
            limit = config["hash-max-listpack-value"]
            for arg in pairs:
                if len(arg) > limit:
                    h.big = True
                    break
    return len(h) - before


def _written(db: Database, key: bytes, h: HashValue, event: str, changes: int) -> None:
    keyspace = db.keyspace
    if db.data.get(key) is h:
        keyspace.key_modified(db, key)
    else:
        db.set(key, h)  # a new hash: storing it signals the change once
    if keyspace.notify_flags:
        keyspace.notify(db, "h", event, key)
    keyspace.dirty += changes


# -- field expiry: deleting expired fields ---------------------------------------------------

def _expire_field(db: Database, key: bytes, h: HashValueEx, field: bytes, now: int, notify: bool) -> int:
    """Delete `field` if its time is before `now`: 0 it lives (or is absent), 1 deleted, 2 deleted
    with the hash, which it emptied (Redis's hashTypeGetValue lazy expiry)."""
    when = h.ttls.when.get(field)
    if when is None or when >= now:
        return 0
    del h[field]
    del h.ttls.when[field]
    keyspace = db.keyspace
    keyspace.stats_expired_subkeys += 1
    if notify:
        keyspace.notify(db, "h", "hexpired", key)
    if h:
        keyspace.key_modified(db, key)
        return 1
    if notify:
        keyspace.notify(db, "g", "del", key)
    db.discard(key)
    return 2


def _expire_fields(db: Database, key: bytes, h: HashValueEx, upto: int, limit: int) -> int:
    """Delete up to `limit` fields whose time is `upto` or earlier, earliest first, with one
    `hexpired` event (and `del` when the hash empties); -> how many."""
    times = h.ttls
    heap, when = times.heap, times.when
    expired = 0
    while heap and expired < limit:
        t, field = heap[0]
        if when.get(field) != t:
            heapq.heappop(heap)
            continue
        if t > upto:
            break
        heapq.heappop(heap)
        del when[field]
        del h[field]
        expired += 1
    if expired:
        db.keyspace.stats_expired_subkeys += expired
        db.elements_removed(key, h, "h", "hexpired", expired)
    return expired


def _file(db: Database, key: bytes, h: HashValueEx) -> None:
    """(Re)file `h` in db.hexpires under its earliest field time (Redis's global HFE ebuckets)."""
    times = h.ttls
    earliest = times.earliest()
    if earliest == times.filed:
        return
    times.filed = earliest
    if earliest is None:
        return
    index = db.hexpires
    heapq.heappush(index, (earliest, key))
    if len(index) > 2 * len(db.data) + 64:  # mostly entries of hashes deleted or refiled since: drop them
        live = {k: t for t, k in index if _is_filed(db, t, k)}
        db.hexpires = [(t, k) for k, t in live.items()]
        heapq.heapify(db.hexpires)


def _is_filed(db: Database, when: int, key: bytes) -> bool:
    """Whether the db.hexpires entry (when, key) still stands for the hash at `key`."""
    h = db.data.get(key)
    return type(h) is HashValueEx and h.ttls.filed == when


# fields one hash gives up per visit of the cron, so that a hash with a million expired fields
# is reclaimed over several cycles (Redis's fieldsToExpireQuota)
_FIELDS_PER_VISIT = 1000


def expire_hash_fields(db: Database, deadline: float) -> int:
    """The cron's share for field expiry in `db`: reclaim the expired fields of the hashes filed
    earliest, until none is due or `deadline` (perf_counter) passes; -> fields expired."""
    index = db.hexpires
    expired = 0
    now = now_ms()
    while index and index[0][0] <= now:
        when, key = heapq.heappop(index)
        if not _is_filed(db, when, key):
            continue
        h = db.data[key]
        h.ttls.filed = None
        expired += _expire_fields(db, key, h, now, _FIELDS_PER_VISIT)
        if db.data.get(key) is h:
            _file(db, key, h)
        if time.perf_counter() > deadline:
            break
    return expired


def subexpiry_count(db: Database) -> int:
    """INFO keyspace's `subexpiry`: the hashes filed for field expiry in `db`."""
    return len({key for when, key in db.hexpires if _is_filed(db, when, key)})


def field_value(h: HashValue, field: bytes) -> bytes | None:
    """The value of `field` unless its time has passed (SORT ... BY/GET hash->field)."""
    if type(h) is HashValueEx:
        when = h.ttls.when.get(field)
        if when is not None and when < now_ms():
            return None
    return h.get(field)


def _live_fields(h: HashValue) -> list[bytes]:
    """The fields whose time has not passed (HGETALL and friends skip the others, deleting nothing)."""
    if type(h) is HashValueEx and h.ttls.when:
        when, now = h.ttls.when, now_ms()
        return [f for f in h if when.get(f, now) >= now]
    return list(h)


# -- writes ----------------------------------------------------------------------------------

def _hset(client: Client, argv: list[bytes]) -> int:
    if len(argv) % 2:
        raise ReplyError(f"ERR wrong number of arguments for '{argv[0].decode().lower()}' command")
    db = client.db
    h = _lookup(db, argv[1])
    if h is None:
        h = HashValue()
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
    h = _lookup_field(db, argv[1], argv[2])
    if h is None:
        h = HashValue()
    elif argv[2] in h:
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
        if type(h) is HashValueEx:
            _forget_times(h, argv)
        db.elements_removed(key, h, "h", "hdel", deleted)
    return deleted


def _forget_times(h: HashValueEx, argv: list[bytes]) -> None:
    """HDEL removed some of argv's fields: drop their times. A hash left without any leaves db.hexpires
    at once, as Redis's HDEL takes it out of the global HFE index (INFO's subexpiry)."""
    when = h.ttls.when
    had_times = bool(when)
    for field in islice(argv, 2, None):
        when.pop(field, None)
    if had_times and not when:
        h.ttls.filed = None


@command("hincrby", 4, "write denyoom fast", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0",
         key_flags="RW access update",
         summary="Increment the integer value of a hash field by the given number",
         complexity="O(1)")
def hincrby_command(client: Client, argv: list[bytes]) -> int:
    increment = int_arg(argv[3])
    db = client.db
    h = _lookup_field(db, argv[1], argv[2]) or HashValue()
    current = h.get(argv[2])
    value = 0
    if current is not None:
        value = parse_int64(current)
        if value is None:
            raise ReplyError("ERR hash value is not an integer")
    result = value + increment
    if not _INT64_MIN <= result <= _INT64_MAX:
        raise ReplyError("ERR increment or decrement would overflow")
    _store(client, h, [argv[2], b"%d" % result], True)  # keep_ttl: HINCRBY[FLOAT] keep the field's time
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
    h = _lookup_field(db, argv[1], argv[2]) or HashValue()
    text = incr_by_float(h.get(argv[2]), argv[3], ReplyError("ERR hash value is not a float"))
    _store(client, h, [argv[2], text], True)  # keep_ttl: HINCRBY[FLOAT] keep the field's time
    _written(db, argv[1], h, "hincrbyfloat", 1)
    return text


# -- reads -----------------------------------------------------------------------------------

@command("hget", 3, "readonly fast", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0",
         summary="Get the value of a hash field",
         complexity="O(1)")
def hget_command(client: Client, argv: list[bytes]) -> bytes | None:
    h = _lookup_field(client.db, argv[1], argv[2])
    return None if h is None else h.get(argv[2])


@command("hmget", -3, "readonly fast", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0",
         summary="Get the values of all the given hash fields",
         complexity="O(N) where N is the number of fields being requested.")
def hmget_command(client: Client, argv: list[bytes]) -> list[bytes | None]:
    db = client.db
    h = db.lookup(argv[1])
    if h is None:
        return [None] * (len(argv) - 2)
    if type(h) is not HashValue:
        if type(h) is not HashValueEx:
            raise WRONGTYPE
        return _hmget_expiring(db, argv[1], h, argv)
    get = h.get
    return [get(field) for field in islice(argv, 2, None)]


def _hmget_expiring(db: Database, key: bytes, h: HashValueEx, argv: list[bytes]) -> list[bytes | None]:
    """HMGET on a hash with field times: expired fields are deleted on the way, with one event at the
    end. As in Redis 7.4 that event needs a field deleted before the last one: a command that only
    deletes the hash's last field sends neither `hexpired` nor `del`."""
    now = now_ms()
    replies: list[bytes | None] = []
    expired = emptied = 0
    for field in islice(argv, 2, None):
        if emptied:
            replies.append(None)
            continue
        outcome = _expire_field(db, key, h, field, now, False)
        expired += outcome == 1
        emptied = outcome == 2
        replies.append(h.get(field))
    if expired:
        db.keyspace.notify(db, "h", "hexpired", key)
        if emptied:
            db.keyspace.notify(db, "g", "del", key)
    return replies


@command("hgetall", 2, "readonly", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0",
         tips="nondeterministic_output_order",
         summary="Get all the fields and values in a hash",
         complexity="O(N) where N is the size of the hash.")
def hgetall_command(client: Client, argv: list[bytes]) -> dict[bytes, bytes]:
    h = _lookup(client.db, argv[1])
    if h is None:
        return {}
    return dict(h) if type(h) is HashValue else {field: h[field] for field in _live_fields(h)}


@command("hkeys", 2, "readonly", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0",
         tips="nondeterministic_output_order",
         summary="Get all the fields in a hash",
         complexity="O(N) where N is the size of the hash.")
def hkeys_command(client: Client, argv: list[bytes]) -> list[bytes]:
    h = _lookup(client.db, argv[1])
    return [] if h is None else _live_fields(h)


@command("hvals", 2, "readonly", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0",
         tips="nondeterministic_output_order",
         summary="Get all the values in a hash",
         complexity="O(N) where N is the size of the hash.")
def hvals_command(client: Client, argv: list[bytes]) -> list[bytes]:
    h = _lookup(client.db, argv[1])
    if h is None:
        return []
    return list(h.values()) if type(h) is HashValue else [h[field] for field in _live_fields(h)]


@command("hexists", 3, "readonly fast", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0",
         key_flags="RO",
         summary="Determine if a hash field exists",
         complexity="O(1)")
def hexists_command(client: Client, argv: list[bytes]) -> int:
    h = _lookup_field(client.db, argv[1], argv[2])
    return int(h is not None and argv[2] in h)


@command("hlen", 2, "readonly fast", keys=(1, 1, 1), categories="@hash", group="hash", since="2.0.0", key_flags="RO",
         summary="Get the number of fields in a hash",
         complexity="O(1)")
def hlen_command(client: Client, argv: list[bytes]) -> int:
    h = _lookup(client.db, argv[1])
    return 0 if h is None else len(h)  # expired fields not yet reclaimed count, as in Redis 7.4


@command("hstrlen", 3, "readonly fast", keys=(1, 1, 1), categories="@hash", group="hash", since="3.2.0",
         key_flags="RO",
         summary="Get the length of the value of a hash field",
         complexity="O(1)")
def hstrlen_command(client: Client, argv: list[bytes]) -> int:
    h = _lookup_field(client.db, argv[1], argv[2])
    value = None if h is None else h.get(argv[2])
    return 0 if value is None else len(value)


# -- HRANDFIELD ------------------------------------------------------------------------------

_HALF_LONG = (2**63 - 1) // 2


def _lookup_reclaimed(db: Database, key: bytes) -> HashValue | None:
    """The hash at `key` once all its expired fields are deleted (Redis 7.4's HRANDFIELD reclaims them
    first rather than sample around them); None when that emptied it."""
    h = _lookup(db, key)
    if type(h) is HashValueEx:
        _expire_fields(db, key, h, now_ms() - 1, len(h))
        if not h:
            return None
        _file(db, key, h)
    return h


@command("hrandfield", -2, "readonly", keys=(1, 1, 1), categories="@hash", group="hash", since="6.2.0",
         tips="nondeterministic_output",
         summary="Get one or multiple random fields from a hash",
         complexity="O(N) where N is the number of fields returned")
def hrandfield_command(client: Client, argv: list[bytes]) -> object:
    if len(argv) == 2:
        h = _lookup_reclaimed(client.db, argv[1])
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
    h = _lookup_reclaimed(client.db, argv[1])
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
    count, pattern, novalues = collection_scan_options(argv, 3, novalues_ok=True)
    if h.big:
        cursor, fields = client.server.keyspace.scan_cursors.scan(h, len(h), cursor, count)
    else:
        cursor, fields = 0, list(h)  # a listpack is returned whole, as Redis does
    times = h.ttls.when if type(h) is HashValueEx else None
    now = now_ms()
    items: list[bytes] = []
    for field in fields:
        value = h.get(field)
        if value is None or (pattern is not None and not glob_match(pattern, field)):
            continue
        if times and times.get(field, now) < now:  # expired, not yet reclaimed: skipped, not deleted
            continue
        items.append(field)
        if not novalues:
            items.append(value)
    return [b"%d" % cursor, items]


# -- field expiry: HEXPIRE, HTTL, HPERSIST ---------------------------------------------------

_HFE_MAX_MS = (1 << 46) - 1  # Redis's HFE_MAX_ABS_TIME_MSEC: the latest field time, in unix ms
_NO_FIELD, _NO_TTL = -2, -1
_NX, _XX, _GT, _LT = b"nx", b"xx", b"gt", b"lt"


def _fields_arg(argv: list[bytes], at: int, count_error: ReplyError) -> list[bytes]:
    """The `FIELDS numfields field...` block whose count is argv[at] (Redis 7.4's checks and texts)."""
    if argv[at - 1].lower() != b"fields":
        raise ReplyError("ERR Mandatory argument FIELDS is missing or not at the right position")
    numfields = int_arg(argv[at], count_error)
    if numfields < 1:
        raise count_error
    if numfields != len(argv) - at - 1:
        raise ReplyError("ERR The `numfields` parameter must match the number of arguments")
    return argv[at + 1:]


def _place_by_time(h: HashValueEx, field: bytes, when: int | None) -> None:
    """Move `field` where a listpackEx keeps it: before the first other field without a time or with
    a later one, or last when it has no time. A hashtable has no order to keep."""
    if h.big:
        return
    value = h.pop(field)
    times = h.ttls.when
    if when is not None:
        rest = list(h.items())
        for i, (other, _) in enumerate(rest):
            t = times.get(other)
            if t is None or t >= when:
                rest.insert(i, (field, value))
                h.clear()
                h.update(rest)
                return
    h[field] = value


def _hexpire(client: Client, argv: list[bytes], in_seconds: bool, relative: bool) -> list[int]:
    """HEXPIRE/HPEXPIRE/HEXPIREAT/HPEXPIREAT key time [NX|XX|GT|LT] FIELDS numfields field..."""
    db = client.db
    key = argv[1]
    h = _lookup(db, key)
    when = int_arg(argv[2])
    if when < 0:
        raise ReplyError("ERR invalid expire time, must be >= 0")
    invalid = ReplyError(f"ERR invalid expire time in '{argv[0].decode('utf-8', 'replace').lower()}' command")
    if in_seconds:
        if when > _HFE_MAX_MS // 1000:
            raise invalid
        when *= 1000
    now = now_ms()  # one reading for the base and the already-expired test, as Redis's commandTimeSnapshot
    base = now if relative else 0
    if when > _HFE_MAX_MS - base:
        raise invalid
    when += base
    condition = argv[3].lower()
    if condition not in (_NX, _XX, _GT, _LT):
        condition = None
    fields = _fields_arg(argv, 4 if condition is None else 5,
                         ReplyError("ERR Parameter `numFields` should be greater than 0"))
    if h is None:
        return [_NO_FIELD] * len(fields)
    if type(h) is HashValue:
        h.__class__ = HashValueEx  # as Redis converts to listpackEx even when no field is set
        h.ttls = FieldTimes()
    times = h.ttls
    replies = []
    updated = deleted = 0
    for field in fields:
        if field not in h:  # an expired field not yet reclaimed is still there, as in Redis 7.4
            replies.append(_NO_FIELD)
            continue
        previous = times.when.get(field)
        if previous is None:
            # no time counts as an infinite one: LT is met, GT is not
            if condition in (_XX, _GT):
                replies.append(0)
                continue
        elif (condition == _NX or (condition == _GT and previous >= when)
              or (condition == _LT and previous <= when)):
            replies.append(0)
            continue
        if when <= now:
            del h[field]
            times.when.pop(field, None)
            db.keyspace.stats_expired_subkeys += 1
            deleted += 1
            replies.append(2)
            continue
        times.set(field, when)
        _place_by_time(h, field, when)
        updated += 1
        replies.append(1)
    if updated or deleted:
        keyspace = db.keyspace
        keyspace.dirty += updated + deleted
        if not h:
            db.discard(key)
            keyspace.notify(db, "h", "hdel", key)
            keyspace.notify(db, "g", "del", key)
        else:
            keyspace.key_modified(db, key)
            keyspace.notify(db, "h", "hdel" if deleted else "hexpire", key)
            _file(db, key, h)
    return replies


_FIELD_EXPIRY_DOC = dict(keys=(1, 1, 1), categories="@hash", group="hash", since="7.4.0",
                         complexity="O(N) where N is the number of specified fields")


@command("hexpire", -6, "write denyoom fast", **_FIELD_EXPIRY_DOC,
         summary="Set expiry for hash field using relative time to expire (seconds)")
def hexpire_command(client: Client, argv: list[bytes]) -> list[int]:
    return _hexpire(client, argv, in_seconds=True, relative=True)


@command("hpexpire", -6, "write denyoom fast", **_FIELD_EXPIRY_DOC,
         summary="Set expiry for hash field using relative time to expire (milliseconds)")
def hpexpire_command(client: Client, argv: list[bytes]) -> list[int]:
    return _hexpire(client, argv, in_seconds=False, relative=True)


@command("hexpireat", -6, "write denyoom fast", **_FIELD_EXPIRY_DOC,
         summary="Set expiry for hash field using an absolute Unix timestamp (seconds)")
def hexpireat_command(client: Client, argv: list[bytes]) -> list[int]:
    return _hexpire(client, argv, in_seconds=True, relative=False)


@command("hpexpireat", -6, "write denyoom fast", **_FIELD_EXPIRY_DOC,
         summary="Set expiry for hash field using an absolute Unix timestamp (milliseconds)")
def hpexpireat_command(client: Client, argv: list[bytes]) -> list[int]:
    return _hexpire(client, argv, in_seconds=False, relative=False)


_FIELD_COUNT = ReplyError("ERR Number of fields must be a positive integer")


def _httl(client: Client, argv: list[bytes], in_seconds: bool, relative: bool) -> list[int]:
    """HTTL/HPTTL/HEXPIRETIME/HPEXPIRETIME key FIELDS numfields field...: -2 no such field (or
    expired), -1 no time, else the time left or the unix time, in seconds (rounded up) or ms."""
    h = client.db.read(argv[1])
    if h is not None and type(h) is not HashValue and type(h) is not HashValueEx:
        raise WRONGTYPE
    fields = _fields_arg(argv, 3, _FIELD_COUNT)
    if h is None:
        return [_NO_FIELD] * len(fields)
    times = h.ttls.when if type(h) is HashValueEx else {}
    now = now_ms()
    base = now if relative else 0
    replies = []
    for field in fields:
        when = times.get(field)
        if when is None:
            replies.append(_NO_TTL if field in h else _NO_FIELD)
        elif when < now:
            replies.append(_NO_FIELD)
        else:
            replies.append((when + 999 - base) // 1000 if in_seconds else when - base)
    return replies


@command("httl", -5, "readonly fast", **_FIELD_EXPIRY_DOC, tips="nondeterministic_output",
         summary="Returns the TTL in seconds of a hash field.")
def httl_command(client: Client, argv: list[bytes]) -> list[int]:
    return _httl(client, argv, in_seconds=True, relative=True)


@command("hpttl", -5, "readonly fast", **_FIELD_EXPIRY_DOC, tips="nondeterministic_output",
         summary="Returns the TTL in milliseconds of a hash field.")
def hpttl_command(client: Client, argv: list[bytes]) -> list[int]:
    return _httl(client, argv, in_seconds=False, relative=True)


@command("hexpiretime", -5, "readonly fast", **_FIELD_EXPIRY_DOC,
         summary="Returns the expiration time of a hash field as a Unix timestamp, in seconds.")
def hexpiretime_command(client: Client, argv: list[bytes]) -> list[int]:
    return _httl(client, argv, in_seconds=True, relative=False)


@command("hpexpiretime", -5, "readonly fast", **_FIELD_EXPIRY_DOC,
         summary="Returns the expiration time of a hash field as a Unix timestamp, in msec.")
def hpexpiretime_command(client: Client, argv: list[bytes]) -> list[int]:
    return _httl(client, argv, in_seconds=False, relative=False)


@command("hpersist", -5, "write fast", **_FIELD_EXPIRY_DOC,
         summary="Removes the expiration time for each specified field")
def hpersist_command(client: Client, argv: list[bytes]) -> list[int]:
    db = client.db
    key = argv[1]
    h = _lookup(db, key)
    fields = _fields_arg(argv, 3, _FIELD_COUNT)
    if h is None:
        return [_NO_FIELD] * len(fields)
    times = h.ttls.when if type(h) is HashValueEx else {}
    now = now_ms()
    replies = []
    for field in fields:
        when = times.get(field)
        if when is None:
            replies.append(_NO_TTL if field in h else _NO_FIELD)
        elif when < now:
            replies.append(_NO_FIELD)
        else:
            # the hash stays filed under its old earliest time until the cron refiles it, as in Redis
            del times[field]
            _place_by_time(h, field, None)
            replies.append(1)
    if 1 in replies:
        db.keyspace.notify(db, "h", "hpersist", key)
        db.keyspace.key_modified(db, key)
        db.keyspace.dirty += 1
    return replies
