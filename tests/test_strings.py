"""String commands (t_string.c) against real redis-server, plus redis-py sync and asyncio clients."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamis.kv.longdouble import format_human, parse_long_double


def fixture_settings(max_examples: int) -> settings:
    """Hypothesis settings for tests that reuse a function-scoped fixture (the differential pair)."""
    return settings(max_examples=max_examples, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_set_options(diff):
    diff.check_all([
        ("SET", "k", "v"), ("GET", "k"),
        ("SET", "k", "v2", "NX"), ("SET", "k", "v2", "XX"), ("GET", "k"),
        ("SET", "nk", "v", "XX"), ("GET", "nk"),
        ("SET", "k", "v3", "XX", "GET"), ("SET", "nk", "v", "NX", "GET"), ("SET", "nk", "w", "NX", "GET"),
        ("SET", "k", "x", "GET", "NX"), ("SET", "fresh", "x", "GET", "XX"), ("EXISTS", "fresh"),
        ("SET", "k", "v", "EX", "100"), ("TTL", "k"),
        ("SET", "k", "v", "KEEPTTL"), ("TTL", "k"),
        ("SET", "k", "v"), ("TTL", "k"),
        ("SET", "k", "v", "PX", "100000"), ("TTL", "k"),
        ("SET", "k", "v", "EXAT", "4000000000"), ("EXPIRETIME", "k"),
        ("SET", "k", "v", "PXAT", "4000000000123"), ("PEXPIRETIME", "k"),
        ("SET", "k", "v", "ex", "10", "ex", "20"), ("TTL", "k"),
        ("SET", "k", "v", "nx", "nx"), ("SET", "k", "v", "get", "get"),
        ("SET", "k", "v", "Ex", "5", "kEePtTl"), ("SET", "k", "v", "KEEPTTL", "EX", "5"),
        ("SET", "k", "v", "EX", "5", "PX", "5000"), ("SET", "k", "v", "PX", "5", "EXAT", "5"),
        ("SET", "k", "v", "EXAT", "5", "PXAT", "5"), ("SET", "k", "v", "PXAT", "5", "EX", "5"),
        ("SET", "k", "v", "NX", "XX"), ("SET", "k", "v", "XX", "NX"),
        ("SET", "k", "v", "EX"), ("SET", "k", "v", "PX"), ("SET", "k", "v", "FOO"), ("SET", "k", "v", "PERSIST"),
        ("SET", "k", "v", "EX", "0"), ("SET", "k", "v", "EX", "-1"), ("SET", "k", "v", "PX", "0"),
        ("SET", "k", "v", "EX", "abc"), ("SET", "k", "v", "EX", "1.5"), ("SET", "k", "v", "EX", " 1"),
        ("SET", "k", "v", "EX", "9223372036854775"), ("SET", "k", "v", "EX", "9223372036854776"),
        ("SET", "k", "v", "PX", "9223372036854775807"), ("SET", "k", "v", "EXAT", "9223372036854775"),
        ("SET", "k", "v", "PXAT", "9223372036854775807"), ("SET", "k", "v", "PXAT", "9223372036854775808"),
        ("SET", "k", "v", "EXAT", "1"), ("GET", "k"), ("EXISTS", "k"),
        ("SET",), ("SET", "k"),
        ("LPUSH", "list", "a"), ("SET", "list", "v", "GET"), ("TYPE", "list"), ("SET", "list", "v"), ("TYPE", "list"),
    ])


def test_set_option_with_nul_byte(diff):
    # Redis compares options as C strings: "nx\0..." is NX
    diff.check("SET", "k", "v", b"nx\x00junk")
    diff.check("SET", "k", "v", b"nx\x00junk")


@pytest.mark.parametrize("cmd", ["SETEX", "PSETEX"])
def test_setex_psetex(diff, cmd):
    diff.check_all([
        (cmd, "k", "100000", "v"), ("GET", "k"), ("TTL", "k"),
        (cmd, "k", "0", "v"), (cmd, "k", "-5", "v"), (cmd, "k", "x", "v"), (cmd, "k", "9223372036854775807", "v"),
        (cmd, "k", "v"), ("LPUSH", "l", "a"), (cmd, "l", "100", "v"), ("TYPE", "l"),
    ])


def test_setnx_getset_getdel(diff):
    diff.check_all([
        ("SETNX", "k", "a"), ("SETNX", "k", "b"), ("GET", "k"),
        ("EXPIRE", "k", "100"), ("GETSET", "k", "c"), ("TTL", "k"), ("GETSET", "nokey", "v"), ("GET", "nokey"),
        ("GETDEL", "k"), ("GETDEL", "k"), ("EXISTS", "k"),
        ("LPUSH", "l", "a"), ("GETSET", "l", "x"), ("GETDEL", "l"), ("SETNX", "l", "x"), ("TYPE", "l"),
    ])


def test_getex(diff):
    diff.check_all([
        ("GETEX", "nokey"), ("GETEX", "nokey", "EX", "abc"), ("GETEX", "nokey", "FOO"),
        ("SET", "k", "v"), ("GETEX", "k"), ("TTL", "k"),
        ("GETEX", "k", "EX", "100"), ("TTL", "k"), ("GETEX", "k", "PERSIST"), ("TTL", "k"),
        ("GETEX", "k", "PX", "200000"), ("TTL", "k"), ("GETEX", "k", "EXAT", "4000000000"), ("EXPIRETIME", "k"),
        ("GETEX", "k", "PXAT", "4000000000000"), ("PEXPIRETIME", "k"),
        ("GETEX", "k", "EX", "0"), ("GETEX", "k", "EX", "-1"), ("GETEX", "k", "EX", "x"),
        ("GETEX", "k", "PERSIST", "EX", "10"), ("GETEX", "k", "EX", "10", "PERSIST"), ("GETEX", "k", "NX"),
        ("GETEX", "k", "KEEPTTL"), ("GETEX", "k", "GET"), ("GETEX", "k", "EX"),
        ("GETEX", "k", "PERSIST", "PERSIST"), ("GETEX", "k", "EX", "10", "EX", "20"), ("TTL", "k"),
        ("GETEX", "k", "EXAT", "1"), ("EXISTS", "k"),
        ("SET", "k", "v"), ("GETEX", "k", "PXAT", "1"), ("EXISTS", "k"),
        ("LPUSH", "l", "a"), ("GETEX", "l"), ("GETEX", "l", "EX", "x"),
    ])


def test_mget_mset_msetnx(diff):
    diff.check_all([
        ("MSET", "a", "1", "b", "2"), ("MGET", "a", "b", "c"), ("MSET", "a"), ("MSET", "a", "1", "b"),
        ("LPUSH", "l", "x"), ("MGET", "a", "l", "a"),
        ("MSETNX", "a", "9", "z", "9"), ("MGET", "a", "z"), ("MSETNX", "y", "1", "z", "2"), ("MGET", "y", "z"),
        ("MSETNX", "q", "1", "q", "2"), ("GET", "q"), ("MSETNX", "w"), ("MSETNX", "w", "1", "x"),
        ("EXPIRE", "a", "100"), ("MSET", "a", "5"), ("TTL", "a"), ("MSET", "l", "v"), ("TYPE", "l"),
    ])


def test_append_strlen(diff):
    diff.check_all([
        ("APPEND", "k", "hello"), ("APPEND", "k", " world"), ("GET", "k"), ("STRLEN", "k"), ("STRLEN", "nokey"),
        ("APPEND", "e", ""), ("EXISTS", "e"), ("GET", "e"), ("OBJECT", "ENCODING", "e"),
        ("SET", "n", "12"), ("APPEND", "n", "3"), ("GET", "n"), ("OBJECT", "ENCODING", "n"), ("INCR", "n"),
        ("OBJECT", "ENCODING", "n"), ("EXPIRE", "k", "100"), ("APPEND", "k", "!"), ("TTL", "k"),
        ("APPEND", "new", "5"), ("OBJECT", "ENCODING", "new"), ("STRLEN", "new"),
        ("LPUSH", "l", "a"), ("APPEND", "l", "x"), ("STRLEN", "l"),
    ])


def test_append_is_in_place(server, r):
    r.set("app", "x")
    r.append("app", "y")
    value = server.server.keyspace.dbs[0].data[b"app"]
    assert type(value) is bytearray
    for _ in range(200):
        r.append("app", "z" * 100)
    assert server.server.keyspace.dbs[0].data[b"app"] is value  # grown in place, never copied
    assert r.strlen("app") == 2 + 200 * 100


def test_getrange_substr(diff):
    diff.check("SET", "k", "This is a string")
    for cmd in ("GETRANGE", "SUBSTR"):
        for start, end in [(0, 3), (-3, -1), (0, -1), (10, 100), (5, 3), (-1, -5), (-100, -90), (-100, 2),
                           (100, 200), (3, -100), (0, 0), (-1, -1), ("x", 1), (1, "9223372036854775808")]:
            diff.check(cmd, "k", start, end)
        diff.check(cmd, "nokey", 0, -1)
        diff.check(cmd, "nokey", "a", -1)
    diff.check("SET", "n", "-12345")
    diff.check("GETRANGE", "n", 1, 2)
    diff.check("SET", "e", "")
    diff.check("GETRANGE", "e", 0, -1)
    diff.check("LPUSH", "l", "a")
    diff.check("GETRANGE", "l", 0, 1)


def test_setrange(diff):
    diff.check_all([
        ("SETRANGE", "k", "0", "hello"), ("SETRANGE", "k", "10", "x"), ("GET", "k"), ("OBJECT", "ENCODING", "k"),
        ("SETRANGE", "k", "2", "ZZ"), ("GET", "k"), ("SETRANGE", "k", "3", ""), ("SETRANGE", "nokey", "5", ""),
        ("EXISTS", "nokey"), ("SETRANGE", "k", "-1", "x"), ("SETRANGE", "k", "x", "y"),
        ("SETRANGE", "k", "536870911", ""), ("SETRANGE", "k", "536870912", "x"),
        ("SETRANGE", "k", "536870911", "xy"), ("SETRANGE", "new", "536870912", "x"),
        ("SET", "n", "1234"), ("SETRANGE", "n", "1", "9"), ("GET", "n"), ("OBJECT", "ENCODING", "n"),
        ("EXPIRE", "n", "100"), ("SETRANGE", "n", "0", "5"), ("TTL", "n"),
        ("SET", "emb", "abc"), ("SETRANGE", "emb", "1", ""), ("OBJECT", "ENCODING", "emb"),
        ("LPUSH", "l", "a"), ("SETRANGE", "l", "0", "x"), ("SETRANGE", "l", "0", ""), ("SETRANGE", "l", "-1", "x"),
    ])


def test_proto_max_bulk_len(diff, server):
    config = server.server.config
    diff.redis.call("CONFIG", "SET", "proto-max-bulk-len", "1mb")
    config.apply("proto-max-bulk-len", ["1mb"], at_startup=False)
    try:
        diff.check("SETRANGE", "k", 1048576, "x")
        diff.check("SETRANGE", "k", 1048575, "x")
        diff.check("APPEND", "k", "y")
        diff.check("APPEND", "k", "")
        diff.check("STRLEN", "k")
    finally:
        diff.redis.call("CONFIG", "SET", "proto-max-bulk-len", "512mb")
        config.apply("proto-max-bulk-len", ["512mb"], at_startup=False)


def test_incr_decr(diff):
    diff.check_all([
        ("INCR", "n"), ("INCR", "n"), ("DECR", "n"), ("DECR", "n"), ("DECR", "n"), ("INCRBY", "n", "100"),
        ("DECRBY", "n", "50"), ("INCRBY", "n", "-7"), ("DECRBY", "n", "-7"), ("GET", "n"),
        ("INCRBY", "n", "x"), ("INCRBY", "n", "1.5"), ("INCRBY", "n", " 1"), ("INCRBY", "n", "+1"),
        ("INCRBY", "n", "01"), ("DECRBY", "n", "9223372036854775808"),
        ("SET", "n", "9223372036854775806"), ("INCR", "n"), ("INCR", "n"), ("GET", "n"),
        ("SET", "n", "-9223372036854775807"), ("DECR", "n"), ("DECR", "n"), ("DECRBY", "n", "-9223372036854775808"),
        ("SET", "n", "0"), ("DECRBY", "n", "-9223372036854775808"), ("INCRBY", "n", "-9223372036854775808"),
        ("SET", "n", "5"), ("INCRBY", "n", "9223372036854775807"),
        ("SET", "s", "abc"), ("INCR", "s"), ("SET", "s", " 1"), ("INCR", "s"), ("SET", "s", "1 "), ("INCR", "s"),
        ("SET", "s", "01"), ("INCR", "s"), ("SET", "s", "-0"), ("INCR", "s"), ("SET", "s", "1.0"), ("INCR", "s"),
        ("SET", "s", "99999999999999999999"), ("INCR", "s"), ("SET", "s", ""), ("INCR", "s"),
        ("SET", "t", "10"), ("EXPIRE", "t", "100"), ("INCR", "t"), ("TTL", "t"),
        ("SET", "r", "1"), ("APPEND", "r", "0"), ("INCR", "r"), ("OBJECT", "ENCODING", "r"),
        ("LPUSH", "l", "a"), ("INCR", "l"), ("DECRBY", "l", "1"),
    ])


def test_encodings_and_refcount(diff):
    values = ["0", "1", "9999", "10000", "-1", "123456789", "9223372036854775807", "-9223372036854775808",
              "9223372036854775808", "12345678901234567890", "01", "+1", " 1", "1.5", "abc", "a" * 44, "a" * 45,
              "1" * 21, "", "-0"]
    for i, value in enumerate(values):
        key = f"enc{i}"
        diff.check("SET", key, value)
        diff.check("OBJECT", "ENCODING", key)
        diff.check("OBJECT", "REFCOUNT", key)
    diff.check("SET", "f", "1.5")
    diff.check("INCRBYFLOAT", "f", "0.5")
    diff.check("OBJECT", "ENCODING", "f")
    diff.check("OBJECT", "REFCOUNT", "f")
    diff.check("INCRBYFLOAT", "f", "1e30")
    diff.check("OBJECT", "ENCODING", "f")
    diff.check("INCRBYFLOAT", "f", "1e50")
    diff.check("OBJECT", "ENCODING", "f")
    diff.check("INCR", "i")
    diff.check("OBJECT", "ENCODING", "i")
    diff.check("OBJECT", "REFCOUNT", "i")
    diff.check("INCRBY", "i", "100000")
    diff.check("OBJECT", "REFCOUNT", "i")


def test_incrbyfloat_cases(diff):
    diff.check_all([
        ("INCRBYFLOAT", "f", "1.1"), ("INCRBYFLOAT", "f", "2.2"), ("GET", "f"), ("INCRBYFLOAT", "f", "-3.3"),
        ("INCRBYFLOAT", "f", "1e200"), ("INCRBYFLOAT", "f", "-1e200"), ("INCRBYFLOAT", "f", "1e400"),
        ("INCRBYFLOAT", "f", "inf"), ("INCRBYFLOAT", "f", "-inf"), ("INCRBYFLOAT", "f", "nan"),
        ("INCRBYFLOAT", "f", "1e5000"), ("INCRBYFLOAT", "f", "1e-5000"), ("INCRBYFLOAT", "f", "abc"),
        ("INCRBYFLOAT", "f", " 1"), ("INCRBYFLOAT", "f", "1 "), ("INCRBYFLOAT", "f", ""), ("INCRBYFLOAT", "f", "0x1p3"),
        ("INCRBYFLOAT", "f", ".5"), ("INCRBYFLOAT", "f", "5."), ("INCRBYFLOAT", "f", "+2"), ("INCRBYFLOAT", "f", "1e"),
        ("INCRBYFLOAT", "f", "0x"), ("INCRBYFLOAT", "f", "infinity"), ("INCRBYFLOAT", "f", "1" + "0" * 5200),
        ("SET", "g", "inf"), ("INCRBYFLOAT", "g", "1"), ("SET", "g", "abc"), ("INCRBYFLOAT", "g", "1"),
        ("SET", "g", "0x10"), ("INCRBYFLOAT", "g", "0"), ("SET", "g", "1e4932"), ("INCRBYFLOAT", "g", "1e4932"),
        ("SET", "g", "1.18e4932"), ("INCRBYFLOAT", "g", "0"), ("STRLEN", "g"),
        ("SET", "h", "0"), ("INCRBYFLOAT", "h", "0.000003814697265625"), ("INCRBYFLOAT", "h", "-1e-30"),
        ("SET", "h", "-0.0"), ("INCRBYFLOAT", "h", "0"), ("INCRBYFLOAT", "h", "-1e-18"),
        ("SET", "t", "1"), ("EXPIRE", "t", "100"), ("INCRBYFLOAT", "t", "1"), ("TTL", "t"),
        ("LPUSH", "l", "a"), ("INCRBYFLOAT", "l", "1"), ("INCRBYFLOAT", "l", "x"),
    ])


_number = st.one_of(
    st.integers(-(10**25), 10**25).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.builds(lambda m, e: f"{m}e{e}", st.integers(-999999, 999999), st.integers(-320, 320)),
    st.builds(lambda i, f: f"{i}.{f}", st.integers(-1000, 1000), st.integers(0, 10**20)),
    st.decimals(allow_nan=False, allow_infinity=False, places=18).map(str),
    st.builds(lambda m, e: f"0x{m:x}p{e}", st.integers(0, 2**70), st.integers(-100, 100)),
    st.sampled_from(["0", "-0", "1e4931", "1e-4950", "1e-4940", "3.4e-4932", "0.1", "1.1", "4.35", "inf", "nan",
                     "1e308", "2.5e-20", "0.000000000000000005"]),
)


@fixture_settings(150)
@given(base=_number, incr=_number)
def test_incrbyfloat_differential(diff, base, incr):
    diff.check("SET", "f", base)
    diff.check("INCRBYFLOAT", "f", incr)
    diff.check("GET", "f")
    diff.check("INCRBYFLOAT", "f", incr)


def test_long_double_round_trip():
    # what INCRBYFLOAT k 0 prints for a value it stored is that value again
    for text in [b"1.1", b"3.14159", b"-0.00000381469726562", b"123456789"]:
        value = parse_long_double(text)
        assert format_human(value) == text


def test_lcs_options(diff, diff3):
    for d in (diff, diff3):
        d.check_all([
            ("SET", "a", "ohmytext"), ("SET", "b", "mynewtext"),
            ("LCS", "a", "b"), ("LCS", "a", "b", "LEN"), ("LCS", "a", "b", "IDX"),
            ("LCS", "a", "b", "IDX", "MINMATCHLEN", "4"), ("LCS", "a", "b", "IDX", "WITHMATCHLEN"),
            ("LCS", "a", "b", "IDX", "MINMATCHLEN", "-5", "WITHMATCHLEN"), ("LCS", "a", "b", "LEN", "WITHMATCHLEN"),
            ("LCS", "a", "b", "LEN", "MINMATCHLEN", "3"), ("LCS", "a", "b", "IDX", "LEN"),
            ("LCS", "a", "b", "MINMATCHLEN"), ("LCS", "a", "b", "MINMATCHLEN", "x"), ("LCS", "a", "b", "FOO"),
            ("LCS", "a", "nokey"), ("LCS", "nokey", "nokey2", "IDX"), ("LCS", "a", "a", "IDX", "WITHMATCHLEN"),
            ("LPUSH", "l", "x"), ("LCS", "a", "l"), ("LCS", "l", "a", "FOO"), ("LCS", "a"),
        ])


@fixture_settings(80)
@given(a=st.text("abc", max_size=25), b=st.text("abc", max_size=25), minlen=st.integers(0, 4))
def test_lcs_differential(diff, a, b, minlen):
    diff.check("MSET", "a", a, "b", b)
    diff.check("LCS", "a", "b")
    diff.check("LCS", "a", "b", "LEN")
    diff.check("LCS", "a", "b", "IDX", "MINMATCHLEN", minlen, "WITHMATCHLEN")


def test_resp3_replies(diff3):
    diff3.check_all([
        ("SET", "k", "v", "GET"), ("GET", "nokey"), ("SET", "k", "v", "NX"), ("GETEX", "nokey"), ("GETDEL", "nokey"),
        ("MGET", "k", "nokey"), ("INCRBYFLOAT", "f", "1.5"), ("OBJECT", "ENCODING", "nokey"), ("SETNX", "k", "v"),
    ])


def test_redis_py_sync(r, r2):
    for client in (r, r2):
        client.flushall()
        assert client.set("k", "v", ex=100, get=True) is None
        assert client.get("k") == b"v"
        assert 99 <= client.ttl("k") <= 100
        assert client.getex("k", persist=True) == b"v"
        assert client.ttl("k") == -1
        assert client.incrbyfloat("f", 1.1) == pytest.approx(1.1)
        assert client.get("f") == b"1.1"
        assert client.mset({"a": 1, "b": 2}) is True
        assert client.mget("a", "b", "c") == [b"1", b"2", None]
        assert client.msetnx({"a": 1, "z": 2}) is False
        assert client.incrby("a", 10) == 11
        assert client.setrange("s", 2, "xy") == 4
        assert client.get("s") == b"\x00\x00xy"
        assert client.lcs("a", "b") == b""
        assert client.getdel("a") == b"11"


async def test_redis_py_asyncio(ar):
    assert await ar.set("k", "v") is True
    assert await ar.append("k", "w") == 2
    assert await ar.get("k") == b"vw"
    assert await ar.incr("n") == 1
    assert await ar.decrby("n", 5) == -4
    assert await ar.getset("n", "x") == b"-4"
    assert await ar.strlen("k") == 2
    assert await ar.getrange("k", 0, 0) == b"v"
    assert await ar.setnx("k", "z") is False
