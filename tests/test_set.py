"""Sets against real redis-server: every command, its options, errors, intset/hashtable orders, RESP2/RESP3.

Intsets reply in ascending order, so they compare byte for byte; hashtable sets reply in hash order,
so those replies are compared as sorted multisets.
"""

import hiredis
import pytest


def _parsed(raw: bytes):
    reader = hiredis.Reader()
    reader.feed(raw)
    return reader.gets()


def _canonical(reply):
    return sorted(repr(_canonical(x)) for x in reply) if isinstance(reply, list) else reply


def check_unordered(d, *args):
    """Same reply up to the order of the (possibly nested) array elements."""
    expected, actual = d.both(*args)
    assert _canonical(_parsed(expected)) == _canonical(_parsed(actual)), (args, expected, actual)
    assert expected[:1] == actual[:1], (args, expected, actual)  # same reply type (* or ~ ...)


def test_add_remove_members(diff):
    diff.check_all([
        ("SADD", "s", "3", "1", "2", "1"), ("SMEMBERS", "s"), ("SCARD", "s"), ("SISMEMBER", "s", "1"),
        ("SISMEMBER", "s", "9"), ("SISMEMBER", "nos", "1"), ("SMISMEMBER", "s", "1", "9", "3"),
        ("SMISMEMBER", "nos", "1", "2"), ("SREM", "s", "1", "9"), ("SMEMBERS", "s"), ("SREM", "s", "2", "3", "4"),
        ("EXISTS", "s"), ("SREM", "nos", "a"), ("SCARD", "nos"), ("SMEMBERS", "nos"),
        ("SADD", "n", "-5", "10", "+7", "0"), ("OBJECT", "ENCODING", "n"),
        ("SADD", "i", "9223372036854775807", "-9223372036854775808", "1"), ("SMEMBERS", "i"),
        ("OBJECT", "ENCODING", "i"), ("SADD", "i2", "9223372036854775808"), ("OBJECT", "ENCODING", "i2"),
    ])
    check_unordered(diff, "SMEMBERS", "n")


def test_resp3_sets(diff3):
    diff3.check_all([
        ("SADD", "s", "5", "2", "9"), ("SMEMBERS", "s"), ("SINTER", "s"), ("SUNION", "s", "nos"), ("SDIFF", "s", "nos"),
        ("SMEMBERS", "nos"), ("SINTER", "s", "nos"), ("SPOP", "nos", 2), ("SPOP", "s", 0), ("SPOP", "s", 10),
        ("SRANDMEMBER", "nos", 2), ("SRANDMEMBER", "nos"), ("SPOP", "nos"), ("SADD", "t", "1", "2"),
        ("SRANDMEMBER", "t", 5),
    ])


def test_hashtable_sets(diff, diff3):
    for d in (diff, diff3):
        d.check("DEL", "h", "g")
        d.check("SADD", "h", "b", "a", "c", "1")
        d.check("SADD", "g", "a", "x", "1")
        for args in [("SMEMBERS", "h"), ("SINTER", "h", "g"), ("SUNION", "h", "g"), ("SDIFF", "h", "g"),
                     ("SSCAN", "h", 0), ("SRANDMEMBER", "h", 10)]:
            check_unordered(d, *args)
        d.check("OBJECT", "ENCODING", "h")


def test_encoding_thresholds(diff, server):
    diff.check("SADD", "s", *[str(i) for i in range(512)])
    diff.check("OBJECT", "ENCODING", "s")
    diff.check("SADD", "s", "512")
    diff.check("OBJECT", "ENCODING", "s")
    diff.check("SREM", "s", *[str(i) for i in range(100, 513)])
    diff.check("OBJECT", "ENCODING", "s")
    diff.check("SADD", "t", "1", "x")
    diff.check("SREM", "t", "x")
    diff.check("OBJECT", "ENCODING", "t")
    diff.check("SADD", "u", "x")
    diff.check("OBJECT", "ENCODING", "u")
    diff.check("TYPE", "u")
    try:
        diff.redis.call("CONFIG", "SET", "set-max-intset-entries", "2")
        server.server.config.apply("set-max-intset-entries", ["2"])
        diff.check("SADD", "v", "1", "2")
        diff.check("OBJECT", "ENCODING", "v")
        diff.check("SADD", "v", "3")
        diff.check("OBJECT", "ENCODING", "v")
    finally:
        diff.redis.call("CONFIG", "SET", "set-max-intset-entries", "512")
        server.server.config.apply("set-max-intset-entries", ["512"])


def test_smove(diff):
    diff.check_all([
        ("SADD", "a", "1", "2"), ("SMOVE", "a", "b", "1"), ("SMOVE", "a", "b", "9"), ("SMOVE", "a", "a", "2"),
        ("SMOVE", "a", "a", "9"), ("SMEMBERS", "b"), ("OBJECT", "ENCODING", "b"), ("SMOVE", "a", "b", "2"),
        ("EXISTS", "a"), ("SMOVE", "noa", "b", "1"), ("SET", "str", "x"), ("SMOVE", "noa", "str", "1"),
        ("SMOVE", "b", "str", "1"), ("SMOVE", "str", "b", "1"), ("SADD", "c", "x"), ("SMOVE", "c", "b", "x"),
        ("OBJECT", "ENCODING", "b"), ("SMEMBERS", "c"), ("SADD", "b", "1"), ("SMOVE", "b", "d", "1"), ("SCARD", "b"),
    ])


def test_algebra_on_intsets(diff):
    diff.check_all([
        ("SADD", "a", "1", "2", "3", "4"), ("SADD", "b", "3", "4", "5"), ("SADD", "c", "4", "6"),
        ("SINTER", "a", "b"), ("SINTER", "a", "b", "c"), ("SINTER", "a", "nos"), ("SINTER", "nos", "a"),
        ("SUNION", "a", "b", "c"), ("SUNION", "nos"), ("SDIFF", "a", "b"), ("SDIFF", "a", "b", "c"), ("SDIFF", "a", "a"),
        ("SDIFF", "nos", "a"), ("SDIFF", "a", "nos"), ("SINTERSTORE", "d", "a", "b"), ("SMEMBERS", "d"),
        ("OBJECT", "ENCODING", "d"), ("SUNIONSTORE", "d", "a", "c"), ("SMEMBERS", "d"), ("SDIFFSTORE", "d", "a", "b"),
        ("SMEMBERS", "d"), ("SINTERSTORE", "d", "a", "nos"), ("EXISTS", "d"), ("SUNIONSTORE", "d", "nos"),
        ("SDIFFSTORE", "d", "a", "a"), ("SINTERSTORE", "a", "a", "b"), ("SMEMBERS", "a"), ("SET", "str", "x"),
        ("SINTER", "a", "str"), ("SINTER", "nos", "str"), ("SUNION", "str", "a"), ("SDIFF", "a", "str"),
        ("SINTERSTORE", "str", "a", "b"), ("TYPE", "str"), ("SUNIONSTORE", "d", "str"), ("SDIFFSTORE", "d", "nos", "str"),
    ])


def test_sintercard(diff):
    diff.check_all([
        ("SADD", "a", "1", "2", "3", "4"), ("SADD", "b", "2", "3", "4", "x"), ("SINTERCARD", 2, "a", "b"),
        ("SINTERCARD", 2, "a", "b", "LIMIT", 2), ("SINTERCARD", 2, "a", "b", "LIMIT", 0),
        ("SINTERCARD", 2, "a", "b", "LIMIT", 10), ("SINTERCARD", 1, "a"), ("SINTERCARD", 2, "a", "nos"),
        ("SINTERCARD", 0, "a"), ("SINTERCARD", "x", "a"), ("SINTERCARD", 3, "a", "b"), ("SINTERCARD", -1, "a"),
        ("SINTERCARD", 1, "a", "LIMIT", -1), ("SINTERCARD", 1, "a", "LIMIT", "x"), ("SINTERCARD", 1, "a", "LIMIT"),
        ("SINTERCARD", 1, "a", "FOO", 1), ("SET", "str", "x"), ("SINTERCARD", 2, "a", "str"),
        ("SINTERCARD", 2, "nos", "str"),
    ])


def test_spop_srandmember_arguments(diff, diff3):
    for d in (diff, diff3):
        d.check("SADD", "s", "1", "2", "3")
        for args in [("SPOP", "s", -1), ("SPOP", "s", "x"), ("SPOP", "s", 1, 2), ("SPOP", "s", 0),
                     ("SRANDMEMBER", "s", "x"), ("SRANDMEMBER", "s", 1, 2), ("SRANDMEMBER", "s", 0),
                     ("SRANDMEMBER", "s", "-9223372036854775808"), ("SRANDMEMBER", "s", 3), ("SRANDMEMBER", "s", 100),
                     ("SPOP", "nos"), ("SPOP", "nos", 1), ("SRANDMEMBER", "nos", -3)]:
            d.check(*args)
        d.check("SPOP", "s", 3)
        d.check("EXISTS", "s")


@pytest.mark.parametrize("size,count", [(10, 1), (10, 3), (10, 9), (10, 10), (10, 15), (600, 550), (600, 20)])
def test_spop_count_pops_distinct_members(r, size, count):
    members = {str(i).encode() for i in range(size)}
    r.sadd("s", *members)
    popped = r.spop("s", count)
    assert len(popped) == min(size, count) and len(set(popped)) == len(popped)
    left = r.smembers("s")
    assert set(popped) | left == members and not set(popped) & left


def test_random_picks(r):
    members = {b"a", b"b", b"c", b"d"}
    r.sadd("s", *members)
    assert r.srandmember("s") in members
    assert r.spop("s") in members and r.scard("s") == 3
    left = r.smembers("s")
    picks = r.srandmember("s", -20)
    assert len(picks) == 20 and set(picks) <= left
    distinct = r.srandmember("s", 2)
    assert len(distinct) == 2 and len(set(distinct)) == 2 and set(distinct) <= left
    assert r.srandmember("s", 1)[0] in left


def test_big_set_random_ops_are_fast(r):
    r.sadd("big", *range(200_000))
    import time
    start = time.perf_counter()
    for _ in range(500):
        r.srandmember("big")
    r.spop("big", 100)
    assert time.perf_counter() - start < 5
    assert r.scard("big") == 199_900


def test_sscan(diff):
    diff.check("SADD", "s", "10", "2", "33")
    for args in [(0,), (0, "MATCH", "3*"), (0, "COUNT", 1), (0, "COUNT", 0), (0, "FOO", 1), ("x",), ("-1",)]:
        diff.check("SSCAN", "s", *args)
    diff.check("SSCAN", "nos", 0)
    diff.check("SADD", "h", "a1", "b1", "a2")
    check_unordered(diff, "SSCAN", "h", 0, "MATCH", "a*")


def test_sscan_big_set_visits_every_member_once(r):
    members = {f"m{i}".encode() for i in range(1000)}
    r.sadd("big", *members)
    seen: list[bytes] = []
    cursor = 0
    while True:
        cursor, page = r.sscan("big", cursor, count=37)
        seen.extend(page)
        if cursor == 0:
            break
    assert len(seen) == len(members) and set(seen) == members


def test_wrong_type(diff):
    diff.check("SET", "str", "x")
    for args in [("SADD", "str", "a"), ("SREM", "str", "a"), ("SMEMBERS", "str"), ("SISMEMBER", "str", "a"),
                 ("SMISMEMBER", "str", "a"), ("SCARD", "str"), ("SPOP", "str"), ("SPOP", "str", 2),
                 ("SRANDMEMBER", "str"), ("SRANDMEMBER", "str", 2), ("SSCAN", "str", 0)]:
        diff.check(*args)
