"""Lists (t_list.c): pushes, pops, ranges, LPOS, LMOVE, LMPOP and the blocking pops.

A list is a `collections.deque`: O(1) at both ends, indexing walks 64-element blocks from the
nearer end, and LRANGE reaches its range from the nearer end too, so it costs O(S+N) like Redis's
quicklist (S = distance of the range from the nearer end). Redis 7.0 always reports `quicklist`.
The blocking commands try the non-blocking path first and otherwise return a
`BlockedRequest` whose retry re-runs that path on the key that became ready.
"""

from __future__ import annotations

from collections import deque
from itertools import islice

from dynamis.config import Config
from dynamis.kv.args import SYNTAX, int_arg, parse_int64
from dynamis.kv.blocking import NOT_READY, BlockedRequest, parse_timeout
from dynamis.kv.client import Client
from dynamis.kv.commands import Index, Keynum, KeySpec, command, numkeys_getkeys
from dynamis.kv.keyspace import WRONGTYPE, Database
from dynamis.kv.protocol import NULL_ARRAY, OK, ReplyError
from dynamis.kv.types import register_type

_NOT_POSITIVE = ReplyError("ERR value is out of range, must be positive")
_NUMKEYS = ReplyError("ERR numkeys should be greater than 0")
_COUNT = ReplyError("ERR count should be greater than 0")
LEFT, RIGHT = 0, 1


class ListValue(deque):
    """A Redis list."""

    __slots__ = ()


def _encoding(value: ListValue, config: Config) -> str:
    return "quicklist"


register_type(ListValue, "list", _encoding)


def _lookup(db: Database, key: bytes) -> ListValue | None:
    value = db.lookup(key)
    if value is not None and type(value) is not ListValue:
        raise WRONGTYPE
    return value


def _positive(arg: bytes, error: ReplyError = _NOT_POSITIVE) -> int:
    """Redis's getPositiveLongFromObjectOrReply (the same error for junk and negatives)."""
    value = parse_int64(arg)
    if value is None or value < 0:
        raise error
    return value


def _range_arg(arg: bytes, low: int, error: ReplyError) -> int:
    value = parse_int64(arg)
    if value is None or value < low:
        raise error
    return value


def _where(arg: bytes) -> int:
    where = arg.lower()
    if where == b"left":
        return LEFT
    if where == b"right":
        return RIGHT
    raise SYNTAX


# -- pushes ----------------------------------------------------------------------------------

def _push(client: Client, argv: list[bytes], where: int, only_existing: bool) -> int:
    db = client.db
    key = argv[1]
    lst = _lookup(db, key)
    keyspace = db.keyspace
    if lst is None:
        if only_existing:
            return 0
        lst = ListValue()
        db.set(key, lst)  # signals the change
    else:
        keyspace.key_modified(db, key)
    if where == LEFT:
        lst.extendleft(islice(argv, 2, None))
    else:
        lst.extend(islice(argv, 2, None))
    if keyspace.notify_flags:
        keyspace.notify(db, "l", "lpush" if where == LEFT else "rpush", key)
    keyspace.dirty += len(argv) - 2
    return len(lst)


@command("lpush", -3, "write denyoom fast", keys=(1, 1, 1), categories="@list", group="list", key_flags="RW insert",
         summary="Prepend one or multiple elements to a list",
         complexity="O(1) for each element added, so O(N) to add N elements when the command "
                    "is called with multiple arguments.")
def lpush_command(client: Client, argv: list[bytes]) -> int:
    return _push(client, argv, LEFT, False)


@command("rpush", -3, "write denyoom fast", keys=(1, 1, 1), categories="@list", group="list", key_flags="RW insert",
         summary="Append one or multiple elements to a list",
         complexity="O(1) for each element added, so O(N) to add N elements when the command "
                    "is called with multiple arguments.")
def rpush_command(client: Client, argv: list[bytes]) -> int:
    return _push(client, argv, RIGHT, False)


@command("lpushx", -3, "write denyoom fast", keys=(1, 1, 1), categories="@list", group="list", since="2.2.0",
         key_flags="RW insert",
         summary="Prepend an element to a list, only if the list exists",
         complexity="O(1) for each element added, so O(N) to add N elements when the command "
                    "is called with multiple arguments.")
def lpushx_command(client: Client, argv: list[bytes]) -> int:
    return _push(client, argv, LEFT, True)


@command("rpushx", -3, "write denyoom fast", keys=(1, 1, 1), categories="@list", group="list", since="2.2.0",
         key_flags="RW insert",
         summary="Append an element to a list, only if the list exists",
         complexity="O(1) for each element added, so O(N) to add N elements when the command "
                    "is called with multiple arguments.")
def rpushx_command(client: Client, argv: list[bytes]) -> int:
    return _push(client, argv, RIGHT, True)


# -- pops ------------------------------------------------------------------------------------

def _popped(db: Database, key: bytes, lst: ListValue, where: int, count: int) -> None:
    db.elements_removed(key, lst, "l", "lpop" if where == LEFT else "rpop", count)


def _pop_one(db: Database, key: bytes, lst: ListValue, where: int) -> bytes:
    value = lst.popleft() if where == LEFT else lst.pop()
    _popped(db, key, lst, where, 1)
    return value


def _pop_many(db: Database, key: bytes, lst: ListValue, where: int, count: int) -> list[bytes]:
    count = min(count, len(lst))
    pop = lst.popleft if where == LEFT else lst.pop
    values = [pop() for _ in range(count)]
    _popped(db, key, lst, where, count)
    return values


def _pop_command(client: Client, argv: list[bytes], where: int) -> object:
    if len(argv) > 3:
        raise ReplyError(f"ERR wrong number of arguments for '{argv[0].decode().lower()}' command")
    db = client.db
    if len(argv) == 2:
        lst = _lookup(db, argv[1])
        return None if lst is None else _pop_one(db, argv[1], lst, where)
    count = _positive(argv[2])
    lst = _lookup(db, argv[1])
    if lst is None:
        return NULL_ARRAY
    if not count:
        return []
    return _pop_many(db, argv[1], lst, where, count)


@command("lpop", -2, "write fast", keys=(1, 1, 1), categories="@list", group="list", key_flags="RW access delete",
         summary="Remove and get the first elements in a list",
         complexity="O(N) where N is the number of elements returned")
def lpop_command(client: Client, argv: list[bytes]) -> object:
    return _pop_command(client, argv, LEFT)


@command("rpop", -2, "write fast", keys=(1, 1, 1), categories="@list", group="list", key_flags="RW access delete",
         summary="Remove and get the last elements in a list",
         complexity="O(N) where N is the number of elements returned")
def rpop_command(client: Client, argv: list[bytes]) -> object:
    return _pop_command(client, argv, RIGHT)


def _mpop_args(argv: list[bytes], numkeys_at: int) -> tuple[list[bytes], int, int]:
    """LMPOP/BLMPOP: numkeys key... LEFT|RIGHT [COUNT n] -> (keys, where, count)."""
    numkeys = _range_arg(argv[numkeys_at], 1, _NUMKEYS)
    where_at = numkeys_at + numkeys + 1
    if where_at >= len(argv):
        raise SYNTAX
    where = _where(argv[where_at])
    count = -1
    i = where_at + 1
    while i < len(argv):
        if count == -1 and argv[i].lower() == b"count" and i + 1 < len(argv):
            count = _range_arg(argv[i + 1], 1, _COUNT)
            i += 2
        else:
            raise SYNTAX
    return argv[numkeys_at + 1 : where_at], where, max(count, 1)


def _mpop_first(db: Database, keys: list[bytes], where: int, count: int) -> object:
    """Pop from the first non-empty list of `keys`: [key, [elements]], or None when all are empty."""
    for key in keys:
        lst = _lookup(db, key)
        if lst:
            return [key, _pop_many(db, key, lst, where, count)]
    return None


@command("lmpop", -4, "write", categories="@list", group="list", since="7.0.0",
         key_spec=numkeys_getkeys(1, 2), key_specs=(KeySpec("RW access delete", Index(1), Keynum()),),
         summary="Pop elements from a list",
         complexity="O(N+M) where N is the number of provided keys and M is the number of "
                    "elements returned.")
def lmpop_command(client: Client, argv: list[bytes]) -> object:
    keys, where, count = _mpop_args(argv, 1)
    reply = _mpop_first(client.db, keys, where, count)
    return NULL_ARRAY if reply is None else reply


# -- blocking pops ---------------------------------------------------------------------------

def _blocking_pop(client: Client, keys: list[bytes], where: int, count: int | None,
                  timeout: float | None) -> object:
    """BLPOP/BRPOP (count None: [key, element]) and BLMPOP (count: [key, [elements]])."""
    db = client.db

    def attempt(candidates: list[bytes]) -> object:
        for key in candidates:
            lst = _lookup(db, key)
            if lst:
                if count is None:
                    return [key, _pop_one(db, key, lst, where)]
                return [key, _pop_many(db, key, lst, where, count)]
        return NOT_READY

    reply = attempt(keys)
    if reply is not NOT_READY:
        return reply

    def retry(key: bytes) -> object:
        value = db.lookup(key)
        return attempt([key]) if type(value) is ListValue else NOT_READY

    return BlockedRequest(keys, timeout, retry, NULL_ARRAY)


@command("blpop", -3, "write noscript blocking", keys=(1, -2, 1), categories="@list", group="list",
         since="2.0.0", key_flags="RW access delete",
         summary="Remove and get the first element in a list, or block until one is available",
         complexity="O(N) where N is the number of provided keys.")
def blpop_command(client: Client, argv: list[bytes]) -> object:
    return _blocking_pop(client, argv[1:-1], LEFT, None, parse_timeout(argv[-1]))


@command("brpop", -3, "write noscript blocking", keys=(1, -2, 1), categories="@list", group="list",
         since="2.0.0", key_flags="RW access delete",
         summary="Remove and get the last element in a list, or block until one is available",
         complexity="O(N) where N is the number of provided keys.")
def brpop_command(client: Client, argv: list[bytes]) -> object:
    return _blocking_pop(client, argv[1:-1], RIGHT, None, parse_timeout(argv[-1]))


@command("blmpop", -5, "write blocking", categories="@list", group="list", since="7.0.0",
         key_spec=numkeys_getkeys(2, 3), key_specs=(KeySpec("RW access delete", Index(2), Keynum()),),
         summary="Pop elements from a list, or block until one is available",
         complexity="O(N+M) where N is the number of provided keys and M is the number of "
                    "elements returned.")
def blmpop_command(client: Client, argv: list[bytes]) -> object:
    timeout = parse_timeout(argv[1])
    keys, where, count = _mpop_args(argv, 2)
    return _blocking_pop(client, keys, where, count, timeout)


# -- moves -----------------------------------------------------------------------------------

def _move(db: Database, source: bytes, lst: ListValue, destination: bytes, wherefrom: int, whereto: int) -> bytes:
    """Pop from `lst` (non-empty, stored at `source`) and push onto `destination` (Redis's lmove)."""
    target = _lookup(db, destination)
    value = lst.popleft() if wherefrom == LEFT else lst.pop()
    keyspace = db.keyspace
    if target is None:
        target = ListValue()
        db.set(destination, target)  # signals the change
    else:
        keyspace.key_modified(db, destination)
    if whereto == LEFT:
        target.appendleft(value)
    else:
        target.append(value)
    keyspace.notify(db, "l", "lpush" if whereto == LEFT else "rpush", destination)
    _popped(db, source, lst, wherefrom, 1)
    return value


def _lmove(client: Client, source: bytes, destination: bytes, wherefrom: int, whereto: int) -> bytes | None:
    db = client.db
    lst = _lookup(db, source)
    if not lst:
        return None
    return _move(db, source, lst, destination, wherefrom, whereto)


@command("lmove", 5, "write denyoom", categories="@list", group="list", since="6.2.0",
         key_specs=(KeySpec("RW access delete", Index(1)), KeySpec("RW insert", Index(2))),
         summary="Pop an element from a list, push it to another list and return it",
         complexity="O(1)")
def lmove_command(client: Client, argv: list[bytes]) -> bytes | None:
    return _lmove(client, argv[1], argv[2], _where(argv[3]), _where(argv[4]))


@command("rpoplpush", 3, "write denyoom", categories="@list", group="list", since="1.2.0",
         key_specs=(KeySpec("RW access delete", Index(1)), KeySpec("RW insert", Index(2))),
         summary="Remove the last element in a list, prepend it to another list and return it",
         complexity="O(1)")
def rpoplpush_command(client: Client, argv: list[bytes]) -> bytes | None:
    return _lmove(client, argv[1], argv[2], RIGHT, LEFT)


def _blmove(client: Client, source: bytes, destination: bytes, wherefrom: int, whereto: int,
            timeout: float | None) -> object:
    db = client.db
    if _lookup(db, source) is not None:
        return _lmove(client, source, destination, wherefrom, whereto)
    if client.deny_blocking:
        return None  # Redis answers a null bulk here, but a null array on a real timeout

    def retry(key: bytes) -> object:
        lst = db.lookup(key)
        if type(lst) is not ListValue or not lst:
            return NOT_READY
        return _move(db, source, lst, destination, wherefrom, whereto)

    return BlockedRequest([source], timeout, retry, NULL_ARRAY)


@command("blmove", 6, "write denyoom noscript blocking", categories="@list", group="list",
         since="6.2.0",
         key_specs=(KeySpec("RW access delete", Index(1)), KeySpec("RW insert", Index(2))),
         summary="Pop an element from a list, push it to another list and return it; or block"
                 " until one is available",
         complexity="O(1)")
def blmove_command(client: Client, argv: list[bytes]) -> object:
    wherefrom, whereto = _where(argv[3]), _where(argv[4])
    return _blmove(client, argv[1], argv[2], wherefrom, whereto, parse_timeout(argv[5]))


@command("brpoplpush", 4, "write denyoom noscript blocking", categories="@list", group="list",
         since="2.2.0",
         key_specs=(KeySpec("RW access delete", Index(1)), KeySpec("RW insert", Index(2))),
         summary="Pop an element from a list, push it to another list and return it; or block"
                 " until one is available",
         complexity="O(1)")
def brpoplpush_command(client: Client, argv: list[bytes]) -> object:
    return _blmove(client, argv[1], argv[2], RIGHT, LEFT, parse_timeout(argv[3]))


# -- reads -----------------------------------------------------------------------------------

@command("llen", 2, "readonly fast", keys=(1, 1, 1), categories="@list", group="list", key_flags="RO",
         summary="Get the length of a list",
         complexity="O(1)")
def llen_command(client: Client, argv: list[bytes]) -> int:
    lst = _lookup(client.db, argv[1])
    return 0 if lst is None else len(lst)


@command("lindex", 3, "readonly", keys=(1, 1, 1), categories="@list", group="list",
         summary="Get an element from a list by its index",
         complexity="O(N) where N is the number of elements to traverse to get to the element"
                    " at index. This makes asking for the first or the last element of the "
                    "list O(1).")
def lindex_command(client: Client, argv: list[bytes]) -> bytes | None:
    lst = _lookup(client.db, argv[1])
    if lst is None:
        return None
    index = int_arg(argv[2])
    if index < 0:
        index += len(lst)
    return lst[index] if 0 <= index < len(lst) else None


def _clamp(start: int, stop: int, length: int) -> tuple[int, int] | None:
    """Redis's range rules: negative from the end, clamped; None when empty."""
    if start < 0:
        start += length
    if stop < 0:
        stop += length
    if start < 0:
        start = 0
    if start > stop or start >= length:
        return None
    return start, min(stop, length - 1)


_ROTATE_FROM = 4096  # beyond this distance, moving blocks (rotate) beats stepping an iterator


def _slice(lst: ListValue, start: int, stop: int) -> list[bytes]:
    """Elements start..stop (inclusive, in range), reached from the nearer end: O(S+N) as Redis's quicklist.

    Far from both ends the deque is rotated so the range starts at an end (C block moves, several
    times faster than iterating to it), then rotated back.
    """
    n = len(lst)
    count = stop - start + 1
    skip = n - 1 - stop
    if start <= skip:
        if start < _ROTATE_FROM:
            return list(islice(lst, start, stop + 1))
        lst.rotate(-start)
        try:
            return list(islice(lst, count))
        finally:
            lst.rotate(start)
    if skip < _ROTATE_FROM:
        out = list(islice(reversed(lst), skip, skip + count))
    else:
        lst.rotate(skip)
        try:
            out = list(islice(reversed(lst), count))
        finally:
            lst.rotate(-skip)
    out.reverse()
    return out


@command("lrange", 4, "readonly", keys=(1, 1, 1), categories="@list", group="list",
         summary="Get a range of elements from a list",
         complexity="O(S+N) where S is the distance of start offset from HEAD for small "
                    "lists, from nearest end (HEAD or TAIL) for large lists; and N is the "
                    "number of elements in the specified range.")
def lrange_command(client: Client, argv: list[bytes]) -> list[bytes]:
    start, stop = int_arg(argv[2]), int_arg(argv[3])
    lst = _lookup(client.db, argv[1])
    if lst is None:
        return []
    bounds = _clamp(start, stop, len(lst))
    return [] if bounds is None else _slice(lst, *bounds)


@command("lpos", -3, "readonly", keys=(1, 1, 1), categories="@list", group="list", since="6.0.6",
         summary="Return the index of matching elements on a list",
         complexity="O(N) where N is the number of elements in the list, for the average "
                    "case. When searching for elements near the head or the tail of the list,"
                    " or when the MAXLEN option is provided, the command may run in constant "
                    "time.")
def lpos_command(client: Client, argv: list[bytes]) -> object:
    rank, count, maxlen = 1, -1, 0
    i = 3
    while i < len(argv):
        option = argv[i].lower()
        more = i + 1 < len(argv)
        if option == b"rank" and more:
            rank = int_arg(argv[i + 1])
            if rank == 0:
                raise ReplyError("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second "
                                 "... or use negative to start from the end of the list")
        elif option == b"count" and more:
            count = _positive(argv[i + 1], ReplyError("ERR COUNT can't be negative"))
        elif option == b"maxlen" and more:
            maxlen = _positive(argv[i + 1], ReplyError("ERR MAXLEN can't be negative"))
        else:
            raise SYNTAX
        i += 2
    lst = _lookup(client.db, argv[1])
    if lst is None:
        return [] if count != -1 else None
    element = argv[2]
    n = len(lst)
    scan = reversed(lst) if rank < 0 else iter(lst)
    if maxlen:
        scan = islice(scan, maxlen)
    skip = 0 if rank == -(2**63) else abs(rank) - 1  # Redis negates LLONG_MIN into itself: first match
    wanted = count if count > 0 else (n if count == 0 else 1)
    found: list[int] = []
    for offset, value in enumerate(scan):
        if value == element:
            if skip:
                skip -= 1
                continue
            found.append(n - 1 - offset if rank < 0 else offset)
            if len(found) >= wanted:
                break
    if count != -1:
        return found
    return found[0] if found else None


# -- edits -----------------------------------------------------------------------------------

@command("lset", 4, "write denyoom", keys=(1, 1, 1), categories="@list", group="list",
         summary="Set the value of an element in a list by its index",
         complexity="O(N) where N is the length of the list. Setting either the first or the "
                    "last element of the list is O(1).")
def lset_command(client: Client, argv: list[bytes]) -> str:
    db = client.db
    lst = _lookup(db, argv[1])
    if lst is None:
        raise ReplyError("ERR no such key")
    index = int_arg(argv[2])
    if index < 0:
        index += len(lst)
    if not 0 <= index < len(lst):
        raise ReplyError("ERR index out of range")
    lst[index] = argv[3]
    keyspace = db.keyspace
    keyspace.key_modified(db, argv[1])
    keyspace.notify(db, "l", "lset", argv[1])
    keyspace.dirty += 1
    return OK


@command("linsert", 5, "write denyoom", keys=(1, 1, 1), categories="@list", group="list", since="2.2.0",
         key_flags="RW insert",
         summary="Insert an element before or after another element in a list",
         complexity="O(N) where N is the number of elements to traverse before seeing the "
                    "value pivot. This means that inserting somewhere on the left end on the "
                    "list (head) can be considered O(1) and inserting somewhere on the right "
                    "end (tail) is O(N).")
def linsert_command(client: Client, argv: list[bytes]) -> int:
    where = argv[2].lower()
    if where not in (b"before", b"after"):
        raise SYNTAX
    db = client.db
    lst = _lookup(db, argv[1])
    if lst is None:
        return 0
    try:
        index = lst.index(argv[3])
    except ValueError:
        return -1
    lst.insert(index if where == b"before" else index + 1, argv[4])
    keyspace = db.keyspace
    keyspace.key_modified(db, argv[1])
    keyspace.notify(db, "l", "linsert", argv[1])
    keyspace.dirty += 1
    return len(lst)


@command("lrem", 4, "write", keys=(1, 1, 1), categories="@list", group="list", key_flags="RW delete",
         summary="Remove elements from a list",
         complexity="O(N+M) where N is the length of the list and M is the number of elements"
                    " removed.")
def lrem_command(client: Client, argv: list[bytes]) -> int:
    count = int_arg(argv[2])
    db = client.db
    key = argv[1]
    lst = _lookup(db, key)
    if lst is None:
        return 0
    element = argv[3]
    if count == 0:
        kept = [v for v in lst if v != element]
        removed = len(lst) - len(kept)
        if removed:
            lst.clear()
            lst.extend(kept)
    else:
        removed = 0
        limit = abs(count)
        source = reversed(lst) if count < 0 else iter(lst)
        kept = []
        for value in source:
            if removed < limit and value == element:
                removed += 1
            else:
                kept.append(value)
        if removed:
            if count < 0:
                kept.reverse()
            lst.clear()
            lst.extend(kept)
    if removed:
        db.elements_removed(key, lst, "l", "lrem", removed)
    return removed


@command("ltrim", 4, "write", keys=(1, 1, 1), categories="@list", group="list", key_flags="RW delete",
         summary="Trim a list to the specified range",
         complexity="O(N) where N is the number of elements to be removed by the operation.")
def ltrim_command(client: Client, argv: list[bytes]) -> str:
    start, stop = int_arg(argv[2]), int_arg(argv[3])
    db = client.db
    key = argv[1]
    lst = _lookup(db, key)
    if lst is None:
        return OK
    n = len(lst)
    bounds = _clamp(start, stop, n)
    if bounds is None:
        lst.clear()
        removed = n
    else:
        start, stop = bounds
        kept = stop - start + 1
        removed = n - kept
        if kept < removed:  # rebuilding is cheaper than popping most of it
            values = _slice(lst, start, stop)
            lst.clear()
            lst.extend(values)
        else:
            for _ in range(start):
                lst.popleft()
            for _ in range(n - 1 - stop):
                lst.pop()
    db.elements_removed(key, lst, "l", "ltrim", removed)
    return OK
