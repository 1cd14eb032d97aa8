"""Keyspace commands (db.c, object.c) and glob patterns against real redis-server and redis-py."""

from __future__ import annotations

import time

import hiredis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamis.kv.glob import glob_match


def fixture_settings(max_examples: int) -> settings:
    return settings(max_examples=max_examples, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _parse(raw: bytes):
    reader = hiredis.Reader()
    reader.feed(raw)
    return reader.gets()


def check_unordered(diff, *args):
    """Replies that are arrays in hash order (KEYS): same elements on both servers."""
    expected, actual = diff.both(*args)
    if expected.startswith(b"*"):
        assert sorted(_parse(actual)) == sorted(_parse(expected)), args
    else:
        assert actual == expected, args


def test_del_unlink_exists_touch_type(diff):
    diff.check_all([
        ("MSET", "a", "1", "b", "2", "c", "3"), ("LPUSH", "l", "x"),
        ("EXISTS", "a", "a", "nokey", "l"), ("TOUCH", "a", "a", "nokey", "l"), ("TYPE", "a"), ("TYPE", "l"),
        ("TYPE", "nokey"), ("DEL", "a", "nokey", "a"), ("UNLINK", "b", "l", "zz"), ("EXISTS", "a", "b", "c", "l"),
        ("DEL",), ("EXISTS",), ("TYPE", "a", "b"), ("DBSIZE",), ("DBSIZE", "x"),
    ])


def test_rename(diff):
    diff.check_all([
        ("RENAME", "nokey", "x"), ("RENAMENX", "nokey", "x"), ("RENAME", "nokey", "nokey"),
        ("SET", "a", "1"), ("RENAME", "a", "a"), ("RENAMENX", "a", "a"), ("EXPIRE", "a", "100"),
        ("RENAME", "a", "b"), ("EXISTS", "a"), ("GET", "b"), ("TTL", "b"),
        ("SET", "c", "3"), ("RENAMENX", "b", "c"), ("RENAMENX", "b", "d"), ("TTL", "d"),
        ("RENAME", "d", "c"), ("GET", "c"), ("TTL", "c"), ("SET", "e", "x", "EX", "50"), ("SET", "f", "y"),
        ("RENAME", "f", "e"), ("TTL", "e"), ("LPUSH", "l", "1"), ("RENAME", "l", "e"), ("TYPE", "e"),
    ])


def test_copy(diff):
    diff.check_all([
        ("SET", "a", "1"), ("EXPIRE", "a", "100"), ("COPY", "a", "b"), ("GET", "b"), ("TTL", "b"),
        ("COPY", "a", "b"), ("COPY", "a", "b", "REPLACE"), ("COPY", "a", "a"), ("COPY", "a", "a", "DB", "0"),
        ("COPY", "a", "a", "DB", "1"), ("COPY", "a", "a", "DB", "1"), ("COPY", "a", "a", "DB", "1", "replace"),
        ("COPY", "nokey", "x"), ("COPY", "a", "x", "DB", "16"), ("COPY", "a", "x", "DB", "-1"),
        ("COPY", "a", "x", "DB", "x"), ("COPY", "a", "x", "DB", "4294967296"), ("COPY", "a", "x", "DB"),
        ("COPY", "a", "x", "FOO"), ("COPY", "a"),
        ("APPEND", "r", "x"), ("APPEND", "r", "y"), ("COPY", "r", "r2"), ("APPEND", "r", "z"), ("GET", "r2"),
        ("OBJECT", "ENCODING", "r2"), ("SET", "n", "5"), ("COPY", "n", "n2"), ("OBJECT", "ENCODING", "n2"),
        ("RPUSH", "l", "1", "2"), ("COPY", "l", "l2"), ("RPUSH", "l", "3"), ("LRANGE", "l2", "0", "-1"),
        ("SELECT", "1"), ("GET", "a"), ("TTL", "a"), ("SELECT", "0"),
    ])


def test_move_and_swapdb(diff):
    diff.check_all([
        ("SET", "a", "1"), ("EXPIRE", "a", "100"), ("MOVE", "a", "0"), ("MOVE", "a", "1"), ("EXISTS", "a"),
        ("MOVE", "a", "1"), ("MOVE", "a", "16"), ("MOVE", "a", "-1"), ("MOVE", "a", "x"),
        ("SET", "a", "2"), ("MOVE", "a", "1"), ("SELECT", "1"), ("GET", "a"), ("TTL", "a"), ("SELECT", "0"),
        ("SWAPDB", "0", "1"), ("GET", "a"), ("TTL", "a"), ("SWAPDB", "1", "0"), ("GET", "a"), ("SWAPDB", "0", "0"),
        ("SWAPDB", "x", "0"), ("SWAPDB", "0", "x"), ("SWAPDB", "x", "y"), ("SWAPDB", "0", "16"),
        ("SWAPDB", "-1", "0"), ("SWAPDB", "4294967296", "0"), ("SWAPDB", "0"),
        ("SELECT", "1"), ("FLUSHDB",), ("SELECT", "0"),
    ])


def test_flush_and_dbsize(diff):
    diff.check_all([
        ("MSET", "a", "1", "b", "2"), ("DBSIZE",), ("FLUSHDB", "ASYNC"), ("DBSIZE",), ("SET", "a", "1"),
        ("FLUSHDB", "sync"), ("FLUSHDB", "foo"), ("FLUSHDB", "async", "sync"), ("FLUSHALL", "x"),
        ("SET", "a", "1"), ("FLUSHALL", "ASYNC"), ("DBSIZE",), ("SET", "a", "1"), ("FLUSHALL",), ("DBSIZE",),
    ])


def test_flush_async_frees_big_database(r):
    with r.pipeline(transaction=False) as pipe:
        for i in range(0, 5000, 500):
            pipe.mset({f"big:{j}": j for j in range(i, i + 500)})
        pipe.execute()
    assert r.dbsize() == 5000
    assert r.flushdb(asynchronous=True) is True
    assert r.dbsize() == 0
    r.set("after", "1")
    assert r.get("after") == b"1"


def test_randomkey(diff, r):
    diff.check("RANDOMKEY")
    diff.check("SET", "only", "1")
    diff.check("RANDOMKEY")
    r.delete("only")
    r.mset({"x": 1, "y": 2, "z": 3})
    seen = {r.randomkey() for _ in range(100)}
    assert seen == {b"x", b"y", b"z"}
    r.pexpire("x", 1)
    r.pexpire("y", 1)
    r.pexpire("z", 1)
    time.sleep(0.01)
    assert r.randomkey() is None


KEYS = ["", "a", "b", "ab", "abc", "a*c", "a?c", "hello", "hallo", "hxllo", "hllo", "heeeello", "h[a]llo", "x\\y",
        b"\xe9t\xe9", b"\xff", b"\x00", "A", "-", "]", "^", "user:1", "user:10", "user:2:name"]
PATTERNS = ["*", "**", "?", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h[b-a]llo", "[", "[a", "[^",
            "\\", "a\\*c", "a\\?c", "h\\[a]llo", "x\\\\y", "user:*", "user:?", "user:*:name", "*:*", "[]]", "[\\]]",
            b"[a-\xff]", b"[\xe9]t*", b"\x00", "[^a-z]", "*a*b*c*", "a*", "*c", "[a-]", "[-a]", "x\\", "[\\", "?*?"]


def test_keys_patterns(diff):
    diff.check("MSET", *[part for key in KEYS for part in (key, "v")])
    for pattern in PATTERNS:
        check_unordered(diff, "KEYS", pattern)
    check_unordered(diff, "KEYS")
    diff.check("PEXPIRE", "hello", "1")
    time.sleep(0.01)
    check_unordered(diff, "KEYS", "h*")


# A literal port of Redis 7.0 util.c stringmatchlen_impl (signed chars, NUL-terminated pattern).
def _signed(c):
    return c - 256 if c >= 128 else c


def _lower(c):
    return c + 32 if 65 <= c <= 90 else c


def reference_match(p: bytes, s: bytes, nocase: bool = False) -> bool:
    pat = p + b"\0"
    skip = [False]

    def impl(pi, pl, si, sl):
        while pl and sl:
            c = pat[pi]
            if c == 42:
                while pl and pat[pi + 1] == 42:
                    pi += 1
                    pl -= 1
                if pl == 1:
                    return True
                while sl:
                    if impl(pi + 1, pl - 1, si, sl):
                        return True
                    if skip[0]:
                        return False
                    si += 1
                    sl -= 1
                skip[0] = True
                return False
            elif c == 63:
                si += 1
                sl -= 1
            elif c == 91:
                pi += 1
                pl -= 1
                negate = pat[pi] == 94
                if negate:
                    pi += 1
                    pl -= 1
                match = False
                while True:
                    if pat[pi] == 92 and pl >= 2:
                        pi += 1
                        pl -= 1
                        match |= pat[pi] == s[si]
                    elif pat[pi] == 93:
                        break
                    elif pl == 0:
                        pi -= 1
                        pl += 1
                        break
                    elif pl >= 3 and pat[pi + 1] == 45:
                        lo, hi, x = _signed(pat[pi]), _signed(pat[pi + 2]), _signed(s[si])
                        if lo > hi:
                            lo, hi = hi, lo
                        if nocase:
                            lo, hi, x = _lower(lo), _lower(hi), _lower(x)
                        pi += 2
                        pl -= 2
                        match |= lo <= x <= hi
                    elif nocase:
                        match |= _lower(pat[pi]) == _lower(s[si])
                    else:
                        match |= pat[pi] == s[si]
                    pi += 1
                    pl -= 1
                if negate:
                    match = not match
                if not match:
                    return False
                si += 1
                sl -= 1
            else:
                if c == 92 and pl >= 2:
                    pi += 1
                    pl -= 1
                c = pat[pi]
                if (_lower(c) != _lower(s[si])) if nocase else (c != s[si]):
                    return False
                si += 1
                sl -= 1
            pi += 1
            pl -= 1
            if sl == 0:
                while pat[pi] == 42:
                    pi += 1
                    pl -= 1
                break
        return pl == 0 and sl == 0

    return impl(0, len(p), 0, len(s))


_pattern_bytes = st.lists(st.sampled_from(list(b"ab*?[]^-\\Aa\xe9\xff\x00")), max_size=9).map(bytes)
_subject_bytes = st.lists(st.sampled_from(list(b"abA-]\\^*[\xe9\xff\x00")), max_size=7).map(bytes)


@settings(max_examples=800, deadline=None)
@given(pattern=_pattern_bytes, subject=_subject_bytes, nocase=st.booleans())
def test_glob_matches_stringmatchlen(pattern, subject, nocase):
    assert glob_match(pattern, subject, nocase) == reference_match(pattern, subject, nocase)


def test_glob_star_patterns_stay_fast():
    # Redis bounds `*a*a*a...` with skipLongerMatches; a naive backtracking regex would not finish
    assert not glob_match(b"*a" * 30 + b"*b", b"a" * 5000)
    assert glob_match(b"*a*a*a*b", b"a" * 5000 + b"b")


@fixture_settings(60)
@given(patterns=st.lists(_pattern_bytes, min_size=1, max_size=5))
def test_keys_glob_differential(diff, patterns):
    diff.check("FLUSHALL")
    diff.check("MSET", *[part for key in [b"a", b"ab", b"\xe9", b"\xff", b"A", b"-", b"]", b"a\x00b", b"[", b"\\"]
                         for part in (key, b"v")])
    for pattern in patterns:
        check_unordered(diff, "KEYS", pattern)


def _scan_all(r, **kwargs):
    cursor, seen, calls = 0, [], 0
    while True:
        cursor, keys = r.scan(cursor, **kwargs)
        seen.extend(keys)
        calls += 1
        if cursor == 0:
            return seen, calls


def test_scan_errors_and_options(diff):
    diff.check_all([
        ("SCAN", "0"), ("SCAN", "x"), ("SCAN", "1.5"), ("SCAN", " 0"), ("SCAN", "18446744073709551616"),
        ("SCAN", "0", "COUNT", "0"), ("SCAN", "0", "COUNT", "-1"), ("SCAN", "0", "COUNT", "x"),
        ("SCAN", "0", "COUNT"), ("SCAN", "0", "MATCH"), ("SCAN", "0", "TYPE"), ("SCAN", "0", "FOO", "x"),
        ("SCAN", "", "COUNT", "10"), ("SCAN", "+0"), ("SCAN", "-0"), ("SCAN",),
    ])
    diff.check("MSET", "a1", "1", "a2", "2", "b1", "3")
    diff.check("RPUSH", "la", "x")
    for args in [(), ("MATCH", "a*"), ("MATCH", "*"), ("TYPE", "string"), ("TYPE", "LIST"), ("TYPE", "foo"),
                 ("MATCH", "*a", "TYPE", "list", "COUNT", "100"), ("COUNT", "1000", "MATCH", "b?")]:
        expected, actual = diff.both("SCAN", "0", *args)
        expected, actual = _parse(expected), _parse(actual)
        assert actual[0] == expected[0] == b"0"
        assert sorted(actual[1]) == sorted(expected[1]), args


def test_scan_full_iteration(r):
    r.mset({f"k:{i}": i for i in range(1000)})
    r.rpush("list:1", "x")
    keys, calls = _scan_all(r, count=50)
    assert sorted(keys) == sorted([f"k:{i}".encode() for i in range(1000)] + [b"list:1"])
    assert calls > 10
    matched, _ = _scan_all(r, match="k:1*", count=100)
    assert sorted(matched) == sorted(k.encode() for k in (f"k:{i}" for i in range(1000)) if k.startswith("k:1"))
    typed, _ = _scan_all(r, _type="list", count=100)
    assert typed == [b"list:1"]


def test_scan_guarantee_while_table_changes(r):
    """Every key present for the whole iteration is returned, while keys are added and removed."""
    stable = {f"stable:{i}".encode() for i in range(500)}
    doomed = [f"doomed:{i}".encode() for i in range(500)]
    r.mset({k: 1 for k in stable})
    r.mset({k: 1 for k in doomed})
    cursor, seen, step = 0, set(), 0
    while True:
        cursor, keys = r.scan(cursor, count=20)
        seen.update(keys)
        # grow and shrink between calls
        r.mset({f"new:{step}:{j}": 1 for j in range(30)})
        if doomed:
            r.delete(*doomed[:25])
            del doomed[:25]
        step += 1
        if cursor == 0:
            break
    assert stable <= seen


def test_scan_skips_expired(r):
    r.mset({"live": 1, "dead": 2})
    r.pexpire("dead", 1)
    time.sleep(0.01)
    keys, _ = _scan_all(r)
    assert keys == [b"live"]


def test_object_encoding_refcount_help(diff):
    diff.check_all([
        ("SET", "s", "abc"), ("OBJECT", "ENCODING", "s"), ("OBJECT", "REFCOUNT", "s"), ("OBJECT", "IDLETIME", "s"),
        ("OBJECT", "FREQ", "s"), ("OBJECT", "ENCODING", "nokey"), ("OBJECT", "IDLETIME", "nokey"),
        ("OBJECT", "FREQ", "nokey"), ("OBJECT", "REFCOUNT", "nokey"), ("OBJECT", "HELP"), ("OBJECT", "help", "x"),
        ("OBJECT",), ("OBJECT", "foo"), ("OBJECT", "encoding"), ("OBJECT", "encoding", "a", "b"),
    ])


def test_object_idletime_tracks_access(server, r):
    r.set("idle", "v")
    assert r.object("idletime", "idle") == 0
    db = server.server.keyspace.dbs[0]
    db.access[b"idle"] -= 100  # as if last touched 100 s ago
    assert r.ttl("idle") == -1  # TTL, TYPE, EXISTS and OBJECT do not touch (LOOKUP_NOTOUCH)
    assert r.type("idle") == b"string"
    assert r.exists("idle") == 1
    assert r.object("idletime", "idle") == 100
    assert r.get("idle") == b"v"
    assert r.object("idletime", "idle") == 0
    db.access[b"idle"] -= 50
    r.rename("idle", "idle2")  # the value keeps its clock when it moves (after RENAME's own access)
    assert r.object("idletime", "idle2") == 0


def test_object_freq_under_lfu_policy(server, r):
    config = server.server.config
    config.apply("maxmemory-policy", ["allkeys-lfu"], at_startup=False)
    try:
        r.set("hot", "v")
        r.set("cold", "v")
        assert r.object("freq", "cold") == 5  # LFU_INIT_VAL
        for _ in range(200):
            r.get("hot")
        assert 6 < r.object("freq", "hot") < 20
        r.set("hot", "again")  # an overwrite keeps the counter
        assert r.object("freq", "hot") > 6
        try:
            r.object("idletime", "hot")
            raise AssertionError("IDLETIME must fail under an LFU policy")
        except Exception as exc:  # redis.ResponseError
            assert "An LFU maxmemory policy is selected" in str(exc)
    finally:
        config.apply("maxmemory-policy", ["noeviction"], at_startup=False)


def test_keys_resp3(diff3):
    diff3.check_all([
        ("SET", "a", "1"), ("TYPE", "a"), ("RANDOMKEY",), ("OBJECT", "ENCODING", "nokey"), ("TTL", "a"),
        ("SCAN", "0"), ("KEYS", "a"), ("COPY", "a", "b"), ("OBJECT", "HELP"),
    ])


async def test_keys_asyncio(ar):
    await ar.mset({"a": 1, "b": 2})
    assert await ar.exists("a", "b", "c") == 2
    assert await ar.rename("a", "c") is True
    assert await ar.copy("c", "d") is True
    assert sorted(await ar.keys("*")) == [b"b", b"c", b"d"]
    assert await ar.delete("b", "c", "d") == 3
    assert await ar.dbsize() == 0


def test_populated_keys_share_one_access_clock(server, r):
    """DEBUG POPULATE keys carry no per-key clock until touched, yet report Redis's idle time."""
    r.execute_command("DEBUG", "POPULATE", "50", "pop")
    db = server.server.keyspace.dbs[0]
    assert b"pop:1" in db.data and b"pop:1" not in db.access
    db.loaded_clock -= 30  # populated 30 s ago
    assert r.object("idletime", "pop:1") == 30
    assert r.get("pop:1") == b"value:1"
    assert r.object("idletime", "pop:1") == 0
    assert r.object("idletime", "pop:2") == 30
    r.rename("pop:3", "moved")
    assert r.object("idletime", "moved") == 0


def test_keyspace_events_differential(diff, redis_oracle_port, server):
    """The keyspace notifications of string, key and expiry commands, byte for byte as Redis sends them."""
    from tests.helpers import RawConnection

    subscribers = [RawConnection(redis_oracle_port), RawConnection(server.port)]
    diff.check("CONFIG", "SET", "notify-keyspace-events", "KEA")
    try:
        for sub in subscribers:
            sub.call("PSUBSCRIBE", "__key*__:*")
        diff.check_all([
            ("SET", "a", "1"), ("SET", "a", "2", "EX", "100"), ("SET", "a", "3", "NX"), ("SETNX", "b", "x"),
            ("SETEX", "c", "100", "x"), ("GETSET", "a", "4"), ("APPEND", "a", "5"), ("SETRANGE", "a", "0", "9"),
            ("INCR", "n"), ("DECRBY", "n", "3"), ("INCRBYFLOAT", "n", "1.5"), ("MSET", "x", "1", "y", "2"),
            ("MSETNX", "z", "1"), ("GETEX", "a", "EX", "50"), ("GETEX", "a", "PERSIST"), ("GETEX", "x", "PXAT", "1"),
            ("GETDEL", "y"), ("DEL", "z", "nokey"), ("UNLINK", "b"), ("EXPIRE", "c", "500"), ("PERSIST", "c"),
            ("PEXPIRE", "c", "-1"), ("SET", "r", "1"), ("RENAME", "r", "s"), ("RENAMENX", "s", "t"),
            ("COPY", "t", "u"), ("COPY", "t", "u", "DB", "1"), ("MOVE", "u", "2"), ("EXPIREAT", "t", "1"),
            ("SET", "v", "1", "PX", "1"),
        ])
        time.sleep(0.05)
        diff.check("GET", "v")
        time.sleep(0.1)
        expected, actual = (sub.read_all(0.3) for sub in subscribers)
        assert expected.count(b"pmessage") > 60
        assert actual == expected
    finally:
        diff.check("CONFIG", "SET", "notify-keyspace-events", "")
        for sub in subscribers:
            sub.close()


def _info_field(conn, name: str) -> bytes:
    info = _parse(conn.call("INFO", "stats"))
    return next(line for line in info.split(b"\r\n") if line.startswith(name.encode() + b":"))


def test_keyspace_hits_and_misses_differential(diff):
    diff.check("CONFIG", "RESETSTAT")
    diff.check_all([
        ("SET", "a", "1"), ("GET", "a"), ("GET", "nokey"), ("MGET", "a", "nokey", "a"), ("EXISTS", "a", "nokey"),
        ("TYPE", "a"), ("TYPE", "nokey"), ("TTL", "a"), ("PTTL", "nokey"), ("EXPIRETIME", "a"),
        ("OBJECT", "ENCODING", "a"), ("OBJECT", "ENCODING", "nokey"), ("TOUCH", "a", "nokey"), ("STRLEN", "a"),
        ("GETRANGE", "nokey", "0", "1"), ("LCS", "a", "nokey"), ("GETEX", "a"), ("GETDEL", "nokey"),
        ("GETSET", "a", "2"), ("SET", "a", "3", "GET"), ("COPY", "a", "b"), ("INCR", "n"), ("APPEND", "a", "x"),
        ("SETRANGE", "a", "1", "y"), ("DEL", "a"), ("EXPIRE", "b", "100"), ("PERSIST", "b"), ("RENAME", "b", "c"),
        ("SETNX", "c", "1"), ("MSETNX", "c", "1"), ("INCRBYFLOAT", "f", "1"), ("GETDEL", "c"),
    ])
    for field in ("keyspace_hits", "keyspace_misses"):
        assert _info_field(diff.dynamis, field) == _info_field(diff.redis, field)


def test_keymiss_event_differential(diff, redis_oracle_port, server):
    from tests.helpers import RawConnection

    subscribers = [RawConnection(redis_oracle_port), RawConnection(server.port)]
    diff.check("CONFIG", "SET", "notify-keyspace-events", "Em")
    try:
        for sub in subscribers:
            sub.call("SUBSCRIBE", "__keyevent@0__:keymiss")
        diff.check_all([("GET", "m1"), ("MGET", "m2", "m3"), ("EXISTS", "m4"), ("TTL", "m5"),
                        ("OBJECT", "ENCODING", "m6"), ("INCR", "m7"), ("GETDEL", "m8"), ("SET", "m9", "v", "GET")])
        expected, actual = (sub.read_all(0.3) for sub in subscribers)
        assert expected.count(b"keymiss") >= 5
        assert actual == expected
    finally:
        diff.check("CONFIG", "SET", "notify-keyspace-events", "")
        for sub in subscribers:
            sub.close()


def test_copy_every_type_is_independent(diff):
    diff.check_all([
        ("HSET", "h", "a", "1"), ("SADD", "s", "1", "2"), ("ZADD", "z", "1", "a"), ("RPUSH", "l", "a", "b"),
        ("XADD", "x", "1-1", "f", "v"), ("PFADD", "p", "a"), ("SETBIT", "b", "7", "1"),
    ])
    for key in ("h", "s", "z", "l", "x", "p", "b"):
        diff.check("COPY", key, f"{key}2")
        diff.check("OBJECT", "ENCODING", f"{key}2")
    diff.check_all([
        ("HSET", "h", "b", "2"), ("SADD", "s", "3"), ("ZADD", "z", "2", "b"), ("LPOP", "l"), ("XADD", "x", "2-1", "f", "v"),
        ("PFADD", "p", "b", "c"), ("SETBIT", "b", "1", "1"),
        ("HGETALL", "h2"), ("SCARD", "s2"), ("ZRANGE", "z2", "0", "-1"), ("LRANGE", "l2", "0", "-1"), ("XLEN", "x2"),
        ("PFCOUNT", "p2"), ("GET", "b2"),
    ])


def test_randomkey_is_uniform_over_a_big_database(r):
    with r.pipeline(transaction=False) as pipe:
        for i in range(0, 10000, 1000):
            pipe.mset({f"rk:{j}": 1 for j in range(i, i + 1000)})
        pipe.execute()
    with r.pipeline(transaction=False) as pipe:
        for _ in range(3000):
            pipe.randomkey()
        drawn = pipe.execute()
    indexes = [int(key.split(b":")[1]) for key in drawn]
    assert len(set(indexes)) > 2000
    assert sum(1 for i in indexes if i >= 5000) > 1200  # the second half of the keys as often as the first


def test_randomkey_when_every_key_has_expired(r):
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        with r.pipeline(transaction=True) as pipe:
            pipe.mset({f"gone:{i}": 1 for i in range(500)})
            for i in range(500):
                pipe.pexpire(f"gone:{i}", 20)
            pipe.execute()
        time.sleep(0.05)
        assert r.dbsize() == 500
        assert r.randomkey() is None
        assert r.dbsize() == 0
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_overwriting_a_stale_key_expires_it_first(no_active_expire_pair, redis_oracle_port, server):
    """SET/MSET over a key whose time has passed: Redis's lookupKeyWrite expires it (event, stat) first."""
    from tests.helpers import RawConnection

    diff = no_active_expire_pair
    subscribers = [RawConnection(redis_oracle_port), RawConnection(server.port)]
    diff.check("CONFIG", "SET", "notify-keyspace-events", "KEA")
    try:
        for sub in subscribers:
            sub.call("PSUBSCRIBE", "__keyevent*__:*")
        diff.check_all([("SET", "a", "1", "PX", "1"), ("MSET", "b", "1"), ("PEXPIRE", "b", "1"),
                        ("SET", "c", "1", "PX", "1"), ("DEBUG", "SLEEP", "0.01"), ("SET", "a", "2"),
                        ("MSET", "b", "2", "x", "1"), ("SETEX", "c", "100", "2"), ("DBSIZE",)])
        expected, actual = (sub.read_all(0.3) for sub in subscribers)
        assert expected.count(b"expired") == 3
        assert actual == expected
    finally:
        diff.check("CONFIG", "SET", "notify-keyspace-events", "")
        for sub in subscribers:
            sub.close()


@pytest.fixture
def no_active_expire_pair(diff):
    diff.check("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    yield diff
    diff.check("DEBUG", "SET-ACTIVE-EXPIRE", "1")
