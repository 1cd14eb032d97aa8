"""Lists against real redis-server: every command, its options and its errors, RESP2 and RESP3."""

import pytest


def test_push_pop_and_ranges(diff):
    diff.check_all([
        ("RPUSH", "l", "a", "b", "c"), ("LPUSH", "l", "x", "y"), ("LRANGE", "l", 0, -1), ("LLEN", "l"),
        ("LPUSHX", "l", "p"), ("RPUSHX", "l", "q"), ("LPUSHX", "nol", "p"), ("RPUSHX", "nol", "p"),
        ("EXISTS", "nol"), ("LPOP", "l"), ("RPOP", "l"), ("LPOP", "l", 2), ("RPOP", "l", 0), ("LPOP", "l", 10),
        ("EXISTS", "l"), ("LPOP", "l"), ("LPOP", "l", 0), ("RPOP", "l", 3), ("LLEN", "l"),
        ("LPOP", "l", -1), ("LPOP", "l", "x"), ("LPOP", "l", 1, 2), ("RPOP", "l", "1.5"),
    ])


def test_pop_replies_resp3(diff3):
    diff3.check_all([
        ("LPOP", "nol"), ("LPOP", "nol", 2), ("RPUSH", "l", "a"), ("LPOP", "l", 0), ("LPOP", "l", 5),
        ("LMPOP", 1, "nol", "LEFT"), ("BLPOP", "nol", "0.01"), ("BLMOVE", "nol", "d", "LEFT", "LEFT", "0.01"),
    ])


@pytest.mark.parametrize("start,stop", [(0, -1), (1, 2), (-3, -1), (-100, 100), (5, 1), (2, 2), (10, 20),
                                        (-1, -2), (0, 0), (3, -3), ("x", 1)])
def test_lrange_ltrim_bounds(diff, start, stop):
    diff.check("RPUSH", "l", *"abcdefg")
    diff.check("LRANGE", "l", start, stop)
    diff.check("LTRIM", "l", start, stop)
    diff.check("LRANGE", "l", 0, -1)
    diff.check("EXISTS", "l")


def test_lindex_lset_linsert(diff):
    diff.check_all([
        ("RPUSH", "l", "a", "b", "c"), ("LINDEX", "l", 0), ("LINDEX", "l", -1), ("LINDEX", "l", 3),
        ("LINDEX", "l", -4), ("LINDEX", "l", "x"), ("LINDEX", "nol", "x"), ("LSET", "l", 1, "B"),
        ("LSET", "l", -1, "C"), ("LSET", "l", 3, "z"), ("LSET", "l", "x", "z"), ("LSET", "nol", 0, "z"),
        ("LSET", "nol", "x", "z"), ("LINSERT", "l", "BEFORE", "B", "b0"), ("LINSERT", "l", "after", "C", "d"),
        ("LINSERT", "l", "AFTER", "zz", "q"), ("LINSERT", "l", "middle", "B", "q"), ("LINSERT", "nol", "BEFORE", "a", "b"),
        ("LRANGE", "l", 0, -1),
    ])


def test_lrem(diff):
    items = ["a", "b", "a", "c", "a", "b", "a"]
    for count in (0, 1, 2, -1, -2, 10, -10):
        diff.check("DEL", "l")
        diff.check("RPUSH", "l", *items)
        diff.check("LREM", "l", count, "a")
        diff.check("LRANGE", "l", 0, -1)
    diff.check("LREM", "l", 0, "b")
    diff.check("LREM", "l", 0, "c")
    diff.check("EXISTS", "l")
    diff.check("LREM", "l", "x", "a")
    diff.check("LREM", "nol", 0, "a")


def test_lpos(diff):
    diff.check("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c")
    for args in [(), ("RANK", 2), ("RANK", -1), ("RANK", -2), ("RANK", 5), ("COUNT", 0), ("COUNT", 2),
                 ("RANK", -1, "COUNT", 2), ("MAXLEN", 3), ("COUNT", 0, "MAXLEN", 7), ("RANK", 2, "MAXLEN", 7),
                 ("RANK", 0), ("RANK", "x"), ("COUNT", -1), ("COUNT", "x"), ("MAXLEN", -1), ("RANK",),
                 ("FOO", 1), ("RANK", "-9223372036854775808"), ("RANK", 1, "RANK", 2), ("RANK", -3, "COUNT", 0, "MAXLEN", 2)]:
        diff.check("LPOS", "l", "c", *args)
    diff.check("LPOS", "l", "zz")
    diff.check("LPOS", "l", "zz", "COUNT", 1)
    diff.check("LPOS", "nol", "a")
    diff.check("LPOS", "nol", "a", "COUNT", 0)


def test_lmove_rpoplpush(diff):
    diff.check_all([
        ("RPUSH", "src", "a", "b", "c"), ("LMOVE", "src", "dst", "LEFT", "RIGHT"),
        ("LMOVE", "src", "dst", "right", "left"), ("LRANGE", "dst", 0, -1), ("LMOVE", "src", "src", "LEFT", "RIGHT"),
        ("LRANGE", "src", 0, -1), ("RPOPLPUSH", "src", "dst"), ("EXISTS", "src"), ("RPOPLPUSH", "src", "dst"),
        ("LMOVE", "dst", "dst", "LEFT", "LEFT"), ("LRANGE", "dst", 0, -1), ("LMOVE", "src", "dst", "UP", "LEFT"),
        ("SET", "str", "x"), ("LMOVE", "dst", "str", "LEFT", "LEFT"), ("LRANGE", "dst", 0, -1),
        ("LMOVE", "nol", "str", "LEFT", "LEFT"), ("RPOPLPUSH", "str", "dst"),
    ])


def test_lmpop(diff):
    diff.check_all([
        ("RPUSH", "b", "1", "2", "3"), ("LMPOP", 2, "a", "b", "LEFT"), ("LMPOP", 2, "a", "b", "RIGHT", "COUNT", 5),
        ("EXISTS", "b"), ("LMPOP", 2, "a", "b", "LEFT"), ("LMPOP", 0, "a", "LEFT"), ("LMPOP", "x", "a", "LEFT"),
        ("LMPOP", 3, "a", "b", "LEFT"), ("LMPOP", 1, "a", "MIDDLE"), ("LMPOP", 1, "a", "LEFT", "COUNT", 0),
        ("LMPOP", 1, "a", "LEFT", "COUNT", 1, "COUNT", 2), ("LMPOP", 1, "a", "LEFT", "FOO"),
        ("LMPOP", 1, "a", "LEFT", "COUNT"), ("SET", "s", "x"), ("LMPOP", 2, "a", "s", "LEFT"),
        ("RPUSH", "c", "x"), ("LMPOP", 2, "c", "s", "LEFT"),
    ])


def test_wrong_type_everywhere(diff):
    diff.check("SET", "s", "x")
    for args in [("LPUSH", "s", "a"), ("RPUSHX", "s", "a"), ("LPOP", "s"), ("RPOP", "s", 2), ("LLEN", "s"),
                 ("LRANGE", "s", 0, 1), ("LINDEX", "s", 0), ("LSET", "s", 0, "a"), ("LINSERT", "s", "BEFORE", "a", "b"),
                 ("LREM", "s", 0, "a"), ("LTRIM", "s", 0, 1), ("LPOS", "s", "a"), ("RPOPLPUSH", "s", "d"),
                 ("BLPOP", "s", 1), ("BRPOPLPUSH", "s", "d", 1), ("BLMPOP", 1, 1, "s", "LEFT")]:
        diff.check(*args)


def test_blocking_commands_answer_at_once_when_data_is_there(diff):
    diff.check_all([
        ("RPUSH", "a", "1", "2", "3"), ("BLPOP", "nol", "a", 0), ("BRPOP", "a", "nol", "1.5"),
        ("BLMOVE", "a", "d", "LEFT", "RIGHT", 0), ("BRPOPLPUSH", "d", "a", 0), ("RPUSH", "a", "4", "5"),
        ("BLMPOP", 0, 2, "nol", "a", "RIGHT", "COUNT", 2), ("LRANGE", "a", 0, -1), ("LRANGE", "d", 0, -1),
    ])


@pytest.mark.parametrize("timeout", ["-1", "abc", "inf", "nan", "1e20", " 1", "-inf", "1_0"])
def test_timeout_errors(diff, timeout):
    diff.check("BLPOP", "l", timeout)
    diff.check("BLMOVE", "l", "d", "LEFT", "LEFT", timeout)
    diff.check("BLMPOP", timeout, 1, "l", "LEFT")
    diff.check("BRPOPLPUSH", "l", "d", timeout)


def test_blocking_argument_errors(diff):
    diff.check_all([
        ("BLMOVE", "a", "b", "UP", "LEFT", "-1"), ("BLMPOP", "-1", 1, "a", "LEFT"), ("BLMPOP", 0, 0, "a", "LEFT"),
        ("BLMPOP", 0, 1, "a", "MIDDLE"), ("BLMPOP", 0, 1, "a", "LEFT", "COUNT", 0), ("BLPOP", "a"),
    ])


def test_short_timeouts_expire(diff):
    diff.check("BLPOP", "nol", "0.001")
    diff.check("BRPOP", "nol", "nol2", "0.05")
    diff.check("BLMOVE", "nol", "d", "LEFT", "LEFT", "0.01")
    diff.check("BRPOPLPUSH", "nol", "d", "0.01")
    diff.check("BLMPOP", "0.01", 1, "nol", "LEFT", "COUNT", 3)
    diff.check("EXISTS", "d")


def test_blocking_in_multi_is_non_blocking(diff, diff3):
    for d in (diff, diff3):
        d.check("MULTI")
        d.check("BLPOP", "nol", 0)
        d.check("BLMOVE", "nol", "d", "LEFT", "LEFT", 0)
        d.check("BRPOPLPUSH", "nol", "d", 0)
        d.check("BLMPOP", 0, 1, "nol", "LEFT")
        d.check("RPUSH", "nol", "x")
        d.check("BRPOP", "nol", 0)
        d.check("EXEC")


def test_encoding_and_type(diff):
    diff.check("RPUSH", "l", "a")
    diff.check("TYPE", "l")
    diff.check("OBJECT", "ENCODING", "l")
    diff.check("RPUSH", "l", *[str(i) for i in range(200)])
    diff.check("OBJECT", "ENCODING", "l")


def test_big_list_ranges_from_both_ends(r):
    r.rpush("big", *range(10_000))
    assert r.lrange("big", 9_990, -1) == [str(i).encode() for i in range(9_990, 10_000)]
    assert r.lrange("big", 4_000, 4_004) == [str(i).encode() for i in range(4_000, 4_005)]
    assert r.lrange("big", -6_001, -5_999) == [str(i).encode() for i in range(3_999, 4_002)]
    assert r.lindex("big", -2) == b"9998"
    r.ltrim("big", 10, 19)
    assert r.lrange("big", 0, -1) == [str(i).encode() for i in range(10, 20)]
