"""Client-side caching: CLIENT TRACKING and friends, and redis-py's RESP3 client cache."""

import time

import pytest

from tests.helpers import RawConnection, encode_command


def _push(conn):
    raw, parsed = conn.read_reply()
    return parsed


def test_tracking_errors_differential(diff):
    diff.check("CLIENT", "TRACKING", "ON")
    diff.check("CLIENT", "TRACKINGINFO")
    diff.check("CLIENT", "GETREDIR")
    diff.check("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a")
    diff.check("CLIENT", "TRACKING", "OFF")
    diff.check("CLIENT", "CACHING", "YES")
    diff.check("CLIENT", "TRACKING", "ON", "OPTIN")
    diff.check("CLIENT", "CACHING", "YES")
    diff.check("CLIENT", "CACHING", "NO")
    diff.check("CLIENT", "CACHING", "MAYBE")
    diff.check("CLIENT", "TRACKINGINFO")
    diff.check("CLIENT", "TRACKING", "OFF")
    diff.check("CLIENT", "TRACKING", "ON", "OPTOUT", "OPTIN")
    diff.check("CLIENT", "TRACKING", "ON", "REDIRECT", "999999")
    diff.check("CLIENT", "TRACKING", "ON", "PREFIX", "a")
    diff.check("CLIENT", "TRACKING", "ON", "FOO")
    diff.check("CLIENT", "TRACKING", "MAYBE")
    diff.check("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab", "PREFIX", "a")
    diff.check("CLIENT", "TRACKINGINFO")


def test_own_write_invalidation_follows_reply_differential(diff3):
    diff3.check("CLIENT", "TRACKING", "ON")
    diff3.check("GET", "k")
    diff3.check("SET", "k", "1")  # +OK, then the invalidate push
    for conn in (diff3.redis, diff3.dynamis):
        raw, _ = conn.read_reply()
        assert raw == b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"
    diff3.check("GET", "k")
    diff3.check("FLUSHDB")
    for conn in (diff3.redis, diff3.dynamis):
        raw, _ = conn.read_reply()
        assert raw == b">2\r\n$10\r\ninvalidate\r\n_\r\n"


def test_default_mode_invalidates_once(server):
    conn = RawConnection(server.port)
    conn.call("HELLO", "3")
    conn.call("CLIENT", "TRACKING", "ON")
    conn.call("GET", "cached")
    other = server.client()
    other.set("cached", "1")
    assert _push(conn) == [b"invalidate", [b"cached"]]
    other.set("cached", "2")  # not read again: no second invalidation
    assert conn.call("PING") == b"+PONG\r\n"
    conn.close()


def test_noloop_and_optin(server):
    conn = RawConnection(server.port)
    conn.call("HELLO", "3")
    conn.call("CLIENT", "TRACKING", "ON", "NOLOOP", "OPTIN")
    conn.call("GET", "not-cached")
    conn.call("CLIENT", "CACHING", "YES")
    conn.call("GET", "cached")
    conn.call("SET", "cached", "mine")  # NOLOOP: own writes send nothing
    assert conn.call("PING") == b"+PONG\r\n"
    conn.call("GET", "cached")  # not tracked (OPTIN without CACHING YES)
    other = server.client()
    other.set("not-cached", "x")
    conn.call("CLIENT", "CACHING", "YES")
    conn.call("GET", "cached")
    other.set("cached", "theirs")
    assert _push(conn) == [b"invalidate", [b"cached"]]
    conn.close()


def test_bcast_prefixes(server):
    conn = RawConnection(server.port)
    conn.call("HELLO", "3")
    conn.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:")
    other = server.client()
    other.set("order:1", "x")
    other.set("user:1", "x")
    assert _push(conn) == [b"invalidate", [b"user:1"]]
    conn.close()


def test_resp2_redirect_to_invalidate_channel(server):
    listener = server.client(protocol=2)
    pubsub = listener.pubsub()
    pubsub.subscribe("__redis__:invalidate")
    pubsub.get_message(timeout=1)
    listener_id = pubsub.connection.client_id if hasattr(pubsub.connection, "client_id") else None
    if listener_id is None:
        listener_id = int(dict(item.split("=", 1) for item in
                               [c for c in server.client(protocol=2).execute_command("CLIENT", "LIST").decode().split("\n")
                                if "sub=1" in c][0].split())["id"])
    tracked = server.client(protocol=2)
    tracked.execute_command("CLIENT", "TRACKING", "ON", "REDIRECT", listener_id)
    tracked.get("redirected")
    server.client().set("redirected", "1")
    message = None
    deadline = time.monotonic() + 3
    while message is None and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.1)
    assert message["channel"] == b"__redis__:invalidate"
    assert message["data"] == [b"redirected"]
    pubsub.close()


@pytest.mark.parametrize("cmd", [("FLUSHALL",), ("FLUSHDB",)])
def test_flush_sends_null_invalidation(server, cmd):
    conn = RawConnection(server.port)
    conn.call("HELLO", "3")
    conn.call("CLIENT", "TRACKING", "ON")
    conn.call("GET", "x")
    server.client().execute_command(*cmd)
    assert _push(conn) == [b"invalidate", None]
    conn.close()


def test_bcast_batches_keys_of_one_loop_iteration(server):
    conn = RawConnection(server.port)
    conn.call("HELLO", "3")
    conn.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "b:", "NOLOOP")
    conn.call("SET", "b:own", "1")  # NOLOOP: not reported back
    other = RawConnection(server.port)
    other.send(b"".join(encode_command(["SET", f"b:{i}", "x"]) for i in range(3)))
    for _ in range(3):
        other.read_reply()
    assert _push(conn) == [b"invalidate", [b"b:0", b"b:1", b"b:2"]]
    conn.close()
    other.close()
