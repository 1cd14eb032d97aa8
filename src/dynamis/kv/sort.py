"""SORT and SORT_RO (sort.c): sort a list, set or sorted set, by itself or by external keys.

The options are parsed as Redis parses them (an SQL-like list in any order; the last LIMIT,
BY and STORE win; a BY pattern without `*` means "don't sort"). Scores are read with C's strtod
rules, numeric ties fall back to comparing the elements as binary strings, ALPHA compares with
strcoll (strcmp under the C.UTF-8 collation Redis runs with) unless the result is STOREd, and the
sort is stable as glibc's merge-sort qsort is. `BY`/`GET` patterns replace the first `*` with
the element and may end in `->field` to read a hash field; `GET #` is the element itself.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import islice
from operator import itemgetter
from typing import Any

from dynamis.kv.args import SYNTAX, int_arg, strtod
from dynamis.kv.client import Client
from dynamis.kv.commands import UNKNOWN, Index, KeySpec, command
from dynamis.kv.keyspace import WRONGTYPE, Database
from dynamis.kv.pqsort import by_first_field, pqsort
from dynamis.kv.protocol import ReplyError
from dynamis.kv.types.hash import HashValue, field_value
from dynamis.kv.types.list import ListValue
from dynamis.kv.types.set import SetValue
from dynamis.kv.types.string import STRING_TYPES
from dynamis.kv.types.zset import SortedSet

SCORE_ERROR = ReplyError("ERR One or more scores can't be converted into double")
_MIN_NORMAL = 2.2250738585072014e-308


def sort_keys(argv: list[bytes]) -> list[tuple[int, str]]:
    """sortGetKeys: the sorted key, plus the last STORE destination (options are skipped by arity)."""
    keys = [(1, "RO access")]
    store = None
    i = 2
    argc = len(argv)
    while i < argc:
        opt = argv[i].lower()
        if opt == b"limit":
            i += 2
        elif opt in (b"get", b"by"):
            i += 1
        elif opt == b"store" and i + 1 < argc:
            store = i + 1
        i += 1
    if store is not None:
        keys.append((store, "OW update"))
    return keys


def _c_string(data: bytes) -> bytes:
    """What C string functions see of a binary string: everything before the first NUL."""
    nul = data.find(b"\0")
    return data if nul < 0 else data[:nul]


def lookup_by_pattern(db: Database, pattern: bytes, element: bytes) -> bytes | None:
    """lookupKeyByPattern: the string (or hash field) that `pattern` names for `element`."""
    if pattern[:1] == b"#" and (len(pattern) == 1 or pattern[1] == 0):
        return element
    cpat = _c_string(pattern)
    star = cpat.find(b"*")
    if star < 0:
        return None
    arrow = cpat.find(b"->", star + 1)
    field = None
    if arrow >= 0 and arrow + 2 < len(cpat):
        field = pattern[arrow + 2 :]
        key = pattern[:star] + element + pattern[star + 1 : arrow]
    else:
        key = pattern[:star] + element + pattern[star + 1 :]
    value = db.lookup(key)
    if value is None:
        return None
    if field is not None:
        if not isinstance(value, HashValue):
            return None
        found = field_value(value, field)
        return None if found is None else bytes(found)
    if type(value) in STRING_TYPES:
        return bytes(value)
    return None


def sort_score(text: bytes) -> float | None:
    """The score SORT reads from a string: strtod over the C string, no trailing garbage, no ERANGE, no nan."""
    if len(text) <= 18 and (text.isdigit() or (text[:1] == b"-" and text[1:].isdigit())):
        return float(text)  # the common case: plain integers
    ctext = _c_string(text)
    value, used, erange = strtod(ctext)
    if used != len(ctext) or erange or value != value:
        return None
    if value and abs(value) < _MIN_NORMAL and not _exact_subnormal(ctext, value):
        return None  # glibc flags an inexact subnormal result with ERANGE too
    return value


def _exact_subnormal(text: bytes, value: float) -> bool:
    literal = text.strip().lower()
    if literal.lstrip(b"+-").startswith(b"0x"):
        return True  # a hex literal that fits is exact (float.fromhex would have rounded otherwise)
    return Fraction(literal.decode()) == Fraction(value)


def _elements(value: Any, dontsort: bool, desc: bool, start: int, count: int) -> list[bytes]:
    """The elements to sort, in the order Redis loads them (or the LIMIT window when not sorting)."""
    if dontsort and count <= 0 and not isinstance(value, SetValue):
        return []
    if isinstance(value, ListValue):
        if dontsort:
            return list(islice(reversed(value) if desc else value, start, start + count))
        return list(value)
    if isinstance(value, SetValue):
        return sorted(value, key=int) if value.intset else list(value)
    pairs = value.order
    if dontsort:
        if desc:
            n = len(pairs)
            return [m for _, m in pairs[n - start - count : n - start][::-1]]
        return [m for _, m in pairs[start : start + count]]
    return list(value.scores)


def _sorted(db: Database, elements: list[bytes], sortby: bytes | None, alpha: bool, desc: bool, binary: bool,
            window: tuple[int, int, int]) -> list[bytes]:
    """The elements in SORT's order (stable, as glibc's qsort; pqsort for a LIMITed BY)."""
    if alpha:
        # STORE compares binary-safe; a reply uses strcoll, which stops at a NUL
        cmp_of = None if binary else _c_string
        if sortby is None:
            return sorted(elements, key=cmp_of, reverse=desc)
        pairs: list[tuple[Any, bytes]] = []
        for e in elements:
            by = lookup_by_pattern(db, sortby, e)
            pairs.append(((0, b"") if by is None else (1, by if binary else _c_string(by)), e))
        start, end, count = window
        if (start != 0 or end != count - 1) and len({k for k, _ in pairs}) < len(pairs):
            # Redis sorts a LIMITed BY with its partial quicksort, which orders ties its own way
            pqsort(pairs, by_first_field(desc), start, end)
        else:
            pairs.sort(key=itemgetter(0), reverse=desc)
        return [e for _, e in pairs]
    scored: list[tuple[float, bytes]] = []
    score_error = False
    for e in elements:
        by = e if sortby is None else lookup_by_pattern(db, sortby, e)
        score = 0.0
        if by is not None:
            parsed = sort_score(by)
            if parsed is None:
                score_error = True
            else:
                score = parsed
        scored.append((score, e))
    if score_error:
        raise SCORE_ERROR
    # equal scores compare the elements as binary strings; equal pairs are interchangeable
    scored.sort(reverse=desc)
    return [e for _, e in scored]


def _sort(client: Client, argv: list[bytes], readonly: bool) -> object:
    desc = alpha = dontsort = False
    limit_start, limit_count = 0, -1
    sortby: bytes | None = None
    store: bytes | None = None
    gets: list[bytes] = []
    argc = len(argv)
    j = 2
    while j < argc:
        left = argc - j - 1
        opt = argv[j].lower()
        if opt == b"asc":
            desc = False
        elif opt == b"desc":
            desc = True
        elif opt == b"alpha":
            alpha = True
        elif opt == b"limit" and left >= 2:
            limit_start = int_arg(argv[j + 1])
            limit_count = int_arg(argv[j + 2])
            j += 2
        elif not readonly and opt == b"store" and left >= 1:
            store = argv[j + 1]
            j += 1
        elif opt == b"by" and left >= 1:
            sortby = argv[j + 1]
            if b"*" not in _c_string(sortby):
                dontsort = True  # a constant BY: nothing to sort by (and it sticks, as in Redis)
            j += 1
        elif opt == b"get" and left >= 1:
            gets.append(argv[j + 1])
            j += 1
        else:
            raise SYNTAX
        j += 1

    db = client.db
    value = db.lookup(argv[1])
    if value is None:
        value = ListValue()
    elif not isinstance(value, (ListValue, SetValue, SortedSet)):
        raise WRONGTYPE
    if dontsort and isinstance(value, SetValue) and (store is not None or client.id == 0):
        # a set has no order of its own: make a stored result, or a script's (id 0 is the
        # scripting engine's client, Redis's CLIENT_SCRIPT), deterministic
        dontsort, alpha, sortby = False, True, None
    if isinstance(value, SortedSet):
        value.listpack = False  # Redis converts the sorted set to a skiplist for SORT

    length = len(value)
    start = min(max(limit_start, 0), length)
    limit_count = min(max(limit_count, -1), length)
    end = length - 1 if limit_count < 0 else start + limit_count - 1
    if start >= length:
        start, end = length - 1, length - 2
    end = min(end, length - 1)
    count = length
    if dontsort and not isinstance(value, SetValue) and (start != 0 or end != length - 1):
        count = end - start + 1
    elements = _elements(value, dontsort, desc, start, max(count, 0))
    if dontsort and not isinstance(value, SetValue):
        end -= start
        start = 0

    if not dontsort:
        elements = _sorted(db, elements, sortby, alpha, desc, store is not None, (start, end, count))

    window = elements[start : end + 1] if end >= start else []
    if store is None:
        if not gets:
            return window
        return [lookup_by_pattern(db, pattern, e) for e in window for pattern in gets]
    if gets:
        items = [lookup_by_pattern(db, pattern, e) or b"" for e in window for pattern in gets]
    else:
        items = window
    keyspace = db.keyspace
    if items:
        db.set(store, ListValue(items))
        keyspace.notify(db, "l", "sortstore", store)
        keyspace.dirty += len(items)
    elif db.discard(store):
        keyspace.notify(db, "g", "del", store)
        keyspace.dirty += 1
    return len(items)


_BY_GET_KEYS = KeySpec("RO access", UNKNOWN, UNKNOWN, notes="For the optional BY/GET keyword. It is marked 'unknown' "
                       "because the key names derive from the content of the key we sort")
_STORE_KEYS = KeySpec("OW update", UNKNOWN, UNKNOWN, notes="For the optional STORE keyword. It is marked 'unknown' "
                      "because the keyword can appear anywhere in the argument array")


@command("sort", -2, "write denyoom", categories="@set @sortedset @list @dangerous",
         group="generic", key_spec=sort_keys,
         key_specs=(KeySpec("RO access", Index(1)), _BY_GET_KEYS, _STORE_KEYS),
         summary="Sort the elements in a list, set or sorted set",
         complexity="O(N+M*log(M)) where N is the number of elements in the list or set to "
                    "sort, and M the number of returned elements. When the elements are not "
                    "sorted, complexity is O(N).")
def sort_command(client: Client, argv: list[bytes]) -> object:
    return _sort(client, argv, readonly=False)


def _sort_ro_keys(argv: list[bytes]) -> list[tuple[int, str]]:
    """sortROGetKeys: SORT_RO has no STORE, only the sorted key."""
    return [(1, "RO access")]


@command("sort_ro", -2, "readonly", categories="@set @sortedset @list @dangerous",
         group="generic", since="7.0.0", key_spec=_sort_ro_keys,
         key_specs=(KeySpec("RO access", Index(1)), _BY_GET_KEYS),
         summary="Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
         complexity="O(N+M*log(M)) where N is the number of elements in the list or set to "
                    "sort, and M the number of returned elements. When the elements are not "
                    "sorted, complexity is O(N).")
def sort_ro_command(client: Client, argv: list[bytes]) -> object:
    return _sort(client, argv, readonly=True)
