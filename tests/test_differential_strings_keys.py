"""Hypothesis-generated sequences of string, key and expiry commands, run on dynamis and real Redis.

Every reply must be byte-identical, except replies in hash order (KEYS, SCAN: compared as sets)
and time readings (TTL/PTTL/EXPIRETIME/PEXPIRETIME: the servers read their clocks a moment apart,
so they may differ by the rounding step). Expiries are far in the future so timing cannot change
which keys exist.
"""

from __future__ import annotations

import hiredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEYS = st.sampled_from(["a", "b", "c", "d"])
VALUES = st.sampled_from(["", "v", "hello", "0", "1", "42", "-7", "9999", "10000", "3.5", "-0.25", "1e3",
                          "9223372036854775807", "-9223372036854775808", "abc", "x" * 50, "007"])
SMALL_INT = st.integers(-3, 12)
FAR_SECONDS = st.integers(1000, 100000)
FAR_AT = st.integers(3_000_000_000, 4_000_000_000)
DBS = st.sampled_from(["0", "1"])


def _cmd(*parts):
    return st.tuples(*[p if isinstance(p, st.SearchStrategy) else st.just(p) for p in parts])


def _optional(*choices):
    return st.sampled_from([(), *choices])


_set_expiry = st.one_of(
    st.just(()), FAR_SECONDS.map(lambda s: ("EX", s)), FAR_SECONDS.map(lambda s: ("PX", s * 1000)),
    FAR_AT.map(lambda s: ("EXAT", s)), FAR_AT.map(lambda s: ("PXAT", s * 1000)), st.just(("KEEPTTL",)),
)

COMMANDS = st.one_of(
    st.builds(lambda k, v, cond, get, exp: ("SET", k, v, *cond, *get, *exp), KEYS, VALUES,
              _optional(("NX",), ("XX",)), _optional(("GET",)), _set_expiry),
    _cmd("GET", KEYS), _cmd("GETDEL", KEYS), _cmd("GETSET", KEYS, VALUES), _cmd("STRLEN", KEYS),
    st.builds(lambda k, exp: ("GETEX", k, *exp), KEYS,
              st.one_of(st.just(()), st.just(("PERSIST",)), FAR_SECONDS.map(lambda s: ("EX", s)))),
    _cmd("MGET", KEYS, KEYS, KEYS), _cmd("MSET", KEYS, VALUES, KEYS, VALUES), _cmd("MSETNX", KEYS, VALUES, KEYS, VALUES),
    _cmd("SETNX", KEYS, VALUES), _cmd("SETEX", KEYS, FAR_SECONDS, VALUES), _cmd("APPEND", KEYS, VALUES),
    _cmd("GETRANGE", KEYS, SMALL_INT, SMALL_INT), _cmd("SETRANGE", KEYS, SMALL_INT, VALUES),
    _cmd("INCR", KEYS), _cmd("DECR", KEYS), _cmd("INCRBY", KEYS, SMALL_INT), _cmd("DECRBY", KEYS, SMALL_INT),
    _cmd("INCRBYFLOAT", KEYS, VALUES),
    st.builds(lambda a, b, opt: ("LCS", a, b, *opt), KEYS, KEYS,
              _optional(("LEN",), ("IDX",), ("IDX", "WITHMATCHLEN", "MINMATCHLEN", "2"))),
    _cmd("DEL", KEYS, KEYS), _cmd("UNLINK", KEYS), _cmd("EXISTS", KEYS, KEYS), _cmd("TYPE", KEYS),
    _cmd("TOUCH", KEYS), _cmd("RENAME", KEYS, KEYS), _cmd("RENAMENX", KEYS, KEYS),
    st.builds(lambda a, b, opt: ("COPY", a, b, *opt), KEYS, KEYS, _optional(("REPLACE",), ("DB", "1"))),
    _cmd("MOVE", KEYS, DBS), _cmd("SWAPDB", DBS, DBS), _cmd("SELECT", DBS),
    # GT/LT only with absolute times: two relative ones with the same TTL compare by the servers' clocks
    st.builds(lambda k, s, f: ("EXPIRE", k, s, *f), KEYS, FAR_SECONDS, _optional(("NX",), ("XX",))),
    st.builds(lambda k, s, f: ("PEXPIREAT", k, s * 1000, *f), KEYS, FAR_AT, _optional(("GT",), ("LT",))),
    _cmd("EXPIRE", KEYS, st.just("-1")), _cmd("PERSIST", KEYS), _cmd("TTL", KEYS), _cmd("PTTL", KEYS),
    _cmd("EXPIRETIME", KEYS), _cmd("PEXPIRETIME", KEYS),
    _cmd("OBJECT", "ENCODING", KEYS), _cmd("OBJECT", "REFCOUNT", KEYS), _cmd("DBSIZE"),
    _cmd("KEYS", st.sampled_from(["*", "a", "[ab]", "?", "*c*", "[^a]"])),
    _cmd("SCAN", "0", "COUNT", "100"), _cmd("RPUSH", KEYS, VALUES),
)

# commands whose integer reply is a clock reading, with the rounding step that may separate the servers
_CLOCK_TOLERANCE = {"TTL": 1, "PTTL": 1000, "EXPIRETIME": 1, "PEXPIRETIME": 1000}


def _parse(raw: bytes):
    reader = hiredis.Reader()
    reader.feed(raw)
    return reader.gets()


def _compare(diff, command: tuple) -> None:
    args = [str(a) for a in command]
    expected, actual = diff.both(*args)
    name = args[0].upper()
    if name in ("KEYS", "SCAN") and expected[:1] == b"*":
        e, a = _parse(expected), _parse(actual)
        if name == "SCAN":
            assert a[0] == e[0] == b"0", args
            e, a = e[1], a[1]
        assert sorted(a) == sorted(e), f"{args}: redis {e!r} dynamis {a!r}"
    elif name in _CLOCK_TOLERANCE and expected[:1] == b":" and actual[:1] == b":":
        e, a = int(expected[1:-2]), int(actual[1:-2])
        assert abs(e - a) <= _CLOCK_TOLERANCE[name] and (e < 0) == (a < 0), f"{args}: redis {e} dynamis {a}"
    else:
        assert actual == expected, f"{args}:\n  redis:   {expected!r}\n  dynamis: {actual!r}"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(commands=st.lists(COMMANDS, min_size=1, max_size=25))
def test_string_key_expiry_sequences(diff, commands):
    diff.both("SELECT", "0")
    diff.both("FLUSHALL")
    for command in commands:
        _compare(diff, command)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(commands=st.lists(COMMANDS, min_size=1, max_size=15))
def test_string_key_expiry_sequences_resp3(diff3, commands):
    diff3.both("SELECT", "0")
    diff3.both("FLUSHALL")
    for command in commands:
        _compare(diff3, command)
