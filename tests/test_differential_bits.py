"""Bitmap and HyperLogLog commands against real redis-server: hypothesis-generated sequences, and the
keyspace notifications of the bitmap, HyperLogLog and SORT commands."""

from __future__ import annotations

import time

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEYS = ["b1", "b2", "b3"]
_key = st.sampled_from(KEYS)
_index = st.one_of(st.integers(-40, 40), st.sampled_from([-1000, 1000, 2**31, -(2**31)]))
_unit = st.sampled_from(["BIT", "BYTE", "bit"])
_value64 = st.one_of(st.integers(-1000, 1000), st.sampled_from([2**63 - 1, -(2**63), 2**62, -(2**62), 255, 256]))


@st.composite
def _bitfield(draw: st.DrawFn) -> tuple:
    args: list = [draw(st.sampled_from(["BITFIELD", "BITFIELD", "BITFIELD_RO"])), draw(_key)]
    for _ in range(draw(st.integers(0, 4))):
        signed = draw(st.booleans())
        bits = draw(st.integers(1, 64 if signed else 63))
        kind = f"{'i' if signed else 'u'}{bits}"
        offset = draw(st.one_of(st.integers(0, 90).map(str), st.integers(0, 6).map(lambda n: f"#{n}")))
        op = draw(st.sampled_from(["GET", "SET", "INCRBY", "OVERFLOW"]))
        if op == "GET":
            args += ["GET", kind, offset]
        elif op == "OVERFLOW":
            args += ["OVERFLOW", draw(st.sampled_from(["WRAP", "SAT", "FAIL"]))]
        else:
            args += [op, kind, offset, draw(_value64)]
    return tuple(args)


_bit_command = st.one_of(
    st.tuples(st.just("SETBIT"), _key, st.integers(0, 200), st.integers(0, 1)),
    st.tuples(st.just("GETBIT"), _key, st.integers(0, 220)),
    st.tuples(st.just("BITCOUNT"), _key),
    st.tuples(st.just("BITCOUNT"), _key, _index, _index),
    st.tuples(st.just("BITCOUNT"), _key, _index, _index, _unit),
    st.tuples(st.just("BITPOS"), _key, st.integers(0, 1)),
    st.tuples(st.just("BITPOS"), _key, st.integers(0, 1), _index),
    st.tuples(st.just("BITPOS"), _key, st.integers(0, 1), _index, _index),
    st.tuples(st.just("BITPOS"), _key, st.integers(0, 1), _index, _index, _unit),
    st.tuples(st.just("BITOP"), st.sampled_from(["AND", "OR", "XOR"]), _key,
              st.lists(st.sampled_from(KEYS + ["nokey"]), min_size=1, max_size=3)).map(lambda t: (*t[:3], *t[3])),
    st.tuples(st.just("BITOP"), st.just("NOT"), _key, st.sampled_from(KEYS + ["nokey"])),
    _bitfield(),
    st.tuples(st.just("APPEND"), _key, st.binary(max_size=6)),
    st.tuples(st.just("SETRANGE"), _key, st.integers(0, 30), st.binary(max_size=6)),
    st.tuples(st.just("SET"), _key, st.binary(max_size=10)),
    st.tuples(st.just("GET"), _key),
    st.tuples(st.just("DEL"), _key),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(commands=st.lists(_bit_command, min_size=1, max_size=25))
def test_bitmap_sequences(diff, commands):
    diff.check("DEL", *KEYS)
    for command in commands:
        diff.check(*command)
    for key in KEYS:
        diff.check("GET", key)


HLL_KEYS = ["h1", "h2", "h3"]
_hll_key = st.sampled_from(HLL_KEYS)
# a small pool makes repeats (no change) likely; a wide one grows sparse HLLs towards dense
_element = st.one_of(st.integers(0, 30).map(lambda n: f"e{n}"), st.integers(0, 10**9).map(str))
_hll_command = st.one_of(
    st.tuples(st.just("PFADD"), _hll_key, st.lists(_element, max_size=8)).map(lambda t: (*t[:2], *t[2])),
    st.tuples(st.just("PFADD"), _hll_key, st.lists(_element, min_size=50, max_size=400)).map(lambda t: (*t[:2], *t[2])),
    st.tuples(st.just("PFCOUNT"), st.lists(_hll_key, min_size=1, max_size=3)).map(lambda t: (t[0], *t[1])),
    st.tuples(st.just("PFMERGE"), _hll_key, st.lists(_hll_key, max_size=3)).map(lambda t: (*t[:2], *t[2])),
    st.tuples(st.just("GET"), _hll_key),
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(commands=st.lists(_hll_command, min_size=1, max_size=20))
def test_hyperloglog_sequences(diff, commands):
    diff.check("DEL", *HLL_KEYS)
    for command in commands:
        diff.check(*command)
    for key in HLL_KEYS:
        diff.check("GET", key)
        diff.check("PFCOUNT", key)


@pytest.fixture
def notified(redis_oracle_port, server):
    """Both servers with every notification on; yields (real, ours) redis-py clients."""
    clients = [redis.Redis(port=redis_oracle_port), redis.Redis(port=server.port)]
    for c in clients:
        c.flushall()
        c.config_set("notify-keyspace-events", "KEA")
    yield clients
    for c in clients:
        c.config_set("notify-keyspace-events", "")
        c.close()


def _events(client: redis.Redis, commands: list[tuple]) -> list[tuple[bytes, bytes]]:
    pubsub = client.pubsub()
    pubsub.psubscribe("__keyevent@0__:*")
    pubsub.get_message(timeout=1)
    for command in commands:
        try:
            client.execute_command(*command)
        except redis.ResponseError:
            pass
    events = []
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.1)
        if message is None:
            if events:
                break
            continue
        events.append((message["channel"], message["data"]))
    pubsub.close()
    return events


def test_notifications_match_redis(notified):
    commands = [
        ("SETBIT", "b", 7, 1), ("SETBIT", "b", 7, 1), ("SETBIT", "b", 3, 0), ("BITFIELD", "b", "SET", "u8", 0, 1),
        ("BITFIELD", "b", "SET", "u8", 0, 1), ("BITFIELD", "b", "GET", "u8", 0), ("BITOP", "NOT", "n", "b"),
        ("BITOP", "AND", "n", "missing"), ("PFADD", "h", "a"), ("PFADD", "h", "a"), ("PFCOUNT", "h"),
        ("PFMERGE", "m", "h"), ("RPUSH", "l", "2", "1"), ("SORT", "l", "STORE", "dst"),
        ("SORT", "missing", "STORE", "dst"), ("SORT", "missing", "STORE", "dst"),
    ]
    real, ours = notified
    assert _events(ours, commands) == _events(real, commands)


def test_resp3_replies(diff3):
    for command in [("SETBIT", "b", 3, 1), ("BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u2", 0, 5, "GET", "u4", 0),
                    ("BITFIELD_RO", "b", "GET", "i4", 0), ("BITPOS", "b", 1), ("BITCOUNT", "b"), ("PFADD", "h", "a", "b"),
                    ("PFCOUNT", "h"), ("PFDEBUG", "ENCODING", "h"), ("PFDEBUG", "DECODE", "h"), ("PFDEBUG", "GETREG", "h"),
                    ("PFMERGE", "h2", "h"), ("RPUSH", "l", "1", "2"), ("SORT", "l", "GET", "#", "GET", "nokey_*"),
                    ("SORT_RO", "l"), ("SORT", "l", "STORE", "x"), ("PFDEBUG", "ENCODING", "nokey")]:
        diff3.check(*command)
