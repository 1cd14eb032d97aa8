"""Consumer groups through redis-py: workers in threads that crash and get their entries claimed,
and blocking XREAD / XREADGROUP woken by writers (with the replies compared to real Redis)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import redis

from tests.helpers import RawConnection, encode_command, wait_blocked


def _fill(r: redis.Redis, key: str, n: int) -> list[bytes]:
    return [r.xadd(key, {"job": i}) for i in range(n)]


def _drain_new(client: redis.Redis, name: str, processed: dict[bytes, str], lock: threading.Lock) -> None:
    """A healthy worker: read new entries until none come, acknowledge each."""
    while True:
        reply = client.xreadgroup("workers", name, {"jobs": ">"}, count=5, block=300)
        entries = _entries(reply)
        if not entries:
            return
        for entry_id, _ in entries:
            with lock:
                processed[entry_id] = name
            client.xack("jobs", "workers", entry_id)


def _entries(reply: object) -> list:
    if not reply:
        return []
    if isinstance(reply, dict):
        return reply[b"jobs"][0]
    return reply[0][1]


def _crashing_worker(server, read_done: threading.Event) -> list[bytes]:
    client = server.client()
    reply = client.xreadgroup("workers", "crasher", {"jobs": ">"}, count=10)
    read_done.set()
    client.close()  # dies before acknowledging anything
    return [entry_id for entry_id, _ in _entries(reply)]


def test_crashed_consumer_entries_are_claimed_with_xautoclaim(server, r):
    r.xgroup_create("jobs", "workers", "$", mkstream=True)
    ids = _fill(r, "jobs", 60)
    read_done = threading.Event()
    lost: list[bytes] = []
    crasher = threading.Thread(target=lambda: lost.extend(_crashing_worker(server, read_done)))
    crasher.start()
    read_done.wait(5)
    crasher.join(5)
    assert len(lost) == 10

    processed: dict[bytes, str] = {}
    lock = threading.Lock()
    workers = [threading.Thread(target=_drain_new, args=(server.client(), f"w{i}", processed, lock)) for i in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    assert set(processed) == set(ids) - set(lost)

    # the crasher's entries are still pending, owned by it
    summary = r.xpending("jobs", "workers")
    assert summary["pending"] == 10
    assert {c["name"]: c["pending"] for c in summary["consumers"]} == {b"crasher": 10}

    time.sleep(0.06)
    rescuer = server.client()
    cursor = "0-0"
    claimed: list[bytes] = []
    while True:
        cursor, entries, deleted = rescuer.xautoclaim("jobs", "workers", "rescuer", min_idle_time=50,
                                                      start_id=cursor, count=3)
        assert deleted == []
        claimed += [entry_id for entry_id, _ in entries]
        if cursor in (b"0-0", "0-0"):
            break
    assert claimed == lost
    detail = rescuer.xpending_range("jobs", "workers", "-", "+", 20)
    assert {d["consumer"] for d in detail} == {b"rescuer"}
    assert {d["times_delivered"] for d in detail} == {2}
    assert rescuer.xack("jobs", "workers", *claimed) == 10
    assert r.xpending("jobs", "workers")["pending"] == 0
    assert {c["name"]: c["pending"] for c in r.xinfo_consumers("jobs", "workers")}[b"crasher"] == 0


def test_crashed_consumer_entries_are_claimed_with_xclaim(server, r):
    r.xgroup_create("jobs", "workers", "0", mkstream=True)
    _fill(r, "jobs", 5)
    read_done = threading.Event()
    lost = _crashing_worker(server, read_done)
    assert len(lost) == 5
    # too fresh for a 10 s idle threshold: nothing moves
    assert r.xclaim("jobs", "workers", "other", 10_000, lost) == []
    time.sleep(0.03)
    pending = r.xpending_range("jobs", "workers", "-", "+", 10, consumername="crasher")
    assert [p["message_id"] for p in pending] == lost
    claimed = r.xclaim("jobs", "workers", "other", 20, [p["message_id"] for p in pending])
    assert [entry_id for entry_id, _ in claimed] == lost
    assert [fields[b"job"] for _, fields in claimed] == [b"0", b"1", b"2", b"3", b"4"]
    # a second claim by another consumer within the idle window gets nothing
    assert r.xclaim("jobs", "workers", "third", 10_000, lost) == []
    assert r.xack("jobs", "workers", *lost) == 5


def test_deleted_entries_are_dropped_from_the_pel_on_claim(r):
    r.xgroup_create("jobs", "workers", "0", mkstream=True)
    ids = _fill(r, "jobs", 4)
    r.xreadgroup("workers", "a", {"jobs": ">"})
    r.xdel("jobs", ids[1], ids[2])
    cursor, entries, deleted = r.xautoclaim("jobs", "workers", "b", 0, "0-0")
    assert [e[0] for e in entries] == [ids[0], ids[3]]
    assert deleted == [ids[1], ids[2]]
    assert r.xpending("jobs", "workers")["pending"] == 2


def _blocked_call(conn_factory, *args, **kwargs):
    result: dict[str, object] = {}

    def run() -> None:
        client = conn_factory()
        start = time.monotonic()
        try:
            result["reply"] = client.execute_command(*args, **kwargs)
        except redis.ResponseError as exc:
            result["error"] = str(exc)
        result["elapsed"] = time.monotonic() - start
        client.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def _wait_blocked(r: redis.Redis, n: int = 1) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if sum(1 for c in r.client_list() if c.get("cmd") in ("xread", "xreadgroup")) >= n:
            return
        time.sleep(0.01)


def _blocked_clients(server) -> int:
    return server.server.keyspace.blocking.blocked_clients


def _wait_blocked_in(server, n: int = 1) -> None:
    deadline = time.monotonic() + 5
    while _blocked_clients(server) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _blocked_clients(server) >= n


def test_xreadgroup_block_is_woken_by_xadd(server, r):
    r.xgroup_create("s", "g", "$", mkstream=True)
    thread, result = _blocked_call(server.client, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "5000",
                                   "STREAMS", "s", ">")
    _wait_blocked_in(server)
    r.xadd("s", {"k": "v"}, id="7-1")
    thread.join(5)
    assert result["elapsed"] < 2
    entries = result["reply"][b"s"][0] if isinstance(result["reply"], dict) else result["reply"][0][1]
    assert entries[0][0] == b"7-1"
    assert r.xpending("s", "g")["pending"] == 1


def test_xread_block_dollar_means_after_the_last_id_at_blocking_time(server, r):
    r.xadd("s", {"old": "1"}, id="1-1")
    thread, result = _blocked_call(server.client, "XREAD", "BLOCK", "5000", "STREAMS", "s", "$")
    _wait_blocked_in(server)
    r.xadd("s", {"new": "2"}, id="2-1")
    thread.join(5)
    reply = result["reply"]
    entries = reply[b"s"][0] if isinstance(reply, dict) else reply[0][1]
    assert [e[0] for e in entries] == [b"2-1"]


def test_block_timeout_and_block_inside_multi(server, r):
    start = time.monotonic()
    assert not r.xread({"s": "$"}, block=100)  # a null reply
    assert time.monotonic() - start >= 0.09
    r.xgroup_create("s", "g", "$", mkstream=True)
    assert not r.xreadgroup("g", "c", {"s": ">"}, block=100)
    pipe = r.pipeline(transaction=True)
    pipe.xread({"s": "$"}, block=0)
    pipe.xreadgroup("g", "c", {"s": ">"}, block=0)
    start = time.monotonic()
    assert not any(pipe.execute())
    assert time.monotonic() - start < 3  # BLOCK 0 does not block in MULTI (it would wait forever)


def test_group_destroy_and_key_deletion_unblock_with_errors(server, r):
    r.xgroup_create("s", "g", "$", mkstream=True)
    thread, result = _blocked_call(server.client, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    _wait_blocked_in(server)
    r.xgroup_destroy("s", "g")
    thread.join(5)
    assert result["error"] == "NOGROUP the consumer group this client was blocked on no longer exists"

    r.xgroup_create("s", "g", "$")
    thread, result = _blocked_call(server.client, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    _wait_blocked_in(server)
    r.delete("s")
    thread.join(5)
    assert result["error"] == "UNBLOCKED the stream key no longer exists"

    # a plain XREAD keeps waiting when its key goes away
    r.xadd("s", {"a": 1}, id="1-1")
    thread, result = _blocked_call(server.client, "XREAD", "BLOCK", "300", "STREAMS", "s", "$")
    _wait_blocked_in(server)
    r.delete("s")
    thread.join(5)
    assert not result["reply"] and result["elapsed"] >= 0.25


def test_one_new_entry_goes_to_one_blocked_group_consumer(server, r):
    r.xgroup_create("s", "g", "$", mkstream=True)
    # a long block for a (its reply must come from the XADD), a short one for b (it must time out empty)
    first = _blocked_call(server.client, "XREADGROUP", "GROUP", "g", "a", "BLOCK", "20000", "STREAMS", "s", ">")
    _wait_blocked_in(server, 1)
    second = _blocked_call(server.client, "XREADGROUP", "GROUP", "g", "b", "BLOCK", "600", "STREAMS", "s", ">")
    _wait_blocked_in(server, 2)
    r.xadd("s", {"k": "v"}, id="3-1")
    for thread, _ in (first, second):
        thread.join(5)
    assert first[1]["reply"] is not None and first[1]["elapsed"] < 10
    assert not second[1]["reply"]  # the group's last ID moved past it: nothing new for b


def test_all_blocked_xread_clients_see_the_entry(server, r):
    calls = []
    for i in range(3):
        calls.append(_blocked_call(server.client, "XREAD", "BLOCK", "5000", "STREAMS", "s", "other", "$", "$"))
        _wait_blocked_in(server, i + 1)
    r.xadd("other", {"k": "v"}, id="4-1")
    for thread, result in calls:
        thread.join(5)
        reply = result["reply"]
        keys = list(reply) if isinstance(reply, dict) else [k for k, _ in reply]
        assert keys == [b"other"]


async def test_asyncio_consumer(server, ar):
    await ar.xgroup_create("s", "g", "$", mkstream=True)

    async def consume() -> list[bytes]:
        got: list[bytes] = []
        client = server.async_client()
        while len(got) < 5:
            reply = await client.xreadgroup("g", "c", {"s": ">"}, block=2000, count=2)
            entries = reply[b"s"][0] if isinstance(reply, dict) else reply[0][1]
            for entry_id, _ in entries:
                got.append(entry_id)
                await client.xack("s", "g", entry_id)
        await client.aclose()
        return got

    task = asyncio.create_task(consume())
    ids = []
    for i in range(5):
        await asyncio.sleep(0.02)
        ids.append(await ar.xadd("s", {"i": i}))
    assert await asyncio.wait_for(task, 10) == ids
    assert (await ar.xpending("s", "g"))["pending"] == 0


# -- the wake-up replies, byte for byte against real Redis ---------------------------------------

WAKE_CASES = {
    "xread_dollar": ([("XADD", "s", "1-1", "a", "1")], ("XREAD", "BLOCK", "0", "STREAMS", "s", "t", "$", "$"),
                     [("XADD", "t", "5-1", "b", "2")]),
    "xread_count": ([("XADD", "s", "1-1", "a", "1")], ("XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", "1-1"),
                    [("MULTI",), ("XADD", "s", "2-1", "b", "2"), ("XADD", "s", "3-1", "c", "3"), ("EXEC",)]),
    "xreadgroup": ([("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")],
                   ("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"),
                   [("XADD", "s", "2-1", "b", "2"), ("XPENDING", "s", "g")]),
    "xreadgroup_noack": ([("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")],
                         ("XREADGROUP", "GROUP", "g", "c", "NOACK", "BLOCK", "0", "STREAMS", "s", ">"),
                         [("XADD", "s", "2-1", "b", "2"), ("XPENDING", "s", "g"), ("XINFO", "GROUPS", "s")]),
    "nogroup": ([("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")],
                ("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"),
                [("XGROUP", "DESTROY", "s", "g")]),
    "deleted": ([("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")],
                ("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"), [("DEL", "s")]),
    "flushed": ([("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")],
                ("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"), [("FLUSHALL",)]),
    "overwritten": ([("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")],
                    ("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"), [("SET", "s", "x")]),
}


@pytest.mark.parametrize("resp", [2, 3])
@pytest.mark.parametrize("case", sorted(WAKE_CASES))
def test_wake_replies_match_redis(redis_oracle_port, server, case, resp):
    setup, blocking, writes = WAKE_CASES[case]
    replies = []
    for port in (redis_oracle_port, server.port):
        admin, waiter = RawConnection(port), RawConnection(port)
        try:
            admin.call("FLUSHALL")
            if resp == 3:
                waiter.call("HELLO", "3")
            for args in setup:
                admin.call(*args)
            waiter.send(encode_command(blocking))
            wait_blocked(admin)  # a write before the read blocks would change what the reader gets
            written = [admin.call(*args) for args in writes]
            replies.append((waiter.read_reply()[0], written))
        finally:
            admin.close()
            waiter.close()
    assert replies[1] == replies[0]


def test_block_is_refused_inside_scripts(diff):
    diff.check("XADD", "s", "1-1", "a", "b")
    diff.check("EVAL", "return redis.call('xread', 'block', '0', 'streams', 's', '0')", "0")
    diff.check("EVAL", "return redis.pcall('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>')", "0")
    diff.check("EVAL", "return redis.call('xread', 'streams', 's', '0')", "0")


def test_entries_cross_into_lua(diff, diff3):
    for d in (diff, diff3):
        d.check("FLUSHALL")
        d.check("XADD", "s", "1-1", "a", "1", "b", "2")
        d.check("XADD", "s", "2-1", "c", "3")
        d.check("XGROUP", "CREATE", "s", "g", "0")
        d.check("EVAL", "return redis.call('XRANGE', 's', '-', '+')", "1", "s")
        d.check("EVAL", "return redis.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>')", "1", "s")
        d.check("EVAL", "return redis.call('XAUTOCLAIM', 's', 'g', 'd', '0', '0')", "1", "s")
        d.check("EVAL", "redis.setresp(3); return redis.call('XREAD', 'STREAMS', 's', '0')", "1", "s")
        d.check("EVAL", "redis.setresp(3); return redis.call('XINFO', 'STREAM', 's')", "1", "s")


def test_client_unblock_releases_a_blocked_reader(server, r):
    r.xgroup_create("s", "g", "$", mkstream=True)
    blocked = server.client()
    blocked_id = blocked.client_id()
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["reply"] = blocked.xreadgroup("g", "c", {"s": ">"}, block=0)
        except redis.ResponseError as exc:
            result["error"] = str(exc)

    for reason, expected in (("TIMEOUT", None), ("ERROR", "UNBLOCKED client unblocked via CLIENT UNBLOCK")):
        result.clear()
        thread = threading.Thread(target=run)
        thread.start()
        _wait_blocked_in(server)
        assert r.client_unblock(blocked_id, error=reason == "ERROR")
        thread.join(5)
        if expected is None:
            assert not result["reply"]
        else:
            assert result["error"] == expected
    blocked.close()


# -- lag and entries-read as Redis 7.4 computes them (its stream-cgroups.tcl cases) ---------------------


def _groups(r) -> list[tuple]:
    """(entries-read, lag) of each group, from XINFO STREAM FULL."""
    full = r.xinfo_stream("x", full=True)
    return [(g["entries-read"], g["lag"]) for g in full["groups"]]


def test_lag_in_empty_streams(r):
    r.xgroup_create("x", "g1", 0, mkstream=True)
    assert _groups(r) == [(None, 0)]
    r.xadd("x", {"data": "a"}, id="1-0")
    r.xdel("x", "1-0")
    assert r.xinfo_stream("x", full=True)["max-deleted-entry-id"] == b"1-0"
    assert _groups(r) == [(None, 0)]


def test_lag_sanity(r):
    for i, v in enumerate("abcde", 1):
        r.xadd("x", {"data": v}, id=f"{i}-0")
    r.xgroup_create("x", "g1", 0)
    assert _groups(r) == [(None, 5)]
    r.xreadgroup("g1", "c11", {"x": ">"}, count=1)
    assert _groups(r) == [(1, 4)]
    r.xreadgroup("g1", "c12", {"x": ">"}, count=10)
    assert _groups(r) == [(5, 0)]
    r.xadd("x", {"data": "f"}, id="6-0")
    assert _groups(r) == [(5, 1)]


def test_lag_with_xdels(r):
    for i, v in enumerate("abcde", 1):
        r.xadd("x", {"data": v}, id=f"{i}-0")
    r.xdel("x", "3-0")
    r.xgroup_create("x", "g1", 0)
    r.xgroup_create("x", "g2", 0)
    assert _groups(r)[0] == (None, None)
    for _ in range(3):  # the tombstone at 3-0 is ahead: no counter, no lag
        r.xreadgroup("g1", "c11", {"x": ">"}, count=1)
        assert _groups(r)[0] == (None, None)
    r.xreadgroup("g1", "c11", {"x": ">"}, count=1)
    assert _groups(r)[0] == (5, 0)
    r.xadd("x", {"data": "f"}, id="6-0")
    assert _groups(r)[0] == (5, 1)
    r.xtrim("x", minid="3-0", approximate=False)
    assert _groups(r) == [(5, 1), (None, 3)]
    r.xtrim("x", minid="5-0", approximate=False)
    assert _groups(r) == [(5, 1), (None, 2)]


def test_lag_with_a_tombstone_after_the_groups_last_id(r):
    r.xgroup_create("x", "g1", "$", mkstream=True)
    r.xadd("x", {"data": "a"}, id="1-0")
    r.xreadgroup("g1", "alice", {"x": ">"})
    r.xadd("x", {"data": "c"}, id="2-0")
    r.xadd("x", {"data": "d"}, id="3-0")
    r.xdel("x", "2-0")
    assert _groups(r) == [(1, None)]
    r.xdel("x", "1-0")  # last ID and tombstone both before the first entry: the lag is what is left
    assert _groups(r) == [(1, 1)]
    r.xreadgroup("g1", "alice", {"x": ">"})
    assert _groups(r) == [(3, 0)]


def test_lag_with_xtrim(r):
    r.xgroup_create("x", "mygroup", "$", mkstream=True)
    for i, v in enumerate("abcde", 1):
        r.xadd("x", {"data": v}, id=f"{i}-0")
    r.xreadgroup("mygroup", "alice", {"x": ">"}, count=1)
    assert _groups(r) == [(1, 4)]
    r.xtrim("x", maxlen=1, approximate=False)  # the first entry passed the group's last ID
    assert r.xinfo_stream("x", full=True)["max-deleted-entry-id"] == b"0-0"
    assert _groups(r) == [(1, 1)]
    r.xreadgroup("mygroup", "alice", {"x": ">"})
    assert _groups(r) == [(5, 0)]
    r.xadd("x", {"data": "f"}, id="6-0")
    assert _groups(r) == [(5, 1)]
    r.xtrim("x", maxlen=0, approximate=False)
    assert _groups(r) == [(5, 0)]


def test_lag_of_a_group_created_with_a_too_high_entries_read(r):
    """redis-py's own test (servers 7.x): ENTRIESREAD 7 on a one-entry stream leaves a lag of 1, not -6."""
    r.xadd("x", {"foo": "bar"})
    r.xgroup_create("x", "group", 0, entries_read=7)
    assert r.xinfo_groups("x")[0]["lag"] == 1 and r.xinfo_groups("x")[0]["entries-read"] == 7
