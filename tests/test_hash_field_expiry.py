"""Hash field expiration (Redis 7.4): HEXPIRE/HPEXPIRE/HEXPIREAT/HPEXPIREAT, HTTL/HPTTL/HEXPIRETIME/
HPEXPIRETIME, HPERSIST; lazy and active expiry of fields, their events, WATCH, tracking, RENAME/COPY/MOVE,
OBJECT ENCODING listpackex, INFO's subexpiry and HSCAN NOVALUES.

Redis 7.0 (the differential oracle) has none of this: expectations come from Redis 7.4's t_hash.c and
its hash-field-expire tests."""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
import redis

from tests.helpers import RawConnection, encode_command

FAR = 4_000_000_000  # a unix time in seconds well in the future


def _wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


@contextmanager
def _active_expiry_off(r):
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        yield
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


@contextmanager
def _events(r, flags: str = "KEA"):
    """A subscriber to every keyevent of db 0; yields a function returning the (event, key) pairs so far."""
    r.config_set("notify-keyspace-events", flags)
    pubsub = r.pubsub()
    pubsub.psubscribe("__keyevent@0__:*")
    pubsub.get_message(timeout=1)  # the psubscribe confirmation

    def drain(expected: int = 0, timeout: float = 3.0) -> list[tuple[str, str]]:
        got = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.05)
            if message is not None:
                got.append((message["channel"].decode().split(":", 1)[1], message["data"].decode()))
            elif len(got) >= expected:
                break
        return got

    try:
        yield drain
    finally:
        pubsub.close()
        r.config_set("notify-keyspace-events", "")


# -- HEXPIRE family: reply codes and conditions --------------------------------------------


def test_hexpire_reply_codes(r):
    r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    assert r.hexpire("h", 100, "a", "zz") == [1, -2]
    assert r.hexpire("h", 0, "b") == [2]  # a time now or past deletes the field
    assert r.hgetall("h") == {b"a": b"1", b"c": b"3"}
    assert r.hpexpireat("h", 1, "c") == [2]
    assert r.hexpireat("h", FAR, "a") == [1]
    assert r.hexpiretime("h", "a") == [FAR]
    assert r.hpexpire("h", 5000, "a") == [1]
    assert 4900 <= r.hpttl("h", "a")[0] <= 5000
    assert r.hexpire("missing", 10, "a", "b") == [-2, -2]  # no key: every field is missing


def test_hexpire_last_field_deleted_deletes_key(r):
    r.hset("h", "a", "1")
    assert r.hexpire("h", 0, "a") == [2]
    assert r.exists("h") == 0


def test_hexpire_conditions(r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    # no time yet: NX and LT (no time is an infinite one) set it, XX and GT do not
    assert r.hexpire("h", 100, "a", xx=True) == [0]
    assert r.hexpire("h", 100, "a", gt=True) == [0]
    assert r.hexpire("h", 100, "a", nx=True) == [1]
    assert r.hexpire("h", 100, "b", lt=True) == [1]
    # with a time: NX never, XX always, GT only later, LT only earlier (absolute times: equal is exact)
    assert r.hexpireat("h", FAR, "a", nx=True) == [0]
    assert r.hexpireat("h", FAR + 200, "a", xx=True) == [1]
    assert r.hexpireat("h", FAR + 100, "a", gt=True) == [0]
    assert r.hexpireat("h", FAR + 200, "a", gt=True) == [0]  # equal is not greater
    assert r.hexpireat("h", FAR + 300, "a", gt=True) == [1]
    assert r.hexpireat("h", FAR + 300, "a", lt=True) == [0]  # nor less
    assert r.hexpire("h", 10, "a", lt=True) == [1]
    assert 9 <= r.httl("h", "a")[0] <= 10
    # a condition not met leaves even a past time alone
    assert r.hexpire("h", 0, "a", gt=True) == [0]
    assert r.hexpire("h", 0, "a", lt=True) == [2]


def test_hexpire_wrongtype_and_argument_errors(server, r):
    r.set("s", "x")
    r.hset("h", "a", "1")
    conn = RawConnection(server.port)
    wrongtype = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    assert conn.call("HEXPIRE", "s", "10", "FIELDS", "1", "a") == wrongtype
    assert conn.call("HEXPIRE", "s", "x", "FIELDS", "1", "a") == wrongtype  # the type is checked first
    assert conn.call("HTTL", "s", "FIELDS", "1", "a") == wrongtype
    assert conn.call("HPERSIST", "s", "FIELDS", "1", "a") == wrongtype
    expected = {
        ("HEXPIRE", "h", "x", "FIELDS", "1", "a"): b"-ERR value is not an integer or out of range\r\n",
        ("HEXPIRE", "h", "-1", "FIELDS", "1", "a"): b"-ERR invalid expire time, must be >= 0\r\n",
        ("HPEXPIREAT", "h", "-5", "FIELDS", "1", "a"): b"-ERR invalid expire time, must be >= 0\r\n",
        ("HEXPIRE", "h", str(2**46 // 1000), "FIELDS", "1", "a"):
            b"-ERR invalid expire time in 'hexpire' command\r\n",
        ("HEXPIREAT", "h", str(2**46 // 1000 + 1), "FIELDS", "1", "a"):
            b"-ERR invalid expire time in 'hexpireat' command\r\n",
        ("HPEXPIREAT", "h", str(2**46), "FIELDS", "1", "a"): b"-ERR invalid expire time in 'hpexpireat' command\r\n",
        ("HPEXPIRE", "h", str(2**46 - 1), "FIELDS", "1", "a"): b"-ERR invalid expire time in 'hpexpire' command\r\n",
        ("HEXPIRE", "h", "10", "BADCOND", "FIELDS", "1", "a"):
            b"-ERR Mandatory argument FIELDS is missing or not at the right position\r\n",
        ("HEXPIRE", "h", "10", "NX", "XX", "FIELDS", "1", "a"):
            b"-ERR Mandatory argument FIELDS is missing or not at the right position\r\n",
        ("HEXPIRE", "h", "10", "FIELDS", "0", "a"): b"-ERR Parameter `numFields` should be greater than 0\r\n",
        ("HEXPIRE", "h", "10", "FIELDS", "x", "a"): b"-ERR Parameter `numFields` should be greater than 0\r\n",
        ("HEXPIRE", "h", "10", "FIELDS", "2", "a"):
            b"-ERR The `numfields` parameter must match the number of arguments\r\n",
        ("HEXPIRE", "h", "10", "GT", "FIELDS", "1", "a", "b"):
            b"-ERR The `numfields` parameter must match the number of arguments\r\n",
        ("HEXPIRE", "h", "10", "FIELDS", "1"): b"-ERR wrong number of arguments for 'hexpire' command\r\n",
        ("HTTL", "h", "NOTFIELDS", "1", "a"):
            b"-ERR Mandatory argument FIELDS is missing or not at the right position\r\n",
        ("HTTL", "h", "FIELDS", "0", "a"): b"-ERR Number of fields must be a positive integer\r\n",
        ("HPTTL", "h", "FIELDS", "-1", "a"): b"-ERR Number of fields must be a positive integer\r\n",
        ("HEXPIRETIME", "h", "FIELDS", "2", "a"):
            b"-ERR The `numfields` parameter must match the number of arguments\r\n",
        ("HPERSIST", "h", "FIELDS", "x", "a"): b"-ERR Number of fields must be a positive integer\r\n",
        ("HPEXPIRETIME", "h", "FIELDS", "1"): b"-ERR wrong number of arguments for 'hpexpiretime' command\r\n",
    }
    for args, error in expected.items():
        assert conn.call(*args) == error, args
    # errors are raised before the missing key answers
    assert conn.call("HEXPIRE", "nokey", "-1", "FIELDS", "1", "a") == b"-ERR invalid expire time, must be >= 0\r\n"
    assert conn.call("HEXPIRE", "nokey", "10", "FIELDS", "1", "a") == b"*1\r\n:-2\r\n"
    assert conn.call("HPEXPIRE", "h", str(2**46 - 1 - int(time.time() * 1000) - 10_000), "FIELDS", "1", "a") \
        == b"*1\r\n:1\r\n"  # the latest time allowed
    conn.close()


def test_exact_reply_bytes(server, r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    conn = RawConnection(server.port)
    assert conn.call("HEXPIREAT", "h", str(FAR), "FIELDS", "3", "a", "b", "c") == b"*3\r\n:1\r\n:1\r\n:-2\r\n"
    assert conn.call("HEXPIRETIME", "h", "FIELDS", "2", "a", "c") == b"*2\r\n:%d\r\n:-2\r\n" % FAR
    assert conn.call("HPEXPIRETIME", "h", "fields", "1", "b") == b"*1\r\n:%d\r\n" % (FAR * 1000)
    assert conn.call("HPERSIST", "h", "FIELDS", "3", "a", "a", "c") == b"*3\r\n:1\r\n:-1\r\n:-2\r\n"
    assert conn.call("HTTL", "nokey", "FIELDS", "2", "a", "b") == b"*2\r\n:-2\r\n:-2\r\n"
    assert conn.call("HPERSIST", "nokey", "FIELDS", "1", "a") == b"*1\r\n:-2\r\n"
    conn.close()


def test_ttl_commands(r, r2):
    for client in (r, r2):
        client.delete("h")
        client.hset("h", mapping={"a": "1", "b": "2"})
        assert client.httl("h", "a", "b", "c") == [-1, -1, -2]
        client.hexpire("h", 100, "a")
        assert client.httl("h", "a") == [100]  # rounded up, as Redis does
        assert 99_000 < client.hpttl("h", "a")[0] <= 100_000
        assert abs(client.hexpiretime("h", "a")[0] - (time.time() + 100)) <= 2
        assert abs(client.hpexpiretime("h", "a")[0] - (time.time() + 100) * 1000) <= 2000
        assert client.hpersist("h", "a", "b", "c") == [1, -1, -2]
        assert client.httl("h", "a") == [-1]


# -- what each command sees of an expired field -------------------------------------------


def _expired_field(r, key: str = "h") -> None:
    """`key` = {a: 1 (expired, not yet reclaimed), b: 2}, with active expiry off."""
    r.hset(key, mapping={"a": "1", "b": "2"})
    assert r.hpexpire(key, 20, "a") == [1]
    time.sleep(0.05)


def test_lazy_expiry_reads(r):
    with _active_expiry_off(r):
        _expired_field(r)
        # skipped, not deleted
        assert r.hgetall("h") == {b"b": b"2"}
        assert r.hkeys("h") == [b"b"]
        assert r.hvals("h") == [b"2"]
        assert r.hscan("h") == (0, {b"b": b"2"})
        assert r.httl("h", "a") == [-2]
        assert r.hpersist("h", "a") == [-2]
        assert r.hlen("h") == 2  # Redis 7.4's HLEN counts the fields not yet reclaimed
        # deleted on access
        assert r.hget("h", "a") is None
        assert r.hlen("h") == 1
        for command in (lambda: r.hexists("h", "a"), lambda: r.hstrlen("h", "a"), lambda: r.hmget("h", "a", "b")):
            r.hset("h", "a", "1")
            r.hpexpire("h", 20, "a")
            time.sleep(0.05)
            assert r.hlen("h") == 2
            command()
            assert r.hlen("h") == 1
        assert r.hmget("h", "a", "b") == [None, b"2"]


def test_lazy_expiry_of_last_field_deletes_key(r):
    with _active_expiry_off(r):
        r.hset("h", "a", "1")
        r.hpexpire("h", 20, "a")
        time.sleep(0.05)
        assert r.exists("h") == 1
        assert r.hget("h", "a") is None
        assert r.exists("h") == 0


def test_hrandfield_reclaims_expired_fields(r):
    with _active_expiry_off(r):
        _expired_field(r)
        for _ in range(5):
            assert r.hrandfield("h", -5) == [b"b"] * 5
        assert r.hlen("h") == 1
        r.hpexpire("h", 20, "b")
        time.sleep(0.05)
        assert r.hrandfield("h") is None
        assert r.exists("h") == 0


def test_writes_on_expired_fields(r):
    """HSET, HDEL and HEXPIRE treat an expired field not yet reclaimed as there (Redis 7.4);
    HSETNX and HINCRBY[FLOAT] delete it first."""
    with _active_expiry_off(r):
        _expired_field(r)
        assert r.hset("h", "a", "new") == 0
        assert r.httl("h", "a") == [-1] and r.hget("h", "a") == b"new"
        _expired_field(r, "d")
        assert r.hdel("d", "a") == 1
        _expired_field(r, "n")
        assert r.hsetnx("n", "a", "x") == 1
        assert r.hget("n", "a") == b"x" and r.httl("n", "a") == [-1]
        _expired_field(r, "i")
        r.hset("i", "a", "41")
        r.hpexpire("i", 20, "a")
        time.sleep(0.05)
        assert r.hincrby("i", "a", 1) == 1  # counted from 0, not from the expired 41
        assert r.httl("i", "a") == [-1]


def test_which_writes_clear_a_field_time(r):
    r.hset("h", mapping={"a": "1", "b": "2", "c": "x", "d": "1.5"})
    r.hexpire("h", 100, "a", "b", "c", "d")
    assert r.hincrby("h", "a", 5) == 6
    assert r.hincrbyfloat("h", "d", 1) == 2.5
    assert r.hsetnx("h", "c", "y") == 0
    assert r.httl("h", "a", "c", "d") == [100, 100, 100]  # kept
    r.hset("h", "b", "3")
    r.execute_command("HMSET", "h", "c", "z")
    assert r.httl("h", "b", "c") == [-1, -1]  # an overwrite clears it
    r.hdel("h", "a")
    r.hset("h", "a", "1")
    assert r.httl("h", "a") == [-1]


# -- active expiry -------------------------------------------------------------------------


def test_active_expiry_reclaims_untouched_fields(r):
    r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    r.hset("gone", "x", "1")
    r.hpexpire("h", 30, "a", "b")
    r.hpexpire("gone", 30, "x")
    assert _wait_until(lambda: r.hlen("h") == 1 and r.exists("gone") == 0)
    assert r.hgetall("h") == {b"c": b"3"}
    assert int(r.info("stats")["expired_subkeys"]) >= 3


def test_active_expiry_of_a_big_hash(r):
    fields = {f"f{i}": "v" for i in range(2000)}
    r.hset("big", mapping=fields)
    assert r.object("encoding", "big") == b"hashtable"
    r.hpexpire("big", 30, *[f"f{i}" for i in range(1500)])
    assert _wait_until(lambda: r.hlen("big") == 500)
    assert r.hexists("big", "f1499") == 0 and r.hexists("big", "f1500") == 1


def test_active_expiry_follows_later_times(r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    r.hpexpire("h", 30, "a")
    r.hpexpire("h", 300, "b")
    assert _wait_until(lambda: r.hlen("h") == 1)
    assert r.hkeys("h") == [b"b"]
    assert _wait_until(lambda: r.exists("h") == 0)


def test_persisted_and_overwritten_fields_stay(r):
    r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    r.hpexpire("h", 30, "a", "b", "c")
    r.hpersist("h", "a")
    r.hset("h", "b", "new")
    assert _wait_until(lambda: r.hlen("h") == 2)
    time.sleep(0.2)
    assert r.hgetall("h") == {b"a": b"1", b"b": b"new"}


# -- events, WATCH, tracking --------------------------------------------------------------


def test_keyspace_events(r):
    r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    with _events(r) as drain:
        r.hexpire("h", 100, "a", "b")
        r.hexpire("h", 100, "zz")  # nothing set: no event
        r.hpersist("h", "a")
        r.hpersist("h", "zz")
        r.hexpire("h", 0, "a")  # deleted by a past time: hdel
        assert drain(3) == [("hexpire", "h"), ("hpersist", "h"), ("hdel", "h")]
        r.hpexpire("h", 20, "b")
        assert drain(2) == [("hexpire", "h"), ("hexpired", "h")]
        r.hpexpire("h", 20, "c")
        assert drain(3) == [("hexpire", "h"), ("hexpired", "h"), ("del", "h")]
        r.hset("x", "a", "1")
        r.hexpire("x", 0, "a")
        assert drain(3) == [("hset", "x"), ("hdel", "x"), ("del", "x")]


def test_lazy_expiry_events(r):
    with _active_expiry_off(r):
        _expired_field(r)
        with _events(r) as drain:
            r.hget("h", "a")
            assert drain(1) == [("hexpired", "h")]
            r.hpexpire("h", 20, "b")
            time.sleep(0.05)
            r.hexists("h", "b")
            assert drain(3) == [("hexpire", "h"), ("hexpired", "h"), ("del", "h")]


def test_watch_aborts_on_field_expiry(r, server):
    r.hset("h", mapping={"a": "1", "b": "2"})
    r.hpexpire("h", 30, "a")
    with r.pipeline() as pipe:
        pipe.watch("h")
        assert _wait_until(lambda: server.client().hlen("h") == 1)
        pipe.multi()
        pipe.hget("h", "b")
        with pytest.raises(redis.WatchError):
            pipe.execute()


def test_watch_aborts_on_hexpire_and_hpersist(r):
    r.hset("h", "a", "1")
    for change in (lambda: r.hexpire("h", 100, "a"), lambda: r.hpersist("h", "a")):
        with r.pipeline() as pipe:
            pipe.watch("h")
            change()
            pipe.multi()
            pipe.hget("h", "a")
            with pytest.raises(redis.WatchError):
                pipe.execute()


def test_tracking_invalidated_by_field_expiry(server, r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    conn = RawConnection(server.port)
    conn.call("HELLO", "3")
    conn.call("CLIENT", "TRACKING", "ON")
    assert conn.call("HGET", "h", "b") == b"$1\r\n2\r\n"
    r.hpexpire("h", 300, "a")  # the command itself invalidates
    assert conn.read_reply()[1] == [b"invalidate", [b"h"]]
    assert conn.call("HGET", "h", "b") == b"$1\r\n2\r\n"
    assert conn.read_reply()[1] == [b"invalidate", [b"h"]]  # then the cron's expiry of a
    conn.close()


# -- keys moved, copied, swapped ----------------------------------------------------------


def test_rename_copy_move_keep_field_times(r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    r.hexpireat("h", FAR, "a")
    r.rename("h", "h2")
    assert r.hexpiretime("h2", "a", "b") == [FAR, -1]
    assert r.copy("h2", "h3") is True
    assert r.hexpiretime("h3", "a") == [FAR]
    r.hpersist("h3", "a")
    assert r.hexpiretime("h2", "a") == [FAR]  # the copy is independent
    assert r.move("h2", 1) is True
    r.execute_command("SELECT", "1")
    assert r.hexpiretime("h2", "a") == [FAR]
    assert r.object("encoding", "h2") == b"listpackex"
    r.flushdb()
    r.execute_command("SELECT", "0")


def test_active_expiry_after_rename_copy_move_swapdb(server, r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    r.hpexpire("h", 300, "a")
    r.rename("h", "renamed")
    r.copy("renamed", "copied")
    r.copy("renamed", "moved")
    r.move("moved", 1)
    r.hset("swapped", mapping={"a": "1", "b": "2"})
    r.hpexpire("swapped", 300, "a")
    r.swapdb(0, 2)
    db1, db2 = server.client(db=1), server.client(db=2)
    try:
        assert _wait_until(lambda: db2.hlen("renamed") == db2.hlen("copied") == db2.hlen("swapped") == 1)
        assert _wait_until(lambda: db1.hlen("moved") == 1)
        assert db2.hkeys("renamed") == [b"b"] and db1.hkeys("moved") == [b"b"]
    finally:
        db1.close()
        db2.close()
        r.flushall()


# -- encoding, order, INFO, HSCAN NOVALUES ------------------------------------------------


def test_object_encoding_listpackex(r):
    r.hset("h", mapping={"a": "1"})
    assert r.object("encoding", "h") == b"listpack"
    r.hexpire("h", 100, "zz")  # even with no field set, as Redis 7.4 converts before looking
    assert r.object("encoding", "h") == b"listpackex"
    r.hexpire("h", 100, "a")
    r.hpersist("h", "a")
    assert r.object("encoding", "h") == b"listpackex"  # stays
    r.hset("h", "long", "x" * 100)
    assert r.object("encoding", "h") == b"hashtable"
    assert r.httl("h", "a", "long") == [-1, -1]


def test_small_hash_keeps_fields_in_time_order(r):
    """A listpackEx keeps the fields with a time first, earliest first: HGETALL replies in that order."""
    r.hset("h", mapping={"a": "1", "b": "2", "c": "3", "d": "4"})
    r.hexpire("h", 300, "c")
    r.hexpire("h", 200, "d")
    assert r.hkeys("h") == [b"d", b"c", b"a", b"b"]
    r.hexpire("h", 250, "a")
    assert r.hkeys("h") == [b"d", b"a", b"c", b"b"]
    r.hpersist("h", "d")
    assert r.hkeys("h") == [b"a", b"c", b"b", b"d"]
    r.hset("h", "c", "new")  # loses its time: goes last
    r.hset("h", "e", "5")
    assert r.hkeys("h") == [b"a", b"b", b"d", b"c", b"e"]
    r.hincrby("h", "a", 1)  # keeps its time and its place
    assert r.hkeys("h") == [b"a", b"b", b"d", b"c", b"e"]


def test_info_subexpiry_and_expired_subkeys(r):
    r.config_resetstat()
    r.hset("h", mapping={"a": "1", "b": "2"})
    r.hset("p", "a", "1")
    assert r.info("keyspace")["db0"]["subexpiry"] == 0
    r.hexpire("h", 100, "a")
    r.expire("p", 100)
    assert r.info("keyspace")["db0"]["subexpiry"] == 1
    r.hdel("h", "a")  # the last field with a time: out of the index at once
    assert r.info("keyspace")["db0"]["subexpiry"] == 0
    r.hexpire("h", 0, "b")
    assert int(r.info("stats")["expired_subkeys"]) == 1


def test_info_keyspace_line_format(server):
    conn = RawConnection(server.port)
    conn.call("FLUSHALL")
    conn.call("HSET", "h", "a", "1")
    conn.call("HEXPIRE", "h", "100", "FIELDS", "1", "a")
    raw = conn.call("INFO", "keyspace")
    assert b"db0:keys=1,expires=0,avg_ttl=0,subexpiry=1\r\n" in raw
    conn.close()


def test_hscan_novalues(server, r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    assert r.hscan("h", no_values=True) == (0, [b"a", b"b"])
    r.hset("big", mapping={f"f{i}": "v" for i in range(300)})
    cursor, seen = 0, []
    for _ in range(100):
        cursor, fields = r.hscan("big", cursor, count=50, no_values=True)
        seen += fields
        if cursor == 0:
            break
    assert sorted(seen) == sorted(f"f{i}".encode() for i in range(300))
    conn = RawConnection(server.port)
    assert conn.call("HSCAN", "h", "0", "NOVALUES", "MATCH", "a") == b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"
    assert conn.call("HSCAN", "h", "0", "MATCH", "novalues") == b"*2\r\n$1\r\n0\r\n*0\r\n"
    r.sadd("s", "m")
    assert conn.call("SSCAN", "s", "0", "NOVALUES") == b"-ERR NOVALUES option can only be used in HSCAN\r\n"
    conn.close()


def test_hscan_skips_expired_fields_of_big_hash(r):
    with _active_expiry_off(r):
        r.hset("big", mapping={f"f{i}": "v" for i in range(300)})
        r.hpexpire("big", 20, *[f"f{i}" for i in range(100)])
        time.sleep(0.05)
        cursor, seen = 0, {}
        for _ in range(100):
            cursor, items = r.hscan("big", cursor, count=70)
            seen.update(items)
            if cursor == 0:
                break
        assert len(seen) == 200
        assert r.hlen("big") == 300


# -- transactions, scripts, asyncio, sort -------------------------------------------------


def test_multi_exec_and_lua(r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    with r.pipeline(transaction=True) as pipe:
        pipe.hexpire("h", 100, "a")
        pipe.httl("h", "a", "b")
        pipe.hpersist("h", "a")
        assert pipe.execute() == [[1], [100, -1], [1]]
    script = """
        redis.call('HEXPIRE', KEYS[1], 100, 'FIELDS', 1, 'b')
        return {redis.call('HTTL', KEYS[1], 'FIELDS', 2, 'a', 'b'), redis.call('HPEXPIRE', KEYS[1], 0, 'FIELDS', 1, 'b')}
    """
    assert r.eval(script, 1, "h") == [[-1, 100], [2]]
    with pytest.raises(redis.ResponseError, match="numfields"):
        r.eval("return redis.call('HTTL', KEYS[1], 'FIELDS', 3, 'a')", 1, "h")


async def test_asyncio_client(ar):
    await ar.hset("h", mapping={"a": "1", "b": "2"})
    assert await ar.hexpire("h", 100, "a", "c", nx=True) == [1, -2]
    assert await ar.hpexpireat("h", FAR * 1000, "b") == [1]
    assert await ar.httl("h", "a") == [100]
    assert await ar.hpexpiretime("h", "b") == [FAR * 1000]
    assert await ar.hpersist("h", "a", "b") == [1, 1]
    assert await ar.hexpiretime("h", "a", "b") == [-1, -1]


def test_sort_by_expired_hash_field(r):
    with _active_expiry_off(r):
        r.rpush("l", "1", "2")
        r.hset("w_1", "f", "9")
        r.hset("w_2", mapping={"f": "5", "g": "x"})
        r.hpexpire("w_2", 20, "f")
        time.sleep(0.05)
        assert r.sort("l", by="w_*->f", get="w_*->f") == [None, b"9"]


# -- the command table --------------------------------------------------------------------

_COMMANDS = {
    # name: (arity, flags, ACL categories, key spec flags, tips)
    "hexpire": (-6, ["write", "denyoom", "fast"], ["@write", "@hash", "@fast"], ["RW", "update"], []),
    "hpexpire": (-6, ["write", "denyoom", "fast"], ["@write", "@hash", "@fast"], ["RW", "update"], []),
    "hexpireat": (-6, ["write", "denyoom", "fast"], ["@write", "@hash", "@fast"], ["RW", "update"], []),
    "hpexpireat": (-6, ["write", "denyoom", "fast"], ["@write", "@hash", "@fast"], ["RW", "update"], []),
    "httl": (-5, ["readonly", "fast"], ["@read", "@hash", "@fast"], ["RO", "access"], ["nondeterministic_output"]),
    "hpttl": (-5, ["readonly", "fast"], ["@read", "@hash", "@fast"], ["RO", "access"], ["nondeterministic_output"]),
    "hexpiretime": (-5, ["readonly", "fast"], ["@read", "@hash", "@fast"], ["RO", "access"], []),
    "hpexpiretime": (-5, ["readonly", "fast"], ["@read", "@hash", "@fast"], ["RO", "access"], []),
    "hpersist": (-5, ["write", "fast"], ["@write", "@hash", "@fast"], ["RW", "update"], []),
}


def _call(server, *args):
    conn = RawConnection(server.port)
    try:
        conn.send(encode_command(args))
        return conn.read_reply()[1]
    finally:
        conn.close()


def _docs(server, name: str) -> dict[bytes, object]:
    docs = _call(server, "COMMAND", "DOCS", name)
    return dict(zip(docs[1][::2], docs[1][1::2], strict=True))


@pytest.mark.parametrize("name", sorted(_COMMANDS))
def test_command_info_as_redis_74_declares(server, name):
    arity, flags, categories, key_flags, tips = _COMMANDS[name]
    info = _call(server, "COMMAND", "INFO", name)[0]
    assert info[0] == name.encode()
    assert info[1] == arity
    assert [f.decode() for f in info[2]] == flags
    assert info[3:6] == [1, 1, 1]
    assert [c.decode() for c in info[6]] == categories
    assert [t.decode() for t in info[7]] == tips
    assert info[8] == [[b"flags", [f.encode() for f in key_flags], b"begin_search",
                        [b"type", b"index", b"spec", [b"index", 1]], b"find_keys",
                        [b"type", b"range", b"spec", [b"lastkey", 0, b"keystep", 1, b"limit", 0]]]]
    assert info[9] == []
    docs = _docs(server, name)
    assert docs[b"since"] == b"7.4.0" and docs[b"group"] == b"hash"
    assert docs[b"complexity"] == b"O(N) where N is the number of specified fields"
    argv = [name, "h", "10", "FIELDS", "1", "f"] if arity == -6 else [name, "h", "FIELDS", "1", "f"]
    assert _call(server, "COMMAND", "GETKEYS", *argv) == [b"h"]
    assert _call(server, "COMMAND", "GETKEYSANDFLAGS", *argv) == [[b"h", [f.encode() for f in key_flags]]]


def test_command_docs_summaries(server):
    summaries = {
        "hexpire": "Set expiry for hash field using relative time to expire (seconds)",
        "hpexpire": "Set expiry for hash field using relative time to expire (milliseconds)",
        "hexpireat": "Set expiry for hash field using an absolute Unix timestamp (seconds)",
        "hpexpireat": "Set expiry for hash field using an absolute Unix timestamp (milliseconds)",
        "httl": "Returns the TTL in seconds of a hash field.",
        "hpttl": "Returns the TTL in milliseconds of a hash field.",
        "hexpiretime": "Returns the expiration time of a hash field as a Unix timestamp, in seconds.",
        "hpexpiretime": "Returns the expiration time of a hash field as a Unix timestamp, in msec.",
        "hpersist": "Removes the expiration time for each specified field",
    }
    for name, summary in summaries.items():
        assert _docs(server, name)[b"summary"] == summary.encode(), name
