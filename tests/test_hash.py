"""Hashes against real redis-server: every command, its options, errors, encodings, RESP2 and RESP3."""

import pytest


def test_set_get_and_friends(diff):
    diff.check_all([
        ("HSET", "h", "a", "1", "b", "2"), ("HSET", "h", "a", "x", "c", "3"), ("HGET", "h", "a"), ("HGET", "h", "z"),
        ("HGET", "noh", "a"), ("HMSET", "h", "d", "4"), ("HSETNX", "h", "d", "5"), ("HSETNX", "h", "e", "5"),
        ("HSETNX", "noh2", "f", "v"), ("HMGET", "h", "a", "z", "e"), ("HMGET", "noh", "a", "b"), ("HGETALL", "h"),
        ("HKEYS", "h"), ("HVALS", "h"), ("HLEN", "h"), ("HEXISTS", "h", "a"), ("HEXISTS", "h", "z"),
        ("HEXISTS", "noh", "a"), ("HSTRLEN", "h", "a"), ("HSTRLEN", "h", "z"), ("HSTRLEN", "noh", "a"),
        ("HGETALL", "noh"), ("HKEYS", "noh"), ("HVALS", "noh"), ("HLEN", "noh"),
        ("HSET", "h"), ("HSET", "h", "a"), ("HSET", "h", "a", "b", "c"), ("HMSET", "h", "a", "b", "c"),
    ])


def test_hdel_deletes_empty_hash(diff):
    diff.check_all([
        ("HSET", "h", "a", "1", "b", "2", "c", "3"), ("HDEL", "h", "a", "zz"), ("HDEL", "h", "b", "c", "a"),
        ("EXISTS", "h"), ("HDEL", "h", "a"), ("HDEL", "noh", "a"),
    ])


def test_maps_in_resp3(diff3):
    diff3.check_all([
        ("HSET", "h", "a", "1", "b", "2"), ("HGETALL", "h"), ("HGETALL", "noh"), ("HMGET", "h", "a", "zz"),
        ("HGET", "h", "zz"), ("HRANDFIELD", "noh"), ("HRANDFIELD", "noh", 3, "WITHVALUES"),
        ("HRANDFIELD", "h", 2, "WITHVALUES"), ("HRANDFIELD", "h", 5), ("HSCAN", "h", 0),
    ])


def test_hincrby(diff):
    diff.check_all([
        ("HINCRBY", "h", "n", 5), ("HINCRBY", "h", "n", -7), ("HINCRBY", "h", "n", "x"), ("HINCRBY", "h", "n", "1.5"),
        ("HSET", "h", "s", "abc", "big", "9223372036854775807", "small", "-9223372036854775808", "lz", "007"),
        ("HINCRBY", "h", "s", 1), ("HINCRBY", "h", "big", 1), ("HINCRBY", "h", "big", 0), ("HINCRBY", "h", "small", -1),
        ("HINCRBY", "h", "lz", 1), ("HINCRBY", "h", "big", "-9223372036854775808"), ("HGETALL", "h"),
    ])


@pytest.mark.parametrize("start,incr", [
    (None, "10.5"), ("10.5", "0.1"), ("5.0e3", "2.0e2"), ("1.1", "2.2"), ("0.1", "0.2"), ("-1", "1"), ("3", "-3.5"),
    ("1e4932", "0"), ("1e4932", "1e4932"), ("abc", "1"), ("1", "abc"), ("1", "inf"), ("1", "nan"), ("inf", "1"),
    ("7", " 1"), ("0x10", "1"), ("1", "1e-30"), (None, "-0.0"), ("12", "1e17"),
])
def test_hincrbyfloat(diff, start, incr):
    if start is not None:
        diff.check("HSET", "h", "f", start)
    diff.check("HINCRBYFLOAT", "h", "f", incr)
    diff.check("HGET", "h", "f")


def test_hrandfield_errors_and_deterministic_cases(diff, diff3):
    diff.check("HSET", "h", "a", "1", "b", "2", "c", "3")
    for d in (diff, diff3):
        for args in [("x",), ("1", "WITHVALUE"), ("1", "WITHVALUES", "x"), ("-9223372036854775808",),
                     ("4611686018427387904", "WITHVALUES"), ("-4611686018427387904", "WITHVALUES"), (0,),
                     (0, "WITHVALUES"), (3,), (100, "WITHVALUES"), ("-9223372036854775807",)]:
            if args == ("-9223372036854775807",):
                continue  # a huge reply of random picks
            d.check("HRANDFIELD", "h", *args)


def test_hrandfield_shapes(r, r2):
    r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    fields = {b"a", b"b", b"c"}
    assert r.hrandfield("h") in fields
    assert set(r.hrandfield("h", 2)) <= fields and len(set(r.hrandfield("h", 2))) == 2
    picks = r.hrandfield("h", -10)
    assert len(picks) == 10 and set(picks) <= fields
    raw = r.execute_command("HRANDFIELD", "h", -5, "WITHVALUES")
    assert len(raw) == 5 and all(len(pair) == 2 and dict(a=b"1", b=b"2", c=b"3")[pair[0].decode()] == pair[1]
                                 for pair in raw)
    flat = r2.execute_command("HRANDFIELD", "h", 2, "WITHVALUES")
    assert len(flat) == 4 and flat[1] == {b"a": b"1", b"b": b"2", b"c": b"3"}[flat[0]]


def test_encoding_thresholds(diff):
    diff.check("HSET", "h", "a", "1")
    diff.check("OBJECT", "ENCODING", "h")
    diff.check("HSET", "h", "long", "x" * 65)
    diff.check("OBJECT", "ENCODING", "h")
    diff.check("HSET", "h2", "x" * 64, "y" * 64)
    diff.check("OBJECT", "ENCODING", "h2")
    diff.check("HSET", "h3", *[str(i) for i in range(1024)])
    diff.check("OBJECT", "ENCODING", "h3")
    diff.check("HSET", "h4", *[str(i) for i in range(1026)])
    diff.check("OBJECT", "ENCODING", "h4")
    diff.check("HINCRBYFLOAT", "h5", "f" * 65, "1")
    diff.check("OBJECT", "ENCODING", "h5")
    diff.check("HSETNX", "h6", "f", "v" * 65)
    diff.check("OBJECT", "ENCODING", "h6")
    diff.check("TYPE", "h")


def _set_config(diff, server, name, value):
    diff.redis.call("CONFIG", "SET", name, value)
    server.server.config.apply(name, [value])


def test_encoding_follows_config(diff, server):
    try:
        _set_config(diff, server, "hash-max-listpack-entries", "2")
        diff.check("HSET", "h", "a", "1", "b", "2")
        diff.check("OBJECT", "ENCODING", "h")
        diff.check("HSET", "h", "c", "3")
        diff.check("OBJECT", "ENCODING", "h")
        diff.check("HDEL", "h", "c", "b")
        diff.check("OBJECT", "ENCODING", "h")
        _set_config(diff, server, "hash-max-listpack-value", "3")
        diff.check("HSET", "h2", "abc", "abcd")
        diff.check("OBJECT", "ENCODING", "h2")
    finally:
        _set_config(diff, server, "hash-max-listpack-entries", "512")
        _set_config(diff, server, "hash-max-listpack-value", "64")


def test_hscan(diff):
    diff.check("HSET", "h", "a1", "1", "b1", "2", "a2", "3")
    for args in [(0,), (0, "MATCH", "a*"), (0, "COUNT", 1), (0, "MATCH", "*", "COUNT", 100), (0, "COUNT", 0),
                 (0, "COUNT", "x"), (0, "TYPE", "string"), (0, "MATCH"), ("abc",), ("18446744073709551616",),
                 ("-1",), ("",)]:
        diff.check("HSCAN", "h", *args)
    diff.check("HSCAN", "noh", 0, "COUNT", 0)
    diff.check("HSCAN", "noh", "x")


def test_hscan_big_hash_visits_every_field_once(r):
    fields = {f"f{i}".encode(): str(i).encode() for i in range(1000)}
    r.hset("big", mapping=fields)
    seen: dict[bytes, bytes] = {}
    cursor = 0
    while True:
        cursor, page = r.hscan("big", cursor, count=50)
        for k, v in page.items():
            assert k not in seen
            seen[k] = v
        if cursor == 0:
            break
    assert seen == fields
    _, matched = r.hscan("big", 0, match="f99*", count=10_000)
    assert set(matched) == {b"f99", *(f"f99{i}".encode() for i in range(10))}


def test_wrong_type(diff):
    diff.check("SET", "s", "x")
    for args in [("HSET", "s", "a", "b"), ("HSETNX", "s", "a", "b"), ("HGET", "s", "a"), ("HMGET", "s", "a"),
                 ("HGETALL", "s"), ("HDEL", "s", "a"), ("HEXISTS", "s", "a"), ("HLEN", "s"), ("HSTRLEN", "s", "a"),
                 ("HKEYS", "s"), ("HVALS", "s"), ("HINCRBY", "s", "a", 1), ("HINCRBYFLOAT", "s", "a", 1),
                 ("HRANDFIELD", "s"), ("HRANDFIELD", "s", 2), ("HSCAN", "s", 0)]:
        diff.check(*args)
