"""Mixed-type command sequences against real redis-server 7.0: every type on one small key alphabet.

The per-type differential tests keep each type on its own keys; here the same key is a string, then a
list, then a sorted set, so the generic commands (TYPE, OBJECT ENCODING, RENAME, COPY, MOVE, SWAPDB,
EXPIRE, SORT, SCAN ...) and the WRONGTYPE paths of every type's commands meet every other type, also
inside MULTI/EXEC (queuing errors, EXECABORT, WATCH touched by the same connection).

Replies must be byte-identical except: replies in hash order (compared as multisets), clock readings
(TTL family, within the rounding step) and random picks (RANDOMKEY, SRANDMEMBER ...: shape only).
Expiries are far in the future, so timing never changes which keys exist.

Bigger campaigns, not run by pytest: `python -m tests.test_differential_mixed campaign 5000 [seed]`
(random sequences, every mismatch reported and the run goes on) and `... protocol 2000 [seed]`
(valid commands followed by random bytes / truncated frames / huge counts).
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable, Sequence

import hiredis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import Differential, RawConnection, encode_command, resp_frame_end

KEYS = ["a", "b", "c"]
MEMBERS = ["1", "2", "3", "m", "n", "-5", "10", "x" * 70, "a", "b"]  # a, b: SORT BY/GET patterns find keys
VALUES = ["", "v", "7", "-3", "1.5", "12345678901234567890", "x" * 50, "abc"]
SCORES = ["1", "2", "-1", "1.5", "0", "inf", "-inf", "x"]
COUNTS = ["0", "1", "2", "5", "-1", "-3"]
INDEXES = ["0", "1", "-1", "2", "-5", "10"]
FAR = ["100000", "200000", "99999999"]


class Draw:
    """Choices from a seeded random source (campaigns) or from hypothesis (shrinkable)."""

    def __init__(self, pick: Callable[[Sequence], object], integer: Callable[[int, int], int]) -> None:
        self.pick = pick
        self.integer = integer

    def some(self, seq: Sequence[str], lo: int = 1, hi: int = 3) -> list[str]:
        return [self.pick(seq) for _ in range(self.integer(lo, hi))]

    @classmethod
    def from_random(cls, rng: random.Random) -> Draw:
        return cls(rng.choice, rng.randint)

    @classmethod
    def from_hypothesis(cls, data) -> Draw:
        return cls(lambda seq: data.draw(st.sampled_from(seq)), lambda lo, hi: data.draw(st.integers(lo, hi)))


def _k(d: Draw) -> str:
    return d.pick(KEYS)


def _pairs(d: Draw, left: Sequence[str], right: Sequence[str]) -> list[str]:
    return [x for _ in range(d.integer(1, 3)) for x in (d.pick(right), d.pick(left))][::-1]


# Each builder returns one command; the list is ordered so that hypothesis shrinks toward simple ones.
BUILDERS: list[Callable[[Draw], list[str]]] = [
    # generic
    lambda d: ["TYPE", _k(d)],
    lambda d: ["OBJECT", "ENCODING", _k(d)],
    lambda d: ["DEL", *d.some(KEYS)],
    lambda d: ["UNLINK", *d.some(KEYS)],
    lambda d: ["EXISTS", *d.some(KEYS)],
    lambda d: ["RENAME", _k(d), _k(d)],
    lambda d: ["RENAMENX", _k(d), _k(d)],
    lambda d: ["COPY", _k(d), _k(d), *d.pick([[], ["REPLACE"], ["DB", "1"], ["DB", "1", "REPLACE"], ["DB", "0"]])],
    lambda d: ["MOVE", _k(d), d.pick(["0", "1"])],
    lambda d: ["SELECT", d.pick(["0", "1"])],
    lambda d: ["SWAPDB", d.pick(["0", "1"]), d.pick(["0", "1"])],
    lambda d: ["EXPIRE", _k(d), d.pick(FAR), *d.pick([[], ["NX"], ["XX"], ["GT"], ["LT"]])],
    lambda d: ["PEXPIRE", _k(d), d.pick(FAR) + "000"],
    lambda d: ["EXPIRE", _k(d), d.pick(["-1", "0"])],
    lambda d: ["PERSIST", _k(d)],
    lambda d: ["TTL", _k(d)],
    lambda d: ["PTTL", _k(d)],
    lambda d: ["EXPIRETIME", _k(d)],
    lambda d: ["TOUCH", *d.some(KEYS)],
    lambda d: ["DBSIZE"],
    lambda d: ["KEYS", d.pick(["*", "a", "[ab]", "?"])],
    lambda d: ["SCAN", "0", "COUNT", "1000", *d.pick([[], ["TYPE", "string"], ["TYPE", "list"], ["TYPE", "zset"],
                                                       ["TYPE", "hash"], ["TYPE", "set"], ["TYPE", "stream"],
                                                       ["MATCH", "[ab]"]])],
    lambda d: ["RANDOMKEY"],
    lambda d: ["SORT", _k(d), *d.pick([[], ["ALPHA"], ["ALPHA", "DESC", "LIMIT", "0", "2"], ["ALPHA", "STORE", _k(d)],
                                         ["STORE", _k(d)], ["BY", "nosort"], ["GET", "#", "ALPHA"]])],
    lambda d: ["SORT_RO", _k(d), "ALPHA"],
    lambda d: ["SORT", _k(d), *d.pick([["BY", "*"], ["BY", "*->m"], ["BY", "*", "ALPHA"], ["BY", "nosort", "GET", "*"]]),
               *d.pick([[], ["GET", "*"], ["GET", "*->m"], ["GET", "#", "GET", "*->1"], ["LIMIT", "1", "1"]]),
               *d.pick([[], ["ALPHA"], ["DESC"]])],
    lambda d: ["FLUSHDB"],
    # strings
    lambda d: ["SET", _k(d), d.pick(VALUES), *d.pick([[], ["EX", "100000"], ["KEEPTTL"], ["GET"], ["NX"], ["XX"]])],
    lambda d: ["GET", _k(d)],
    lambda d: ["MGET", *d.some(KEYS)],
    lambda d: ["MSET", *_pairs(d, VALUES, KEYS)],
    lambda d: ["APPEND", _k(d), d.pick(VALUES)],
    lambda d: ["INCR", _k(d)],
    lambda d: ["INCRBYFLOAT", _k(d), d.pick(["1.5", "2", "x"])],
    lambda d: ["STRLEN", _k(d)],
    lambda d: ["GETRANGE", _k(d), d.pick(INDEXES), d.pick(INDEXES)],
    lambda d: ["SETRANGE", _k(d), d.pick(["0", "3"]), d.pick(VALUES)],
    lambda d: ["GETSET", _k(d), d.pick(VALUES)],
    lambda d: ["GETDEL", _k(d)],
    lambda d: ["GETEX", _k(d), *d.pick([[], ["PERSIST"], ["EX", "100000"]])],
    lambda d: ["LCS", _k(d), _k(d)],
    lambda d: ["SETBIT", _k(d), d.pick(["0", "7", "100"]), d.pick(["0", "1"])],
    lambda d: ["GETBIT", _k(d), d.pick(["0", "7", "100"])],
    lambda d: ["BITCOUNT", _k(d)],
    lambda d: ["BITPOS", _k(d), d.pick(["0", "1"])],
    lambda d: ["BITOP", d.pick(["AND", "OR", "XOR"]), _k(d), *d.some(KEYS)],
    lambda d: ["BITFIELD", _k(d), "INCRBY", "u8", "0", "1", "GET", "i4", "0"],
    lambda d: ["PFADD", _k(d), *d.some(MEMBERS, 0, 3)],
    lambda d: ["PFCOUNT", *d.some(KEYS)],
    lambda d: ["PFMERGE", _k(d), *d.some(KEYS, 0, 2)],
    # hashes
    lambda d: ["HSET", _k(d), *_pairs(d, MEMBERS, VALUES)],
    lambda d: ["HGET", _k(d), d.pick(MEMBERS)],
    lambda d: ["HDEL", _k(d), *d.some(MEMBERS)],
    lambda d: ["HLEN", _k(d)],
    lambda d: ["HGETALL", _k(d)],
    lambda d: ["HKEYS", _k(d)],
    lambda d: ["HINCRBY", _k(d), d.pick(MEMBERS), "2"],
    lambda d: ["HINCRBYFLOAT", _k(d), d.pick(MEMBERS), "0.5"],
    lambda d: ["HSETNX", _k(d), d.pick(MEMBERS), d.pick(VALUES)],
    lambda d: ["HRANDFIELD", _k(d), "-3", "WITHVALUES"],
    lambda d: ["HSCAN", _k(d), "0", "COUNT", "1000"],
    # lists
    lambda d: [d.pick(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]), _k(d), *d.some(MEMBERS)],
    lambda d: [d.pick(["LPOP", "RPOP"]), _k(d), *d.pick([[], ["2"], ["0"]])],
    lambda d: ["LRANGE", _k(d), "0", "-1"],
    lambda d: ["LLEN", _k(d)],
    lambda d: ["LINDEX", _k(d), d.pick(INDEXES)],
    lambda d: ["LSET", _k(d), d.pick(INDEXES), d.pick(MEMBERS)],
    lambda d: ["LINSERT", _k(d), d.pick(["BEFORE", "AFTER"]), d.pick(MEMBERS), d.pick(MEMBERS)],
    lambda d: ["LREM", _k(d), d.pick(COUNTS), d.pick(MEMBERS)],
    lambda d: ["LTRIM", _k(d), d.pick(INDEXES), d.pick(INDEXES)],
    lambda d: ["LPOS", _k(d), d.pick(MEMBERS)],
    lambda d: ["LMOVE", _k(d), _k(d), d.pick(["LEFT", "RIGHT"]), d.pick(["LEFT", "RIGHT"])],
    lambda d: ["RPOPLPUSH", _k(d), _k(d)],
    lambda d: ["LMPOP", "2", _k(d), _k(d), d.pick(["LEFT", "RIGHT"]), "COUNT", "2"],
    # sets
    lambda d: ["SADD", _k(d), *d.some(MEMBERS)],
    lambda d: ["SREM", _k(d), *d.some(MEMBERS)],
    lambda d: ["SCARD", _k(d)],
    lambda d: ["SISMEMBER", _k(d), d.pick(MEMBERS)],
    lambda d: ["SMISMEMBER", _k(d), *d.some(MEMBERS)],
    lambda d: ["SMEMBERS", _k(d)],
    lambda d: ["SMOVE", _k(d), _k(d), d.pick(MEMBERS)],
    lambda d: [d.pick(["SINTER", "SUNION", "SDIFF"]), *d.some(KEYS)],
    lambda d: [d.pick(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), _k(d), *d.some(KEYS)],
    lambda d: ["SINTERCARD", "2", _k(d), _k(d)],
    lambda d: ["SPOP", _k(d), "100"],
    lambda d: ["SRANDMEMBER", _k(d), "-3"],
    lambda d: ["SSCAN", _k(d), "0", "COUNT", "1000"],
    # sorted sets
    lambda d: ["ZADD", _k(d), *d.pick([[], ["NX"], ["XX"], ["GT"], ["CH"], ["INCR"]]), *_pairs(d, MEMBERS, SCORES)],
    lambda d: ["ZINCRBY", _k(d), d.pick(SCORES), d.pick(MEMBERS)],
    lambda d: ["ZREM", _k(d), *d.some(MEMBERS)],
    lambda d: ["ZCARD", _k(d)],
    lambda d: ["ZSCORE", _k(d), d.pick(MEMBERS)],
    lambda d: ["ZMSCORE", _k(d), *d.some(MEMBERS)],
    lambda d: ["ZRANK", _k(d), d.pick(MEMBERS)],
    lambda d: ["ZRANGE", _k(d), "0", "-1", *d.pick([[], ["WITHSCORES"], ["REV", "WITHSCORES"]])],
    lambda d: ["ZRANGE", _k(d), "-inf", "+inf", "BYSCORE", "LIMIT", "0", "2"],
    lambda d: ["ZRANGEBYLEX", _k(d), "-", "+"],
    lambda d: ["ZCOUNT", _k(d), "-inf", "+inf"],
    lambda d: [d.pick(["ZPOPMIN", "ZPOPMAX"]), _k(d), *d.pick([[], ["2"]])],
    lambda d: ["ZMPOP", "2", _k(d), _k(d), d.pick(["MIN", "MAX"])],
    lambda d: [d.pick(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]), _k(d), "2", _k(d), _k(d)],
    lambda d: [d.pick(["ZUNION", "ZINTER", "ZDIFF"]), "2", _k(d), _k(d), "WITHSCORES"],
    lambda d: ["ZINTERCARD", "2", _k(d), _k(d)],
    lambda d: ["ZRANGESTORE", _k(d), _k(d), "0", "-1"],
    lambda d: ["ZREMRANGEBYRANK", _k(d), "0", "0"],
    lambda d: ["ZRANDMEMBER", _k(d), "-3"],
    lambda d: ["ZSCAN", _k(d), "0", "COUNT", "1000"],
    # geo
    lambda d: ["GEOADD", _k(d), d.pick(["13.361389", "15.087269", "200"]), d.pick(["38.115556", "37.502669"]),
               d.pick(MEMBERS)],
    lambda d: ["GEOPOS", _k(d), *d.some(MEMBERS)],
    lambda d: ["GEODIST", _k(d), d.pick(MEMBERS), d.pick(MEMBERS)],
    lambda d: ["GEOHASH", _k(d), d.pick(MEMBERS)],
    lambda d: ["GEOSEARCH", _k(d), "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km", "ASC", "WITHDIST"],
    lambda d: ["GEOSEARCHSTORE", _k(d), _k(d), "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km"],
    # streams
    lambda d: ["XADD", _k(d), *d.pick([[], ["NOMKSTREAM"], ["MAXLEN", "2"]]), f"{d.integer(1, 5)}-{d.integer(0, 2)}",
               d.pick(MEMBERS), d.pick(VALUES)],
    lambda d: ["XLEN", _k(d)],
    lambda d: ["XRANGE", _k(d), "-", "+"],
    lambda d: ["XREVRANGE", _k(d), "+", "-", "COUNT", "2"],
    lambda d: ["XDEL", _k(d), f"{d.integer(1, 5)}-0"],
    lambda d: ["XTRIM", _k(d), "MAXLEN", d.pick(["0", "1", "3"])],
    lambda d: ["XREAD", "COUNT", "2", "STREAMS", _k(d), "0"],
    lambda d: ["XGROUP", "CREATE", _k(d), "g", "0", *d.pick([[], ["MKSTREAM"]])],
    lambda d: ["XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", _k(d), ">"],
    lambda d: ["XINFO", "STREAM", _k(d)],
    lambda d: ["XSETID", _k(d), "9-9"],
    # blocking commands (non-blocking inside MULTI; outside, on a key that is there or of the wrong type)
    lambda d: [d.pick(["BLPOP", "BRPOP", "BZPOPMIN"]), _k(d), "0.01"],
]

# replies in hash order: compared as multisets
UNORDERED = {"KEYS", "SMEMBERS", "SINTER", "SUNION", "SDIFF", "HGETALL", "HKEYS", "HVALS", "SPOP", "HSCAN",
             "SSCAN", "SCAN", "ZSCAN"}
# random picks: only the shape (kind and length) is compared
RANDOM = {"RANDOMKEY", "SRANDMEMBER", "HRANDFIELD", "ZRANDMEMBER"}
CLOCK_TOLERANCE = {"TTL": 1, "PTTL": 1000, "EXPIRETIME": 1, "PEXPIRETIME": 1000}


# the Lua wrappers: the command's reply goes through Redis's RESP -> Lua -> RESP conversion
LUA = ["return redis.pcall(unpack(ARGV))", "return redis.call(unpack(ARGV))",
       "redis.setresp(3); return redis.pcall(unpack(ARGV))"]


def command(d: Draw) -> list[str]:
    args = BUILDERS[d.integer(0, len(BUILDERS) - 1)](d)
    if d.integer(0, 11) == 0:
        return ["EVAL", d.pick(LUA), "0", *args]
    return args


def inner(args: Sequence[str]) -> Sequence[str]:
    """The command an EVAL wrapper runs (for how its reply is compared)."""
    return args[3:] if args[0] == "EVAL" and len(args) > 3 else args


SLEEP = ["__SLEEP__"]  # not a command: time for the expiry to pass
# commands that look at no particular key: not the first thing after a key has expired, or which server has
# already deleted it would show (active expiry runs at its own pace)
_KEYLESS = {"DBSIZE", "KEYS", "SCAN", "RANDOMKEY", "FLUSHDB", "SWAPDB", "SELECT", "EVAL"}


def expiry_step(d: Draw) -> list[list[str]]:
    """A key expires for real, then a command meets it (maybe as a destination, maybe WATCHed)."""
    key = _k(d)
    # long enough that both servers still see the key alive at the next command on a loaded machine
    expire = d.pick([["PEXPIRE", key, "100"], ["SET", key, d.pick(VALUES), "PX", "100"], ["PSETEX", key, "100", "v"]])
    after = command(d)
    while after[0] in _KEYLESS:
        after = command(d)
    if d.integer(0, 2) == 0:
        watched = [["WATCH", key], SLEEP, ["MULTI"], after, ["EXEC"]]
        return [expire, *watched] if d.integer(0, 1) else [["WATCH", key], expire, *watched[1:]]
    return [expire, SLEEP, after, ["EXISTS", key]]


# campaigns only (the pytest servers are shared): encoding thresholds changed in the middle of a sequence
CONFIG_STEPS = False
THRESHOLDS = {"hash-max-listpack-entries": ["1", "2", "128"], "hash-max-listpack-value": ["1", "64"],
              "set-max-intset-entries": ["1", "2", "512"], "zset-max-listpack-entries": ["1", "2", "128"],
              "zset-max-listpack-value": ["1", "64"], "list-max-listpack-size": ["1", "2", "-2"]}


def step(d: Draw) -> list[list[str]]:
    """One step: a command, or a MULTI/EXEC block (maybe with a queuing error, maybe WATCHed)."""
    if CONFIG_STEPS and d.integer(0, 30) == 0:
        name = d.pick(sorted(THRESHOLDS))
        return [["CONFIG", "SET", name, d.pick(THRESHOLDS[name])]]
    kind = d.integer(0, 19)
    if kind == 19:
        return expiry_step(d)
    if kind < 16:
        return [command(d)]
    body = [command(d) for _ in range(d.integer(0, 4))]
    if d.integer(0, 3) == 0:
        body.insert(d.integer(0, len(body)), d.pick([["NOSUCHCMD"], ["GET"], ["SET", "a"], ["ZADD", "a"]]))
    block = [["MULTI"], *body, [d.pick(["EXEC", "EXEC", "EXEC", "DISCARD"])]]
    if kind == 18:
        block = [["WATCH", *d.some(KEYS)], *([command(d)] if d.integer(0, 1) else []), *block]
    return block


def _parse(raw: bytes):
    reader = hiredis.Reader()
    reader.feed(raw)
    return reader.gets()


def _canon(value):
    if isinstance(value, dict):
        value = [x for item in value.items() for x in item]
    if isinstance(value, list):
        return sorted((_canon(v) for v in value), key=repr)
    return value


def _frames(raw: bytes) -> list[bytes]:
    """The elements of an array reply, each as its raw bytes."""
    pos, out = raw.index(b"\r\n") + 2, []
    while pos < len(raw):
        end = resp_frame_end(raw, pos)
        out.append(raw[pos:end])
        pos = end
    return out


def _shape(raw: bytes):
    parsed = _parse(raw)
    return raw[:1], len(parsed) if isinstance(parsed, list) else (None if parsed is None else type(parsed))


def mismatch(args: Sequence[str], expected: bytes, actual: bytes, queued: Sequence[Sequence[str]] = ()) -> str | None:
    """Why the two replies to `args` differ in a way that counts, or None."""
    if expected == actual:
        return None
    args = inner(args)
    name = args[0].upper()
    if name == "EXEC" and queued and expected[:1] == actual[:1] == b"*" and expected[1:3] != b"-1":
        e, a = _frames(expected), _frames(actual)
        if len(e) == len(a) == len(queued):
            reasons = [mismatch(q, x, y) for q, x, y in zip(queued, e, a, strict=True)]
            bad = [f"{q}: {why}" for q, why in zip(queued, reasons, strict=True) if why]
            return "; ".join(bad) or None
    if expected[:1] != actual[:1] or expected[:1] in b"-":
        return f"redis {expected!r} dynamis {actual!r}"
    # SORT BY a pattern: elements with equal weights keep their input order, a set's hash order for a set
    if name in UNORDERED or (name == "SORT" and "BY" in args):
        e, a = _parse(expected), _parse(actual)
        if name.endswith("SCAN") and isinstance(e, list) and isinstance(a, list):
            if e[0] != b"0" or a[0] != b"0":
                return f"cursor: redis {e[0]!r} dynamis {a[0]!r}"
            e, a = e[1], a[1]
        return None if _canon(e) == _canon(a) else f"redis {e!r} dynamis {a!r}"
    if name in RANDOM:
        return None if _shape(expected) == _shape(actual) else f"redis {expected!r} dynamis {actual!r}"
    if name in CLOCK_TOLERANCE and expected[:1] == b":":
        e, a = int(expected[1:-2]), int(actual[1:-2])
        if abs(e - a) <= CLOCK_TOLERANCE[name] and (e < 0) == (a < 0):
            return None
    return f"redis {expected!r} dynamis {actual!r}"


class Transactions:
    """Follows MULTI/EXEC as Redis answered them, so that `mismatch` judges EXEC's reply by what was queued."""

    def __init__(self) -> None:
        self.queued: list[Sequence[str]] = []
        self.in_multi = False

    def check(self, args: Sequence[str], expected: bytes, actual: bytes) -> str | None:
        """`mismatch` of one command's replies, then the transaction state it leaves."""
        why = mismatch(args, expected, actual, self.queued)
        name = args[0].upper()
        if name == "MULTI":
            self.in_multi, self.queued = True, []
        elif name in ("EXEC", "DISCARD"):
            self.in_multi = False
        elif self.in_multi and expected == b"+QUEUED\r\n":
            self.queued.append(args)
        return why


def run_step(diff: Differential, block: list[list[str]]) -> list[str]:
    """Run one step on both servers; the mismatches it shows."""
    problems, transactions = [], Transactions()
    for args in block:
        if args is SLEEP:
            time.sleep(0.11)
            continue
        why = transactions.check(args, *diff.both(*args))
        if why:
            problems.append(f"{args}: {why}")
    return problems


# how each type's whole value is read back, for the state comparison
READ_BACK = {b"+string\r\n": ["GET"], b"+list\r\n": ["LRANGE", "{}", "0", "-1"], b"+set\r\n": ["SMEMBERS"],
             b"+zset\r\n": ["ZRANGE", "{}", "0", "-1", "WITHSCORES"], b"+hash\r\n": ["HGETALL"],
             b"+stream\r\n": ["XINFO", "STREAM", "{}"]}


def state(diff: Differential) -> list[str]:
    """Compare every key of the current database: type, encoding, TTL and the whole value."""
    problems = []
    for key in KEYS:
        kind, _ = diff.both("TYPE", key)
        checks = [["TYPE", key], ["OBJECT", "ENCODING", key], ["TTL", key]]
        if kind in READ_BACK:
            reader = READ_BACK[kind]
            checks.append([reader[0], *[key if a == "{}" else a for a in reader[1:]]] if len(reader) > 1
                          else [reader[0], key])
        for args in checks:
            why = mismatch(args, *diff.both(*args))
            if why:
                problems.append(f"state {args}: {why}")
    return problems


def reset(diff: Differential) -> None:
    for conn in (diff.redis, diff.dynamis):
        conn.call("DISCARD")
        conn.call("UNWATCH")
        conn.call("SELECT", "0")
        conn.call("FLUSHALL")


def _sequence(diff: Differential, data, max_steps: int) -> None:
    reset(diff)
    d = Draw.from_hypothesis(data)
    history: list[list[str]] = []
    # only lazy expiry while keys expire for real: which server's active cycle got to a key first is chance
    diff.both("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        for _ in range(d.integer(1, max_steps)):
            block = step(d)
            history.extend(block)
            problems = run_step(diff, block)
            assert not problems, "\n".join(problems) + "\nafter:\n" + "\n".join(" ".join(c) for c in history)
    finally:
        diff.both("DEBUG", "SET-ACTIVE-EXPIRE", "1")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mixed_sequences(diff, data):
    _sequence(diff, data, 25)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mixed_sequences_resp3(diff3, data):
    _sequence(diff3, data, 20)


# Raw input found by the protocol campaign: a well-formed command, then bytes Redis reads as inline commands.
_PING = encode_command(["PING"])
RAW_CASES = [
    _PING + b"$97316\r\n",                    # a bulk header at top level is an inline command, not a bulk
    _PING + b"_\r\n$-1\r\n~1\r\n" + _PING,    # RESP3 types and null bulks too
    _PING + b"*0\r\n*-1\r\n" + _PING,          # empty and null multibulks are skipped
    _PING + b"_x\nPING\r\n$3\r\n",            # inline lines end at \n alone
    _PING + b"\x91\x12\x00#A/\x01\ng\r\n",     # Redis looks for the newline with strchr: a NUL hides it
    _PING + b"ab\x0bcd\x0c ef\r\n",            # \v and \f only separate before a token
    b"*1\r\n$3\r\n\xff\xfe\r\n\r\n",           # raw bytes come back as they are in the error
    encode_command(["f\0oo", "x\0y"]),         # %s stops at a NUL
    encode_command(["foo", "a" * 100, "b" * 100, "c"]),  # the arguments are cut at 128 bytes together
    encode_command(["OBJECT", "a\r\nb"]),       # newlines in an error become spaces
    encode_command(["OBJECT", "\u00e9" * 100]),  # cut at 128 bytes, not characters
]


def _raw_exchange(port: int, data: bytes) -> bytes:
    conn = RawConnection(port)
    try:
        conn.send(data)
        return conn.read_all(0.3)
    finally:
        conn.close()


@pytest.mark.parametrize("data", RAW_CASES)
def test_raw_input_like_redis(redis_oracle_port, server, data):
    assert _raw_exchange(server.port, data) == _raw_exchange(redis_oracle_port, data)


def _pushes_until_pong(conn: RawConnection) -> list[bytes]:
    conn.send(encode_command(["PING"]))
    out = []
    while (raw := conn.read_reply()[0]) != b"+PONG\r\n":
        out.append(raw)
    return out


def test_bcast_invalidations_in_redis_order(redis_oracle_port, server):
    """Redis sends BCAST invalidations prefix by prefix and key by key in sorted order (radix trees)."""
    got = []
    for port in (redis_oracle_port, server.port):
        trackers = [RawConnection(port), RawConnection(port)]
        for conn, prefixes in zip(trackers, (["PREFIX", "mix:b", "PREFIX", "mix:a"], []), strict=True):
            conn.call("HELLO", "3")
            conn.call("CLIENT", "TRACKING", "ON", "BCAST", *prefixes)
        writer = RawConnection(port)
        writer.call("MSET", "mix:b2", "x", "mix:b1", "y", "mix:a9", "z", "mix:a1", "q", "mix:c", "1")
        writer.call("DEL", "mix:b2", "mix:b1", "mix:a9", "mix:a1", "mix:c")
        got.append([_pushes_until_pong(conn) for conn in trackers])
        for conn in (*trackers, writer):
            conn.close()
    assert got[1] == got[0]


@pytest.mark.parametrize("touch", [["TYPE", "w"], ["GET", "w"], ["EXISTS", "w"], ["DEL", "w"], ["SET", "w", "1"],
                                   ["EVAL", "return redis.pcall('TYPE', KEYS[1])", "1", "w"]])
def test_watch_of_an_expired_key_then_lazily_deleted(diff, touch):
    """A key already expired at WATCH and deleted later by a lookup is no change (Redis's touchWatchedKey);
    written again, it is."""
    diff.both("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        diff.check("SET", "w", "x", "PX", "20")
        time.sleep(0.03)
        diff.check_all([["WATCH", "w"], touch, ["MULTI"], ["PING"], ["EXEC"]])
    finally:
        diff.both("DEBUG", "SET-ACTIVE-EXPIRE", "1")


@pytest.mark.parametrize("noloop", [[], ["NOLOOP"]])
@pytest.mark.parametrize("script", ["return redis.call('SET', KEYS[1], '2')", "return redis.call('FLUSHDB')"])
def test_tracking_of_a_script_write_by_the_tracking_client(redis_oracle_port, server, noloop, script):
    """A script's writes are its caller's: the invalidation follows EVAL's reply, and NOLOOP holds."""
    got = []
    for port in (redis_oracle_port, server.port):
        conn = RawConnection(port)
        conn.call("HELLO", "3")
        conn.call("CLIENT", "TRACKING", "ON", *noloop)
        got.append([conn.call("SET", "mix:t", "1"), conn.call("GET", "mix:t"),
                    _call_with_pushes(conn, ["EVAL", script, "1", "mix:t"]), _call_with_pushes(conn, ["PING"])])
        conn.call("DEL", "mix:t")
        conn.close()
    assert got[1] == got[0]


@pytest.mark.parametrize("flush", [["FLUSHALL"], ["FLUSHALL", "ASYNC"], ["FLUSHDB"], ["SWAPDB", "0", "1"]])
def test_tracking_null_invalidation_on_flush(redis_oracle_port, server, flush):
    """FLUSHALL sends one null invalidation per tracking client (not one per database), after its reply."""
    got = []
    for port in (redis_oracle_port, server.port):
        conn = RawConnection(port)
        conn.call("HELLO", "3")
        conn.call("CLIENT", "TRACKING", "ON")
        conn.call("GET", "mix:f")
        got.append([_call_with_pushes(conn, flush), _call_with_pushes(conn, ["PING"])])
        conn.close()
    assert got[1] == got[0]


def test_tracking_invalidation_from_the_active_expiry_cycle(redis_oracle_port, server):
    """A tracked key deleted by the cron's expiry cycle: the push goes out at once, whoever ran a command last."""
    got = []
    for port in (redis_oracle_port, server.port):
        conn = RawConnection(port)
        conn.call("HELLO", "3")
        conn.call("CLIENT", "TRACKING", "ON")
        conn.call("SET", "mix:e", "v", "PX", "50")
        conn.call("GET", "mix:e")  # the tracking client is the last to run a command before the key expires
        deadline = time.monotonic() + 3
        pushes = b""
        while not pushes and time.monotonic() < deadline:
            pushes = conn.read_all(0.1)
        got.append(pushes)
        conn.close()
    assert got[1] == got[0] == b">2\r\n$10\r\ninvalidate\r\n*1\r\n$5\r\nmix:e\r\n"


@pytest.mark.parametrize("script", [
    ["EVAL", "return redis.call('GET', 'mix:x')", "0"], ["EVAL", "return redis.call('GET', 'mix:x')", "1", "mix:y"],
    ["EVAL", "return 1", "1", "mix:y"], ["EVAL_RO", "return redis.call('GET', 'mix:x')", "1", "mix:y"],
    ["EVAL_RO", "return 1", "1", "mix:y"]])
def test_tracking_of_keys_a_script_reads(redis_oracle_port, server, script):
    """Redis 7.0: a read inside a script makes the caller track the script's declared keys, not the read's."""
    got = []
    for port in (redis_oracle_port, server.port):
        conn, writer = RawConnection(port), RawConnection(port)
        conn.call("HELLO", "3")
        conn.call("CLIENT", "TRACKING", "ON")
        conn.call(*script)
        writer.call("MSET", "mix:x", "1", "mix:y", "2")
        got.append(_call_with_pushes(conn, ["PING"]))
        writer.call("DEL", "mix:x", "mix:y")
        conn.close()
        writer.close()
    assert got[1] == got[0]


@pytest.mark.parametrize("rename", [["RENAME", "mix:s", "mix:d"], ["RENAMENX", "mix:s", "mix:d"],
                                    ["RENAME", "mix:s", "mix:s"]])
@pytest.mark.parametrize("dst_exists", [False, True])
def test_tracking_invalidations_of_rename_in_redis_order(redis_oracle_port, server, rename, dst_exists):
    got = []
    for port in (redis_oracle_port, server.port):
        conn = RawConnection(port)
        conn.call("HELLO", "3")
        conn.call("CLIENT", "TRACKING", "ON")
        conn.call("SET", "mix:s", "1")
        if dst_exists:
            conn.call("SET", "mix:d", "2")
        conn.call("MGET", "mix:s", "mix:d")
        got.append([_call_with_pushes(conn, rename), _call_with_pushes(conn, ["PING"])])
        conn.call("DEL", "mix:s", "mix:d")
        conn.close()
    assert got[1] == got[0]


def test_xsetid_touches_neither_watch_nor_tracking(redis_oracle_port, server):
    """Redis 7.0's XSETID does not signal the key: a WATCHing EXEC goes through, a tracked key stays tracked."""
    got = []
    for port in (redis_oracle_port, server.port):
        conn, other = RawConnection(port), RawConnection(port)
        conn.call("HELLO", "3")
        conn.call("CLIENT", "TRACKING", "ON")
        other.call("XADD", "mix:xs", "1-1", "f", "v")
        conn.call("XLEN", "mix:xs")
        conn.call("WATCH", "mix:xs")
        other.call("XSETID", "mix:xs", "9-9")
        got.append([conn.call("MULTI"), conn.call("PING"), conn.call("EXEC"), _call_with_pushes(conn, ["PING"])])
        other.call("XADD", "mix:xs", "10-1", "f", "v")
        got.append(_call_with_pushes(conn, ["PING"]))
        other.call("DEL", "mix:xs")
        conn.close()
        other.close()
    assert got[2:] == got[:2]


@pytest.mark.parametrize("store", [
    ["SORT", "mix:none", "STORE", "mix:d"], ["BITOP", "OR", "mix:d", "mix:none"],
    ["ZUNIONSTORE", "mix:d", "1", "mix:none"], ["ZRANGESTORE", "mix:d", "mix:none", "0", "-1"],
    ["SINTERSTORE", "mix:d", "mix:none"], ["SDIFFSTORE", "mix:d", "mix:none"],
    ["GEOSEARCHSTORE", "mix:d", "mix:none", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km"]])
def test_empty_store_into_an_expired_destination_is_a_del(redis_oracle_port, server, store):
    """Redis's dbDelete ignores the TTL: an empty result stored over an expired key sends `del`, not `expired`."""
    got = []
    for port in (redis_oracle_port, server.port):
        conn, sub = RawConnection(port), RawConnection(port)
        old = _parse(conn.call("CONFIG", "GET", "notify-keyspace-events"))[1]
        conn.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
        conn.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        try:
            sub.call("PSUBSCRIBE", "__keyevent@*__:*")
            conn.call("SET", "mix:d", "x", "PX", "20")
            time.sleep(0.03)
            reply = conn.call(*store)
            sub.send(encode_command(["PING"]))
            events = []
            while (msg := sub.read_reply()[1]) != [b"pong", b""]:
                events.append(msg)
            got.append((reply, events))
        finally:
            conn.call("CONFIG", "SET", "notify-keyspace-events", old)
            conn.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
            conn.close()
            sub.close()
    assert got[1] == got[0]


# ---------------------------------------------------------------------------------------------------------
# campaigns (python -m tests.test_differential_mixed ...): not collected by pytest

def _servers():
    from tests.helpers import free_port, start_dynamis, start_redis_server
    rport, dport = free_port(), free_port()
    # DYNAMIS_SRC: run a snapshot of the sources (the working tree is shared and may be mid-edit)
    env = {"PYTHONPATH": os.environ["DYNAMIS_SRC"]} if "DYNAMIS_SRC" in os.environ else None
    return rport, dport, start_redis_server(rport), start_dynamis(dport, "--save", "", "--appendonly", "no",
                                                                  "--dir", "/tmp", env=env)


class Notifications:
    """A keyspace-notification subscriber on each server; `drain` returns what each got since the last call."""

    def __init__(self, diff: Differential, rport: int, dport: int) -> None:
        for conn in (diff.redis, diff.dynamis):
            conn.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
        self.subs = [RawConnection(rport), RawConnection(dport)]
        for sub in self.subs:
            sub.call("PSUBSCRIBE", "__key*__:*")

    def drain(self) -> list[list]:
        out = []
        for sub in self.subs:
            sub.send(encode_command(["PING"]))
            got = []
            while True:
                _, msg = sub.read_reply()
                if msg == [b"pong", b""]:
                    break
                got.append(msg)
            out.append(got)
        return out


SMALL_ENCODINGS = {"hash-max-listpack-entries": "2", "hash-max-listpack-value": "4", "set-max-intset-entries": "2",
                   "zset-max-listpack-entries": "2", "zset-max-listpack-value": "4", "list-max-listpack-size": "2",
                   "stream-node-max-entries": "2"}


def campaign(steps: int, seed: int, resp: int = 2, small: bool = False) -> int:
    rport, dport, rproc, dproc = _servers()
    try:
        diff = Differential(rport, dport, resp=resp)
        notes = Notifications(diff, rport, dport)
        for conn in (diff.redis, diff.dynamis):  # only lazy expiry: which server met an expired key first is then fixed
            assert conn.call("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"+OK\r\n"
        if small:
            for name, value in SMALL_ENCODINGS.items():
                for conn in (diff.redis, diff.dynamis):
                    assert conn.call("CONFIG", "SET", name, value) == b"+OK\r\n", name
        rng = random.Random(seed)
        d = Draw.from_random(rng)
        seen: dict[str, list[str]] = {}
        history: list[str] = []
        for i in range(steps):
            if i % 60 == 0:
                reset(diff)
                history = []
            block = step(d)
            history.extend(" ".join(c) for c in block)
            problems = run_step(diff, block)
            if block[-1][0] not in ("MULTI", "WATCH"):
                problems += state(diff)
            r_notes, d_notes = notes.drain()
            if r_notes != d_notes:
                problems.append(f"notifications: redis {r_notes} dynamis {d_notes}")
            for problem in problems:
                sig = problem.split(":")[0][:60]
                if sig not in seen:
                    seen[sig] = history[-12:]
                    print("MISMATCH", problem[:1500], "\n   after:", " | ".join(history[-12:]), flush=True)
                reset(diff)
                history = []
        return len(seen)
    finally:
        rproc.terminate()
        dproc.terminate()


BLOCKERS = [
    ["BLPOP", "{k}", "{t}"], ["BRPOP", "{k}", "b", "{t}"], ["BLMOVE", "{k}", "b", "LEFT", "RIGHT", "{t}"],
    ["BRPOPLPUSH", "{k}", "c", "{t}"], ["BLMPOP", "{t}", "2", "{k}", "c", "RIGHT", "COUNT", "2"],
    ["BZPOPMIN", "{k}", "{t}"], ["BZPOPMAX", "b", "{k}", "{t}"], ["BZMPOP", "{t}", "1", "{k}", "MAX", "COUNT", "3"],
    ["XREAD", "BLOCK", "{ms}", "STREAMS", "{k}", "$"], ["XREAD", "BLOCK", "{ms}", "STREAMS", "{k}", "b", "0-1", "$"],
    ["XREADGROUP", "GROUP", "g", "c1", "BLOCK", "{ms}", "STREAMS", "{k}", ">"],
]


def blocking_campaign(rounds: int, seed: int) -> int:
    """A client blocks on a key; another runs a random step; the blocked one must get what Redis gives."""
    rng = random.Random(seed)
    d = Draw.from_random(rng)
    rport, dport, rproc, dproc = _servers()
    found = 0
    try:
        diff = Differential(rport, dport)
        blockers = [RawConnection(rport), RawConnection(dport)]
        for conn in (diff.redis, diff.dynamis):
            conn.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        for i in range(rounds):
            if i % 40 == 0:
                reset(diff)
            template = rng.choice(BLOCKERS)
            args = [a.format(k=rng.choice(KEYS), t="0.3", ms="300") for a in template]
            history = [" ".join(args)]
            for conn in blockers:
                conn.send(encode_command(args))
            time.sleep(0.02)
            problems = []
            for _ in range(rng.randint(1, 3)):
                block = step(d)
                history.extend(" ".join(c) for c in block)
                problems += run_step(diff, block)
            (e, _), (a, _) = (conn.read_reply() for conn in blockers)
            why = mismatch(args, e, a)
            if why:
                problems.append(f"blocked {args}: {why}")
            problems += state(diff)
            if problems:
                found += 1
                print("MISMATCH", "\n  ".join(problems)[:800], "\n   after:", " | ".join(history), flush=True)
                reset(diff)
        return found
    finally:
        rproc.terminate()
        dproc.terminate()


def _call_with_pushes(conn: RawConnection, args: Sequence[str]) -> tuple[bytes, list[bytes]]:
    """Send a command; return its reply and the push frames that came before it."""
    conn.send(encode_command(args))
    pushes = []
    while True:
        raw, _ = conn.read_reply()
        if raw[:1] != b">":
            return raw, pushes
        pushes.append(raw)


def tracking_campaign(steps: int, seed: int) -> int:
    """Client-side caching: the RESP3 connection that runs the sequence tracks the keys it reads (default
    mode); a second connection tracks in BCAST mode. Replies and invalidation pushes must match Redis's."""
    rng = random.Random(seed)
    d = Draw.from_random(rng)
    rport, dport, rproc, dproc = _servers()
    found = 0
    try:
        diff = Differential(rport, dport, resp=3)
        bcast = [RawConnection(rport), RawConnection(dport)]
        for conn in (diff.redis, diff.dynamis):
            conn.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        for conn in bcast:
            conn.call("HELLO", "3")
            conn.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "b")
        noloop = rng.choice([[], ["NOLOOP"]])  # drawn once: both servers must track the same way
        for conn in (diff.redis, diff.dynamis):
            conn.call("CLIENT", "TRACKING", "ON", *noloop)
        history: list[str] = []
        for _ in range(steps):
            block = step(d)
            history.extend(" ".join(c) for c in block)
            problems, transactions = [], Transactions()
            for args in block:
                if args is SLEEP:
                    time.sleep(0.11)
                    continue
                (e, e_push), (a, a_push) = (_call_with_pushes(c, args) for c in (diff.redis, diff.dynamis))
                why = transactions.check(args, e, a)
                if why:
                    problems.append(f"{args}: {why}")
                if e_push != a_push:
                    problems.append(f"{args} pushes: redis {e_push} dynamis {a_push}")
            barrier = []
            for conn in bcast:
                conn.send(encode_command(["PING"]))
                got = []
                while (raw := conn.read_reply()[0]) != b"+PONG\r\n":
                    got.append(raw)
                barrier.append(got)
            if barrier[0] != barrier[1]:
                problems.append(f"bcast pushes: redis {barrier[0]} dynamis {barrier[1]}")
            if problems:
                found += 1
                print("MISMATCH", "\n  ".join(problems)[:1500], "\n   after:", " | ".join(history[-12:]), flush=True)
                for conn in (diff.redis, diff.dynamis):
                    for args in (["DISCARD"], ["SELECT", "1"], ["FLUSHDB"], ["SELECT", "0"], ["FLUSHDB"], ["PING"]):
                        _call_with_pushes(conn, args)
                for conn in bcast:
                    conn.read_all(0.1)
                history = []
        return found
    finally:
        rproc.terminate()
        dproc.terminate()


def pipeline_campaign(rounds: int, seed: int) -> int:
    """Whole sequences sent in one write (pipelined): every reply must still match Redis's."""
    rng = random.Random(seed)
    d = Draw.from_random(rng)
    rport, dport, rproc, dproc = _servers()
    found = 0
    try:
        diff = Differential(rport, dport)
        for conn in (diff.redis, diff.dynamis):
            conn.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        for _ in range(rounds):
            reset(diff)
            # no steps where keys expire for real: blocking timeouts in a pipeline make their timing differ
            commands = [args for _ in range(rng.randint(5, 60)) for block in [step(d)] if SLEEP not in block
                        for args in block]
            payload = b"".join(encode_command(args) for args in commands)
            replies = []
            for conn in (diff.redis, diff.dynamis):
                conn.send(payload)
                replies.append([conn.read_reply()[0] for _ in commands])
            transactions, problems = Transactions(), []
            for args, e, a in zip(commands, *replies, strict=True):
                why = transactions.check(args, e, a)
                if why:
                    problems.append(f"{args}: {why}")
            if problems:
                found += 1
                print("MISMATCH", problems[0][:800], "\n   sequence:", " | ".join(" ".join(c) for c in commands),
                      flush=True)
        return found
    finally:
        rproc.terminate()
        dproc.terminate()


def protocol_campaign(rounds: int, seed: int) -> int:
    """Random garbage after valid commands: same answer as Redis (modulo the error text's detail) or a close."""
    rng = random.Random(seed)
    rport, dport, rproc, dproc = _servers()
    failures = 0
    try:
        watcher = RawConnection(dport)
        for i in range(rounds):
            valid = encode_command(["SET", "k", "v"]) + encode_command(["GET", "k"])
            garbage = rng.choice([
                lambda: bytes(rng.randrange(256) for _ in range(rng.randint(1, 40))),
                lambda: b"*%d\r\n" % rng.choice([-5, 0, 2**31, 2**63, 1024 * 1024 + 1, 3]),
                lambda: b"*1\r\n$%d\r\n" % rng.choice([-2, 2**31, 512 * 1024 * 1024 + 1, 10]) + b"abc",
                lambda: encode_command(["SET", "k", "v"])[: rng.randint(1, 20)],
                lambda: b"*2\r\n$3\r\nGET\r\n:1\r\n",
                lambda: b"*1\r\n*1\r\n$4\r\nPING\r\n",
                lambda: b"GET k\r\n" * rng.randint(1, 3) + bytes([rng.choice(b'"\'{\\')]) + b"x\r\n",
                lambda: b"$" + bytes(rng.choice(b"0123456789-+ x") for _ in range(rng.randint(1, 25))) + b"\r\n",
                lambda: b"*" + bytes(rng.choice(b"0123456789-+ x") for _ in range(rng.randint(1, 25))) + b"\r\n",
            ])()
            outs = []
            for port in (rport, dport):
                c = RawConnection(port, timeout=2)
                c.send(valid + garbage)
                outs.append(c.read_all(0.3))
                c.close()
            r, y = outs
            if watcher.call("PING") != b"+PONG\r\n":
                print("WATCHER BROKEN at round", i, flush=True)
                return failures + 1
            if r != y and not (b"Protocol error" in r and b"Protocol error" in y
                               and r.split(b"-ERR")[0] == y.split(b"-ERR")[0]):
                failures += 1
                print("PROTOCOL MISMATCH", repr(garbage)[:200], "\n  redis  ", r[:300], "\n  dynamis", y[:300],
                      flush=True)
        return failures
    finally:
        rproc.terminate()
        dproc.terminate()


if __name__ == "__main__":
    mode, n = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    if mode == "campaign":
        CONFIG_STEPS = "config" in sys.argv
        print("distinct mismatches:", campaign(n, seed, resp=int(sys.argv[4]) if len(sys.argv) > 4 else 2,
                                               small="small" in sys.argv))
    elif mode == "pipeline":
        print("pipeline mismatches:", pipeline_campaign(n, seed))
    elif mode == "tracking":
        print("tracking mismatches:", tracking_campaign(n, seed))
    elif mode == "blocking":
        print("blocking mismatches:", blocking_campaign(n, seed))
    else:
        print("protocol mismatches:", protocol_campaign(n, seed))
