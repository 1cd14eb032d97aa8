"""Sorted sets (t_zset.c): the SortedSet type and every Z* command, including the blocking pops.

A SortedSet keeps a dict member -> score beside a sortedcontainers SortedList of (score, member)
pairs, so membership is O(1) and rank, score-range and lex-range lookups are bisections:
O(log n) plus the size of the result, as Redis's skiplist. Equal scores sort by member bytes
(memcmp), as Redis does. OBJECT ENCODING reports listpack until the set outgrows
zset-max-listpack-entries/value, then skiplist for good, as Redis converts and never converts
back. While a set is "listpack", lex ranges over mixed scores are walked linearly as Redis walks a
listpack, so even that unspecified case answers as Redis does.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import Any

from sortedcontainers import SortedList

from dynamis.kv.args import SYNTAX, float_arg, int_arg, parse_int64, parse_scan_cursor, scan_options, strtod
from dynamis.kv.blocking import NOT_READY, BlockedRequest, parse_timeout
from dynamis.kv.client import Client
from dynamis.kv.commands import Index, Keynum, KeySpec, command, numkeys_getkeys
from dynamis.kv.glob import glob_match
from dynamis.kv.keyspace import WRONGTYPE, Database
from dynamis.kv.protocol import NULL_ARRAY, ReplyError, format_double
from dynamis.kv.types import TYPE_NAMES, register_type

NOT_FLOAT_RANGE = ReplyError("ERR min or max is not a float")
NOT_LEX_RANGE = ReplyError("ERR min or max not valid string range item")
NAN_SCORE = ReplyError("ERR resulting score is not a number (NaN)")
NOT_POSITIVE = ReplyError("ERR value is out of range, must be positive")
INT64_MAX = 2**63 - 1


class _Top:
    """Sorts after every member: (score, TOP) bisects to just past all pairs with that score."""

    __slots__ = ()

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return other is not self

    def __le__(self, other: object) -> bool:
        return other is self

    def __ge__(self, other: object) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return other is self

    __hash__ = object.__hash__


TOP = _Top()


class SortedSet:
    """A Redis sorted set: `scores` (member -> score) and `order` (sorted (score, member) pairs)."""

    __slots__ = ("scores", "order", "listpack")

    def __init__(self, listpack: bool = True) -> None:
        self.scores: dict[bytes, float] = {}
        self.order = SortedList()
        self.listpack = listpack

    @classmethod
    def build(cls, pairs: Iterable[tuple[float, bytes]], limits: tuple[int, int]) -> SortedSet:
        """A new set from (score, member) pairs of distinct members, encoded as Redis would store it."""
        zs = cls()
        zs.scores = {m: s for s, m in pairs}
        zs.listpack = len(zs.scores) <= limits[0] and all(len(m) <= limits[1] for m in zs.scores)
        if zs.listpack:
            zs.scores = {m: s or 0.0 for m, s in zs.scores.items()}  # -0 reads back from a listpack as 0
        zs.order = SortedList((s, m) for m, s in zs.scores.items())
        return zs

    def __len__(self) -> int:
        return len(self.scores)

    def add(self, member: bytes, score: float, limits: tuple[int, int]) -> None:
        """Insert a member that is not in the set yet."""
        if self.listpack:
            if len(self.scores) >= limits[0] or len(member) > limits[1]:
                self.listpack = False
            elif score == 0:
                score = 0.0  # a listpack stores scores as text, where -0 reads back as 0
        self.scores[member] = score
        self.order.add((score, member))

    def update(self, member: bytes, old: float, new: float) -> None:
        if self.listpack and new == 0:
            new = 0.0
        self.order.remove((old, member))
        self.order.add((new, member))
        self.scores[member] = new

    def discard(self, member: bytes) -> bool:
        score = self.scores.pop(member, None)
        if score is None:
            return False
        self.order.remove((score, member))
        return True

    def remove_slice(self, lo: int, hi: int) -> list[tuple[float, bytes]]:
        """Remove the pairs at indexes lo..hi-1 and return them."""
        items = self.order[lo:hi]
        del self.order[lo:hi]
        scores = self.scores
        for _, member in items:
            del scores[member]
        return items

    def rank(self, member: bytes) -> int | None:
        score = self.scores.get(member)
        if score is None:
            return None
        return self.order.bisect_left((score, member))

    def score_span(self, spec: ScoreRange) -> tuple[int, int]:
        """Indexes [lo, hi) of the pairs whose score is inside `spec`."""
        if spec.empty():
            return 0, 0
        order = self.order
        lo = order.bisect_left((spec.min, TOP) if spec.minex else (spec.min, b""))
        hi = order.bisect_left((spec.max, b"")) if spec.maxex else order.bisect_left((spec.max, TOP))
        return lo, max(lo, hi)

    def lex_span(self, spec: LexRange, reverse: bool = False) -> tuple[int, int]:
        """Indexes [lo, hi) of the members inside `spec` (ranks assume equal scores, as Redis's)."""
        n = len(self.order)
        if n == 0 or spec.empty():
            return 0, 0
        order = self.order
        first_score, last_score = order[0][0], order[-1][0]
        if first_score == last_score:
            lo = _lex_bisect(order, first_score, spec.min, not spec.minex)
            hi = _lex_bisect(order, first_score, spec.max, spec.maxex)
            return lo, max(lo, hi)
        if self.listpack:
            return _lex_walk(order, spec, reverse)
        # mixed scores in a skiplist: Redis's search descends as if members were sorted
        lo = _first_index(n, lambda i: spec.gte_min(order[i][1]))
        hi = _first_index(n, lambda i: not spec.lte_max(order[i][1]))
        return lo, max(lo, hi)


def _first_index(n: int, pred: Callable[[int], bool]) -> int:
    """The first index in [0, n) where `pred` holds (it is assumed to hold from there on)."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _lex_bisect(order: SortedList, score: float, bound: object, before: bool) -> int:
    """Index of the first pair (all with `score`) at or after `bound`: `before` places equal members after."""
    if bound is LEX_MIN:
        return 0
    if bound is LEX_MAX:
        return len(order)
    return order.bisect_left((score, bound)) if before else order.bisect_right((score, bound))


def _lex_walk(order: SortedList, spec: LexRange, reverse: bool) -> tuple[int, int]:
    """Redis's linear listpack walk (zzlFirstInLexRange / zzlLastInLexRange) for mixed scores."""
    members = [m for _, m in order]
    n = len(members)
    if not spec.gte_min(members[-1]) or not spec.lte_max(members[0]):
        return 0, 0
    if not reverse:
        lo = next((i for i in range(n) if spec.gte_min(members[i])), n)
        hi = lo
        while hi < n and spec.lte_max(members[hi]):
            hi += 1
        return lo, hi
    hi = next((i + 1 for i in range(n - 1, -1, -1) if spec.lte_max(members[i])), 0)
    lo = hi
    while lo > 0 and spec.gte_min(members[lo - 1]):
        lo -= 1
    return lo, hi


def _encoding(value: SortedSet, config: Any) -> str:
    return "listpack" if value.listpack else "skiplist"


register_type(SortedSet, "zset", _encoding)


# -- ranges ----------------------------------------------------------------------------------

class ScoreRange:
    """A score interval with optional exclusive ends (`(1.5`), as zslParseRange reads it."""

    __slots__ = ("min", "max", "minex", "maxex")

    def __init__(self, lo: float, hi: float, minex: bool, maxex: bool) -> None:
        self.min, self.max, self.minex, self.maxex = lo, hi, minex, maxex

    def empty(self) -> bool:
        return self.min > self.max or (self.min == self.max and (self.minex or self.maxex))

    def contains(self, score: float) -> bool:
        above = score > self.min if self.minex else score >= self.min
        return above and (score < self.max if self.maxex else score <= self.max)


def _score_bound(text: bytes) -> tuple[float, bool]:
    exclusive = text[:1] == b"("
    if exclusive:
        text = text[1:]
    value, used, _ = strtod(text)
    # strtod stops at a NUL as C strings do; an empty string reads as 0
    if text[used:used + 1] not in (b"", b"\x00") or value != value:
        raise NOT_FLOAT_RANGE
    return value, exclusive


def parse_score_range(lo: bytes, hi: bytes) -> ScoreRange:
    (a, aex), (b, bex) = _score_bound(lo), _score_bound(hi)
    return ScoreRange(a, b, aex, bex)


class _LexSentinel:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


LEX_MIN = _LexSentinel("-")
LEX_MAX = _LexSentinel("+")


def _lex_cmp(a: Any, b: Any) -> int:
    """sdscmplex: `-` sorts before every string, `+` after."""
    if a is b:
        return 0
    if a is LEX_MIN or b is LEX_MAX:
        return -1
    if a is LEX_MAX or b is LEX_MIN:
        return 1
    return (a > b) - (a < b)


class LexRange:
    """A member interval: `[a` inclusive, `(a` exclusive, `-` and `+` the ends."""

    __slots__ = ("min", "max", "minex", "maxex")

    def __init__(self, lo: Any, hi: Any, minex: bool, maxex: bool) -> None:
        self.min, self.max, self.minex, self.maxex = lo, hi, minex, maxex

    def empty(self) -> bool:
        cmp = _lex_cmp(self.min, self.max)
        return cmp > 0 or (cmp == 0 and (self.minex or self.maxex))

    def gte_min(self, member: bytes) -> bool:
        cmp = _lex_cmp(member, self.min)
        return cmp > 0 if self.minex else cmp >= 0

    def lte_max(self, member: bytes) -> bool:
        cmp = _lex_cmp(member, self.max)
        return cmp < 0 if self.maxex else cmp <= 0


def _lex_bound(text: bytes) -> tuple[Any, bool]:
    head = text[:1]
    if head in (b"+", b"-"):
        if text[1:2] not in (b"", b"\x00"):
            raise NOT_LEX_RANGE
        return (LEX_MAX if head == b"+" else LEX_MIN), True
    if head == b"(":
        return text[1:], True
    if head == b"[":
        return text[1:], False
    raise NOT_LEX_RANGE


def parse_lex_range(lo: bytes, hi: bytes) -> LexRange:
    (a, aex), (b, bex) = _lex_bound(lo), _lex_bound(hi)
    return LexRange(a, b, aex, bex)


# -- shared helpers --------------------------------------------------------------------------

def listpack_limits(client: Client) -> tuple[int, int]:
    values = client.server.config.values
    return values["zset-max-listpack-entries"], values["zset-max-listpack-value"]


def pairs_reply(client: Client, pairs: Iterable[tuple[float, bytes]], withscores: bool) -> list[Any]:
    """Members, or members with scores: flat in RESP2, [member, score] pairs in RESP3."""
    if not withscores:
        return [m for _, m in pairs]
    if client.resp == 3:
        return [[m, s] for s, m in pairs]
    out: list[Any] = []
    for s, m in pairs:
        out.append(m)
        out.append(s)
    return out


def store_result(client: Client, dst: bytes, zs: SortedSet | None, event: str, dirty: int = 1) -> int:
    """Write a computed set to `dst` (or delete `dst` when it is empty), as the *STORE commands do."""
    db = client.db
    keyspace = db.keyspace
    if zs is not None and len(zs):
        db.set(dst, zs)
        keyspace.notify(db, "z", event, dst)
        keyspace.dirty += dirty
        return len(zs)
    if db.discard(dst):  # dbDelete: an expired destination is deleted (del), not expired first
        keyspace.notify(db, "g", "del", dst)
        keyspace.dirty += 1
    return 0


def _modified(db: Database, key: bytes, zs: SortedSet, event: str) -> None:
    """After an in-place change: signal the key, notify, and drop the key if it became empty."""
    keyspace = db.keyspace
    keyspace.notify(db, "z", event, key)
    if not zs.scores:
        db.delete(key)
        keyspace.notify(db, "g", "del", key)
    else:
        keyspace.key_modified(db, key)


def _positive_long(arg: bytes, error: ReplyError = NOT_POSITIVE) -> int:
    """getPositiveLongFromObjectOrReply: one message for a non-integer and a negative value."""
    value = parse_int64(arg)
    if value is None or value < 0:
        raise error
    return value


def _range_long(arg: bytes, message: str) -> int:
    """getRangeLongFromObjectOrReply(1, LONG_MAX) with a custom message for both faults."""
    value = parse_int64(arg)
    if value is None or value < 1:
        raise ReplyError(f"ERR {message}")
    return value


# -- ZADD / ZINCRBY --------------------------------------------------------------------------

def zadd_generic(client: Client, key: bytes, scores: list[float], members: list[bytes], nx: bool = False,
                 xx: bool = False, gt: bool = False, lt: bool = False, ch: bool = False,
                 incr: bool = False) -> Any:
    """The body of ZADD after its arguments are parsed (GEOADD calls it too)."""
    db = client.db
    zs = db.lookup(key)
    if zs is None:
        if xx:
            return None if incr else 0
        zs = SortedSet()
        db.set(key, zs)
    elif type(zs) is not SortedSet:
        raise WRONGTYPE
    limits = None  # read on the first new member: updates do not need them
    added = updated = processed = 0
    current = zs.scores
    result = 0.0
    # of equal length; a strict= keyword alone costs zip() 1.5k instructions (keyword parsing)
    for score, member in zip(scores, members):  # noqa: B905
        cur = current.get(member)
        if cur is not None:
            if nx:
                continue
            if incr:
                score += cur
                if score != score:
                    raise NAN_SCORE
            if (lt and score >= cur) or (gt and score <= cur):
                continue
            if score != cur:
                zs.update(member, cur, score)
                updated += 1
        elif xx:
            continue
        else:
            if limits is None:
                limits = listpack_limits(client)
            zs.add(member, score, limits)
            added += 1
        processed += 1
        result = score
    if added or updated:
        keyspace = db.keyspace
        keyspace.dirty += added + updated
        keyspace.key_modified(db, key)
        if keyspace.notify_flags:
            keyspace.notify(db, "z", "zincr" if incr else "zadd", key)
    if incr:
        return result if processed else None
    return added + updated if ch else added


def _zadd_command(client: Client, argv: list[bytes], incr: bool) -> Any:
    nx = xx = gt = lt = ch = False
    idx = 2
    n = len(argv)
    while idx < n:
        opt = argv[idx].lower()
        if opt == b"nx":
            nx = True
        elif opt == b"xx":
            xx = True
        elif opt == b"gt":
            gt = True
        elif opt == b"lt":
            lt = True
        elif opt == b"ch":
            ch = True
        elif opt == b"incr":
            incr = True
        else:
            break
        idx += 1
    elements = n - idx
    if elements % 2 or not elements:
        raise SYNTAX
    if nx and xx:
        raise ReplyError("ERR XX and NX options at the same time are not compatible")
    if (gt and nx) or (lt and nx) or (gt and lt):
        raise ReplyError("ERR GT, LT, and/or NX options at the same time are not compatible")
    if incr and elements > 2:
        raise ReplyError("ERR INCR option supports a single increment-element pair")
    scores = [float_arg(argv[i]) for i in range(idx, n, 2)]
    return zadd_generic(client, argv[1], scores, argv[idx + 1::2], nx, xx, gt, lt, ch, incr)


@command("zadd", -4, "write denyoom fast", keys=(1, 1, 1), categories="@sortedset", group="sorted_set",
         since="1.2.0",
         summary="Add one or more members to a sorted set, or update its score if it already "
                 "exists",
         complexity="O(log(N)) for each item added, where N is the number of elements in the "
                    "sorted set.")
def zadd_command(client: Client, argv: list[bytes]) -> Any:
    return _zadd_command(client, argv, False)


@command("zincrby", 4, "write denyoom fast", keys=(1, 1, 1), categories="@sortedset", group="sorted_set",
         since="1.2.0", key_flags="RW access update",
         summary="Increment the score of a member in a sorted set",
         complexity="O(log(N)) where N is the number of elements in the sorted set.")
def zincrby_command(client: Client, argv: list[bytes]) -> Any:
    return _zadd_command(client, argv, True)


# -- single-member reads and removal -----------------------------------------------------------

@command("zrem", -3, "write fast", keys=(1, 1, 1), categories="@sortedset", group="sorted_set", since="1.2.0", key_flags="RW delete",
         summary="Remove one or more members from a sorted set",
         complexity="O(M*log(N)) with N being the number of elements in the sorted set and M "
                    "the number of elements to be removed.")
def zrem_command(client: Client, argv: list[bytes]) -> int:
    db = client.db
    key = argv[1]
    zs = db.lookup_typed(key, SortedSet)
    if zs is None:
        return 0
    deleted = 0
    for member in argv[2:]:
        if zs.discard(member):
            deleted += 1
            if not zs.scores:
                break
    if deleted:
        db.keyspace.dirty += deleted
        _modified(db, key, zs, "zrem")
    return deleted


@command("zcard", 2, "readonly fast", keys=(1, 1, 1), categories="@sortedset", group="sorted_set", since="1.2.0", key_flags="RO",
         summary="Get the number of members in a sorted set",
         complexity="O(1)")
def zcard_command(client: Client, argv: list[bytes]) -> int:
    zs = client.db.lookup_typed(argv[1], SortedSet)
    return len(zs.scores) if zs is not None else 0


@command("zscore", 3, "readonly fast", keys=(1, 1, 1), categories="@sortedset", group="sorted_set",
         since="1.2.0",
         summary="Get the score associated with the given member in a sorted set",
         complexity="O(1)")
def zscore_command(client: Client, argv: list[bytes]) -> float | None:
    zs = client.db.lookup_typed(argv[1], SortedSet)
    return zs.scores.get(argv[2]) if zs is not None else None


@command("zmscore", -3, "readonly fast", keys=(1, 1, 1), categories="@sortedset", group="sorted_set",
         since="6.2.0",
         summary="Get the score associated with the given members in a sorted set",
         complexity="O(N) where N is the number of members being requested.")
def zmscore_command(client: Client, argv: list[bytes]) -> list[float | None]:
    zs = client.db.lookup_typed(argv[1], SortedSet)
    if zs is None:
        return [None] * (len(argv) - 2)
    get = zs.scores.get
    return [get(m) for m in argv[2:]]


def _rank(client: Client, argv: list[bytes], reverse: bool) -> object:
    """ZRANK / ZREVRANK key member [WITHSCORE]: the rank, or [rank, score] with WITHSCORE (Redis 7.2)."""
    if len(argv) > 4:
        raise ReplyError(f"ERR wrong number of arguments for '{'zrevrank' if reverse else 'zrank'}' command")
    with_score = len(argv) == 4
    if with_score and argv[3].lower() != b"withscore":
        raise SYNTAX
    missing = NULL_ARRAY if with_score else None
    zs = client.db.lookup_typed(argv[1], SortedSet)
    if zs is None:
        return missing
    rank = zs.rank(argv[2])
    if rank is None:
        return missing
    if reverse:
        rank = len(zs.order) - 1 - rank
    return [rank, zs.scores[argv[2]]] if with_score else rank


@command("zrank", -3, "readonly fast", keys=(1, 1, 1), categories="@sortedset", group="sorted_set", since="2.0.0",
         summary="Determine the index of a member in a sorted set",
         complexity="O(log(N))")
def zrank_command(client: Client, argv: list[bytes]) -> object:
    return _rank(client, argv, False)


@command("zrevrank", -3, "readonly fast", keys=(1, 1, 1), categories="@sortedset", group="sorted_set",
         since="2.0.0",
         summary="Determine the index of a member in a sorted set, with scores ordered from "
                 "high to low",
         complexity="O(log(N))")
def zrevrank_command(client: Client, argv: list[bytes]) -> object:
    return _rank(client, argv, True)


@command("zcount", 4, "readonly fast", keys=(1, 1, 1), categories="@sortedset", group="sorted_set",
         since="2.0.0",
         summary="Count the members in a sorted set with scores within the given values",
         complexity="O(log(N)) with N being the number of elements in the sorted set.")
def zcount_command(client: Client, argv: list[bytes]) -> int:
    spec = parse_score_range(argv[2], argv[3])
    zs = client.db.lookup_typed(argv[1], SortedSet)
    if zs is None:
        return 0
    lo, hi = zs.score_span(spec)
    return hi - lo


@command("zlexcount", 4, "readonly fast", keys=(1, 1, 1), categories="@sortedset", group="sorted_set",
         since="2.8.9",
         summary="Count the number of members in a sorted set between a given lexicographical"
                 " range",
         complexity="O(log(N)) with N being the number of elements in the sorted set.")
def zlexcount_command(client: Client, argv: list[bytes]) -> int:
    spec = parse_lex_range(argv[2], argv[3])
    zs = client.db.lookup_typed(argv[1], SortedSet)
    if zs is None:
        return 0
    lo, hi = zs.lex_span(spec)
    return hi - lo


# -- ZRANGE and friends ----------------------------------------------------------------------

RANK, SCORE, LEX = "rank", "score", "lex"


def _rank_slice(zs: SortedSet, start: int, end: int, reverse: bool) -> list[tuple[float, bytes]]:
    """Pairs between two (possibly negative) ranks, as genericZrangebyrankCommand sanitizes them."""
    n = len(zs.order)
    if start < 0:
        start += n
    if end < 0:
        end += n
    start = max(start, 0)
    if start > end or start >= n:
        return []
    end = min(end, n - 1)
    if reverse:
        return list(zs.order.islice(n - 1 - end, n - start, reverse=True))
    return zs.order[start:end + 1]


def _limited(zs: SortedSet, lo: int, hi: int, offset: int, limit: int, reverse: bool) -> list[tuple[float, bytes]]:
    """Pairs lo..hi-1 (walked backwards when `reverse`) after skipping `offset`, at most `limit` (< 0: all)."""
    if offset < 0 or lo >= hi:
        return []
    if not reverse:
        a = lo + offset
        b = hi if limit < 0 else min(hi, a + limit)
        return zs.order[a:b] if a < b else []
    b = hi - offset
    a = lo if limit < 0 else max(lo, b - limit)
    return list(zs.order.islice(a, b, reverse=True)) if a < b else []


def _zrange_generic(client: Client, argv: list[bytes], key_index: int, store: bool, rangetype: str | None,
                    reverse: bool | None) -> Any:
    """zrangeGenericCommand: every ZRANGE-like command, with its option parsing and error order."""
    withscores = False
    offset, limit = 0, -1
    has_limit = False
    j = key_index + 3
    n = len(argv)
    while j < n:
        opt = argv[j].lower()
        left = n - j - 1
        if not store and opt == b"withscores":
            withscores = True
        elif opt == b"limit" and left >= 2:
            offset = int_arg(argv[j + 1])
            limit = int_arg(argv[j + 2])
            has_limit = True
            j += 2
        elif reverse is None and opt == b"rev":
            reverse = True
        elif rangetype is None and opt == b"bylex":
            rangetype = LEX
        elif rangetype is None and opt == b"byscore":
            rangetype = SCORE
        else:
            raise SYNTAX
        j += 1
    reverse = bool(reverse)
    rangetype = rangetype or RANK
    if has_limit and rangetype == RANK:
        raise ReplyError("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
    if withscores and rangetype == LEX:
        raise ReplyError("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    lo_arg, hi_arg = argv[key_index + 1], argv[key_index + 2]
    if reverse and rangetype != RANK:
        lo_arg, hi_arg = hi_arg, lo_arg
    if rangetype == RANK:
        start, end = int_arg(lo_arg), int_arg(hi_arg)
    elif rangetype == SCORE:
        spec: Any = parse_score_range(lo_arg, hi_arg)
    else:
        spec = parse_lex_range(lo_arg, hi_arg)
    zs = client.db.lookup_typed(argv[key_index], SortedSet)
    if zs is None:
        pairs: list[tuple[float, bytes]] = []
    elif rangetype == RANK:
        pairs = _rank_slice(zs, start, end, reverse)
    else:
        if offset > 0 and offset >= len(zs.scores):
            pairs = []
        else:
            lo, hi = zs.score_span(spec) if rangetype == SCORE else zs.lex_span(spec, reverse)
            pairs = _limited(zs, lo, hi, offset, limit, reverse)
    if store:
        result = SortedSet.build(pairs, listpack_limits(client)) if pairs else None
        return store_result(client, argv[1], result, "zrangestore")
    return pairs_reply(client, pairs, withscores)


@command("zrange", -4, "readonly", keys=(1, 1, 1), categories="@sortedset", group="sorted_set", since="1.2.0",
         summary="Return a range of members in a sorted set",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M "
                    "the number of elements returned.")
def zrange_command(client: Client, argv: list[bytes]) -> Any:
    return _zrange_generic(client, argv, 1, False, None, None)


@command("zrangestore", -5, "write denyoom", categories="@sortedset", group="sorted_set",
         since="6.2.0",
         key_specs=(KeySpec("OW update", Index(1)), KeySpec("RO access", Index(2))),
         summary="Store a range of members from sorted set into another key",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M "
                    "the number of elements stored into the destination key.")
def zrangestore_command(client: Client, argv: list[bytes]) -> Any:
    return _zrange_generic(client, argv, 2, True, None, None)


@command("zrevrange", -4, "readonly", keys=(1, 1, 1), categories="@sortedset", group="sorted_set", since="1.2.0",
         summary="Return a range of members in a sorted set, by index, with scores ordered "
                 "from high to low",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M "
                    "the number of elements returned.")
def zrevrange_command(client: Client, argv: list[bytes]) -> Any:
    return _zrange_generic(client, argv, 1, False, RANK, True)


@command("zrangebyscore", -4, "readonly", keys=(1, 1, 1), categories="@sortedset", group="sorted_set",
         since="1.0.5",
         summary="Return a range of members in a sorted set, by score",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M "
                    "the number of elements being returned. If M is constant (e.g. always "
                    "asking for the first 10 elements with LIMIT), you can consider it "
                    "O(log(N)).")
def zrangebyscore_command(client: Client, argv: list[bytes]) -> Any:
    return _zrange_generic(client, argv, 1, False, SCORE, False)


@command("zrevrangebyscore", -4, "readonly", keys=(1, 1, 1), categories="@sortedset", group="sorted_set",
         since="2.2.0",
         summary="Return a range of members in a sorted set, by score, with scores ordered "
                 "from high to low",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M "
                    "the number of elements being returned. If M is constant (e.g. always "
                    "asking for the first 10 elements with LIMIT), you can consider it "
                    "O(log(N)).")
def zrevrangebyscore_command(client: Client, argv: list[bytes]) -> Any:
    return _zrange_generic(client, argv, 1, False, SCORE, True)


@command("zrangebylex", -4, "readonly", keys=(1, 1, 1), categories="@sortedset", group="sorted_set",
         since="2.8.9",
         summary="Return a range of members in a sorted set, by lexicographical range",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M "
                    "the number of elements being returned. If M is constant (e.g. always "
                    "asking for the first 10 elements with LIMIT), you can consider it "
                    "O(log(N)).")
def zrangebylex_command(client: Client, argv: list[bytes]) -> Any:
    return _zrange_generic(client, argv, 1, False, LEX, False)


@command("zrevrangebylex", -4, "readonly", keys=(1, 1, 1), categories="@sortedset", group="sorted_set",
         since="2.8.9",
         summary="Return a range of members in a sorted set, by lexicographical range, "
                 "ordered from higher to lower strings.",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M "
                    "the number of elements being returned. If M is constant (e.g. always "
                    "asking for the first 10 elements with LIMIT), you can consider it "
                    "O(log(N)).")
def zrevrangebylex_command(client: Client, argv: list[bytes]) -> Any:
    return _zrange_generic(client, argv, 1, False, LEX, True)


# -- ZREMRANGEBY* ----------------------------------------------------------------------------

def _zremrange(client: Client, argv: list[bytes], rangetype: str) -> int:
    if rangetype == RANK:
        start, end = int_arg(argv[2]), int_arg(argv[3])
    elif rangetype == SCORE:
        spec: Any = parse_score_range(argv[2], argv[3])
    else:
        spec = parse_lex_range(argv[2], argv[3])
    db = client.db
    key = argv[1]
    zs = db.lookup_typed(key, SortedSet)
    if zs is None:
        return 0
    n = len(zs.order)
    if rangetype == RANK:
        if start < 0:
            start += n
        if end < 0:
            end += n
        start = max(start, 0)
        if start > end or start >= n:
            return 0
        lo, hi = start, min(end, n - 1) + 1
    elif rangetype == SCORE:
        lo, hi = zs.score_span(spec)
    else:
        lo, hi = zs.lex_span(spec)
    deleted = len(zs.remove_slice(lo, hi)) if lo < hi else 0
    if deleted:
        db.keyspace.dirty += deleted
        _modified(db, key, zs, "zremrangeby" + rangetype)
    return deleted


@command("zremrangebyrank", 4, "write", keys=(1, 1, 1), categories="@sortedset", group="sorted_set",
         since="2.0.0", key_flags="RW delete",
         summary="Remove all members in a sorted set within the given indexes",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M "
                    "the number of elements removed by the operation.")
def zremrangebyrank_command(client: Client, argv: list[bytes]) -> int:
    return _zremrange(client, argv, RANK)


@command("zremrangebyscore", 4, "write", keys=(1, 1, 1), categories="@sortedset", group="sorted_set",
         since="1.2.0", key_flags="RW delete",
         summary="Remove all members in a sorted set within the given scores",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M "
                    "the number of elements removed by the operation.")
def zremrangebyscore_command(client: Client, argv: list[bytes]) -> int:
    return _zremrange(client, argv, SCORE)


@command("zremrangebylex", 4, "write", keys=(1, 1, 1), categories="@sortedset", group="sorted_set",
         since="2.8.9", key_flags="RW delete",
         summary="Remove all members in a sorted set between the given lexicographical range",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M "
                    "the number of elements removed by the operation.")
def zremrangebylex_command(client: Client, argv: list[bytes]) -> int:
    return _zremrange(client, argv, LEX)


# -- pops ------------------------------------------------------------------------------------

def _pop(client: Client, key: bytes, zs: SortedSet, maximum: bool, count: int) -> list[tuple[float, bytes]]:
    """Remove up to `count` lowest (or highest) pairs of the set at `key`."""
    n = len(zs.order)
    count = min(count, n)
    if maximum:
        pairs = zs.remove_slice(n - count, n)
        pairs.reverse()
    else:
        pairs = zs.remove_slice(0, count)
    db = client.db
    db.keyspace.dirty += count
    _modified(db, key, zs, "zpopmax" if maximum else "zpopmin")
    return pairs


def _first_zset(db: Database, keys: Iterable[bytes]) -> tuple[bytes, SortedSet] | None:
    """The first key holding a sorted set (WRONGTYPE stops the search, as genericZpopCommand)."""
    for key in keys:
        zs = db.lookup_typed(key, SortedSet)
        if zs is not None:
            return key, zs
    return None


def _pop_min_max(client: Client, argv: list[bytes], maximum: bool) -> Any:
    if len(argv) > 3:
        raise SYNTAX
    count = _positive_long(argv[2]) if len(argv) == 3 else -1
    found = _first_zset(client.db, argv[1:2])
    if found is None or count == 0:
        return []
    pairs = _pop(client, found[0], found[1], maximum, max(count, 1))
    if client.resp == 3 and count != -1:
        return [[m, s] for s, m in pairs]
    return [x for s, m in pairs for x in (m, s)]


@command("zpopmin", -2, "write fast", keys=(1, 1, 1), categories="@sortedset", group="sorted_set", since="5.0.0", key_flags="RW access delete",
         summary="Remove and return members with the lowest scores in a sorted set",
         complexity="O(log(N)*M) with N being the number of elements in the sorted set, and M"
                    " being the number of elements popped.")
def zpopmin_command(client: Client, argv: list[bytes]) -> Any:
    return _pop_min_max(client, argv, False)


@command("zpopmax", -2, "write fast", keys=(1, 1, 1), categories="@sortedset", group="sorted_set", since="5.0.0", key_flags="RW access delete",
         summary="Remove and return members with the highest scores in a sorted set",
         complexity="O(log(N)*M) with N being the number of elements in the sorted set, and M"
                    " being the number of elements popped.")
def zpopmax_command(client: Client, argv: list[bytes]) -> Any:
    return _pop_min_max(client, argv, True)


def _mpop_reply(key: bytes, pairs: list[tuple[float, bytes]]) -> list[Any]:
    return [key, [[m, s] for s, m in pairs]]


def _parse_mpop(argv: list[bytes], numkeys_index: int) -> tuple[list[bytes], bool, int]:
    """ZMPOP/BZMPOP arguments after the timeout: numkeys key... MIN|MAX [COUNT count]."""
    numkeys = _range_long(argv[numkeys_index], "numkeys should be greater than 0")
    where_index = numkeys_index + numkeys + 1
    if where_index >= len(argv):
        raise SYNTAX
    where = argv[where_index].lower()
    if where not in (b"min", b"max"):
        raise SYNTAX
    count = -1
    j = where_index + 1
    while j < len(argv):
        if count == -1 and argv[j].lower() == b"count" and j + 1 < len(argv):
            count = _range_long(argv[j + 1], "count should be greater than 0")
            j += 2
        else:
            raise SYNTAX
    return argv[numkeys_index + 1:where_index], where == b"max", max(count, 1)


@command("zmpop", -4, "write", categories="@sortedset", group="sorted_set", since="7.0.0",
         key_spec=numkeys_getkeys(1, 2), key_specs=(KeySpec("RW access delete", Index(1), Keynum()),),
         summary="Remove and return members with scores in a sorted set",
         complexity="O(K) + O(M*log(N)) where K is the number of provided keys, N being the "
                    "number of elements in the sorted set, and M being the number of elements"
                    " popped.")
def zmpop_command(client: Client, argv: list[bytes]) -> Any:
    keys, maximum, count = _parse_mpop(argv, 1)
    found = _first_zset(client.db, keys)
    if found is None:
        return NULL_ARRAY
    return _mpop_reply(found[0], _pop(client, found[0], found[1], maximum, count))


def _blocking_pop(client: Client, keys: list[bytes], timeout: float | None,
                  serve: Callable[[bytes, SortedSet], Any]) -> Any:
    """Serve from the first non-empty set now, or block until one of `keys` gets a sorted set."""
    found = _first_zset(client.db, keys)
    if found is not None:
        return serve(*found)

    def retry(key: bytes) -> Any:
        value = client.db.lookup(key)
        if type(value) is not SortedSet:
            return NOT_READY
        return serve(key, value)

    return BlockedRequest(list(keys), timeout, retry, NULL_ARRAY)


def _bzpop(client: Client, argv: list[bytes], maximum: bool) -> Any:
    timeout = parse_timeout(argv[-1])

    def serve(key: bytes, zs: SortedSet) -> list[Any]:
        (score, member), = _pop(client, key, zs, maximum, 1)
        return [key, member, score]

    return _blocking_pop(client, argv[1:-1], timeout, serve)


@command("bzpopmin", -3, "write noscript blocking fast", keys=(1, -2, 1), categories="@sortedset",
         group="sorted_set", since="5.0.0", key_flags="RW access delete",
         summary="Remove and return the member with the lowest score from one or more sorted "
                 "sets, or block until one is available",
         complexity="O(log(N)) with N being the number of elements in the sorted set.")
def bzpopmin_command(client: Client, argv: list[bytes]) -> Any:
    return _bzpop(client, argv, False)


@command("bzpopmax", -3, "write noscript blocking fast", keys=(1, -2, 1), categories="@sortedset",
         group="sorted_set", since="5.0.0", key_flags="RW access delete",
         summary="Remove and return the member with the highest score from one or more sorted"
                 " sets, or block until one is available",
         complexity="O(log(N)) with N being the number of elements in the sorted set.")
def bzpopmax_command(client: Client, argv: list[bytes]) -> Any:
    return _bzpop(client, argv, True)


@command("bzmpop", -5, "write blocking", categories="@sortedset", group="sorted_set", since="7.0.0",
         key_spec=numkeys_getkeys(2, 3), key_specs=(KeySpec("RW access delete", Index(2), Keynum()),),
         summary="Remove and return members with scores in a sorted set or block until one is"
                 " available",
         complexity="O(K) + O(M*log(N)) where K is the number of provided keys, N being the "
                    "number of elements in the sorted set, and M being the number of elements"
                    " popped.")
def bzmpop_command(client: Client, argv: list[bytes]) -> Any:
    keys, maximum, count = _parse_mpop(argv, 2)
    timeout = parse_timeout(argv[1])
    return _blocking_pop(client, keys, timeout,
                         lambda key, zs: _mpop_reply(key, _pop(client, key, zs, maximum, count)))


# -- ZUNION / ZINTER / ZDIFF -----------------------------------------------------------------

UNION, INTER, DIFF = "union", "inter", "diff"


def _is_set(value: Any) -> bool:
    return TYPE_NAMES.get(type(value)) == "set"


def _source_pairs(value: Any) -> Iterable[tuple[bytes, float]]:
    """(member, score) of a sorted set, or of a set whose members all score 1."""
    if type(value) is SortedSet:
        return value.scores.items()
    return ((m, 1.0) for m in value)


def _source_score(value: Any, member: bytes) -> float | None:
    if type(value) is SortedSet:
        return value.scores.get(member)
    return 1.0 if member in value else None


def _aggregate(target: float, value: float, how: bytes) -> float:
    if how == b"sum":
        total = target + value
        return 0.0 if total != total else total  # inf + -inf is 0 by Redis's convention
    if how == b"min":
        return value if value < target else target
    return value if value > target else target


def _setop(client: Client, argv: list[bytes], numkeys_index: int, op: str, store: bool,
           cardinality_only: bool = False) -> Any:
    """zunionInterDiffGenericCommand: sources, WEIGHTS, AGGREGATE, WITHSCORES, LIMIT, in Redis's order."""
    name = argv[0].decode("utf-8", "replace").lower()
    setnum = int_arg(argv[numkeys_index])
    if setnum < 1:
        raise ReplyError(f"ERR at least 1 input key is needed for '{name}' command")
    if setnum > len(argv) - (numkeys_index + 1):
        raise SYNTAX
    db = client.db
    sources: list[Any] = []
    for key in argv[numkeys_index + 1:numkeys_index + 1 + setnum]:
        value = db.lookup(key)
        if value is not None and type(value) is not SortedSet and not _is_set(value):
            raise WRONGTYPE
        sources.append(value)
    weights = [1.0] * setnum
    aggregate = b"sum"
    withscores = False
    limit = 0
    j = numkeys_index + 1 + setnum
    n = len(argv)
    while j < n:
        opt = argv[j].lower()
        remaining = n - j
        if op != DIFF and not cardinality_only and remaining >= setnum + 1 and opt == b"weights":
            weights = [float_arg(w, ReplyError("ERR weight value is not a float"))
                       for w in argv[j + 1:j + 1 + setnum]]
            j += setnum + 1
        elif op != DIFF and not cardinality_only and remaining >= 2 and opt == b"aggregate":
            aggregate = argv[j + 1].lower()
            if aggregate not in (b"sum", b"min", b"max"):
                raise SYNTAX
            j += 2
        elif not store and not cardinality_only and opt == b"withscores":
            withscores = True
            j += 1
        elif cardinality_only and remaining >= 2 and opt == b"limit":
            limit = _positive_long(argv[j + 1], ReplyError("ERR LIMIT can't be negative"))
            j += 2
        else:
            raise SYNTAX
    inputs = list(zip(sources, weights, strict=True))
    if op != DIFF:
        # smallest first, as Redis (the order also fixes how float sums round)
        inputs.sort(key=lambda pair: len(pair[0]) if pair[0] is not None else 0)
    result: dict[bytes, float] = {}
    if op == INTER:
        first, first_weight = inputs[0]
        if first is not None and len(first):
            for member, score in _source_pairs(first):
                score *= first_weight
                if score != score:
                    score = 0.0
                for value, weight in inputs[1:]:
                    other = _source_score(value, member) if value is not None else None
                    if other is None:
                        break
                    score = _aggregate(score, other * weight, aggregate)
                else:
                    if cardinality_only:
                        result[member] = score
                        if limit and len(result) >= limit:
                            break
                    else:
                        result[member] = score
    elif op == UNION:
        for value, weight in inputs:
            if value is None:
                continue
            for member, score in _source_pairs(value):
                score *= weight
                if score != score:
                    score = 0.0
                if member in result:
                    result[member] = _aggregate(result[member], score, aggregate)
                else:
                    result[member] = score
    else:
        first = inputs[0][0]
        if first is not None:
            others = [v for v, _ in inputs[1:] if v is not None]
            for member, score in _source_pairs(first):
                if not any(_source_score(v, member) is not None for v in others):
                    result[member] = score
    if cardinality_only:
        return len(result)
    pairs = [(s, m) for m, s in result.items()]
    if store:
        return store_result(client, argv[1], SortedSet.build(pairs, listpack_limits(client)), "z" + op + "store")
    pairs.sort()
    return pairs_reply(client, pairs, withscores)


@command("zunion", -3, "readonly", categories="@sortedset", group="sorted_set", since="6.2.0",
         key_spec=numkeys_getkeys(1, 2), key_specs=(KeySpec("RO access", Index(1), Keynum()),),
         summary="Add multiple sorted sets",
         complexity="O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted "
                    "sets, and M being the number of elements in the resulting sorted set.")
def zunion_command(client: Client, argv: list[bytes]) -> Any:
    return _setop(client, argv, 1, UNION, False)


@command("zinter", -3, "readonly", categories="@sortedset", group="sorted_set", since="6.2.0",
         key_spec=numkeys_getkeys(1, 2), key_specs=(KeySpec("RO access", Index(1), Keynum()),),
         summary="Intersect multiple sorted sets",
         complexity="O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted "
                    "set, K being the number of input sorted sets and M being the number of "
                    "elements in the resulting sorted set.")
def zinter_command(client: Client, argv: list[bytes]) -> Any:
    return _setop(client, argv, 1, INTER, False)


@command("zdiff", -3, "readonly", categories="@sortedset", group="sorted_set", since="6.2.0",
         key_spec=numkeys_getkeys(1, 2), key_specs=(KeySpec("RO access", Index(1), Keynum()),),
         summary="Subtract multiple sorted sets",
         complexity="O(L + (N-K)log(N)) worst case where L is the total number of elements in"
                    " all the sets, N is the size of the first set, and K is the size of the "
                    "result set.")
def zdiff_command(client: Client, argv: list[bytes]) -> Any:
    return _setop(client, argv, 1, DIFF, False)


@command("zunionstore", -4, "write denyoom", categories="@sortedset",
         group="sorted_set", since="2.0.0",
         key_spec=numkeys_getkeys(2, 3, 1), key_specs=(KeySpec("OW update", Index(1)), KeySpec("RO access", Index(2), Keynum())),
         summary="Add multiple sorted sets and store the resulting sorted set in a new key",
         complexity="O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted "
                    "sets, and M being the number of elements in the resulting sorted set.")
def zunionstore_command(client: Client, argv: list[bytes]) -> Any:
    return _setop(client, argv, 2, UNION, True)


@command("zinterstore", -4, "write denyoom", categories="@sortedset",
         group="sorted_set", since="2.0.0",
         key_spec=numkeys_getkeys(2, 3, 1), key_specs=(KeySpec("OW update", Index(1)), KeySpec("RO access", Index(2), Keynum())),
         summary="Intersect multiple sorted sets and store the resulting sorted set in a new "
                 "key",
         complexity="O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted "
                    "set, K being the number of input sorted sets and M being the number of "
                    "elements in the resulting sorted set.")
def zinterstore_command(client: Client, argv: list[bytes]) -> Any:
    return _setop(client, argv, 2, INTER, True)


@command("zdiffstore", -4, "write denyoom", categories="@sortedset",
         group="sorted_set", since="6.2.0",
         key_spec=numkeys_getkeys(2, 3, 1), key_specs=(KeySpec("OW update", Index(1)), KeySpec("RO access", Index(2), Keynum())),
         summary="Subtract multiple sorted sets and store the resulting sorted set in a new "
                 "key",
         complexity="O(L + (N-K)log(N)) worst case where L is the total number of elements in"
                    " all the sets, N is the size of the first set, and K is the size of the "
                    "result set.")
def zdiffstore_command(client: Client, argv: list[bytes]) -> Any:
    return _setop(client, argv, 2, DIFF, True)


@command("zintercard", -3, "readonly", categories="@sortedset", group="sorted_set", since="7.0.0",
         key_spec=numkeys_getkeys(1, 2), key_specs=(KeySpec("RO access", Index(1), Keynum()),),
         summary="Intersect multiple sorted sets and return the cardinality of the result",
         complexity="O(N*K) worst case with N being the smallest input sorted set, K being "
                    "the number of input sorted sets.")
def zintercard_command(client: Client, argv: list[bytes]) -> Any:
    return _setop(client, argv, 1, INTER, False, cardinality_only=True)


# -- ZRANDMEMBER -----------------------------------------------------------------------------

@command("zrandmember", -2, "readonly", keys=(1, 1, 1), categories="@sortedset", group="sorted_set",
         since="6.2.0", tips="nondeterministic_output",
         summary="Get one or multiple random elements from a sorted set",
         complexity="O(N) where N is the number of elements returned")
def zrandmember_command(client: Client, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        zs = client.db.lookup_typed(argv[1], SortedSet)
        if zs is None:
            return None
        return zs.order[random.randrange(len(zs.order))][1]
    count = int_arg(argv[2])
    if count == -(2**63):
        raise ReplyError("ERR value is out of range, value must between -9223372036854775807 and "
                         "9223372036854775807")
    if len(argv) > 4 or (len(argv) == 4 and argv[3].lower() != b"withscores"):
        raise SYNTAX
    withscores = len(argv) == 4
    if withscores and abs(count) > INT64_MAX // 2:
        raise ReplyError("ERR value is out of range")
    zs = client.db.lookup_typed(argv[1], SortedSet)
    if zs is None or count == 0:
        return []
    order = zs.order
    size = len(order)
    if count < 0:
        pairs = [order[random.randrange(size)] for _ in range(-count)]
    elif count >= size:
        pairs = list(order.islice(reverse=True))  # Redis walks the whole set from the tail
    else:
        pairs = [order[i] for i in random.sample(range(size), count)]
    return pairs_reply(client, pairs, withscores)


# -- ZSCAN -----------------------------------------------------------------------------------

@command("zscan", -3, "readonly", keys=(1, 1, 1), categories="@sortedset", group="sorted_set", since="2.8.0", tips="nondeterministic_output",
         summary="Incrementally iterate sorted sets elements and associated scores",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough "
                    "command calls for the cursor to return back to 0. N is the number of "
                    "elements inside the collection..")
def zscan_command(client: Client, argv: list[bytes]) -> Any:
    cursor = parse_scan_cursor(argv[2])
    zs = client.db.lookup_typed(argv[1], SortedSet)
    if zs is None:
        return [b"0", []]
    count, pattern = scan_options(argv, 3)
    if zs.listpack:
        # a listpack is returned whole in one call, as Redis does
        next_cursor, members = 0, [m for _, m in zs.order]
    else:
        next_cursor, members = client.server.keyspace.scan_cursors.scan(zs.scores, len(zs.scores), cursor, count)
    scores = zs.scores
    listpack = zs.listpack
    items: list[bytes] = []
    for member in members:
        score = scores.get(member)
        if score is None or (pattern is not None and not glob_match(pattern, member)):
            continue
        items.append(member)
        # a listpack holds integral scores as integers (d2string's double2ll path)
        items.append(b"%d" % score if listpack and score.is_integer() and abs(score) <= 2**62
                     else format_double(score))
    return [b"%d" % next_cursor, items]

