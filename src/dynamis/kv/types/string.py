"""Strings (t_string.c): SET, GET and every other string command.

A string value is `bytes` as it arrived from the wire (OBJECT ENCODING: `int` when Redis would
store it as an integer, `embstr` up to 44 bytes, `raw` beyond). APPEND and SETRANGE turn it into a
`bytearray` modified in place (Redis's `raw` after dbUnshareStringValue), which keeps APPEND
amortized O(1). `FloatString` marks an INCRBYFLOAT result that looks like an integer: Redis stores
that one as `embstr`, not `int`. Other type modules read strings through `string_value`.
"""

from __future__ import annotations

from dynamis.config import Config
from dynamis.kv.args import INT64_MAX, INT64_MIN, NOT_INTEGER, SYNTAX, int_arg, parse_int64
from dynamis.kv.client import Client
from dynamis.kv.commands import Index, KeySpec, command
from dynamis.kv.keyspace import WRONGTYPE, Database, now_ms
from dynamis.kv.longdouble import incr_by_float
from dynamis.kv.protocol import OK, ReplyError
from dynamis.kv.types import register_type


class FloatString(bytes):
    """An integer-looking INCRBYFLOAT result, which Redis keeps `embstr`-encoded."""

    __slots__ = ()


STRING_TYPES = (bytes, bytearray, FloatString)

OVERFLOW = ReplyError("ERR increment or decrement would overflow")
DECR_OVERFLOW = ReplyError("ERR decrement would overflow")
TOO_BIG = ReplyError("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
OFFSET_RANGE = ReplyError("ERR offset is out of range")
LCS_TYPES = ReplyError("ERR The specified keys must contain string values")

# SET / GETEX option flags (Redis's OBJ_SET_NX ... OBJ_PERSIST)
NX, XX, GET, KEEPTTL, PERSIST, EX, PX, EXAT, PXAT = (1 << i for i in range(9))
_EXPIRE_FLAGS = EX | PX | EXAT | PXAT
_EXPIRE_OPTIONS = {b"ex": EX, b"px": PX, b"exat": EXAT, b"pxat": PXAT}


def _string_encoding(value: bytes, config: Config) -> str:
    if len(value) <= 20 and parse_int64(value) is not None:
        return "int"
    return "embstr" if len(value) <= 44 else "raw"


register_type(bytes, "string", _string_encoding)
register_type(bytearray, "string", lambda value, config: "raw")
register_type(FloatString, "string", lambda value, config: "embstr" if len(value) <= 44 else "raw")


def string_value(db: Database, key: bytes) -> bytes | bytearray | None:
    """The string at `key` (None when missing); WRONGTYPE for another type. For other type modules."""
    value = db.lookup(key)
    if value is None or type(value) in STRING_TYPES:
        return value
    raise WRONGTYPE


def _reply(value: object) -> bytes:
    """A stored string as a bulk reply (bytearray and FloatString are copied to plain bytes)."""
    t = type(value)
    if t is bytes:
        return value  # type: ignore[return-value]
    if t is bytearray or t is FloatString:
        return bytes(value)  # type: ignore[arg-type]
    raise WRONGTYPE


def c_option(arg: bytes) -> bytes:
    """An option keyword as Redis compares it: a C string (cut at NUL), lowercased."""
    nul = arg.find(b"\0")
    return (arg if nul < 0 else arg[:nul]).lower()


def _notify(client: Client, event_class: str, event: str, key: bytes) -> None:
    keyspace = client.server.keyspace
    if keyspace.notify_flags:
        keyspace.notify(client.db, event_class, event, key)


# -- GET / SET and their variants ------------------------------------------------------


@command("get", 2, "readonly fast", keys=(1, 1, 1), categories="@string", group="string",
         summary="Get the value of a key", complexity="O(1)")
def get_command(client: Client, argv: list[bytes]) -> bytes | None:
    # Database.read inlined: GET is the hottest path
    db = client.db
    value = db.lookup(argv[1])
    if value is None:
        db.misses += 1
        if db.keyspace.notify_flags:
            db.keyspace.notify(db, "m", "keymiss", argv[1])
        return None
    db.hits += 1
    t = type(value)
    if t is bytes:
        return value
    if t is bytearray or t is FloatString:
        return bytes(value)
    raise WRONGTYPE


def parse_set_options(argv: list[bytes], start: int, for_set: bool) -> tuple[int, bytes | None]:
    """Redis's parseExtendedStringArgumentsOrReply for SET (for_set) and GETEX: (flags, expire arg)."""
    flags = 0
    expire = None
    j, n = start, len(argv)
    while j < n:
        opt = c_option(argv[j])
        if opt == b"nx" and for_set and not flags & XX:
            flags |= NX
        elif opt == b"xx" and for_set and not flags & NX:
            flags |= XX
        elif opt == b"get" and for_set:
            flags |= GET
        elif opt == b"keepttl" and for_set and not flags & (PERSIST | _EXPIRE_FLAGS):
            flags |= KEEPTTL
        elif opt == b"persist" and not for_set and not flags & (KEEPTTL | _EXPIRE_FLAGS):
            flags |= PERSIST
        elif (bit := _EXPIRE_OPTIONS.get(opt)) and j + 1 < n and not flags & (
                KEEPTTL | PERSIST | (_EXPIRE_FLAGS & ~bit)):
            flags |= bit
            expire = argv[j + 1]
            j += 1
        else:
            raise SYNTAX
        j += 1
    return flags, expire


def _expire_at_ms(expire: bytes, flags: int, name: str) -> int:
    """Redis's getExpireMillisecondsOrReply: the absolute unix time in ms an EX/PX/EXAT/PXAT names."""
    when = int_arg(expire)
    seconds = flags & (EX | EXAT)
    if when <= 0 or (seconds and when > INT64_MAX // 1000):
        raise ReplyError(f"ERR invalid expire time in '{name}' command")
    if seconds:
        when *= 1000
    if flags & (EX | PX):
        when += now_ms()
        if when > INT64_MAX:  # Redis's signed addition wraps negative here
            raise ReplyError(f"ERR invalid expire time in '{name}' command")
    return when


def _set_generic(client: Client, flags: int, key: bytes, value: bytes, expire: bytes | None, name: str,
                 ok_reply: object, abort_reply: object) -> object:
    """Redis's setGenericCommand: SET with options, SETNX, SETEX, PSETEX."""
    when = _expire_at_ms(expire, flags, name) if expire is not None else None
    db = client.db
    old = None
    if flags & GET:
        old = db.read(key)
        if old is not None:
            old = _reply(old)
    found = db.lookup(key) is not None
    if (flags & NX and found) or (flags & XX and not found):
        return old if flags & GET else abort_reply
    db.set(key, value, keep_ttl=bool(flags & KEEPTTL))
    client.server.keyspace.dirty += 1
    _notify(client, "$", "set", key)
    if when is not None:
        db.set_expire(key, when)
        _notify(client, "g", "expire", key)
    return old if flags & GET else ok_reply


def _set_keys(argv: list[bytes]) -> list[tuple[int, str]]:
    """setGetKeys: with GET, SET reads the old value (RW access); without, it only overwrites it."""
    if any(arg.lower() == b"get" for arg in argv[3:]):
        return [(1, "RW access update")]
    return [(1, "OW update")]


@command("set", -3, "write denyoom", categories="@string", group="string", summary="Set the string value of a key",
         complexity="O(1)", key_spec=_set_keys,
         key_specs=(KeySpec("RW access update variable_flags", Index(1),
                            notes="RW and ACCESS due to the optional `GET` argument"),))
def set_command(client: Client, argv: list[bytes]) -> object:
    if len(argv) == 3:
        key = argv[1]
        db = client.db
        if db.expires and key in db.expires:
            db.lookup(key)  # a stale value expires first (its event), as lookupKeyWrite in setKey
        db.set(key, argv[2])
        keyspace = client.server.keyspace
        keyspace.dirty += 1
        if keyspace.notify_flags:
            keyspace.notify(db, "$", "set", key)
        return OK
    flags, expire = parse_set_options(argv, 3, True)
    return _set_generic(client, flags, argv[1], argv[2], expire, "set", OK, None)


@command("setnx", 3, "write denyoom fast", keys=(1, 1, 1), categories="@string", group="string",
         key_flags="OW insert", summary="Set the value of a key, only if the key does not exist",
         complexity="O(1)")
def setnx_command(client: Client, argv: list[bytes]) -> object:
    return _set_generic(client, NX, argv[1], argv[2], None, "setnx", 1, 0)


@command("setex", 4, "write denyoom", keys=(1, 1, 1), categories="@string", group="string", since="2.0.0",
         key_flags="OW update", summary="Set the value and expiration of a key", complexity="O(1)")
def setex_command(client: Client, argv: list[bytes]) -> object:
    return _set_generic(client, EX, argv[1], argv[3], argv[2], "setex", OK, None)


@command("psetex", 4, "write denyoom", keys=(1, 1, 1), categories="@string", group="string", since="2.6.0",
         key_flags="OW update", summary="Set the value and expiration in milliseconds of a key",
         complexity="O(1)")
def psetex_command(client: Client, argv: list[bytes]) -> object:
    return _set_generic(client, PX, argv[1], argv[3], argv[2], "psetex", OK, None)


@command("getex", -2, "write fast", categories="@string", group="string", since="6.2.0",
         summary="Get the value of a key and optionally set its expiration", complexity="O(1)",
         key_specs=(KeySpec("RW access update", Index(1), notes="RW and UPDATE because it changes the TTL"),))
def getex_command(client: Client, argv: list[bytes]) -> bytes | None:
    flags, expire = parse_set_options(argv, 2, False)
    db = client.db
    key = argv[1]
    value = db.read(key)
    if value is None:
        return None
    reply = _reply(value)
    when = _expire_at_ms(expire, flags, "getex") if expire is not None else None
    keyspace = client.server.keyspace
    if when is not None and flags & (EXAT | PXAT) and when <= now_ms():
        db.delete(key)
        keyspace.dirty += 1
        _notify(client, "g", "del", key)
    elif when is not None:
        db.set_expire(key, when)
        keyspace.dirty += 1
        _notify(client, "g", "expire", key)
    elif flags & PERSIST and db.persist(key):
        keyspace.dirty += 1
        _notify(client, "g", "persist", key)
    return reply


@command("getdel", 2, "write fast", keys=(1, 1, 1), categories="@string", group="string", since="6.2.0",
         key_flags="RW access delete", summary="Get the value of a key and delete the key",
         complexity="O(1)")
def getdel_command(client: Client, argv: list[bytes]) -> bytes | None:
    db = client.db
    key = argv[1]
    value = db.read(key)
    if value is None:
        return None
    reply = _reply(value)
    db.delete(key)
    client.server.keyspace.dirty += 1
    _notify(client, "g", "del", key)
    return reply


@command("getset", 3, "write denyoom fast", keys=(1, 1, 1), categories="@string", group="string",
         key_flags="RW access update", summary="Set the string value of a key and return its old value",
         complexity="O(1)")
def getset_command(client: Client, argv: list[bytes]) -> bytes | None:
    db = client.db
    key = argv[1]
    old = db.read(key)
    reply = None if old is None else _reply(old)
    db.set(key, argv[2])
    client.server.keyspace.dirty += 1
    _notify(client, "$", "set", key)
    return reply


@command("mget", -2, "readonly fast", keys=(1, -1, 1), categories="@string", group="string",
         tips="request_policy:multi_shard", summary="Get the values of all the given keys",
         complexity="O(N) where N is the number of keys to retrieve.")
def mget_command(client: Client, argv: list[bytes]) -> list[bytes | None]:
    lookup = client.db.read
    out: list[bytes | None] = []
    append = out.append
    for key in argv[1:]:
        value = lookup(key)
        t = type(value)
        if t is bytes or value is None:
            append(value)
        elif t is bytearray or t is FloatString:
            append(bytes(value))
        else:
            append(None)
    return out


def _mset_arity(argv: list[bytes], name: str) -> None:
    if len(argv) % 2 == 0:
        raise ReplyError(f"ERR wrong number of arguments for '{name}' command")


@command("mset", -3, "write denyoom", keys=(1, -1, 2), categories="@string", group="string", since="1.0.1",
         tips="request_policy:multi_shard response_policy:all_succeeded", key_flags="OW update",
         summary="Set multiple keys to multiple values",
         complexity="O(N) where N is the number of keys to set.")
def mset_command(client: Client, argv: list[bytes]) -> str:
    _mset_arity(argv, "mset")
    db = client.db
    keyspace = client.server.keyspace
    if keyspace.notify_flags or db.expires:
        for i in range(1, len(argv), 2):
            key = argv[i]
            if key in db.expires:
                db.lookup(key)  # a stale value expires first (its event), as lookupKeyWrite in setKey
            db.set(key, argv[i + 1])
            if keyspace.notify_flags:
                keyspace.notify(db, "$", "set", key)
    else:
        db_set = db.set
        for i in range(1, len(argv), 2):
            db_set(argv[i], argv[i + 1])
    keyspace.dirty += (len(argv) - 1) // 2
    return OK


@command("msetnx", -3, "write denyoom", keys=(1, -1, 2), categories="@string", group="string", since="1.0.1",
         tips="request_policy:multi_shard response_policy:agg_min", key_flags="OW insert",
         summary="Set multiple keys to multiple values, only if none of the keys exist",
         complexity="O(N) where N is the number of keys to set.")
def msetnx_command(client: Client, argv: list[bytes]) -> int:
    _mset_arity(argv, "msetnx")
    db = client.db
    if any(db.lookup(argv[i]) is not None for i in range(1, len(argv), 2)):
        return 0
    mset_command(client, argv)
    return 1


# -- in-place edits ----------------------------------------------------------------------


def _check_length(client: Client, size: int, extra: int) -> None:
    if size + extra > client.server.config["proto-max-bulk-len"]:
        raise TOO_BIG


def _editable(db: Database, key: bytes, value: bytes | bytearray) -> bytearray:
    """Redis's dbUnshareStringValue: the stored value as a bytearray that may be changed in place."""
    if type(value) is bytearray:
        return value
    raw = bytearray(value)
    db.set(key, raw, keep_ttl=True)
    return raw


@command("append", 3, "write denyoom fast", keys=(1, 1, 1), categories="@string", group="string",
         since="2.0.0", key_flags="RW insert", summary="Append a value to a key",
         complexity="O(1). The amortized time complexity is O(1) assuming the appended value is small and "
                    "the already present value is of any size, since the dynamic string library used by "
                    "Redis will double the free space available on every reallocation.")
def append_command(client: Client, argv: list[bytes]) -> int:
    db = client.db
    key, tail = argv[1], argv[2]
    value = db.lookup(key)
    keyspace = client.server.keyspace
    if value is None:
        db.set(key, tail)
        total = len(tail)
    else:
        if type(value) not in STRING_TYPES:
            raise WRONGTYPE
        _check_length(client, len(value), len(tail))
        raw = _editable(db, key, value)
        raw += tail
        total = len(raw)
        keyspace.key_modified(db, key)
    keyspace.dirty += 1
    _notify(client, "$", "append", key)
    return total


@command("setrange", 4, "write denyoom", keys=(1, 1, 1), categories="@string", group="string", since="2.2.0",
         summary="Overwrite part of a string at key starting at the specified offset",
         complexity="O(1), not counting the time taken to copy the new string in place. Usually, this "
                    "string is very small so the amortized complexity is O(1). Otherwise, complexity is "
                    "O(M) with M being the length of the value argument.")
def setrange_command(client: Client, argv: list[bytes]) -> int:
    offset = int_arg(argv[2])
    if offset < 0:
        raise OFFSET_RANGE
    db = client.db
    key, piece = argv[1], argv[3]
    value = db.lookup(key)
    if value is None:
        if not piece:
            return 0
        _check_length(client, offset, len(piece))
        raw = bytearray(offset + len(piece))
        raw[offset:] = piece
        db.set(key, raw)
    else:
        if type(value) not in STRING_TYPES:
            raise WRONGTYPE
        if not piece:
            return len(value)
        _check_length(client, offset, len(piece))
        raw = _editable(db, key, value)
        end = offset + len(piece)
        if end > len(raw):
            raw.extend(bytes(end - len(raw)))
        raw[offset:end] = piece
        client.server.keyspace.key_modified(db, key)
    client.server.keyspace.dirty += 1
    _notify(client, "$", "setrange", key)
    return len(raw)


# -- reads -------------------------------------------------------------------------------


@command("strlen", 2, "readonly fast", keys=(1, 1, 1), categories="@string", group="string", since="2.2.0",
         key_flags="RO", summary="Get the length of the value stored in a key", complexity="O(1)")
def strlen_command(client: Client, argv: list[bytes]) -> int:
    value = client.db.read(argv[1])
    if value is None:
        return 0
    if type(value) not in STRING_TYPES:
        raise WRONGTYPE
    return len(value)


def _getrange(client: Client, argv: list[bytes]) -> bytes:
    start = int_arg(argv[2])
    end = int_arg(argv[3])
    value = client.db.read(argv[1])
    if value is None:
        return b""
    if type(value) not in STRING_TYPES:
        raise WRONGTYPE
    size = len(value)
    if start < 0 and end < 0 and start > end:
        return b""
    if start < 0:
        start = max(size + start, 0)
    if end < 0:
        end = max(size + end, 0)
    end = min(end, size - 1)
    if start > end or size == 0:
        return b""
    return bytes(value[start:end + 1])


@command("getrange", 4, "readonly", keys=(1, 1, 1), categories="@string", group="string", since="2.4.0",
         summary="Get a substring of the string stored at a key",
         complexity="O(N) where N is the length of the returned string. The complexity is ultimately "
                    "determined by the returned length, but because creating a substring from an existing "
                    "string is very cheap, it can be considered O(1) for small strings.")
def getrange_command(client: Client, argv: list[bytes]) -> bytes:
    return _getrange(client, argv)


@command("substr", 4, "readonly", keys=(1, 1, 1), categories="@string", group="string",
         summary="Get a substring of the string stored at a key",
         complexity="O(N) where N is the length of the returned string. The complexity is ultimately "
                    "determined by the returned length, but because creating a substring from an existing "
                    "string is very cheap, it can be considered O(1) for small strings.")
def substr_command(client: Client, argv: list[bytes]) -> bytes:
    return _getrange(client, argv)


# -- counters ----------------------------------------------------------------------------


def _incr(client: Client, key: bytes, delta: int) -> int:
    db = client.db
    value = db.lookup(key)
    if value is None:
        new = delta
    else:
        t = type(value)
        if t is not bytes and t is not bytearray and t is not FloatString:
            raise WRONGTYPE
        current = parse_int64(value)
        if current is None:
            raise NOT_INTEGER
        new = current + delta
        if new > INT64_MAX or new < INT64_MIN:
            raise OVERFLOW
    db.set(key, b"%d" % new, keep_ttl=True)
    keyspace = client.server.keyspace
    keyspace.dirty += 1
    if keyspace.notify_flags:
        keyspace.notify(db, "$", "incrby", key)
    return new


@command("incr", 2, "write denyoom fast", keys=(1, 1, 1), categories="@string", group="string",
         key_flags="RW access update", summary="Increment the integer value of a key by one",
         complexity="O(1)")
def incr_command(client: Client, argv: list[bytes]) -> int:
    return _incr(client, argv[1], 1)


@command("decr", 2, "write denyoom fast", keys=(1, 1, 1), categories="@string", group="string",
         key_flags="RW access update", summary="Decrement the integer value of a key by one",
         complexity="O(1)")
def decr_command(client: Client, argv: list[bytes]) -> int:
    return _incr(client, argv[1], -1)


@command("incrby", 3, "write denyoom fast", keys=(1, 1, 1), categories="@string", group="string",
         key_flags="RW access update", summary="Increment the integer value of a key by the given amount",
         complexity="O(1)")
def incrby_command(client: Client, argv: list[bytes]) -> int:
    return _incr(client, argv[1], int_arg(argv[2]))


@command("decrby", 3, "write denyoom fast", keys=(1, 1, 1), categories="@string", group="string",
         key_flags="RW access update", summary="Decrement the integer value of a key by the given number",
         complexity="O(1)")
def decrby_command(client: Client, argv: list[bytes]) -> int:
    delta = int_arg(argv[2])
    if delta == INT64_MIN:
        raise DECR_OVERFLOW
    return _incr(client, argv[1], -delta)


@command("incrbyfloat", 3, "write denyoom fast", keys=(1, 1, 1), categories="@string", group="string",
         since="2.6.0", key_flags="RW access update",
         summary="Increment the float value of a key by the given amount", complexity="O(1)")
def incrbyfloat_command(client: Client, argv: list[bytes]) -> bytes:
    db = client.db
    key = argv[1]
    value = db.lookup(key)
    if value is not None and type(value) not in STRING_TYPES:
        raise WRONGTYPE
    result = incr_by_float(value, argv[2])
    # Redis stores the formatted text as it is (never int-encoded)
    db.set(key, FloatString(result) if parse_int64(result) is not None else result, keep_ttl=True)
    client.server.keyspace.dirty += 1
    _notify(client, "$", "incrbyfloat", key)
    return result


# -- LCS ---------------------------------------------------------------------------------


class _LcsTable:
    """LCS lengths of every prefix pair, from bit-parallel rows (Allison-Dix / Hyyrö).

    Row i is a bit vector over b whose zero bits mark where LCS(a[:i], b[:j]) grows with j, so
    LCS(i, j) is j minus the ones among the low j bits: the same table Redis fills cell by cell,
    at 1/32 of its memory and a word of b per machine operation.
    """

    def __init__(self, a: bytes, b: bytes, keep_rows: bool) -> None:
        masks: dict[int, int] = {}
        for j, ch in enumerate(b):
            masks[ch] = masks.get(ch, 0) | (1 << j)
        full = (1 << len(b)) - 1
        row = full
        rows = [row]
        for ch in a:
            match = row & masks.get(ch, 0)
            row = ((row + match) | (row - match)) & full
            if keep_rows:
                rows.append(row)
        self.rows = rows
        self.length = len(b) - row.bit_count()

    def at(self, i: int, j: int) -> int:
        return j - (self.rows[i] & ((1 << j) - 1)).bit_count()


@command("lcs", -3, "readonly", keys=(1, 2, 1), categories="@string", group="string", since="7.0.0",
         summary="Find longest common substring",
         complexity="O(N*M) where N and M are the lengths of s1 and s2, respectively")
def lcs_command(client: Client, argv: list[bytes]) -> object:
    db = client.db
    a = db.read(argv[1])
    b = db.read(argv[2])
    if (a is not None and type(a) not in STRING_TYPES) or (b is not None and type(b) not in STRING_TYPES):
        raise LCS_TYPES
    a = b"" if a is None else bytes(a)
    b = b"" if b is None else bytes(b)
    get_idx = get_len = with_match_len = False
    min_match_len = 0
    j = 3
    while j < len(argv):
        opt = c_option(argv[j])
        if opt == b"idx":
            get_idx = True
        elif opt == b"len":
            get_len = True
        elif opt == b"withmatchlen":
            with_match_len = True
        elif opt == b"minmatchlen" and j + 1 < len(argv):
            min_match_len = max(int_arg(argv[j + 1]), 0)
            j += 1
        else:
            raise SYNTAX
        j += 1
    if get_idx and get_len:
        raise ReplyError("ERR If you want both the length and indexes, please just use IDX.")
    compute_lcs = get_idx or not get_len
    try:
        table = _LcsTable(a, b, keep_rows=compute_lcs)
    except MemoryError:
        raise ReplyError("ERR Insufficient memory, failed allocating transient memory for LCS") from None
    if not compute_lcs:
        return table.length
    return _lcs_walk(a, b, table, get_idx, with_match_len, min_match_len)


def _lcs_walk(a: bytes, b: bytes, table: _LcsTable, get_idx: bool, with_match_len: bool,
              min_match_len: int) -> object:
    """Redis's backtrack over the table: the LCS string, or the matching ranges from the end."""
    alen = len(a)
    idx = table.length
    result = bytearray(idx)
    matches: list[list[object]] = []
    a_start = alen  # alen: no open range
    a_end = b_start = b_end = 0
    i, j = alen, len(b)
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            result[idx - 1] = a[i - 1]
            if a_start == alen:
                a_start = a_end = i - 1
                b_start = b_end = j - 1
            elif a_start == i and b_start == j:
                a_start -= 1
                b_start -= 1
            else:
                emit = True
            if a_start == 0 or b_start == 0:
                emit = True
            idx -= 1
            i -= 1
            j -= 1
        else:
            if table.at(i - 1, j) > table.at(i, j - 1):
                i -= 1
            else:
                j -= 1
            if a_start != alen:
                emit = True
        if emit:
            match_len = a_end - a_start + 1
            if get_idx and (min_match_len == 0 or match_len >= min_match_len):
                entry: list[object] = [[a_start, a_end], [b_start, b_end]]
                if with_match_len:
                    entry.append(match_len)
                matches.append(entry)
            a_start = alen
    if get_idx:
        return {b"matches": matches, b"len": table.length}
    return bytes(result)
