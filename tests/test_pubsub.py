"""Pub/Sub and keyspace notifications through redis-py and against real redis-server."""

import asyncio
import socket
import time

import pytest

from tests.helpers import RawConnection, encode_command


def _collect(pubsub, count, timeout=5.0):
    messages = []
    deadline = time.monotonic() + timeout
    while len(messages) < count and time.monotonic() < deadline:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if message is not None:
            messages.append(message)
    return messages


def test_subscribe_replies_differential(diff):
    diff.check("SUBSCRIBE", "a")
    diff.check("SUBSCRIBE", "b")
    diff.check("GET", "a")
    diff.check("PING")
    diff.check("PING", "hi")
    diff.check("PSUBSCRIBE", "x*")
    diff.check("PUNSUBSCRIBE", "x*")
    diff.check("UNSUBSCRIBE", "a")
    diff.check("UNSUBSCRIBE", "b")
    diff.check("UNSUBSCRIBE")
    diff.check("PUNSUBSCRIBE")
    diff.check("SSUBSCRIBE", "s")
    diff.check("SUNSUBSCRIBE")
    diff.check("SUNSUBSCRIBE")
    diff.check("SUBSCRIBE")


def test_subscribe_replies_resp3_differential(diff3):
    diff3.check("SUBSCRIBE", "a")
    diff3.check("GET", "a")
    diff3.check("PING")
    diff3.check("UNSUBSCRIBE", "a")
    diff3.check("UNSUBSCRIBE")


def test_pubsub_introspection_differential(diff, redis_oracle_port, server):
    subscribers = [RawConnection(port) for port in (redis_oracle_port, server.port)]
    for conn in subscribers:
        conn.call("SUBSCRIBE", "news", "sport")
        conn.read_reply()
        conn.call("PSUBSCRIBE", "n*")
        conn.call("SSUBSCRIBE", "shardy")
    diff.check("PUBSUB", "NUMSUB", "news", "sport", "none")
    diff.check("PUBSUB", "NUMPAT")
    diff.check("PUBSUB", "CHANNELS", "n*")
    diff.check("PUBSUB", "SHARDCHANNELS")
    diff.check("PUBSUB", "SHARDNUMSUB", "shardy", "x")
    diff.check("PUBSUB", "NOSUCH")
    diff.check("PUBSUB")
    diff.check("PUBLISH", "news", "hello")
    diff.check("SPUBLISH", "shardy", "hello")
    for conn in subscribers:
        conn.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_publish_reaches_channel_and_pattern_subscribers(server, protocol):
    sub = server.client(protocol=protocol)
    pub = server.client()
    ps = sub.pubsub()
    ps.subscribe("events")
    ps.psubscribe("ev*")
    _collect(ps, 0, 0.2)
    assert pub.publish("events", "one") == 2
    messages = _collect(ps, 2)
    assert {m["type"] for m in messages} == {"message", "pmessage"}
    assert all(m["data"] == b"one" for m in messages)
    assert [m["pattern"] for m in messages if m["type"] == "pmessage"] == [b"ev*"]
    ps.close()
    sub.close()
    pub.close()


def test_pubsub_thread_delivers_in_order(server):
    sub = server.client()
    received = []
    ps = sub.pubsub()
    ps.subscribe(**{"orders": lambda m: received.append(m["data"])})
    thread = ps.run_in_thread(sleep_time=0.01)
    pub = server.client()
    try:
        _wait_subscribed(pub, "orders")
        for i in range(100):
            pub.publish("orders", str(i))
        deadline = time.monotonic() + 15
        while len(received) < 100 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        # joined before `sub` is collected: its pool would close the socket under the running thread
        thread.stop()
        thread.join(15)
        sub.close()
        pub.close()
    assert received == [str(i).encode() for i in range(100)]


def _wait_subscribed(client, channel: str, n: int = 1) -> None:
    """A SUBSCRIBE sent on another connection has taken effect (a publish now reaches it)."""
    deadline = time.monotonic() + 15
    while client.pubsub_numsub(channel) != [(channel.encode(), n)]:
        assert time.monotonic() < deadline, f"{channel} never got {n} subscribers"
        time.sleep(0.005)


async def test_asyncio_pubsub(server):
    sub = server.async_client()
    pub = server.async_client()
    ps = sub.pubsub()
    await ps.subscribe("async-ch")
    await ps.get_message(timeout=1)
    await pub.publish("async-ch", "hi")
    message = None
    for _ in range(50):
        message = await ps.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if message:
            break
    assert message["data"] == b"hi"
    await ps.aclose()
    await sub.aclose()
    await pub.aclose()
    await asyncio.sleep(0)


def test_resp3_subscriber_can_run_commands(server):
    conn = RawConnection(server.port)
    conn.call("HELLO", "3")
    assert conn.call("SUBSCRIBE", "c") == b">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n"
    assert conn.call("SET", "resp3-key", "v") == b"+OK\r\n"
    server.client().publish("c", "m")
    raw, parsed = conn.read_reply()
    assert raw == b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n"
    conn.close()


def test_keyspace_notifications(server, r):
    r.config_set("notify-keyspace-events", "KEA")
    try:
        ps = r.pubsub()
        ps.psubscribe("__key*@0__:*")
        _collect(ps, 0, 0.2)
        r.set("watched", "v")
        r.delete("watched")
        messages = _collect(ps, 4)
        seen = {(m["channel"], m["data"]) for m in messages}
        assert (b"__keyspace@0__:watched", b"set") in seen
        assert (b"__keyevent@0__:set", b"watched") in seen
        assert (b"__keyspace@0__:watched", b"del") in seen
        assert (b"__keyevent@0__:del", b"watched") in seen
        ps.close()
    finally:
        r.config_set("notify-keyspace-events", "")


def test_expired_events_from_active_expiry(server, r):
    r.config_set("notify-keyspace-events", "Ex")
    try:
        ps = r.pubsub()
        ps.subscribe("__keyevent@0__:expired")
        _collect(ps, 0, 0.2)
        r.set("short", "v", px=50)  # never touched again: only the active cycle can expire it
        messages = _collect(ps, 1, 3.0)
        assert [m["data"] for m in messages] == [b"short"]
        ps.close()
    finally:
        r.config_set("notify-keyspace-events", "")


def test_new_key_events_only_when_requested(server, r):
    r.config_set("notify-keyspace-events", "En")
    try:
        ps = r.pubsub()
        ps.subscribe("__keyevent@0__:new")
        _collect(ps, 0, 0.2)
        r.set("fresh", "1")
        r.set("fresh", "2")
        messages = _collect(ps, 2, 1.0)
        assert [m["data"] for m in messages] == [b"fresh"]
        ps.close()
    finally:
        r.config_set("notify-keyspace-events", "")


def test_slow_subscriber_is_disconnected_by_output_buffer_limit(server, r):
    r.config_set("client-output-buffer-limit", "pubsub 256kb 128kb 1")
    try:
        slow = socket.create_connection(("127.0.0.1", server.port))
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.sendall(encode_command(["SUBSCRIBE", "firehose"]))
        _wait_subscribed(r, "firehose")  # else the first PUBLISH reaches nobody and nothing is tested
        payload = b"x" * 10_000
        for _ in range(2000):  # ~20 MB offered; the subscriber never reads
            if r.publish("firehose", payload) == 0:
                break
        assert r.pubsub_numsub("firehose") == [(b"firehose", 0)]
        assert r.ping() is True
        slow.close()
    finally:
        r.config_set("client-output-buffer-limit", "pubsub 32mb 8mb 60")
