"""Keyspace commands (db.c, expire.c, object.c): DEL EXISTS RENAME SCAN EXPIRE OBJECT ... on any type.

Expiry is lazy (Database.lookup/peek/read delete an expired key when they meet it) plus the active cycle
in keyspace.py. Commands that Redis runs with LOOKUP_NOTOUCH (TYPE, EXISTS, TTL, OBJECT) use
`db.read(key, touch=False)`, so OBJECT IDLETIME/FREQ see the same accesses as in Redis; `read` also
counts keyspace_hits/misses where Redis's lookupKeyRead does.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from dynamis.kv.args import (
    INT64_MAX,
    NOT_INTEGER,
    SYNTAX,
    int_arg,
    parse_int64,
    parse_scan_cursor,
    scan_options,
)
from dynamis.kv.client import Client
from dynamis.kv.commands import Index, KeySpec, command, document_container
from dynamis.kv.glob import glob_matcher
from dynamis.kv.keyspace import Database, lfu_counter, lfu_minutes, now_ms
from dynamis.kv.persistence import rdb
from dynamis.kv.protocol import OK, ReplyError
from dynamis.kv.types import encoding_of, type_name

NO_SUCH_KEY = ReplyError("ERR no such key")
SAME_OBJECT = ReplyError("ERR source and destination objects are the same")
DB_RANGE = ReplyError("ERR DB index is out of range")
INT32_RANGE = ReplyError("ERR value is out of range, value must between -2147483648 and 2147483647")
SHARED_REFCOUNT = 2147483647  # OBJ_SHARED_REFCOUNT: the shared integers 0..9999
LAZYFREE_THRESHOLD = 64  # below this many keys a flush frees in place even when ASYNC
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def _notify(client: Client, db: Database, event: str, key: bytes) -> None:
    keyspace = client.server.keyspace
    if keyspace.notify_flags:
        keyspace.notify(db, "g", event, key)


def int32_arg(arg: bytes, error: ReplyError | None = None) -> int:
    """Redis's getIntFromObjectOrReply: an int64 within the C int range, or its two errors."""
    value = parse_int64(arg)
    if value is None:
        raise error or NOT_INTEGER
    if not INT32_MIN <= value <= INT32_MAX:
        raise error or INT32_RANGE
    return value


def _db_index(client: Client, arg: bytes) -> Database:
    """A database by index (getIntFromObjectOrReply + selectDb), with Redis's errors."""
    index = int32_arg(arg)
    dbs = client.server.keyspace.dbs
    if not 0 <= index < len(dbs):
        raise DB_RANGE
    return dbs[index]


# -- deleting and testing ---------------------------------------------------------------


def _delete_keys(client: Client, keys: list[bytes]) -> int:
    db = client.db
    removed = 0
    for key in keys:
        if db.delete(key):
            removed += 1
            _notify(client, db, "del", key)
    client.server.keyspace.dirty += removed
    return removed


@command("del", -2, "write", keys=(1, -1, 1), categories="@keyspace", group="generic",
         tips="request_policy:multi_shard response_policy:agg_sum", key_flags="RM delete",
         summary="Delete a key",
         complexity="O(N) where N is the number of keys that will be removed. When a key to remove holds a "
                    "value other than a string, the individual complexity for this key is O(M) where M is "
                    "the number of elements in the list, set, sorted set or hash. Removing a single key "
                    "that holds a string value is O(1).")
def del_command(client: Client, argv: list[bytes]) -> int:
    return _delete_keys(client, argv[1:])


@command("unlink", -2, "write fast", keys=(1, -1, 1), categories="@keyspace", group="generic", since="4.0.0",
         tips="request_policy:multi_shard response_policy:agg_sum", key_flags="RM delete",
         summary="Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non "
                 "blocking.",
         complexity="O(1) for each key removed regardless of its size. Then the command does O(N) work in "
                    "a different thread in order to reclaim memory, where N is the number of allocations "
                    "the deleted objects where composed of.")
def unlink_command(client: Client, argv: list[bytes]) -> int:
    return _delete_keys(client, argv[1:])


@command("exists", -2, "readonly fast", keys=(1, -1, 1), categories="@keyspace", group="generic",
         tips="request_policy:multi_shard response_policy:agg_sum", key_flags="RO",
         summary="Determine if a key exists", complexity="O(N) where N is the number of keys to check.")
def exists_command(client: Client, argv: list[bytes]) -> int:
    read = client.db.read
    return sum(1 for key in argv[1:] if read(key, False) is not None)


@command("touch", -2, "readonly fast", keys=(1, -1, 1), categories="@keyspace", group="generic",
         since="3.2.1", tips="request_policy:multi_shard response_policy:agg_sum", key_flags="RO",
         summary="Alters the last access time of a key(s). Returns the number of existing keys specified.",
         complexity="O(N) where N is the number of keys that will be touched.")
def touch_command(client: Client, argv: list[bytes]) -> int:
    keyspace = client.server.keyspace
    no_touch, keyspace.no_touch = keyspace.no_touch, False  # TOUCH touches, even for a CLIENT NO-TOUCH client
    read = client.db.read
    try:
        return sum(1 for key in argv[1:] if read(key) is not None)
    finally:
        keyspace.no_touch = no_touch


@command("type", 2, "readonly fast", keys=(1, 1, 1), categories="@keyspace", group="generic", key_flags="RO",
         summary="Determine the type stored at key", complexity="O(1)")
def type_command(client: Client, argv: list[bytes]) -> str:
    value = client.db.read(argv[1], touch=False)
    return "none" if value is None else type_name(value)


@command("randomkey", 1, "readonly", categories="@keyspace", group="generic",
         tips="request_policy:all_shards nondeterministic_output",
         summary="Return a random key from the keyspace", complexity="O(1)")
def randomkey_command(client: Client, argv: list[bytes]) -> bytes | None:
    return client.db.random_key()


# -- moving keys ------------------------------------------------------------------------


def _place(src: Database, src_key: bytes, dst: Database, dst_key: bytes, value: Any) -> None:
    """Store `value` at dst_key with src_key's expire and access clock (Redis moves the robj)."""
    dst.set(dst_key, value)
    when = src.expires.get(src_key)
    if when is not None:
        dst.set_expire(dst_key, when)
    dst.access[dst_key] = src.access_word(src_key)
    dst.file_subexpiry(dst_key, value)


def _rename(client: Client, argv: list[bytes], nx: bool) -> object:
    db = client.db
    src, dst = argv[1], argv[2]
    value = db.lookup(src)
    if value is None:
        raise NO_SUCH_KEY
    if src == dst:
        return 0 if nx else OK
    replaced = db.lookup(dst) is not None
    if replaced and nx:
        return 0
    # Redis signals the source before the destination: tracking clients get the invalidations in that order
    client.server.keyspace.key_modified(db, src)
    if replaced:
        db.delete(dst)
    _place(db, src, db, dst, value)
    db.delete(src)
    _notify(client, db, "rename_from", src)
    _notify(client, db, "rename_to", dst)
    client.server.keyspace.dirty += 1
    return 1 if nx else OK


@command("rename", 3, "write", categories="@keyspace", group="generic",
         summary="Rename a key", complexity="O(1)",
         key_specs=(KeySpec("RW access delete", Index(1)), KeySpec("OW update", Index(2))))
def rename_command(client: Client, argv: list[bytes]) -> object:
    return _rename(client, argv, nx=False)


@command("renamenx", 3, "write fast", categories="@keyspace", group="generic",
         summary="Rename a key, only if the new key does not exist", complexity="O(1)",
         key_specs=(KeySpec("RW access delete", Index(1)), KeySpec("OW insert", Index(2))))
def renamenx_command(client: Client, argv: list[bytes]) -> object:
    return _rename(client, argv, nx=True)


def copy_value(value: Any) -> Any:
    """An independent copy of a value (Redis's dupStringObject / listTypeDup / ...).

    Immutable strings are shared; other types may define `__deepcopy__` for a faster copy."""
    t = type(value)
    if t is bytearray:
        return bytearray(value)
    if isinstance(value, bytes):
        return value
    return copy.deepcopy(value)


@command("copy", -3, "write denyoom", categories="@keyspace", group="generic", since="6.2.0",
         summary="Copy a key",
         complexity="O(N) worst case for collections, where N is the number of nested items. O(1) for "
                    "string values.",
         key_specs=(KeySpec("RO access", Index(1)), KeySpec("OW update", Index(2))))
def copy_command(client: Client, argv: list[bytes]) -> int:
    src_db = dst_db = client.db
    replace = False
    j = 3
    while j < len(argv):
        opt = argv[j].lower()
        if opt == b"replace":
            replace = True
        elif opt == b"db" and j + 1 < len(argv):
            dst_db = _db_index(client, argv[j + 1])
            j += 1
        else:
            raise SYNTAX
        j += 1
    key, new_key = argv[1], argv[2]
    if src_db is dst_db and key == new_key:
        raise SAME_OBJECT
    value = src_db.read(key)
    if value is None:
        return 0
    if dst_db.lookup(new_key) is not None:
        if not replace:
            return 0
        dst_db.delete(new_key)
    duplicate = copy_value(value)
    dst_db.set(new_key, duplicate)
    dst_db.file_subexpiry(new_key, duplicate)
    when = src_db.expires.get(key)
    if when is not None:
        dst_db.set_expire(new_key, when)
    _notify(client, dst_db, "copy_to", new_key)
    client.server.keyspace.dirty += 1
    return 1


@command("move", 3, "write fast", keys=(1, 1, 1), categories="@keyspace", group="generic",
         key_flags="RW access update", summary="Move a key to another database", complexity="O(1)")
def move_command(client: Client, argv: list[bytes]) -> int:
    src = client.db
    dst = _db_index(client, argv[2])
    if src is dst:
        raise SAME_OBJECT
    key = argv[1]
    value = src.lookup(key)
    if value is None or dst.lookup(key) is not None:
        return 0
    _place(src, key, dst, key, value)
    src.delete(key)
    _notify(client, src, "move_from", key)
    _notify(client, dst, "move_to", key)
    client.server.keyspace.dirty += 1
    return 1


@command("swapdb", 3, "write fast", categories="@keyspace @dangerous", group="server", since="4.0.0",
         summary="Swaps two Redis databases",
         complexity="O(N) where N is the count of clients watching or blocking on keys from both databases.")
def swapdb_command(client: Client, argv: list[bytes]) -> str:
    index1 = int32_arg(argv[1], ReplyError("ERR invalid first DB index"))
    index2 = int32_arg(argv[2], ReplyError("ERR invalid second DB index"))
    keyspace = client.server.keyspace
    if not (0 <= index1 < len(keyspace.dbs) and 0 <= index2 < len(keyspace.dbs)):
        raise DB_RANGE
    if index1 != index2:
        keyspace.swap(index1, index2)
    keyspace.dirty += 1
    return OK


# -- listing ----------------------------------------------------------------------------


def _live_keys(db: Database, keys: list[bytes]) -> list[bytes]:
    """Drop keys whose time has passed (KEYS lists no expired key, without deleting it)."""
    expires = db.expires
    if not expires:
        return keys
    now = now_ms()
    return [key for key in keys if expires.get(key, now + 1) > now]


@command("keys", 2, "readonly", categories="@keyspace @dangerous", group="generic",
         tips="request_policy:all_shards nondeterministic_output_order",
         summary="Find all keys matching the given pattern",
         complexity="O(N) with N being the number of keys in the database, under the assumption that the "
                    "key names in the database and the given pattern have limited length.")
def keys_command(client: Client, argv: list[bytes]) -> list[bytes]:
    db = client.db
    pattern = argv[1]
    if pattern == b"*":
        return _live_keys(db, list(db.data))
    match = glob_matcher(pattern)
    return _live_keys(db, [key for key in db.data if match(key)])


def _scan_arguments(argv: list[bytes]) -> tuple[int, bytes | None, bytes | None]:
    """SCAN's options: the shared MATCH/COUNT parsing plus TYPE, which only SCAN has."""
    rest: list[bytes] = []
    type_filter = None
    for i in range(2, len(argv), 2):
        if argv[i].lower() == b"type" and i + 1 < len(argv):
            type_filter = argv[i + 1].lower()
        else:
            rest += argv[i:i + 2]
    count, pattern = scan_options(rest, 0)
    return count, pattern, type_filter


@command("scan", -2, "readonly", categories="@keyspace", group="generic", since="2.8.0",
         tips="nondeterministic_output request_policy:special",
         summary="Incrementally iterate the keys space",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough command calls "
                    "for the cursor to return back to 0. N is the number of elements inside the "
                    "collection.")
def scan_command(client: Client, argv: list[bytes]) -> list[object]:
    cursor = parse_scan_cursor(argv[1])
    count, pattern, type_filter = _scan_arguments(argv)
    db = client.db
    keyspace = client.server.keyspace
    next_cursor, candidates = keyspace.scan_cursors.scan(db.data, len(db.data), cursor, count)
    match = glob_matcher(pattern) if pattern is not None else None
    out = []
    for key in candidates:
        if match is not None and not match(key):
            continue
        value = db.peek(key)
        if value is None:
            continue  # deleted since the scan began, or expired just now
        if type_filter is not None and type_name(value).encode() != type_filter:
            continue
        out.append(key)
    return [b"%d" % next_cursor, out]


# -- OBJECT -----------------------------------------------------------------------------


_OBJECT_HELP = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
]
_LFU_SELECTED = ReplyError(
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between "
    "policies at runtime LRU and LFU data will take some time to adjust.")
_LFU_NOT_SELECTED = ReplyError(
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.")


@command("encoding", 3, "readonly", keys=(2, 2, 1), parent="object", categories="@keyspace", group="generic",
         since="2.2.3", tips="nondeterministic_output", key_flags="RO",
         summary="Inspect the internal encoding of a Redis object", complexity="O(1)")
def object_encoding_command(client: Client, argv: list[bytes]) -> bytes | None:
    value = client.db.read(argv[2], touch=False, notify_miss=False)
    if value is None:
        return None
    return encoding_of(value, client.server.config).encode()


@command("idletime", 3, "readonly", keys=(2, 2, 1), parent="object", categories="@keyspace", group="generic",
         since="2.2.3", tips="nondeterministic_output", key_flags="RO",
         summary="Get the time since a Redis object was last accessed", complexity="O(1)")
def object_idletime_command(client: Client, argv: list[bytes]) -> int | None:
    db = client.db
    key = argv[2]
    if db.read(key, touch=False, notify_miss=False) is None:
        return None
    if db.lfu:
        raise _LFU_SELECTED
    return max(db.clock - db.access_word(key), 0)


@command("refcount", 3, "readonly", keys=(2, 2, 1), parent="object", categories="@keyspace", group="generic",
         since="2.2.3", tips="nondeterministic_output", key_flags="RO",
         summary="Get the number of references to the value of the key", complexity="O(1)")
def object_refcount_command(client: Client, argv: list[bytes]) -> int | None:
    value = client.db.read(argv[2], touch=False, notify_miss=False)
    if value is None:
        return None
    if type(value) is bytes and len(value) <= 4:
        number = parse_int64(value)
        config = client.server.config
        shared = not config["maxmemory"] or not config["maxmemory-policy"].endswith(("-lru", "-lfu"))
        if number is not None and 0 <= number < 10000 and shared:
            return SHARED_REFCOUNT
    return 1


@command("help", 2, "loading stale", parent="object", categories="@keyspace", group="generic", since="6.2.0",
         summary="Show helpful text about the different subcommands", complexity="O(1)")
def object_help_command(client: Client, argv: list[bytes]) -> list[str]:
    return _OBJECT_HELP


@command("freq", 3, "readonly", keys=(2, 2, 1), parent="object", categories="@keyspace", group="generic",
         since="4.0.0", tips="nondeterministic_output", key_flags="RO",
         summary="Get the logarithmic access frequency counter of a Redis object", complexity="O(1)")
def object_freq_command(client: Client, argv: list[bytes]) -> int | None:
    db = client.db
    key = argv[2]
    if db.read(key, touch=False, notify_miss=False) is None:
        return None
    if not db.lfu:
        raise _LFU_NOT_SELECTED
    return lfu_counter(db.access_word(key), client.server.keyspace)


# -- expiry -----------------------------------------------------------------------------


_EXPIRE_NX, _EXPIRE_XX, _EXPIRE_GT, _EXPIRE_LT = 1, 2, 4, 8


def _expire_flags(argv: list[bytes]) -> int:
    """Redis's parseExtendedExpireArgumentsOrReply."""
    flags = 0
    for arg in argv[3:]:
        opt = arg.lower()
        if opt == b"nx":
            flags |= _EXPIRE_NX
        elif opt == b"xx":
            flags |= _EXPIRE_XX
        elif opt == b"gt":
            flags |= _EXPIRE_GT
        elif opt == b"lt":
            flags |= _EXPIRE_LT
        else:
            name = arg.split(b"\0", 1)[0].decode("utf-8", "replace")
            raise ReplyError(f"ERR Unsupported option {name}")
    if flags & _EXPIRE_NX and flags & (_EXPIRE_XX | _EXPIRE_GT | _EXPIRE_LT):
        raise ReplyError("ERR NX and XX, GT or LT options at the same time are not compatible")
    if flags & _EXPIRE_GT and flags & _EXPIRE_LT:
        raise ReplyError("ERR GT and LT options at the same time are not compatible")
    return flags


def _expire(client: Client, argv: list[bytes], relative: bool, seconds: bool) -> int:
    """Redis's expireGenericCommand for EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT."""
    # one clock reading for the base and the already-expired check (Redis's commandTimeSnapshot): with two,
    # a thread switch between them could make PEXPIRE k 20 delete k at once
    now = now_ms()
    base_ms = now if relative else 0
    flags = _expire_flags(argv) if len(argv) > 3 else 0
    when = int_arg(argv[2])
    invalid = ReplyError(f"ERR invalid expire time in '{argv[0].decode('utf-8', 'replace').lower()}' command")
    if seconds:
        if abs(when) > INT64_MAX // 1000:
            raise invalid
        when *= 1000
    if when > INT64_MAX - base_ms:
        raise invalid
    when += base_ms
    db = client.db
    key = argv[1]
    if db.lookup(key) is None:
        return 0
    if flags:
        current = db.expires.get(key)
        if flags & _EXPIRE_NX and current is not None:
            return 0
        if flags & _EXPIRE_XX and current is None:
            return 0
        if flags & _EXPIRE_GT and (current is None or when <= current):
            return 0
        if flags & _EXPIRE_LT and current is not None and when >= current:
            return 0
    keyspace = client.server.keyspace
    keyspace.dirty += 1
    if when <= now:
        db.delete(key)
        _notify(client, db, "del", key)
    else:
        db.set_expire(key, when)
        _notify(client, db, "expire", key)
    return 1


@command("expire", -3, "write fast", keys=(1, 1, 1), categories="@keyspace", group="generic",
         summary="Set a key's time to live in seconds", complexity="O(1)")
def expire_command(client: Client, argv: list[bytes]) -> int:
    return _expire(client, argv, True, seconds=True)


@command("pexpire", -3, "write fast", keys=(1, 1, 1), categories="@keyspace", group="generic", since="2.6.0",
         summary="Set a key's time to live in milliseconds", complexity="O(1)")
def pexpire_command(client: Client, argv: list[bytes]) -> int:
    return _expire(client, argv, True, seconds=False)


@command("expireat", -3, "write fast", keys=(1, 1, 1), categories="@keyspace", group="generic",
         since="1.2.0", summary="Set the expiration for a key as a UNIX timestamp", complexity="O(1)")
def expireat_command(client: Client, argv: list[bytes]) -> int:
    return _expire(client, argv, False, seconds=True)


@command("pexpireat", -3, "write fast", keys=(1, 1, 1), categories="@keyspace", group="generic",
         since="2.6.0", summary="Set the expiration for a key as a UNIX timestamp specified in milliseconds",
         complexity="O(1)")
def pexpireat_command(client: Client, argv: list[bytes]) -> int:
    return _expire(client, argv, False, seconds=False)


def _ttl(client: Client, key: bytes, in_ms: bool, absolute: bool) -> int:
    db = client.db
    if db.read(key, touch=False) is None:
        return -2
    when = db.expires.get(key)
    if when is None:
        return -1
    ttl = max(when if absolute else when - now_ms(), 0)
    return ttl if in_ms else (ttl + 500) // 1000


@command("ttl", 2, "readonly fast", keys=(1, 1, 1), categories="@keyspace", group="generic",
         tips="nondeterministic_output", summary="Get the time to live for a key in seconds",
         complexity="O(1)")
def ttl_command(client: Client, argv: list[bytes]) -> int:
    return _ttl(client, argv[1], in_ms=False, absolute=False)


@command("pttl", 2, "readonly fast", keys=(1, 1, 1), categories="@keyspace", group="generic", since="2.6.0",
         tips="nondeterministic_output", summary="Get the time to live for a key in milliseconds",
         complexity="O(1)")
def pttl_command(client: Client, argv: list[bytes]) -> int:
    return _ttl(client, argv[1], in_ms=True, absolute=False)


@command("expiretime", 2, "readonly fast", keys=(1, 1, 1), categories="@keyspace", group="generic",
         since="7.0.0", summary="Get the expiration Unix timestamp for a key", complexity="O(1)")
def expiretime_command(client: Client, argv: list[bytes]) -> int:
    return _ttl(client, argv[1], in_ms=False, absolute=True)


@command("pexpiretime", 2, "readonly fast", keys=(1, 1, 1), categories="@keyspace", group="generic",
         since="7.0.0", summary="Get the expiration Unix timestamp for a key in milliseconds",
         complexity="O(1)")
def pexpiretime_command(client: Client, argv: list[bytes]) -> int:
    return _ttl(client, argv[1], in_ms=True, absolute=True)


@command("persist", 2, "write fast", keys=(1, 1, 1), categories="@keyspace", group="generic", since="2.2.0",
         summary="Remove the expiration from a key", complexity="O(1)")
def persist_command(client: Client, argv: list[bytes]) -> int:
    db = client.db
    key = argv[1]
    if db.lookup(key) is None or not db.persist(key):
        return 0
    client.server.keyspace.dirty += 1
    _notify(client, db, "persist", key)
    return 1


# -- whole databases --------------------------------------------------------------------


def _flush_async(client: Client, argv: list[bytes]) -> bool:
    """FLUSHDB/FLUSHALL [ASYNC|SYNC]; no argument follows lazyfree-lazy-user-flush."""
    if len(argv) == 1:
        return client.server.config["lazyfree-lazy-user-flush"]
    mode = argv[1].lower() if len(argv) == 2 else None
    if mode == b"async":
        return True
    if mode == b"sync":
        return False
    raise SYNTAX


def _flush(db: Database, lazy: bool, invalidate: bool = True) -> int:
    """Empty `db`; when `lazy` (ASYNC) a big one is freed after the reply has gone out.

    Freeing runs on the event loop either way (a thread would hold the GIL just the same); deferring
    it lets the client that asked go on, as Redis's lazyfree does, and each table is freed in its own
    turn so other clients wait for one table at most."""
    removed = len(db.data)
    tables = (db.data, db.expires, db.access)
    db.flush(invalidate)
    if lazy and removed > LAZYFREE_THRESHOLD:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # used in-process without a loop: freed right here
            return removed
        for table in tables:
            loop.call_soon(table.clear)
    return removed


@command("flushdb", -1, "write", categories="@keyspace @dangerous", group="server",
         tips="request_policy:all_shards response_policy:all_succeeded",
         summary="Remove all keys from the current database",
         complexity="O(N) where N is the number of keys in the selected database")
def flushdb_command(client: Client, argv: list[bytes]) -> str:
    lazy = _flush_async(client, argv)
    client.server.keyspace.dirty += _flush(client.db, lazy)
    return OK


@command("flushall", -1, "write", categories="@keyspace @dangerous", group="server",
         tips="request_policy:all_shards response_policy:all_succeeded",
         summary="Remove all keys from all databases",
         complexity="O(N) where N is the total number of keys in all databases")
def flushall_command(client: Client, argv: list[bytes]) -> str:
    lazy = _flush_async(client, argv)
    keyspace = client.server.keyspace
    keyspace.dirty += sum(_flush(db, lazy, invalidate=False) for db in keyspace.dbs) + 1
    if keyspace.tracking is not None:  # one null invalidation per tracking client, not one per database
        keyspace.tracking.flush()
    return OK


@command("dbsize", 1, "readonly fast", categories="@keyspace", group="server",
         tips="request_policy:all_shards response_policy:agg_sum",
         summary="Return the number of keys in the selected database", complexity="O(1)")
def dbsize_command(client: Client, argv: list[bytes]) -> int:
    return len(client.db.data)



# -- DUMP / RESTORE (cluster.c) ---------------------------------------------------------------

BUSYKEY = ReplyError("BUSYKEY Target key name already exists.")
_BAD_PAYLOAD = ReplyError("ERR DUMP payload version or checksum are wrong")
_BAD_FORMAT = ReplyError("ERR Bad data format")


@command("dump", 2, "readonly", keys=(1, 1, 1), categories="@keyspace", group="generic", since="2.6.0",
         tips="nondeterministic_output", key_flags="RO access",
         summary="Return a serialized version of the value stored at the specified key.",
         complexity="O(1) to access the key and additional O(N*M) to serialize it, where N is the number of "
                    "Redis objects composing the value and M their average size. For small string values the "
                    "time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).")
def dump_command(client: Client, argv: list[bytes]) -> bytes | None:
    value = client.db.read(argv[1])
    if value is None:
        return None
    return rdb.dump_payload(value, client.server.config)


@command("restore", -4, "write denyoom", keys=(1, 1, 1), categories="@keyspace @dangerous", group="generic",
         since="2.6.0", key_flags="OW update",
         summary="Create a key using the provided serialized value, previously obtained using DUMP.",
         complexity="O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where "
                    "N is the number of Redis objects composing the value and M their average size. For small "
                    "string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). "
                    "However for sorted set values the complexity is O(N*M*log(N)) because inserting values into "
                    "sorted sets is O(log(N)).")
def restore_command(client: Client, argv: list[bytes]) -> str:
    replace = absttl = False
    idle = freq = -1
    j = 4
    while j < len(argv):
        option = argv[j].lower()
        has_value = j + 1 < len(argv)
        if option == b"replace":
            replace = True
        elif option == b"absttl":
            absttl = True
        elif option == b"idletime" and has_value and freq == -1:  # IDLETIME and FREQ exclude each other
            idle = int_arg(argv[j + 1])
            if idle < 0:
                raise ReplyError("ERR Invalid IDLETIME value, must be >= 0")
            j += 1
        elif option == b"freq" and has_value and idle == -1:
            freq = int_arg(argv[j + 1])
            if not 0 <= freq <= 255:
                raise ReplyError("ERR Invalid FREQ value, must be >= 0 and <= 255")
            j += 1
        else:
            raise SYNTAX
        j += 1
    db = client.db
    key = argv[1]
    if not replace and db.lookup(key) is not None:
        raise BUSYKEY
    ttl = int_arg(argv[2])
    if ttl < 0:
        raise ReplyError("ERR Invalid TTL value, must be >= 0")
    payload = argv[3]
    if not rdb.verify_payload(payload):
        raise _BAD_PAYLOAD
    try:
        value = rdb.decode_value(payload, client.server.config)
    except rdb.RdbError:
        raise _BAD_FORMAT from None
    keyspace = client.server.keyspace
    deleted = replace and db.delete(key)
    if ttl and not absttl:
        ttl += now_ms()
    if ttl and ttl <= now_ms():
        # already expired: nothing is created, and a replaced key is just deleted
        if deleted:
            _notify(client, db, "del", key)
            keyspace.dirty += 1
        return OK
    db.set(key, value)
    db.file_subexpiry(key, value)
    if ttl:
        db.set_expire(key, ttl)
    # objectSetLRUOrLFU: FREQ counts under an LFU policy, IDLETIME under the others
    if db.lfu:
        if freq >= 0:
            db.access[key] = (lfu_minutes() << 8) | freq
    elif idle >= 0:
        db.access[key] = db.clock - idle
    _notify(client, db, "restore", key)
    keyspace.dirty += 1
    return OK


document_container("object", "A container for object introspection commands")
