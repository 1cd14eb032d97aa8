"""DUMP and RESTORE against real redis-server 7.0 as the oracle.

DUMP: the object bytes (the payload less its 10-byte trailer: RDB version and CRC-64) of generated
values of every type and encoding must be the ones Redis writes; where Redis's bytes depend on its
hash seed (hashtable sets and hashes) the decoded contents are compared instead, and where dynamis
writes a newer RDB type than 7.0 (streams: 21 instead of 19) the rest of the bytes are compared.
RESTORE: payloads DUMPed by Redis restore on dynamis, and dynamis's payloads restore on Redis once
their trailer says RDB 10 (same object bytes, recomputed CRC) where the RDB type exists in RDB 10.
Then the command itself: options, errors, expiry, LRU/LFU, notifications, WATCH and tracking, and
malformed payloads, which must answer an error and leave the server serving.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamis.config import Config
from dynamis.kv.persistence import rdb
from dynamis.kv.types.hash import HashValue
from dynamis.kv.types.set import SetValue
from dynamis.kv.types.stream import Stream
from dynamis.kv.types.zset import SortedSet
from tests.helpers import RawConnection, with_rdb_version

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture
def oracle(redis_oracle_port: int) -> Iterator[redis.Redis]:
    client = redis.Redis(port=redis_oracle_port, protocol=2)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def dyn(server) -> Iterator[redis.Redis]:
    client = server.client(protocol=2)
    client.flushall()
    yield client
    client.close()


def decoded(payload: bytes) -> object:
    """A payload's value in comparable form (sets and hashes whatever their order)."""
    value = rdb.decode_value(payload, Config())
    if isinstance(value, SetValue):
        return sorted(value)
    if isinstance(value, HashValue):
        return sorted(value.items())
    if isinstance(value, SortedSet):
        return list(value.order), value.listpack
    if isinstance(value, Stream):
        return stream_summary(value)
    return value


def stream_summary(s: Stream) -> object:
    """A stream's content and bookkeeping without the wall-clock times (which differ between servers)."""
    groups = []
    for name in sorted(s.groups):
        g = s.groups[name]
        groups.append((name, g.last_id, g.entries_read, [(sid, n.delivery_count, n.consumer.name)
                                                         for sid, n in g.pel.items()],
                       [(c.name, list(c.pel)) for c in g.sorted_consumers()]))
    entries = list(s.range(0, (1 << 128) - 1))
    return entries, s.length, s.last_id, s.first_id, s.max_deleted_id, s.entries_added, groups


def run(clients: tuple[redis.Redis, ...], commands: list[list[object]]) -> None:
    """The commands on each client, from empty databases (a generated example starts afresh)."""
    for client in clients:
        client.flushall()
        for command in commands:
            client.execute_command(*command)


def check_dump(oracle: redis.Redis, dyn: redis.Redis, key: str, exact: bool = True) -> None:
    """DUMP on both: the same object bytes (or the same contents), Redis's payload restores on dynamis
    into the same value, and dynamis's restores on Redis (RDB 10 trailer) into the same value."""
    expected, actual = oracle.dump(key), dyn.dump(key)
    assert expected[-10:-8] == b"\x0a\x00" and actual[-10:-8] == b"\x0c\x00"
    if exact:
        assert actual[:-10] == expected[:-10]
    else:
        assert decoded(actual) == decoded(expected)
    # loading may convert (a hashtable hash left small by HDEL loads as a listpack): as Redis does
    oracle.restore("copy", 0, expected)
    encoding = oracle.object("encoding", "copy")
    dyn.restore("copy", 0, expected)
    assert dyn.object("encoding", "copy") == encoding
    assert decoded(dyn.dump("copy")) == decoded(oracle.dump("copy"))
    if actual[0] not in rdb.TYPE_SINCE:
        oracle.restore("copy2", 0, with_rdb_version(actual, 10))
        assert oracle.object("encoding", "copy2") == encoding
        assert decoded(oracle.dump("copy2")) == decoded(actual)
    for client in (oracle, dyn):
        client.delete("copy", "copy2")


# -- generated values ----------------------------------------------------------------------------

int_text = st.integers(-(1 << 63), (1 << 63) - 1).map(str)
small_int_text = st.one_of(st.integers(-200, 200), st.integers(-70000, 70000), st.integers(-(1 << 40), 1 << 40)).map(str)
# repetitive text compresses (LZF), random bytes mostly do not
repetitive = st.tuples(st.text("ab01", min_size=1, max_size=6), st.integers(4, 60)).map(lambda t: t[0] * t[1])
element = st.one_of(small_int_text, st.binary(max_size=12), repetitive, st.binary(min_size=20, max_size=80),
                    st.sampled_from(["0", "-0", "007", "+1", " 1", "9223372036854775808", "1.5", ""]))
string_value = st.one_of(int_text, element, st.binary(min_size=21, max_size=3000),
                         repetitive.map(lambda s: s * 40))


@SETTINGS
@given(value=string_value)
def test_dump_string(oracle, dyn, value) -> None:
    run((oracle, dyn), [["SET", "k", value]])
    check_dump(oracle, dyn, "k")


@SETTINGS
@given(elements=st.lists(element, min_size=1, max_size=400))
def test_dump_list(oracle, dyn, elements) -> None:
    # quicklist nodes are cut where RPUSH cuts them
    run((oracle, dyn), [["RPUSH", "k", *elements]])
    check_dump(oracle, dyn, "k")


def test_dump_list_many_nodes(oracle, dyn) -> None:
    elements = [f"element-{i}" * (1 + i % 7) for i in range(6000)] + [str(i) for i in range(3000)] + ["x" * 9000]
    run((oracle, dyn), [["RPUSH", "k", *elements[i:i + 1000]] for i in range(0, len(elements), 1000)])
    check_dump(oracle, dyn, "k")


@pytest.mark.parametrize("fill", ["-1", "-3", "-5", "5", "128"])
def test_dump_list_fill(oracle, dyn, fill) -> None:
    for client in (oracle, dyn):
        client.config_set("list-max-listpack-size", fill)
    try:
        run((oracle, dyn), [["RPUSH", "k", *[f"v{i}" * (i % 50) for i in range(2000)]]])
        check_dump(oracle, dyn, "k")
    finally:
        for client in (oracle, dyn):
            client.config_set("list-max-listpack-size", "-2")


@SETTINGS
@given(members=st.lists(st.one_of(small_int_text, int_text), min_size=1, max_size=600, unique=True))
def test_dump_intset(oracle, dyn, members) -> None:
    run((oracle, dyn), [["SADD", "k", *members]])
    check_dump(oracle, dyn, "k", exact=oracle.object("encoding", "k") == b"intset")


@SETTINGS
@given(members=st.lists(element, min_size=1, max_size=200, unique=True))
def test_dump_set(oracle, dyn, members) -> None:
    run((oracle, dyn), [["SADD", "k", *members]])
    check_dump(oracle, dyn, "k", exact=oracle.object("encoding", "k") == b"intset")


score = st.one_of(st.integers(-(1 << 60), 1 << 60).map(str),
                  st.floats(allow_nan=False, width=64).map(repr),
                  st.sampled_from(["0.1", "1e-300", "-0", "inf", "-inf", "4503599627370496", "3.0000000000000004"]))


@SETTINGS
@given(pairs=st.lists(st.tuples(score, element), min_size=1, max_size=200, unique_by=lambda p: p[1]))
def test_dump_zset(oracle, dyn, pairs) -> None:
    run((oracle, dyn), [["ZADD", "k", *[x for pair in pairs for x in pair]]])
    check_dump(oracle, dyn, "k")


@SETTINGS
@given(pairs=st.lists(st.tuples(element, element), min_size=1, max_size=150, unique_by=lambda p: p[0]),
       deleted=st.integers(0, 3))
def test_dump_hash(oracle, dyn, pairs, deleted) -> None:
    commands = [["HSET", "k", *[x for pair in pairs for x in pair]]]
    commands += [["HDEL", "k", field] for field, _ in pairs[:deleted][:len(pairs) - 1]]
    run((oracle, dyn), commands)
    check_dump(oracle, dyn, "k", exact=oracle.object("encoding", "k") == b"listpack")


field_names = st.lists(st.sampled_from(["a", "b", "name", "1", "-5", "x" * 70]), min_size=1, max_size=4, unique=True)


@SETTINGS
@given(entries=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), field_names,
                                  st.lists(element, min_size=4, max_size=4)), min_size=1, max_size=250))
def test_dump_stream(oracle, dyn, entries) -> None:
    commands, ms, seq = [], 1, 0
    for ms_step, seq_step, fields, values in entries:
        ms, seq = (ms + ms_step, seq_step) if ms_step else (ms, seq + seq_step + 1)
        commands.append(["XADD", "s", f"{ms}-{seq}", *[x for fv in zip(fields, values, strict=False) for x in fv]])
    run((oracle, dyn), commands)
    expected, actual = oracle.dump("s"), dyn.dump("s")
    # dynamis writes RDB_TYPE_STREAM_LISTPACKS_3 (7.2+), whose bytes only add the consumers' active time
    assert (expected[0], actual[0]) == (rdb.TYPE_STREAM_LISTPACKS_2, rdb.TYPE_STREAM_LISTPACKS_3)
    assert actual[1:-10] == expected[1:-10]
    dyn.restore("copy", 0, expected)
    assert dyn.dump("copy") == actual


def test_dump_stream_with_groups_and_deletions(oracle, dyn) -> None:
    commands = [["XADD", "s", f"{i}-1", "f", str(i), "g", "v" * (i % 5)] for i in range(1, 300)]
    commands += [["XDEL", "s", "5-1", "6-1", "150-1"], ["XTRIM", "s", "MAXLEN", "~", "250"],
                 ["XGROUP", "CREATE", "s", "g1", "0"], ["XGROUP", "CREATE", "s", "g2", "$"],
                 ["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "3", "STREAMS", "s", ">"],
                 ["XREADGROUP", "GROUP", "g1", "bob", "COUNT", "2", "STREAMS", "s", ">"],
                 ["XACK", "s", "g1", "101-1"], ["XGROUP", "CREATECONSUMER", "s", "g2", "carol"],
                 ["XCLAIM", "s", "g1", "bob", "0", "102-1"], ["XSETID", "s", "1000-0", "MAXDELETEDID", "400-0"]]
    run((oracle, dyn), commands)
    expected, actual = oracle.dump("s"), dyn.dump("s")
    assert decoded(actual) == decoded(expected)
    dyn.restore("copy", 0, expected)
    assert dyn.xrange("copy") == oracle.xrange("s")
    assert dyn.xinfo_stream("copy")["length"] == oracle.xinfo_stream("s")["length"]
    timeless = ("name", "consumers", "pending", "last-delivered-id", "entries-read", "lag")
    assert [{k: g[k] for k in timeless} for g in dyn.xinfo_groups("copy")] == [
        {k: g[k] for k in timeless} for g in oracle.xinfo_groups("s")]
    assert [(c["name"], c["pending"]) for c in dyn.xinfo_consumers("copy", "g1")] == [
        (c["name"], c["pending"]) for c in oracle.xinfo_consumers("s", "g1")]
    assert [(p["message_id"], p["consumer"], p["times_delivered"])
            for p in dyn.xpending_range("copy", "g1", "-", "+", 10)] == [
        (p["message_id"], p["consumer"], p["times_delivered"]) for p in oracle.xpending_range("s", "g1", "-", "+", 10)]


def test_dump_big_encodings(oracle, dyn) -> None:
    """Past the listpack thresholds: skiplist zset (binary doubles, tail first), hashtable hash, big values."""
    members = [f"m{i}" for i in range(300)]
    run((oracle, dyn), [["ZADD", "z", *[x for i, m in enumerate(members) for x in (str(i / 7), m)]],
                        ["ZADD", "z2", "1", "x" * 100], ["HSET", "h", *[x for m in members for x in (m, m * 3)]],
                        ["SET", "big", "abc" * 100000], ["SADD", "s", *members]])
    check_dump(oracle, dyn, "z")
    check_dump(oracle, dyn, "z2")
    check_dump(oracle, dyn, "big")
    check_dump(oracle, dyn, "h", exact=False)
    check_dump(oracle, dyn, "s", exact=False)


def test_dump_strings_of_other_commands(oracle, dyn) -> None:
    """HyperLogLogs (sparse and dense), bitmaps, APPENDed and INCRBYFLOAT strings are strings as Redis keeps them."""
    run((oracle, dyn), [["PFADD", "sparse", *[f"e{i}" for i in range(50)]],
                        ["PFADD", "dense", *[f"e{i}" for i in range(5000)]],
                        ["SETBIT", "bits", "10000", "1"], ["SET", "app", "12"], ["APPEND", "app", "34"],
                        ["SET", "f", "10"], ["INCRBYFLOAT", "f", "1.5"], ["INCRBYFLOAT", "f", "0.5"],
                        ["SETRANGE", "r", "30", "x"]])
    for key in ("sparse", "dense", "bits", "app", "f", "r"):
        check_dump(oracle, dyn, key)


def test_dump_without_compression(oracle, dyn) -> None:
    for client in (oracle, dyn):
        client.config_set("rdbcompression", "no")
    try:
        run((oracle, dyn), [["SET", "k", "a" * 500], ["RPUSH", "l", *["b" * 30] * 50]])
        check_dump(oracle, dyn, "k")
        check_dump(oracle, dyn, "l")
    finally:
        for client in (oracle, dyn):
            client.config_set("rdbcompression", "yes")


# -- round trips through redis-py ------------------------------------------------------------------

def test_round_trip_every_type(r) -> None:
    r.set("str", "hello")
    r.set("int", 12345)
    r.rpush("list", *range(100), "x" * 100)
    r.sadd("iset", *range(50))
    r.sadd("set", "a", "b", *range(600))
    r.zadd("zset", {"a": 1.5, "b": -2, "c": 1e100})
    r.zadd("bigz", {f"m{i}": i / 3 for i in range(500)})
    r.hset("hash", mapping={"f": "v", "n": 1})
    r.hset("bighash", mapping={f"f{i}": "v" * i for i in range(100)})
    r.pfadd("hll", *[f"e{i}" for i in range(100)])
    r.setbit("bits", 1000, 1)
    r.geoadd("geo", (13.361389, 38.115556, "Palermo"))
    r.xadd("stream", {"a": "1"}, id="1-1")
    r.xadd("stream", {"a": "2", "b": "3"}, id="2-1")
    r.xgroup_create("stream", "g", id="0")
    r.xreadgroup("g", "c1", {"stream": ">"}, count=1)
    r.hset("hfe", mapping={"a": "1", "b": "2", "c": "3"})
    r.hexpire("hfe", 1000, "b")
    r.hpexpire("hfe", 5000, "a")
    r.hset("hfebig", mapping={f"f{i}": i for i in range(600)})
    r.hexpire("hfebig", 1000, "f3", "f7")
    for key in r.keys():
        payload = r.dump(key)
        r.restore(b"copy-" + key, 0, payload)
        assert r.dump(b"copy-" + key) == payload, key
        assert r.object("encoding", key) == r.object("encoding", b"copy-" + key), key
        assert r.type(key) == r.type(b"copy-" + key)
    assert r.dump("hfe")[0] == rdb.TYPE_HASH_LISTPACK_EX
    assert r.dump("hfebig")[0] == rdb.TYPE_HASH_METADATA
    assert 900 < r.httl("copy-hfe", "b", "c", "a")[0] <= 1000
    assert r.httl("copy-hfe", "b", "c", "a")[1:] == [-1, 5]
    assert r.httl("copy-hfebig", "f3", "f4") == [1000, -1] or r.httl("copy-hfebig", "f3")[0] >= 999
    assert r.pfcount("copy-hll") == r.pfcount("hll")
    assert r.xinfo_groups("copy-stream")[0]["pending"] == 1
    assert r.hgetall("copy-bighash") == r.hgetall("bighash")


def test_restored_hash_fields_expire(r) -> None:
    r.hset("h", mapping={"a": "1", "b": "2"})
    r.hpexpire("h", 100, "a")
    payload = r.dump("h")
    r.restore("copy", 0, payload)
    time.sleep(0.3)
    assert r.hgetall("copy") == {b"b": b"2"}
    for _ in range(50):  # the active cycle reclaims fields of restored hashes too
        if r.hlen("copy") == 1:
            break
        time.sleep(0.05)
    assert r.hlen("copy") == 1


# -- RESTORE the command ---------------------------------------------------------------------------

def test_restore_errors_match_redis(diff) -> None:
    diff.check("SET", "src", "value")
    payload = diff.redis.call("DUMP", "src")
    good = payload.split(b"\r\n", 1)[1][:-2]
    bad_crc = good[:-1] + bytes([good[-1] ^ 1])
    v10 = with_rdb_version(good, 10)
    cases = [
        ("RESTORE", "src", "0", good),  # BUSYKEY
        ("RESTORE", "new", "-1", good),
        ("RESTORE", "new", "abc", good),
        ("RESTORE", "src", "abc", good),  # the key test comes before the TTL's
        ("RESTORE", "new", "0", bad_crc),
        ("RESTORE", "new", "0", good[:5]),
        ("RESTORE", "new", "0", b""),
        ("RESTORE", "new", "0", with_rdb_version(good, 13)),
        ("RESTORE", "new", "0", good, "IDLETIME", "-1"),
        ("RESTORE", "new", "0", good, "IDLETIME", "x"),
        ("RESTORE", "new", "0", good, "FREQ", "256"),
        ("RESTORE", "new", "0", good, "FREQ", "-1"),
        ("RESTORE", "new", "0", good, "FREQ", "1", "IDLETIME", "1"),
        ("RESTORE", "new", "0", good, "IDLETIME", "1", "FREQ", "1"),
        ("RESTORE", "new", "0", good, "IDLETIME"),
        ("RESTORE", "new", "0", good, "BOGUS"),
        ("RESTORE", "new", "0", with_rdb_version(b"\x12\x00" + b"\0" * 10, 10)),  # an empty list
        ("RESTORE", "new", "0", with_rdb_version(b"\x00\xff" + b"\0" * 10, 10)),
        ("RESTORE", "new", "0", with_rdb_version(bytes([200]) + b"\0" * 10, 10)),
        ("RESTORE", "new", "0", with_rdb_version(b"\x06\x00" + b"\0" * 10, 10)),  # a module value
        ("RESTORE", "new", "0", with_rdb_version(b"\x0b\x0e\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\x01\x00" + b"\0" * 10, 10)),
        ("RESTORE", "new", "0", with_rdb_version(b"\x00\x03ab" + b"\0" * 10, 10)),  # the object runs into the trailer
        ("RESTORE", "new", "0", v10, "REPLACE", "ABSTTL", "FREQ", "5"),
        ("GET", "new"),
        ("RESTORE", "new2", "0", v10, "replace", "absttl", "idletime", "5"),
        ("GET", "new2"),
        ("RESTORE", "src", "0", good, "REPLACE"),
        ("DUMP", "missing"),
        ("DUMP",),
        ("RESTORE", "k", "0"),
    ]
    for case in cases:
        diff.check(*case)


def test_restore_ttl_and_expiry(diff) -> None:
    diff.check("SET", "src", "v")
    payload = diff.redis.call("DUMP", "src").split(b"\r\n", 1)[1][:-2]
    diff.check("RESTORE", "a", "0", payload)
    diff.check("PTTL", "a")
    diff.check("RESTORE", "b", "100000", payload)
    redis_ttl, dynamis_ttl = diff.both("PTTL", "b")
    assert 99000 < int(dynamis_ttl[1:-2]) <= 100000 and 99000 < int(redis_ttl[1:-2]) <= 100000
    when = int(time.time() * 1000) + 50000
    diff.check("RESTORE", "c", str(when), payload, "ABSTTL")
    diff.check("PEXPIRETIME", "c")
    # a time in the past: nothing is created, and REPLACE deletes the key
    diff.check("RESTORE", "d", "1", payload, "ABSTTL")
    diff.check("EXISTS", "d")
    diff.check("RESTORE", "a", "1", payload, "ABSTTL", "REPLACE")
    diff.check("EXISTS", "a")
    diff.check("RESTORE", "a", "1", payload, "ABSTTL", "REPLACE")
    diff.check("RESTORE", "src", "0", payload, "REPLACE")
    diff.check("TTL", "src")


def test_restore_notifications(diff) -> None:
    diff.check("CONFIG", "SET", "notify-keyspace-events", "KEA")
    try:
        subs = [RawConnection(port) for port in (diff.redis.sock.getpeername()[1], diff.dynamis.sock.getpeername()[1])]
        for sub in subs:
            sub.call("PSUBSCRIBE", "__key*__:*")
        diff.check("SET", "src", "v")
        payload = diff.redis.call("DUMP", "src").split(b"\r\n", 1)[1][:-2]
        diff.check("RESTORE", "k", "0", payload)
        diff.check("RESTORE", "k", "0", payload, "REPLACE")
        diff.check("RESTORE", "k", "1", payload, "REPLACE", "ABSTTL")
        diff.check("RESTORE", "k", "1", payload, "REPLACE", "ABSTTL")
        diff.check("RESTORE", "k2", "0", payload)
        diff.check("PING")
        time.sleep(0.1)
        seen = [sub.read_all(0.3) for sub in subs]
        assert seen[1] == seen[0]
        assert b"restore" in seen[0] and b"del" in seen[0]
    finally:
        diff.check("CONFIG", "SET", "notify-keyspace-events", "")
        for sub in subs:
            sub.close()


def test_restore_lru_and_lfu(r) -> None:
    r.set("src", "v")
    payload = r.dump("src")
    r.restore("k", 0, payload, idletime=1000)
    assert 1000 <= r.object("idletime", "k") <= 1002
    r.restore("k2", 0, payload)
    assert r.object("idletime", "k2") <= 1
    r.config_set("maxmemory-policy", "allkeys-lfu")
    try:
        r.restore("k3", 0, payload, frequency=100)
        assert r.object("freq", "k3") == 100
        r.restore("k4", 0, payload)
        assert r.object("freq", "k4") == 5  # LFU_INIT_VAL
        r.restore("k5", 0, payload, idletime=10)  # IDLETIME is not for LFU: the counter starts as new
        assert r.object("freq", "k5") == 5
    finally:
        r.config_set("maxmemory-policy", "noeviction")


def test_restore_touches_watch(server, r) -> None:
    r.set("src", "v")
    payload = r.dump("src")
    r.set("k", "old")
    other = server.client()
    with r.pipeline() as pipe:
        pipe.watch("k")
        other.restore("k", 0, payload, replace=True)
        pipe.multi()
        pipe.get("k")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    other.close()


def test_restore_invalidates_tracking(server) -> None:
    conn = RawConnection(server.port)
    conn.call("HELLO", "3")
    conn.call("CLIENT", "TRACKING", "ON")
    conn.call("SET", "src", "v")
    conn.call("SET", "k", "old")
    conn.call("GET", "k")
    payload = conn.call("DUMP", "src").split(b"\r\n", 1)[1][:-2]
    other = RawConnection(server.port)
    assert other.call("RESTORE", "k", "0", payload, "REPLACE") == b"+OK\r\n"
    assert b"invalidate" in conn.read_all(0.3)
    conn.close()
    other.close()


# -- malformed payloads ----------------------------------------------------------------------------

_PAYLOADS: list[bytes] = []


def _payloads(dyn: redis.Redis) -> list[bytes]:
    """One payload of each type, made once (the generated examples corrupt copies of them)."""
    if _PAYLOADS:
        return _PAYLOADS
    dyn.flushall()
    dyn.rpush("l", *[f"e{i}" * (i % 9) for i in range(500)])
    dyn.sadd("s", *range(100))
    dyn.zadd("z", {f"m{i}": i for i in range(50)})
    dyn.hset("h", mapping={f"f{i}": i for i in range(40)})
    for i in range(1, 50):
        dyn.xadd("x", {"f": i}, id=f"{i}-0")
    dyn.xgroup_create("x", "g", id="0")
    dyn.xreadgroup("g", "c", {"x": ">"}, count=5)
    dyn.set("str", "abc" * 50)
    _PAYLOADS.extend(dyn.dump(k) for k in ("l", "s", "z", "h", "x", "str"))
    return _PAYLOADS


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, 5), cut=st.integers(1, 2000), flips=st.lists(st.tuples(st.integers(0, 5000),
                                                                                    st.integers(1, 255)),
                                                                          max_size=3))
def test_malformed_payloads_never_break_the_server(dyn, which, cut, flips) -> None:
    """Truncated payloads and garbage inside a valid CRC: an error or a value, the server serves on."""
    payload = _payloads(dyn)[which]
    body = bytearray(payload[:-10])
    for pos, xor in flips:
        body[pos % len(body)] ^= xor
    if not flips:
        body = body[:max(len(body) - cut, 1)]
    forged = with_rdb_version(bytes(body) + b"\0" * 10, 12)
    try:
        assert dyn.restore("forged", 0, forged, replace=True)
        dyn.dump("forged")
        dyn.type("forged")
    except redis.ResponseError as exc:
        assert str(exc) == "Bad data format"
    assert dyn.ping()


def test_bad_crc_and_version(dyn) -> None:
    dyn.set("k", "v")
    payload = dyn.dump("k")
    with pytest.raises(redis.ResponseError, match="DUMP payload version or checksum are wrong"):
        dyn.restore("x", 0, payload[:-1] + bytes([payload[-1] ^ 0x80]))
    with pytest.raises(redis.ResponseError, match="DUMP payload version or checksum are wrong"):
        dyn.restore("x", 0, with_rdb_version(payload, 13))
    assert dyn.restore("x", 0, with_rdb_version(payload, 12))
    assert dyn.restore("y", 0, with_rdb_version(payload, 7))  # older versions load


def test_huge_declared_sizes_are_refused_fast(dyn) -> None:
    start = time.monotonic()
    for body in (b"\x01\x81" + (1 << 62).to_bytes(8, "big"),  # a list of 2^62 elements
                 b"\x00\xc3\x01\x81" + (1 << 40).to_bytes(8, "big") + b"a",  # LZF claiming 1 TB
                 b"\x0f\x81" + (1 << 50).to_bytes(8, "big")):  # a stream of 2^50 listpacks
        with pytest.raises(redis.ResponseError, match="Bad data format"):
            dyn.restore("x", 0, with_rdb_version(body + b"\0" * 10, 10))
    assert time.monotonic() - start < 2


def test_timings_100k(dyn, capsys) -> None:
    """DUMP and RESTORE of 100k-element values are linear (the report quotes these timings)."""
    n = 100_000
    for i in range(0, n, 10_000):
        dyn.rpush("list", *[f"item:{j}" for j in range(i, i + 10_000)])
        dyn.hset("hash", mapping={f"field:{j}": f"value:{j}" for j in range(i, i + 10_000)})
        dyn.zadd("zset", {f"member:{j}": j / 3 for j in range(i, i + 10_000)})
        dyn.sadd("set", *[f"m{j}" for j in range(i, i + 10_000)])
    lines = []
    for key in ("list", "hash", "zset", "set"):
        t0 = time.perf_counter()
        payload = dyn.dump(key)
        t1 = time.perf_counter()
        dyn.restore(key + "-copy", 0, payload)
        t2 = time.perf_counter()
        lines.append(f"{key}: {len(payload)} bytes, DUMP {t1 - t0:.2f}s, RESTORE {t2 - t1:.2f}s")
        assert dyn.dump(key + "-copy") == payload or key in ("hash", "set")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
