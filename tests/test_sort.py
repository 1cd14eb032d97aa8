"""SORT and SORT_RO over lists, sets and sorted sets, against redis-py and real Redis."""

from __future__ import annotations

import random

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamis.kv.sort import sort_keys

OPTIONS = [
    (), ("DESC",), ("ALPHA",), ("ALPHA", "DESC"), ("LIMIT", 1, 3), ("LIMIT", -5, 2), ("LIMIT", 0, -1), ("LIMIT", 20, 2),
    ("LIMIT", 2, 0), ("BY", "nosort"), ("BY", "nosort", "DESC"), ("BY", "nosort", "LIMIT", 2, 3),
    ("BY", "nosort", "DESC", "LIMIT", 2, 3), ("BY", "nosort", "DESC", "LIMIT", 9, 3), ("BY", "w_*"),
    ("BY", "w_*", "ALPHA"), ("BY", "w_*", "LIMIT", 1, 2), ("BY", "w_*", "DESC"), ("GET", "#"),
    ("GET", "w_*", "GET", "#"), ("GET", "nostar"), ("BY", "w_*", "GET", "w_*", "ALPHA", "DESC"),
    ("BY", "h_*->f"), ("BY", "h_*->f", "ALPHA", "GET", "h_*->f", "GET", "h_*->g", "GET", "#"), ("GET", "h_*->"),
    ("BY", "nosort", "BY", "w_*"), ("ASC", "DESC", "ASC"), ("LIMIT", 0, 2, "LIMIT", 1, 1),
]


def _unordered_ties(options: tuple) -> bool:
    """ALPHA by a pattern ties on missing keys; Redis then keeps a set's hash-table order."""
    return "ALPHA" in options and any(o in ("w_*", "h_*->f") for o in options)


def _weights(diff) -> None:
    diff.check("MSET", "w_3", "5", "w_1", "-2", "w_10", "4.5", "w_2", "0x10", "w_5", "", "w_c", "1e3")
    diff.check("HSET", "h_3", "f", "30", "g", "x")
    diff.check("HSET", "h_1", "f", "10")
    diff.check("HSET", "h_c", "f", "20", "g", "y")
    diff.check("SET", "h_2", "not a hash")


@pytest.mark.parametrize("options", OPTIONS)
def test_sort_list(diff, options):
    diff.check("RPUSH", "l", "3", "1", "2", "10", "1.5", "-inf", "0x10", " 7", "", "3", "c")
    diff.check("LREM", "l", 0, "c")
    _weights(diff)
    diff.check("SORT", "l", *options)
    diff.check("SORT_RO", "l", *options)
    diff.check("SORT", "l", *options, "STORE", "dst")
    diff.check("LRANGE", "dst", 0, -1)
    diff.check("TYPE", "dst")


@pytest.mark.parametrize("options", [o for o in OPTIONS if not _unordered_ties(o)])
def test_sort_sorted_set(diff, options):
    diff.check("ZADD", "z", 1, "c", 2, "b", 3, "a", 3, "10", 0, "5", -1, "2", 5, "1", 5, "3")
    _weights(diff)
    diff.check("SORT", "z", *options)
    diff.check("SORT", "z", *options, "STORE", "dst")
    diff.check("LRANGE", "dst", 0, -1)
    diff.check("OBJECT", "ENCODING", "z")  # Redis converts it to a skiplist for SORT


@pytest.mark.parametrize("options", [o for o in OPTIONS if "nosort" not in o and not _unordered_ties(o)])
@pytest.mark.parametrize("members", [("3", "1", "20", "-5", "7"), ("b", "a", "c", "10", "2", "ab")])
def test_sort_set(diff, options, members):
    diff.check("SADD", "s", *members)
    diff.check("SADD", "s", "c") if "a" in members else None
    _weights(diff)
    diff.check("SORT", "s", *options)
    diff.check("SORT", "s", *options, "STORE", "dst")
    diff.check("LRANGE", "dst", 0, -1)


def test_sort_set_nosort(diff):
    # without STORE the order is the set's own; with STORE Redis sorts ALPHA to be deterministic
    diff.check("SADD", "s", "3", "1", "20", "-5")
    diff.check("SORT", "s", "BY", "nosort")  # an intset iterates in numeric order
    diff.check("SADD", "t", "b", "a", "c", "10")
    redis_reply, ours = diff.both("SORT", "t", "BY", "nosort")
    assert sorted(redis_reply.split(b"\r\n")) == sorted(ours.split(b"\r\n"))
    diff.check("SORT", "t", "BY", "nosort", "STORE", "dst")
    diff.check("LRANGE", "dst", 0, -1)
    diff.check("SORT", "t", "BY", "nosort", "DESC", "LIMIT", 1, 2, "STORE", "dst")
    diff.check("LRANGE", "dst", 0, -1)


@pytest.mark.parametrize("values", [
    ("1e-310", "2"), ("1e400", "2"), ("nan", "2"), ("inf", "-2", "2\x00abc", "0x1p-1070", "+5"), ("5e", "1"), ("1_0",),
    ("abc",), ("", "0", "-0"), (" 1", "2 "), ("0x", "1"), ("1.", ".5", "-.5e1"), ("INFINITY", "-Inf", "1e308"),
])
def test_numeric_scores(diff, values):
    diff.check("RPUSH", "l", *values)
    diff.check("SORT", "l")
    diff.check("SORT", "l", "STORE", "dst")
    diff.check("EXISTS", "dst")
    diff.check("SORT", "l", "BY", "nosort")


def test_alpha_collation_and_binary_store(diff):
    diff.check("RPUSH", "l", "b", "a", "c", "a\x00z", "a\x00b", "A", "\xc3\xa9", "", "a")
    for options in [("ALPHA",), ("ALPHA", "DESC"), ("ALPHA", "STORE", "dst"), ("ALPHA", "DESC", "STORE", "dst")]:
        diff.check("SORT", "l", *options)
        diff.check("LRANGE", "dst", 0, -1)
    diff.check("MSET", "x_b", "2", "x_a", "2", "x_c", "1")
    for options in [("BY", "x_*", "ALPHA"), ("BY", "x_*"), ("BY", "x_*", "DESC"), ("BY", "x_*", "ALPHA", "DESC")]:
        diff.check("SORT", "l", *options)


@pytest.mark.parametrize("args", [
    ("SORT", "l", "LIMIT", "a", 1), ("SORT", "l", "LIMIT", 1), ("SORT", "l", "FOO"), ("SORT", "l", "BY"),
    ("SORT", "l", "GET"), ("SORT", "l", "STORE"), ("SORT_RO", "l", "STORE", "dst"), ("SORT", "str"),
    ("SORT", "str", "FOO"), ("SORT", "h", "ALPHA"), ("SORT", "missing"), ("SORT", "missing", "STORE", "dst"),
    ("SORT", "l", "BY", "w_*", "LIMIT", "x", "y"), ("SORT", "l", "LIMIT", "9223372036854775807", "9223372036854775807"),
    ("SORT", "l", "LIMIT", "-9223372036854775808", "-9223372036854775808"), ("SORT", "empty", "BY", "nosort"),
    ("SORT", "empty", "BY", "nosort", "DESC", "LIMIT", 0, 1), ("SORT", "l", "BY", "nosort", "LIMIT", 5, 1),
    ("SORT", "l", "BY", "nosort", "DESC", "LIMIT", 3, 0),
])
def test_errors_and_edges(diff, args):
    diff.check("RPUSH", "l", "2", "1", "x")
    diff.check("SET", "str", "v")
    diff.check("HSET", "h", "f", "v")
    diff.check("SET", "dst", "old")
    diff.check(*args)
    diff.check("TYPE", "dst")


def test_store_replaces_any_type_and_drops_ttl(r):
    r.rpush("l", 3, 1, 2)
    r.set("dst", "x", ex=100)
    assert r.sort("l", store="dst") == 3
    assert r.lrange("dst", 0, -1) == [b"1", b"2", b"3"]
    assert r.ttl("dst") == -1
    assert r.type("dst") == b"list"
    r.delete("l")
    assert r.sort("l", store="dst") == 0
    assert r.exists("dst") == 0


def test_redis_py_helpers(r):
    r.rpush("ids", 2, 3, 1)
    r.mset({"name_1": "one", "name_2": "two", "name_3": "three", "age_1": "30", "age_2": "10", "age_3": "20"})
    assert r.sort("ids", by="age_*", get=["#", "name_*"]) == [b"2", b"two", b"3", b"three", b"1", b"one"]
    assert r.sort("ids", start=1, num=1, desc=True) == [b"2"]
    assert r.sort_ro("ids", alpha=True) == [b"1", b"2", b"3"]
    with pytest.raises(redis.ResponseError, match="One or more scores can't be converted into double"):
        r.sort("ids", by="name_*")


def test_get_keys():
    argv = [b"SORT", b"l", b"STORE", b"a", b"BY", b"store", b"STORE", b"c", b"LIMIT", b"0", b"1"]
    assert sort_keys(argv) == [(1, "RO access"), (7, "OW update")]
    assert sort_keys([b"SORT", b"l", b"GET", b"store", b"x"]) == [(1, "RO access")]
    assert sort_keys([b"SORT", b"l", b"STORE"]) == [(1, "RO access")]


_item = st.one_of(st.integers(-20, 20).map(str), st.sampled_from(["a", "b", "B", "1.5", "-0", "ab", "", "1e2"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(_item, max_size=12), weights=st.dictionaries(_item, _item, max_size=6),
       options=st.lists(st.sampled_from([("DESC",), ("ALPHA",), ("LIMIT", 1, 3), ("LIMIT", 0, 5), ("BY", "w_*"),
                                         ("BY", "nosort"), ("GET", "#"), ("GET", "w_*"), ("BY", "w_*", "ALPHA")]),
                        max_size=3))
def test_sort_list_sequences(diff, items, weights, options):
    diff.check("DEL", "l", "dst", *[f"w_{k}" for k in weights])
    if items:
        diff.check("RPUSH", "l", *items)
    for k, v in weights.items():
        diff.check("SET", f"w_{k}", v)
    flat = [a for option in options for a in option]
    diff.check("SORT", "l", *flat)
    diff.check("SORT", "l", *flat, "STORE", "dst")
    diff.check("LRANGE", "dst", 0, -1)
    diff.check("DEL", *[f"w_{k}" for k in weights] or ["none"])


@pytest.mark.parametrize("seed", range(12))
def test_alpha_by_with_limit_orders_ties_like_redis_pqsort(diff, seed):
    rnd = random.Random(seed)
    n = rnd.choice([5, 9, 30, 60, 120])
    items = [f"i{rnd.randrange(150)}" for _ in range(n)]
    diff.check("RPUSH", "l", *items)
    for item in set(items):
        if rnd.random() < 0.4:
            diff.check("SET", f"w_{item}", rnd.choice("abc"))
    for _ in range(4):
        start, count = rnd.randrange(n), rnd.randrange(1, n + 1)
        diff.check("SORT", "l", "BY", "w_*", "ALPHA", "LIMIT", start, count, *(["DESC"] if rnd.random() < 0.5 else []))


def test_sort_set_nosort_inside_a_script_is_alpha(diff):
    diff.check("SADD", "t", "b", "a", "c", "10", "-1", "xyz")
    diff.check("EVAL", "return redis.call('SORT', KEYS[1], 'BY', 'nosort')", 1, "t")
    diff.check("EVAL", "return redis.call('SORT_RO', KEYS[1], 'BY', 'nosort', 'LIMIT', 1, 3)", 1, "t")


def test_get_and_by_read_every_kind_of_string(diff):
    diff.check("RPUSH", "l", "1", "2", "3")
    diff.check("INCRBYFLOAT", "w_1", "3.0")
    diff.check("SET", "w_2", "2")
    diff.check("APPEND", "w_3", "1")
    diff.check("SORT", "l", "BY", "w_*", "GET", "w_*")


@pytest.mark.parametrize("args", [
    ("SORT", "l", "STORE", "a", "BY", "b", "STORE", "c", "LIMIT", "0", "1"), ("SORT", "l", "GET", "store", "x"),
    ("SORT", "l", "STORE"), ("SORT_RO", "l", "GET", "x"), ("SORT", "l", "LIMIT", "store", "x", "STORE", "d"),
])
def test_command_getkeys(diff, args):
    diff.check("COMMAND", "GETKEYS", *args)


_member = st.one_of(st.integers(-50, 50).map(str), st.text("abcxyz", min_size=1, max_size=3))
_window = st.lists(st.sampled_from([("DESC",), ("LIMIT", 0, 3), ("LIMIT", 2, 4), ("LIMIT", -1, 2), ("LIMIT", 5, -1),
                                    ("BY", "nosort"), ("ALPHA",), ("GET", "#")]), max_size=3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(members=st.dictionaries(_member, st.integers(-5, 5), min_size=1, max_size=15), options=_window)
def test_sort_sorted_set_sequences(diff, members, options):
    diff.check("DEL", "z", "dst")
    diff.check("ZADD", "z", *[a for m, s in members.items() for a in (s, m)])
    flat = [a for option in options for a in option]
    diff.check("SORT", "z", *flat)
    diff.check("SORT", "z", *flat, "STORE", "dst")
    diff.check("LRANGE", "dst", 0, -1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(members=st.sets(_member, min_size=1, max_size=15),
       options=st.lists(st.sampled_from([("DESC",), ("LIMIT", 0, 3), ("LIMIT", 2, 4), ("ALPHA",), ("GET", "#")]),
                        max_size=3))
def test_sort_set_sequences(diff, members, options):
    diff.check("DEL", "s", "dst")
    diff.check("SADD", "s", *members)
    flat = [a for option in options for a in option]
    diff.check("SORT", "s", *flat)
    diff.check("SORT", "s", *flat, "STORE", "dst")
    diff.check("LRANGE", "dst", 0, -1)
