"""Sorted sets through redis-py: replies as clients parse them, encodings, big sets, notifications,
and the blocking pops with several clients."""

from __future__ import annotations

import random
import threading
import time

import pytest
import redis


def test_basic_replies_resp3_and_resp2(r, r2):
    for client in (r, r2):
        client.delete("z")
        assert client.zadd("z", {"a": 1, "b": 2.5, "c": float("inf")}) == 3
        assert client.zscore("z", "b") == 2.5
        assert client.zmscore("z", ["a", "nope"]) == [1.0, None]
        assert client.zrange("z", 0, -1, withscores=True) == [(b"a", 1.0), (b"b", 2.5), (b"c", float("inf"))]
        assert client.zrangebyscore("z", "(1", "+inf") == [b"b", b"c"]
        assert client.zincrby("z", 0.5, "a") == 1.5
        assert client.zrank("z", "b") == 1 and client.zrevrank("z", "b") == 1
        assert client.zpopmin("z") == [(b"a", 1.5)]
        assert client.zcard("z") == 2


def test_equal_scores_sort_by_member_bytes(r):
    r.zadd("z", {b"b": 0, b"a": 0, b"\xff": 0, b"": 0, b"ab": 0})
    assert r.zrange("z", 0, -1) == [b"", b"a", b"ab", b"b", b"\xff"]
    assert r.zrangebylex("z", "(a", "[b") == [b"ab", b"b"]


def test_encoding_follows_thresholds(r):
    def encoding(key: str) -> bytes:
        return r.object("encoding", key)

    try:
        r.object("encoding", "missing")
    except redis.ResponseError as exc:
        if "unknown command" in str(exc):
            pytest.skip("OBJECT is not available yet")
    r.zadd("small", {f"m{i}": i for i in range(128)})
    assert encoding("small") in (b"listpack", "listpack")
    r.zadd("small", {"m128": 128})
    assert encoding("small") in (b"skiplist", "skiplist")
    r.zremrangebyrank("small", 0, -3)
    assert encoding("small") in (b"skiplist", "skiplist")  # never converted back
    r.zadd("long", {"x" * 65: 1})
    assert encoding("long") in (b"skiplist", "skiplist")
    r.config_set("zset-max-listpack-entries", 2)
    try:
        r.zadd("tiny", {"a": 1, "b": 2})
        assert encoding("tiny") in (b"listpack", "listpack")
        r.zunionstore("u", ["tiny", "small"])
        assert encoding("u") in (b"skiplist", "skiplist")
    finally:
        r.config_set("zset-max-listpack-entries", 128)


def test_big_set_matches_a_model(r):
    rng = random.Random(7)
    model = {f"m{i}".encode(): float(rng.randrange(-1000, 1000)) / 4 for i in range(20_000)}
    pipe = r.pipeline(transaction=False)
    items = list(model.items())
    for i in range(0, len(items), 1000):
        pipe.zadd("big", dict(items[i:i + 1000]))
    pipe.execute()
    ordered = sorted((s, m) for m, s in model.items())
    for member in rng.sample(list(model), 50):
        assert r.zrank("big", member) == ordered.index((model[member], member))
    got = r.zrangebyscore("big", "(10", "+inf", start=5, num=10, withscores=True)
    expected = [(m, s) for s, m in ordered if s > 10][5:15]
    assert got == expected
    assert r.zcount("big", "-inf", "(0") == sum(1 for s in model.values() if s < 0)
    assert r.zremrangebyscore("big", "-inf", "(0") == sum(1 for s in model.values() if s < 0)
    assert r.zcard("big") == sum(1 for s in model.values() if s >= 0)


def test_zscan_covers_a_big_set(r):
    r.zadd("zs", {f"m{i}": i for i in range(1000)})
    seen = {}
    cursor = 0
    while True:
        cursor, items = r.zscan("zs", cursor, count=50)
        seen.update(items)
        if cursor == 0:
            break
    assert len(seen) == 1000 and seen[b"m999"] == 999.0
    assert dict(r.zscan_iter("zs", match="m99*")) == {b"m99": 99.0, **{f"m99{i}".encode(): 990.0 + i for i in range(10)}}


def test_zrandmember_counts(r, r2):
    r.zadd("zr", {f"m{i}": i for i in range(10)})
    assert r.zrandmember("zr") in {f"m{i}".encode() for i in range(10)}
    distinct = r.zrandmember("zr", 5)
    assert len(distinct) == 5 and len(set(distinct)) == 5
    assert sorted(r.zrandmember("zr", 20)) == sorted(f"m{i}".encode() for i in range(10))
    repeated = r.zrandmember("zr", -30)
    assert len(repeated) == 30
    flat = r2.zrandmember("zr", -3, withscores=True)  # RESP2: member, score, member, score ...
    assert len(flat) == 6 and all(float(flat[i + 1]) == int(flat[i][1:]) for i in range(0, 6, 2))


def test_keyspace_notifications(r):
    r.config_set("notify-keyspace-events", "KEA")
    p = r.pubsub()
    try:
        p.psubscribe("__keyevent@0__:*")
        p.get_message(timeout=1)
        r.zadd("nz", {"a": 1})
        r.zincrby("nz", 1, "a")
        r.zrem("nz", "a")
        events = []
        deadline = time.monotonic() + 2
        while len(events) < 4 and time.monotonic() < deadline:
            msg = p.get_message(timeout=0.2)
            if msg and msg["type"] == "pmessage":
                events.append(msg["channel"].split(b":", 1)[1])
        assert events == [b"zadd", b"zincr", b"zrem", b"del"]
    finally:
        p.close()
        r.config_set("notify-keyspace-events", "")


# -- blocking pops ---------------------------------------------------------------------------

def _in_thread(fn):
    box = {}

    def run():
        try:
            box["value"] = fn()
        except Exception as exc:  # surfaced by the caller's assertion
            box["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, box


def _wait_blocked(r, n=1):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if int(r.info("clients").get("blocked_clients", 0)) >= n:
            return
        time.sleep(0.01)
    raise AssertionError("client did not block")


@pytest.mark.parametrize("protocol", [2, 3])
def test_bzpopmin_is_woken_by_zadd(server, r, protocol):
    waiter = server.client(protocol=protocol)
    try:
        thread, box = _in_thread(lambda: waiter.bzpopmin(["bz1", "bz2"], timeout=5))
        _wait_blocked(r)
        r.zadd("bz2", {"b": 2, "a": 1})
        thread.join(5)
        assert list(box["value"]) == [b"bz2", b"a", 1.0]
        assert r.zrange("bz2", 0, -1) == [b"b"]
    finally:
        waiter.close()


def test_bzpopmax_serves_at_once_and_times_out(r):
    r.zadd("bzm", {"a": 1, "b": 2})
    assert list(r.bzpopmax(["nokey", "bzm"], timeout=1)) == [b"bzm", b"b", 2.0]
    start = time.monotonic()
    assert r.bzpopmax(["nokey"], timeout=0.2) is None
    assert time.monotonic() - start >= 0.19
    r.set("str", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.bzpopmin(["str"], timeout=1)


def test_first_blocked_client_is_served_first(server, r):
    first, second = server.client(), server.client()
    try:
        t1, b1 = _in_thread(lambda: first.bzpopmin("fifo", timeout=5))
        _wait_blocked(r, 1)
        t2, b2 = _in_thread(lambda: second.bzpopmin("fifo", timeout=5))
        _wait_blocked(r, 2)
        r.zadd("fifo", {"one": 1})
        t1.join(5)
        assert list(b1["value"]) == [b"fifo", b"one", 1.0]
        assert "value" not in b2
        r.zadd("fifo", {"two": 2})
        t2.join(5)
        assert list(b2["value"]) == [b"fifo", b"two", 2.0]
    finally:
        first.close()
        second.close()


def test_bzmpop_and_store_wake_waiters(server, r):
    waiter = server.client()
    try:
        thread, box = _in_thread(lambda: waiter.bzmpop(5, 2, ["m1", "m2"], max=True, count=2))
        _wait_blocked(r)
        r.zadd("src", {"x": 1, "y": 2, "z": 3})
        r.zunionstore("m2", ["src"])
        thread.join(5)
        assert box["value"] == [b"m2", [[b"z", b"3"], [b"y", b"2"]]]  # RESP2: scores as bulk strings
        assert r.bzmpop(0.1, 1, ["nokey"], min=True) is None
    finally:
        waiter.close()


def test_blocking_pop_inside_multi_does_not_block(r):
    pipe = r.pipeline(transaction=True)
    pipe.bzpopmin("nokey", 0)
    pipe.bzmpop(0, 1, ["nokey"], min=True)
    try:
        assert pipe.execute() == [None, None]
    except redis.ResponseError as exc:
        if "unknown command" in str(exc):
            pytest.skip("MULTI is not available yet")
        raise


@pytest.mark.parametrize("change", [
    ["ZINCRBY", "w", 1, "a"], ["ZADD", "w", 5, "b"], ["ZREM", "w", "a"], ["ZPOPMIN", "w"],
    ["ZREMRANGEBYSCORE", "w", "-inf", "+inf"], ["ZMPOP", 1, "w", "MAX"], ["GEOADD", "w", 1, 1, "c"],
])
def test_watch_sees_in_place_changes(server, r, change):
    r.zadd("w", {"a": 1, "b": 2})
    other = server.client()
    try:
        with r.pipeline() as pipe:
            pipe.watch("w")
            other.execute_command(*change)
            pipe.multi()
            pipe.zcard("w")
            with pytest.raises(redis.WatchError):
                pipe.execute()
    finally:
        other.close()
