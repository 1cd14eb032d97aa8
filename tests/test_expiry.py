"""Expiry: TTL commands against real redis-server, lazy expiry on access, and the active cycle."""

from __future__ import annotations

import time

import pytest


def _wait_until(predicate, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def no_active_expire(diff, server):
    """Both servers with the active expiry cycle off (DEBUG SET-ACTIVE-EXPIRE 0), so only lazy expiry acts."""
    diff.check("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    assert server.server.active_expire_enabled is False
    yield diff
    diff.check("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_ttl_family(diff):
    diff.check_all([
        ("TTL", "nokey"), ("PTTL", "nokey"), ("EXPIRETIME", "nokey"), ("PEXPIRETIME", "nokey"),
        ("SET", "k", "v"), ("TTL", "k"), ("PTTL", "k"), ("EXPIRETIME", "k"), ("PEXPIRETIME", "k"),
        ("EXPIRE", "k", "1000"), ("TTL", "k"), ("PERSIST", "k"), ("PERSIST", "k"), ("PERSIST", "nokey"),
        ("TTL", "k"), ("EXPIREAT", "k", "4000000000"), ("EXPIRETIME", "k"), ("PEXPIRETIME", "k"),
        ("PEXPIREAT", "k", "4000000000999"), ("EXPIRETIME", "k"), ("PEXPIRETIME", "k"),
        ("PEXPIREAT", "k", "4000000000499"), ("EXPIRETIME", "k"),
        ("PEXPIRE", "k", "1700000"), ("TTL", "k"), ("SET", "k", "v"), ("TTL", "k"),
        ("EXPIRE", "nokey", "100"), ("PEXPIRE", "nokey", "100"), ("EXPIREAT", "nokey", "1"),
        ("EXPIRE", "k", "x"), ("EXPIRE", "k", "1.5"), ("EXPIRE", "k"), ("TTL", "k", "x"), ("PERSIST",),
    ])


@pytest.mark.parametrize("cmd", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
def test_expire_flags(diff, cmd):
    far = {"EXPIRE": 10000, "PEXPIRE": 10000000, "EXPIREAT": 4000000000, "PEXPIREAT": 4000000000000}[cmd]
    diff.check_all([
        ("SET", "k", "v"),
        # relative times differ by far more than the moment between the two servers' clocks
        (cmd, "k", far, "XX"), (cmd, "k", far, "GT"), (cmd, "k", far, "LT"), ("TTL", "k"),
        (cmd, "k", far, "NX"), (cmd, "k", far * 2, "GT"), (cmd, "k", far, "GT"), (cmd, "k", far * 3, "LT"),
        (cmd, "k", far, "LT"), (cmd, "k", far // 2, "xx", "lt"), (cmd, "k", far // 4, "gt", "xx"),
        (cmd, "k", far, "NX", "XX"), (cmd, "k", far, "XX", "NX"), (cmd, "k", far, "NX", "GT"),
        (cmd, "k", far, "LT", "NX"), (cmd, "k", far, "GT", "LT"), (cmd, "k", far, "lt", "gt"),
        (cmd, "k", far, "NX", "NX"), (cmd, "k", far, "FOO"), (cmd, "k", far, "GT", "FOO"),
        (cmd, "k", "x", "FOO"), (cmd, "k", "x", "NX", "XX"), (cmd, "nokey", far, "XX"),
        (cmd, "k", "9223372036854775807"), (cmd, "k", "-9223372036854775808"), (cmd, "k", "9223372036854775"),
        (cmd, "k", "-9223372036854775"), (cmd, "k", "9223372036854775808"),
        ("TTL", "k"), ("SET", "k", "v"), (cmd, "k", "-1", "LT"), ("EXISTS", "k"),
        ("SET", "k", "v"), (cmd, "k", "-1", "GT"), ("EXISTS", "k"), (cmd, "k", "-1", "XX"), ("EXISTS", "k"),
        (cmd, "k", "-1", "NX"), ("EXISTS", "k"), ("SET", "k", "v"), (cmd, "k", "0"), ("EXISTS", "k"),
    ])


def test_expired_key_semantics_without_active_cycle(no_active_expire):
    diff = no_active_expire
    diff.check_all([("MSET", "a", "1", "b", "2", "c", "3"), ("PEXPIRE", "a", "1"), ("PEXPIRE", "b", "1"),
                    ("PEXPIRE", "c", "1")])
    time.sleep(0.05)
    diff.check_all([
        ("DBSIZE",), ("KEYS", "*"), ("SCAN", "0"), ("DBSIZE",), ("EXISTS", "a"), ("DBSIZE",), ("TTL", "b"),
        ("DBSIZE",), ("GET", "c"), ("DBSIZE",), ("RANDOMKEY",),
    ])


def test_expired_keys_are_gone_for_every_command(no_active_expire):
    diff = no_active_expire
    diff.check_all([
        ("SET", "s", "v"), ("PEXPIRE", "s", "1"), ("RPUSH", "l", "x"), ("PEXPIRE", "l", "1"),
        ("SET", "n", "5"), ("PEXPIRE", "n", "1"), ("SET", "r", "v"), ("PEXPIRE", "r", "1"),
    ])
    time.sleep(0.05)
    diff.check_all([
        ("TYPE", "s"), ("SET", "s", "new", "NX"), ("TTL", "s"), ("INCR", "n"), ("TTL", "n"), ("LLEN", "l"),
        ("RENAME", "r", "r2"), ("APPEND", "x", "y"), ("OBJECT", "ENCODING", "r"),
    ])


def test_expire_in_the_past_deletes(diff):
    diff.check_all([
        ("SET", "k", "v"), ("EXPIRE", "k", "-10"), ("EXISTS", "k"), ("DBSIZE",),
        ("SET", "k", "v"), ("EXPIREAT", "k", "1"), ("EXISTS", "k"), ("DBSIZE",),
        ("SET", "k", "v"), ("PEXPIREAT", "k", "1000"), ("DBSIZE",),
        ("SET", "k", "v"), ("GETEX", "k", "PXAT", "1"), ("DBSIZE",),
    ])


def test_lazy_expiry_on_access(server, r):
    db = server.server.keyspace.dbs[0]
    server.server.active_expire_enabled = False  # before the SET: a cron tick in between could expire it
    try:
        r.set("lazy", "v", px=30)
        time.sleep(0.06)
        assert b"lazy" in db.data  # still stored: nobody looked at it
        assert r.get("lazy") is None
        assert b"lazy" not in db.data and b"lazy" not in db.expires and b"lazy" not in db.access
    finally:
        server.server.active_expire_enabled = True


def test_active_expiry_frees_untouched_keys(server, r):
    db = server.server.keyspace.dbs[0]
    before = server.server.keyspace.stats_expired_keys
    with r.pipeline(transaction=False) as pipe:
        for i in range(2000):
            pipe.set(f"vol:{i}", "x", px=1000)  # long enough to outlive a loaded pipeline
        pipe.set("keep", "x", ex=1000)
        pipe.set("forever", "x")
        pipe.execute()
    assert r.dbsize() == 2002
    # nobody touches them again: the active cycle alone must free them
    assert _wait_until(lambda: r.dbsize() == 2, timeout=5.0), r.dbsize()
    assert len(db.data) == 2 and len(db.expires) == 1 and len(db.access) == 2
    assert server.server.keyspace.stats_expired_keys - before == 2000


def test_active_expiry_is_not_held_up_by_deleted_keys():
    """Volatile keys deleted by hand (not flushed) must not use up the cycles that should reach newer ones."""
    from dynamis.kv.keyspace import Keyspace, now_ms

    db = Keyspace().dbs[0]
    for i in range(5000):
        db.set(b"del:%d" % i, b"x")
        db.set_expire(b"del:%d" % i, now_ms() + 1_000_000)
    assert db.active_expire(time.perf_counter() + 10) == 0  # its snapshot holds all 5000
    for i in range(5000):
        db.delete(b"del:%d" % i)
    db.set(b"fresh", b"x")
    db.set_expire(b"fresh", now_ms() - 1)
    # one cycle: dead entries are skipped, not sampled 20 at a time over 250 cycles
    assert db.active_expire(time.perf_counter() + 10) == 1
    assert b"fresh" not in db.data


def test_avg_ttl_starts_afresh_after_a_flush(r):
    """INFO's avg_ttl estimate is reset by FLUSHALL and when no volatile key is left, as Redis."""
    def avg_ttl() -> int:
        return r.info("keyspace").get("db0", {}).get("avg_ttl", 0)

    r.set("far", "x", pxat=4_000_000_000_000)
    assert _wait_until(lambda: avg_ttl() > 10**12)
    r.flushall()
    r.set("near", "x", ex=100)
    assert _wait_until(lambda: avg_ttl() > 0)
    assert avg_ttl() <= 100_000
    r.persist("near")
    assert _wait_until(lambda: r.info("keyspace")["db0"]["avg_ttl"] == 0)


def test_positive_relative_ttl_never_deletes_at_once(server, r, monkeypatch):
    """PEXPIRE k 20 on a server preempted mid-command (every clock reading 50 ms later) keeps k."""
    import itertools

    import dynamis.kv.keys as keys
    from dynamis.kv.keyspace import now_ms

    r.set("slow", "v")
    clock = itertools.count(now_ms(), 50)
    monkeypatch.setattr(keys, "now_ms", lambda: next(clock))
    assert r.pexpire("slow", 20) is True
    assert b"slow" in server.server.keyspace.dbs[0].expires


def test_active_expiry_can_be_disabled(server, r):
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        r.mset({f"frozen:{i}": 1 for i in range(200)})
        for i in range(200):
            r.pexpire(f"frozen:{i}", 20)
        time.sleep(0.5)
        assert r.dbsize() == 200  # stale but still stored
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    assert _wait_until(lambda: r.dbsize() == 0, timeout=3.0)


def test_expiry_in_other_databases(server, r):
    other = server.client(db=5)
    try:
        other.set("elsewhere", "x", px=300)  # long enough to still be there at the DBSIZE on a loaded box
        assert other.dbsize() == 1
        assert _wait_until(lambda: other.dbsize() == 0, timeout=5.0)
    finally:
        other.flushdb()
        other.close()


def test_expired_event_is_published(server, r):
    config = server.server.config
    config.apply("notify-keyspace-events", ["Ex"], at_startup=False)
    pubsub = r.pubsub()
    try:
        pubsub.subscribe("__keyevent@0__:expired")
        r.set("evt", "x", px=30)
        deadline = time.monotonic() + 3
        message = None
        while time.monotonic() < deadline:
            message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if message is not None:
                break
        assert message is not None and message["data"] == b"evt"
    finally:
        pubsub.close()
        config.apply("notify-keyspace-events", [""], at_startup=False)


def test_ttl_with_redis_py(r, r2):
    for client in (r, r2):
        client.set("t", "v")
        assert client.expire("t", 100, nx=True) is True
        assert client.expire("t", 50, gt=True) is False
        assert client.expire("t", 50, lt=True) is True
        assert 49 <= client.ttl("t") <= 50
        assert 49000 <= client.pttl("t") <= 50000
        assert client.persist("t") is True
        assert client.ttl("t") == -1
        assert client.pexpireat("t", 4000000000000) is True
        assert client.expiretime("t") == 4000000000


async def test_ttl_asyncio(ar):
    await ar.set("t", "v", ex=10)
    assert 9 <= await ar.ttl("t") <= 10
    assert await ar.persist("t") is True
    assert await ar.expire("t", -1) is True
    assert await ar.exists("t") == 0
