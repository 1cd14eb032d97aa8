"""Streams without consumer groups: XADD XRANGE XREVRANGE XLEN XDEL XTRIM XSETID XREAD XINFO STREAM.

Each scenario runs against real redis-server 7.0 and dynamis (RESP2 and RESP3) and the replies
must be identical byte for byte; IDs are explicit so that replies are deterministic.
"""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

MAX = "18446744073709551615"

XADD_IDS = [
    ("XADD", "s", "1-1", "a", "1"),
    ("XADD", "s", "1-1", "a", "1"),
    ("XADD", "s", "0-0", "a", "1"),
    ("XADD", "fresh", "0-0", "a", "1"),
    ("EXISTS", "fresh"),
    ("XADD", "s", "1-*", "b", "2"),
    ("XADD", "s", "5", "c", "3"),
    ("XADD", "s", "5-*", "c", "3"),
    ("XADD", "s", "4-*", "c", "3"),
    ("XADD", "s", "6-2-*", "c", "3"),
    ("XADD", "s", "-*", "c", "3"),
    ("XADD", "s", "1--5", "c", "3"),
    ("XADD", "s", " 13", "a", "b"),
    ("XADD", "s", "+14", "a", "b"),
    ("XADD", "s", "0015-001", "a", "b"),
    ("XADD", "s", "16-" + MAX, "a", "b"),
    ("XADD", "s", "16-*", "a", "b"),
    ("XADD", "s", "x" * 130, "a", "b"),
    ("XADD", "s", "abc", "a", "b"),
    ("XADD", "s", "-", "a", "b"),
    ("XADD", "s", "+", "a", "b"),
    ("XADD", "s", f"{MAX}-{MAX}", "a", "b"),
    ("XADD", "s", "*", "a", "b"),
    ("XADD", "s", f"{MAX}-*", "a", "b"),
    ("XLEN", "s"),
    ("XRANGE", "s", "-", "+"),
    ("XADD", "zero", "0-*", "a", "b"),
    ("XADD", "zero", "0-*", "a", "b"),
]

XADD_OPTIONS = [
    ("XADD", "s", "1-1", "a"),
    ("XADD", "s", "1-1", "a", "b", "c"),
    ("XADD", "s", "NOMKSTREAM", "1-1", "a", "b"),
    ("XADD", "nokey", "NOMKSTREAM", "1-1", "a", "b"),
    ("EXISTS", "nokey"),
    ("XADD", "s", "MAXLEN"),
    ("XADD", "s", "MAXLEN", "2", "2-1", "a", "b"),
    ("XADD", "s", "MAXLEN", "2", "3-1", "a", "b"),
    ("XADD", "s", "MAXLEN", "=", "2", "4-1", "a", "b"),
    ("XADD", "s", "maxlen", "-1", "10-1", "a", "b"),
    ("XADD", "s", "maxlen", "x", "10-1", "a", "b"),
    ("XADD", "s", "MAXLEN", "~", "10", "LIMIT", "5", "11-1", "a", "b"),
    ("XADD", "s", "MAXLEN", "10", "LIMIT", "5", "11-1", "a", "b"),
    ("XADD", "s", "MAXLEN", "~", "10", "LIMIT", "-1", "11-1", "a", "b"),
    ("XADD", "s", "MAXLEN", "~", "10", "LIMIT", "x", "11-1", "a", "b"),
    ("XADD", "s", "MAXLEN", "10", "MINID", "5", "11-1", "a", "b"),
    ("XADD", "s", "LIMIT", "5", "11-1", "a", "b"),
    ("XADD", "s", "LIMIT", "0", "12-1", "a", "b"),
    ("XADD", "s", "MINID", "=", "11-1", "13-1", "a", "b"),
    ("XADD", "s", "MINID", "~", "11", "14-1", "a", "b"),
    ("XADD", "s", "MINID", "abc", "15-1", "a", "b"),
    ("XADD", "s", "MINID", "-", "15-1", "a", "b"),
    ("XRANGE", "s", "-", "+"),
    ("XADD", "s", "MAXLEN", "0", "20-1", "a", "b"),
    ("XLEN", "s"),
    ("XINFO", "STREAM", "s"),
    ("SET", "str", "x"),
    ("XADD", "str", "1-1", "a", "b"),
    ("XADD", "str", "NOMKSTREAM", "1-1", "a", "b"),
]

RANGES = [
    *[("XADD", "s", f"{ms}-{seq}", "f", f"v{ms}.{seq}") for ms in range(1, 6) for seq in range(3)],
    ("XADD", "s", "7-1", "k1", "v1", "k2", "v2"),
    ("XRANGE", "s", "-", "+"),
    ("XRANGE", "s", "-", "+", "COUNT", "2"),
    ("XRANGE", "s", "-", "+", "COUNT", "0"),
    ("XRANGE", "s", "-", "+", "COUNT", "-1"),
    ("XRANGE", "s", "-", "+", "COUNT"),
    ("XRANGE", "s", "-", "+", "COUNT", "x"),
    ("XRANGE", "s", "-", "+", "FOO", "1"),
    ("XRANGE", "s", "-", "+", "COUNT", "1", "COUNT", "3"),
    ("XRANGE", "s", "(1-1", "+"),
    ("XRANGE", "s", "(1", "+"),
    ("XRANGE", "s", "(", "+"),
    ("XRANGE", "s", "(-", "+"),
    ("XRANGE", "s", "-", "(+"),
    ("XRANGE", "s", "-", f"({MAX}-{MAX}"),
    ("XRANGE", "s", f"({MAX}-{MAX}", "+"),
    ("XRANGE", "s", "-", "(0-0"),
    ("XRANGE", "s", "(0-0", "(0-0"),
    ("XRANGE", "s", "2", "4"),
    ("XRANGE", "s", "2", "(4"),
    ("XRANGE", "s", "(2", "4-1"),
    ("XRANGE", "s", "4", "2"),
    ("XRANGE", "s", "abc", "+"),
    ("XRANGE", "s", "-", "1-x"),
    ("XREVRANGE", "s", "+", "-"),
    ("XREVRANGE", "s", "+", "-", "COUNT", "3"),
    ("XREVRANGE", "s", "(4", "(2"),
    ("XREVRANGE", "s", "4", "2"),
    ("XREVRANGE", "s", "-", "+"),
    ("XREVRANGE", "s", "+", "-", "COUNT", "0"),
    ("XRANGE", "nokey", "-", "+"),
    ("XRANGE", "nokey", "-", "+", "COUNT", "0"),
    ("XREVRANGE", "nokey", "+", "-"),
    ("SET", "str", "x"),
    ("XRANGE", "str", "-", "+"),
    ("XREVRANGE", "str", "+", "-"),
]

DELETE_AND_TRIM = [
    *[("XADD", "s", f"{i}-1", "f", str(i)) for i in range(1, 21)],
    ("XDEL", "s", "1-1", "2-1", "99-1", "2-1"),
    ("XDEL", "s", "abc"),
    ("XDEL", "s", "3-1", "abc"),
    ("XLEN", "s"),
    ("XDEL", "s", "-"),
    ("XDEL", "s", "+"),
    ("XDEL", "nokey", "1-1"),
    ("XDEL", "nokey", "abc"),
    ("XINFO", "STREAM", "s"),
    ("XTRIM", "s", "MAXLEN", "15"),
    ("XTRIM", "s", "MAXLEN", "=", "14"),
    ("XTRIM", "s", "MINID", "8"),
    ("XTRIM", "s", "MINID", "~", "12"),
    ("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "0"),
    ("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "1"),
    ("XTRIM", "s", "foo"),
    ("XTRIM", "s", "LIMIT", "10"),
    ("XTRIM", "s", "LIMIT", "0"),
    ("XTRIM", "s", "MAXLEN", "1", "LIMIT", "10"),
    ("XTRIM", "s", "MAXLEN", "1", "MINID", "1"),
    ("XTRIM", "s", "MAXLEN", "-1"),
    ("XTRIM", "s", "MINID", "x"),
    ("XTRIM", "s", "MAXLEN"),
    ("XTRIM", "nokey", "MAXLEN", "0"),
    ("XTRIM", "nokey", "MAXLEN", "x"),
    ("XRANGE", "s", "-", "+"),
    ("XINFO", "STREAM", "s"),
    ("XTRIM", "s", "MAXLEN", "0"),
    ("XLEN", "s"),
    ("EXISTS", "s"),
    ("XINFO", "STREAM", "s"),
    ("XDEL", "s", "20-1"),
    ("SET", "str", "x"),
    ("XDEL", "str", "1-1"),
    ("XTRIM", "str", "MAXLEN", "1"),
    ("XLEN", "str"),
    ("XLEN", "nokey"),
]

SETID = [
    ("XADD", "s", "5-1", "a", "b"),
    ("XADD", "s", "6-1", "a", "b"),
    ("XDEL", "s", "6-1"),
    ("XSETID", "s", "1-1"),
    ("XSETID", "s", "5-1"),
    ("XINFO", "STREAM", "s"),
    ("XADD", "s", "5-2", "a", "b"),
    ("XSETID", "s", "9-1", "ENTRIESADDED", "1"),
    ("XSETID", "s", "9-1", "ENTRIESADDED", "-1"),
    ("XSETID", "s", "9-1", "ENTRIESADDED", "x"),
    ("XSETID", "s", "9-1", "MAXDELETEDID", "10-1"),
    ("XSETID", "s", "9-1", "MAXDELETEDID", "abc"),
    ("XSETID", "s", "9-1", "ENTRIESADDED", "100", "MAXDELETEDID", "7-1"),
    ("XSETID", "s", "9-1", "ENTRIESADDED"),
    ("XSETID", "s", "9-1", "FOO", "1"),
    ("XSETID", "s", "-"),
    ("XSETID", "s", "abc"),
    ("XSETID", "nokey", "1-1"),
    ("XINFO", "STREAM", "s"),
    ("XDEL", "s", "5-1", "5-2"),
    ("XSETID", "s", "2-1"),
    ("XINFO", "STREAM", "s"),
    ("XADD", "s", "2-2", "a", "b"),
    ("SET", "str", "x"),
    ("XSETID", "str", "1-1"),
]

XREAD = [
    ("XADD", "s", "1-1", "a", "1"),
    ("XADD", "s", "2-1", "b", "2"),
    ("XADD", "t", "1-5", "c", "3"),
    ("XREAD", "STREAMS", "s", "0"),
    ("XREAD", "COUNT", "1", "STREAMS", "s", "t", "0", "0"),
    ("XREAD", "COUNT", "1", "STREAMS", "s", "s", "0", "1-1"),
    ("XREAD", "STREAMS", "s", "t", "1-1", "1-5"),
    ("XREAD", "STREAMS", "s", "nokey", "0", "0"),
    ("XREAD", "STREAMS", "s", "$"),
    ("XREAD", "STREAMS", "nokey", "$"),
    ("XREAD", "STREAMS", "s", "2-1"),
    ("XREAD", "COUNT", "-5", "STREAMS", "s", "1"),
    ("XREAD", "COUNT", "0", "STREAMS", "s", "1"),
    ("XREAD", "COUNT", "x", "STREAMS", "s", "1"),
    ("XREAD", "FOO", "STREAMS", "s", "1"),
    # an odd STREAMS list and the "+" ID changed in Redis 7.4: tests/test_redis74_additions.py
    ("XREAD", "STREAMS", "s", ">"),
    ("XREAD", "STREAMS", "s", "abc"),
    ("XREAD", "STREAMS", "s", "-"),
    ("XREAD", "NOACK", "STREAMS", "s", "0"),
    ("XREAD", "GROUP", "g", "c", "STREAMS", "s", "0"),
    ("XREAD", "COUNT", "1"),
    ("XREAD", "BLOCK", "-1", "STREAMS", "s", "0"),
    ("XREAD", "BLOCK", "x", "STREAMS", "s", "0"),
    ("XREAD", "BLOCK", "1.5", "STREAMS", "s", "0"),
    ("XREAD", "BLOCK", "0", "STREAMS", "s", "0"),
    ("XREAD", "BLOCK", "10", "STREAMS", "s", "2-1"),
    ("XREAD", "BLOCK", "10", "STREAMS", "s", "$"),
    ("XDEL", "s", "2-1"),
    ("XREAD", "STREAMS", "s", "1-1"),
    ("SET", "str", "x"),
    ("XREAD", "STREAMS", "s", "str", "0", "0"),
]

INFO_AND_HELP = [
    ("XINFO", "STREAM", "nokey"),
    ("XADD", "e", "MAXLEN", "0", "1-1", "a", "b"),
    ("XINFO", "STREAM", "e"),
    ("XINFO", "STREAM", "e", "FULL"),
    *[("XADD", "s", f"{i}-1", "f", str(i)) for i in range(1, 16)],
    ("XINFO", "STREAM", "s"),
    ("XINFO", "STREAM", "s", "FULL"),
    ("XINFO", "STREAM", "s", "FULL", "COUNT", "3"),
    ("XINFO", "STREAM", "s", "FULL", "COUNT", "0"),
    ("XINFO", "STREAM", "s", "FULL", "COUNT", "-1"),
    ("XINFO", "STREAM", "s", "FULL", "COUNT", "x"),
    ("XINFO", "STREAM", "s", "FULL", "COUNT"),
    ("XINFO", "STREAM", "s", "FULL", "x", "1"),
    ("XINFO", "STREAM", "s", "FOO"),
    ("XINFO", "STREAM", "s", "FULL", "COUNT", "1", "x"),
    ("XINFO", "STREAM"),
    ("XINFO", "HELP"),
    ("XINFO", "HELP", "x"),
    ("XINFO", "FOO", "s"),
    ("XINFO",),
    ("XINFO", "GROUPS", "s"),
    ("XINFO", "GROUPS", "nokey"),
    ("SET", "str", "x"),
    ("XINFO", "STREAM", "str"),
    ("TYPE", "s"),
    ("OBJECT", "ENCODING", "s"),
]

SCENARIOS = {
    "xadd_ids": XADD_IDS, "xadd_options": XADD_OPTIONS, "ranges": RANGES, "delete_and_trim": DELETE_AND_TRIM,
    "setid": SETID, "xread": XREAD, "info_and_help": INFO_AND_HELP,
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_resp2(diff, name):
    diff.check_all(SCENARIOS[name])


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_resp3(diff3, name):
    diff3.check_all(SCENARIOS[name])


def _approximate_trimming_commands(seed: int) -> list[tuple]:
    """Many entries of mixed sizes, so that nodes are cut by stream-node-max-entries and -bytes."""
    rnd = random.Random(seed)
    out: list[tuple] = [("XADD", "s", f"{i}-1", "f", f"v{i}") for i in range(1, 801)]
    out += [("XLEN", "s"), ("XTRIM", "s", "MAXLEN", "~", "555"), ("XTRIM", "s", "MAXLEN", "~", "300", "LIMIT", "250"),
            ("XTRIM", "s", "MINID", "~", "650"), ("XINFO", "STREAM", "s")]
    for i in range(1001, 1200):
        out.append(("XADD", "s", "MAXLEN", "~", "150", f"{i}-1", "f", f"v{i}", "g", "x" * rnd.randint(0, 300)))
        if i % 7 == 0:
            out.append(("XDEL", "s", f"{i - 3}-1"))
    out += [("XLEN", "s"), ("XINFO", "STREAM", "s")]
    for i in range(1200, 1400):
        out.append(("XADD", "s", "MINID", "~", str(i - 120), f"{i}-{i % 3}", "f" * (i % 3), str(i * 1000)))
    out += [("XLEN", "s"), ("XINFO", "STREAM", "s")]
    for i in range(1400, 1600):
        fields = [x for j in range(rnd.randint(1, 6)) for x in (f"k{j}", str(rnd.randint(-10**12, 10**12)))]
        out.append(("XADD", "s", "MAXLEN", "~", "90", f"{i}-1", *fields))
    out += [("XLEN", "s"), ("XINFO", "STREAM", "s"), ("XRANGE", "s", "-", "+", "COUNT", "3")]
    return out


def test_approximate_trimming_matches_redis_nodes(diff):
    """`~` trims whole nodes: XLEN and the node counts of XINFO must be Redis's."""
    diff.check_all(_approximate_trimming_commands(7))


def _set_config(diff, server, name: str, value: str) -> None:
    diff.redis.call("CONFIG", "SET", name, value)
    server.server.config.apply(name, [value], at_startup=False)


def test_node_size_settings(diff, server):
    _set_config(diff, server, "stream-node-max-entries", "7")
    _set_config(diff, server, "stream-node-max-bytes", "300")
    try:
        diff.check_all([("XADD", "s", f"{i}-1", "f", "x" * (i % 40)) for i in range(1, 200)])
        diff.check_all([("XTRIM", "s", "MAXLEN", "~", "100"), ("XLEN", "s"), ("XINFO", "STREAM", "s")])
    finally:
        _set_config(diff, server, "stream-node-max-entries", "100")
        _set_config(diff, server, "stream-node-max-bytes", "4096")


def test_auto_ids_are_monotonic_and_timestamped(r):
    before = int(time.time() * 1000)
    ids = [r.xadd("auto", {"n": i}) for i in range(300)]
    parsed = [tuple(map(int, i.split(b"-"))) for i in ids]
    assert parsed == sorted(parsed) and len(set(parsed)) == 300
    assert before <= parsed[0][0] <= int(time.time() * 1000)
    r.execute_command("XSETID", "auto", f"{2**62}-5")
    assert r.xadd("auto", {"n": 1}) == f"{2**62}-6".encode()
    assert r.xadd("auto", {"n": 1}, id=f"{2**62}-*") == f"{2**62}-7".encode()


def test_redis_py_roundtrip(r):
    r.xadd("s", {"a": "1"}, id="1-1")
    r.xadd("s", {"b": "2", "c": "3"}, id="2-1")
    assert r.xrange("s") == [(b"1-1", {b"a": b"1"}), (b"2-1", {b"b": b"2", b"c": b"3"})]
    assert r.xrevrange("s", count=1) == [(b"2-1", {b"b": b"2", b"c": b"3"})]
    assert r.xlen("s") == 2
    assert r.type("s") == b"stream"
    assert r.object("encoding", "s") == b"stream"
    reply = r.xread({"s": "1-1"})
    entries = reply[b"s"][0] if isinstance(reply, dict) else reply[0][1]
    assert entries == [(b"2-1", {b"b": b"2", b"c": b"3"})]
    info = r.xinfo_stream("s")
    assert info["length"] == 2 and info["entries-added"] == 2


def test_big_stream_reads_are_ranged(r):
    pipe = r.pipeline(transaction=False)
    for i in range(1, 20001):
        pipe.xadd("big", {"i": i}, id=f"{i}-0")
    pipe.execute()
    assert r.xlen("big") == 20000
    assert [e[0] for e in r.xrange("big", "15000", "+", count=3)] == [b"15000-0", b"15001-0", b"15002-0"]
    assert [e[0] for e in r.xrevrange("big", "(15000-0", "-", count=2)] == [b"14999-0", b"14998-0"]
    r.xdel("big", *[f"{i}-0" for i in range(100, 5000)])
    assert r.xlen("big") == 20000 - 4900
    assert [e[0] for e in r.xrange("big", "98", "+", count=3)] == [b"98-0", b"99-0", b"5000-0"]
    assert r.xtrim("big", minid="10000", approximate=True) == 5000  # whole nodes of 100 only
    assert r.xtrim("big", minid="10000", approximate=False) == 99
    assert r.xrange("big", count=1)[0][0] == b"10000-0"


def test_keyspace_events(server, r):
    server.server.config.apply("notify-keyspace-events", ["KEt"], at_startup=False)
    try:
        p = r.pubsub()
        p.psubscribe("__keyevent@0__:*")
        assert p.get_message(timeout=1)["type"] == "psubscribe"
        r.xadd("ev", {"a": 1}, id="1-1")
        r.xadd("ev", {"a": 1}, id="2-1", maxlen=1, approximate=False)
        r.xdel("ev", "2-1")
        r.execute_command("XSETID", "ev", "5-5")
        r.xgroup_create("ev", "g", "0")
        r.xgroup_createconsumer("ev", "g", "c")
        r.xgroup_setid("ev", "g", "0")
        r.xgroup_delconsumer("ev", "g", "c")
        r.xgroup_destroy("ev", "g")
        r.xadd("ev", {"a": 1}, id="6-1")
        r.xtrim("ev", maxlen=0, approximate=False)
        events = []
        while True:
            m = p.get_message(timeout=0.5)
            if m is None:
                break
            events.append(m["channel"].split(b":", 1)[1].decode())
        assert events == ["xadd", "xadd", "xtrim", "xdel", "xsetid", "xgroup-create", "xgroup-createconsumer",
                          "xgroup-setid", "xgroup-delconsumer", "xgroup-destroy", "xadd", "xtrim"]
        p.close()
    finally:
        server.server.config.apply("notify-keyspace-events", [""], at_startup=False)


# -- hypothesis: random sequences with explicit IDs -----------------------------------------------

_keys = st.sampled_from(["s1", "s2"])
_ids = st.builds(lambda ms, seq: f"{ms}-{seq}", st.integers(0, 12), st.integers(0, 3))
_any_id = st.one_of(_ids, st.integers(0, 12).map(str), st.sampled_from(["-", "+", "(3", "(5-1", "0-0"]))
_fields = st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3).map(
    lambda fs: [x for f in fs for x in (f, f + "v")])
_trim = st.one_of(
    st.just([]),
    st.builds(lambda kind, approx, n: [kind, *approx, n], st.just("MAXLEN"),
              st.sampled_from([[], ["="], ["~"]]), st.integers(0, 6).map(str)),
    st.builds(lambda approx, i: ["MINID", *approx, i], st.sampled_from([[], ["="], ["~"]]), _ids),
)
_ops = st.one_of(
    st.builds(lambda k, t, i, f: ("XADD", k, *t, i, *f), _keys, _trim, st.one_of(_ids, st.just("7-*")), _fields),
    st.builds(lambda k, a, b, c: ("XRANGE", k, a, b, *c), _keys, _any_id, _any_id,
              st.sampled_from([[], ["COUNT", "2"], ["COUNT", "0"]])),
    st.builds(lambda k, a, b, c: ("XREVRANGE", k, a, b, *c), _keys, _any_id, _any_id,
              st.sampled_from([[], ["COUNT", "1"]])),
    st.builds(lambda k, ids: ("XDEL", k, *ids), _keys, st.lists(_ids, min_size=1, max_size=3)),
    st.builds(lambda k, t: ("XTRIM", k, *t), _keys, _trim.filter(bool)),
    st.builds(lambda k, i: ("XSETID", k, i), _keys, _ids),
    st.builds(lambda k: ("XLEN", k), _keys),
    st.builds(lambda k: ("XINFO", "STREAM", k), _keys),
    st.builds(lambda k, i, c: ("XREAD", "COUNT", c, "STREAMS", k, i), _keys, _ids, st.sampled_from(["0", "1", "2"])),
)


@given(st.lists(_ops, min_size=1, max_size=25), st.sampled_from([2, 3]))
@settings(max_examples=80, deadline=None)
def test_random_sequences(redis_oracle_port, server, ops, resp):
    from tests.helpers import Differential

    d = Differential(redis_oracle_port, server.port, resp=resp)
    try:
        d.check_all(ops)
    finally:
        d.close()
