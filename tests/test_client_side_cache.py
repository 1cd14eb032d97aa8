"""redis-py's client-side cache (RESP3 `cache_config`) against dynamis: it starts, caches, and stays coherent.

redis-py keeps read replies in a local cache and relies on the server's invalidation pushes (CLIENT
TRACKING, default mode) to drop them: every write by anyone, expiry, eviction and flush must reach it.
It reads pending pushes before sending each command, so a write by another client shows after the push
has arrived; `_eventually` waits for that, bounded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from redis.cache import CacheConfig

from dynamis.embedded import EmbeddedServer


@pytest.fixture
def cached(server: EmbeddedServer) -> Iterator[redis.Redis]:
    """A redis-py client with the client-side cache on (flushed server)."""
    client = server.client(protocol=3, cache_config=CacheConfig())
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def writer(server: EmbeddedServer) -> Iterator[redis.Redis]:
    client = server.client()
    yield client
    client.close()


def _eventually(read: Callable[[], Any], expected: Any, timeout: float = 2.0) -> None:
    """`read()` returns `expected` within `timeout` (the invalidation push is asynchronous)."""
    deadline = time.monotonic() + timeout
    while (got := read()) != expected:
        assert time.monotonic() < deadline, f"still {got!r}, expected {expected!r}"
        time.sleep(0.01)


def test_cache_starts_and_serves_repeated_reads_locally(cached, server):
    cached.set("k", "v")
    assert cached.get("k") == b"v"
    calls = server.client().info("commandstats")["cmdstat_get"]["calls"]
    for _ in range(20):
        assert cached.get("k") == b"v"
    assert server.client().info("commandstats")["cmdstat_get"]["calls"] == calls  # served from the cache
    assert cached.get_cache().size == 1


def test_write_by_another_client_invalidates(cached, writer):
    writer.set("k", "old")
    assert cached.get("k") == b"old"
    writer.set("k", "new")
    _eventually(lambda: cached.get("k"), b"new")


@pytest.mark.parametrize("read, write, expected", [
    (lambda c: c.hgetall("h"), lambda w: w.hset("h", "f", "2"), {b"f": b"2"}),
    (lambda c: c.smembers("s"), lambda w: w.sadd("s", "y"), {b"x", b"y"}),
    (lambda c: c.lrange("l", 0, -1), lambda w: w.rpush("l", "y"), [b"x", b"y"]),
    (lambda c: c.zrange("z", 0, -1), lambda w: w.zadd("z", {"y": 2}), [b"x", b"y"]),
    (lambda c: c.mget("a", "b"), lambda w: w.set("b", "2"), [b"1", b"2"]),
])
def test_each_type_is_invalidated(cached, writer, read, write, expected):
    writer.hset("h", "f", "1")
    writer.sadd("s", "x")
    writer.rpush("l", "x")
    writer.zadd("z", {"x": 1})
    writer.set("a", "1")
    first = read(cached)
    assert first == read(cached) != expected
    write(writer)
    _eventually(lambda: read(cached), expected)


def test_own_write_is_seen_at_once(cached):
    cached.set("k", "1")
    assert cached.get("k") == b"1"
    cached.incr("k")
    assert cached.get("k") == b"2"  # the invalidation of its own write comes with the INCR reply


def test_transaction_and_script_writes_invalidate(cached, writer):
    writer.set("k", "0")
    assert cached.get("k") == b"0"
    with writer.pipeline(transaction=True) as pipe:
        pipe.incr("k").incr("k").execute()
    _eventually(lambda: cached.get("k"), b"2")
    writer.eval("return redis.call('SET', KEYS[1], 'lua')", 1, "k")
    _eventually(lambda: cached.get("k"), b"lua")


def test_expiry_invalidates(cached, writer):
    writer.set("k", "v", px=100)
    assert cached.get("k") == b"v"
    _eventually(lambda: cached.get("k"), None)  # deleted by the active expiry cycle, which notifies the tracker


def test_hash_field_expiry_invalidates(cached, writer):
    """Redis 7.4's field TTLs: a field reclaimed by the cron changes the hash, so the cached HGETALL goes."""
    writer.hset("h", mapping={"keep": "1", "brief": "2"})
    writer.hpexpire("h", 100, "brief")
    assert cached.hgetall("h") == {b"keep": b"1", b"brief": b"2"}
    _eventually(lambda: cached.hgetall("h"), {b"keep": b"1"})


def test_flush_empties_the_cache(cached, writer):
    writer.mset({"a": "1", "b": "2"})
    assert cached.mget("a", "b") == [b"1", b"2"]
    assert cached.get("a") == b"1"
    writer.flushall()
    _eventually(lambda: cached.get("a"), None)
    assert cached.mget("a", "b") == [None, None]


def test_pool_connections_in_threads_stay_coherent(server, writer):
    """Several pooled connections share the cache; each tracks what it read."""
    client = server.client(protocol=3, cache_config=CacheConfig(), max_connections=4)
    try:
        keys = [f"key:{i}" for i in range(8)]
        writer.mset({k: "0" for k in keys})
        errors: list[BaseException] = []

        def reader() -> None:
            try:
                for _ in range(50):
                    for k in keys:
                        assert client.get(k) is not None
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        threads = [threading.Thread(target=reader) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors == []
        writer.mset({k: "1" for k in keys})
        for k in keys:
            _eventually(lambda k=k: client.get(k), b"1")
    finally:
        client.close()
