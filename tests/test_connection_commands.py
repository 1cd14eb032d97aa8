"""Connection commands: PING ECHO QUIT RESET AUTH HELLO SELECT and CLIENT, against real Redis where the
reply does not depend on addresses or ids."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import RawConnection


def test_ping_echo_select_differential(diff, diff3):
    for d in (diff, diff3):
        d.check("PING")
        d.check("PING", "hello")
        d.check("PING", "a", "b")
        d.check("ECHO", "x y")
        d.check("ECHO")
        d.check("SELECT", "1")
        d.check("SELECT", "16")
        d.check("SELECT", "-1")
        d.check("SELECT", "x")
        d.check("SELECT", "0")


@pytest.mark.parametrize("args", [  # (CLIENT HELP is Redis 7.4's: tests/test_redis74_additions.py)
    ("CLIENT",), ("CLIENT", "NOSUCH"), ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", "a b"),
    ("CLIENT", "SETNAME", "a\nb"), ("CLIENT", "SETNAME", "ok-name"), ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", ""),
    ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME"), ("CLIENT", "ID", "x"), ("CLIENT", "LIST", "TYPE", "foo"),
    ("CLIENT", "LIST", "TYPE", "pubsub"), ("CLIENT", "LIST", "ID", "abc"), ("CLIENT", "LIST", "ID", "999999"),
    ("CLIENT", "LIST", "foo"), ("CLIENT", "LIST", "TYPE", "normal", "x"), ("CLIENT", "KILL", "1.2.3.4:5"),
    ("CLIENT", "KILL", "ID", "0"), ("CLIENT", "KILL", "ID", "abc"), ("CLIENT", "KILL", "ID", "999999"),
    ("CLIENT", "KILL", "SKIPME", "maybe"), ("CLIENT", "KILL", "foo", "bar"), ("CLIENT", "KILL", "TYPE", "foo"),
    ("CLIENT", "KILL", "TYPE", "pubsub"), ("CLIENT", "KILL", "USER", "nobody"),
    ("CLIENT", "KILL", "ADDR", "1.1.1.1:1", "SKIPME"), ("CLIENT", "KILL", "LADDR", "1.1.1.1:1"),
    ("CLIENT", "KILL", "ADDR", "1.1.1.1:1", "SKIPME", "no"), ("CLIENT", "KILL"),
    ("CLIENT", "PAUSE"), ("CLIENT", "PAUSE", "abc"), ("CLIENT", "PAUSE", "-1"), ("CLIENT", "PAUSE", "10", "foo"),
    ("CLIENT", "PAUSE", "10", "write", "x"), ("CLIENT", "UNPAUSE"), ("CLIENT", "UNPAUSE", "x"),
    ("CLIENT", "REPLY", "foo"), ("CLIENT", "REPLY", "ON"), ("CLIENT", "NO-EVICT", "foo"),
    ("CLIENT", "NO-EVICT", "on"), ("CLIENT", "NO-EVICT", "OFF"),
])
def test_client_differential(diff, diff3, args):
    diff.check(*args)
    diff3.check(*args)


def test_client_id_info_list(r, server):
    cid = r.client_id()
    assert isinstance(cid, int) and cid > 0
    info = r.client_info()
    assert info["id"] == cid and info["db"] == 0 and info["cmd"] == "client|info"
    assert {"addr", "laddr", "fd", "name", "age", "idle", "flags", "sub", "psub", "multi", "qbuf", "omem",
            "tot-mem", "user", "resp", "lib-name", "lib-ver"} <= set(info)
    r.client_setname("conn-a")
    assert r.client_getname() in ("conn-a", b"conn-a")
    listed = {int(c["id"]): c for c in r.client_list()}
    assert listed[cid]["name"] == "conn-a"
    assert [int(c["id"]) for c in r.client_list(client_id=[cid])] == [cid]
    assert all(int(c["id"]) != cid for c in r.client_list(_type="pubsub"))


def test_client_list_verbatim_raw(server):
    conn = RawConnection(server.port)
    raw = conn.call("CLIENT", "INFO")
    assert raw.startswith(b"$") and raw.endswith(b"\n\r\n")
    conn.call("HELLO", "3")
    assert conn.call("CLIENT", "INFO").startswith(b"=")
    conn.close()


def test_client_setinfo(server):
    conn = RawConnection(server.port)
    assert conn.call("CLIENT", "SETINFO", "LIB-NAME", "mylib") == b"+OK\r\n"
    assert conn.call("CLIENT", "SETINFO", "lib-ver", "1.2.3") == b"+OK\r\n"
    assert conn.call("CLIENT", "SETINFO", "foo", "x") == b"-ERR Unrecognized option 'foo'\r\n"
    assert conn.call("CLIENT", "SETINFO", "lib-name", "a b") == (
        b"-ERR lib-name cannot contain spaces, newlines or special characters.\r\n")
    assert conn.call("CLIENT", "SETINFO", "lib-name") == (
        b"-ERR wrong number of arguments for 'client|setinfo' command\r\n")
    assert b"lib-name=mylib lib-ver=1.2.3" in conn.call("CLIENT", "INFO")
    conn.close()


def test_client_kill_by_id_addr_and_filters(server):
    victim = RawConnection(server.port)
    killer = RawConnection(server.port)
    vid = int(victim.call("CLIENT", "ID")[1:-2])
    assert killer.call("CLIENT", "KILL", "ID", str(vid)) == b":1\r\n"
    assert victim.read_all(1.0).endswith(b"<closed>")
    victim = RawConnection(server.port)
    victim.call("CLIENT", "SETNAME", "victim")
    addr = next(line.split(" ")[1][5:] for line in killer.call("CLIENT", "LIST").decode().splitlines()
                if "name=victim" in line)
    assert killer.call("CLIENT", "KILL", addr) == b"+OK\r\n"  # the old form
    assert victim.read_all(1.0).endswith(b"<closed>")
    # SKIPME yes (the default) spares the caller; USER default matches everyone else
    others = [RawConnection(server.port) for _ in range(2)]
    for other in others:
        other.call("PING")
    killed = int(killer.call("CLIENT", "KILL", "USER", "default", "TYPE", "normal", "MAXAGE", "100000")[1:-2])
    assert killed == 0
    time.sleep(1.1)
    killed = int(killer.call("CLIENT", "KILL", "USER", "default", "MAXAGE", "1")[1:-2])
    assert killed >= 2
    for other in others:
        assert other.read_all(1.0).endswith(b"<closed>")
    assert killer.call("PING") == b"+PONG\r\n"
    assert killer.call("CLIENT", "KILL", "MAXAGE", "0") == b"-ERR maxage should be greater than 0\r\n"
    assert killer.call("CLIENT", "KILL", "MAXAGE", "x") == b"-ERR maxage is not an integer or out of range\r\n"
    # SKIPME no: the caller goes too, after its reply
    my_id = killer.call("CLIENT", "ID")[1:-2].decode()
    assert killer.call("CLIENT", "KILL", "ID", my_id, "SKIPME", "no") == b":1\r\n"
    assert killer.read_all(1.0).endswith(b"<closed>")
    killer.close()


def test_client_reply_off_skip(server):
    conn = RawConnection(server.port)
    conn.send(b"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n*2\r\n$4\r\nECHO\r\n$1\r\na\r\n"
              b"*2\r\n$4\r\nECHO\r\n$1\r\nb\r\n")
    assert conn.read_all(0.5) == b"$1\r\nb\r\n"
    conn.send(b"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n*2\r\n$4\r\nECHO\r\n$1\r\nc\r\n"
              b"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n*2\r\n$4\r\nECHO\r\n$1\r\nd\r\n")
    assert conn.read_all(0.5) == b""
    assert conn.call("CLIENT", "REPLY", "ON") == b"+OK\r\n"
    assert conn.call("ECHO", "e") == b"$1\r\ne\r\n"
    conn.close()


def test_client_no_evict_flag(r):
    r.execute_command("CLIENT", "NO-EVICT", "ON")
    assert "e" in r.client_info()["flags"]
    r.execute_command("CLIENT", "NO-EVICT", "OFF")
    assert "e" not in r.client_info()["flags"]


def _timed(fn) -> float:
    start = time.monotonic()
    fn()
    return time.monotonic() - start


def test_client_pause_write_delays_writes_not_reads(server):
    admin = server.client()
    other = server.client()
    writer = server.client()
    other.set("pause:k", "1")
    written: list[bool] = []
    thread = threading.Thread(target=lambda: written.append(writer.set("pause:k", "2")))
    try:
        # a long pause ended by UNPAUSE: no wall-clock bound for a loaded box to miss
        assert admin.execute_command("CLIENT", "PAUSE", "20000", "WRITE") == b"OK"
        assert _timed(lambda: other.get("pause:k")) < 10  # a read goes through
        thread.start()
        time.sleep(0.3)
        assert not written and other.get("pause:k") == b"1"  # the write is held back, not refused
        # errors are answered at once (arity is checked before the pause)
        with pytest.raises(redis.ResponseError):
            other.execute_command("SET", "pause:k")
        admin.execute_command("CLIENT", "UNPAUSE")
        thread.join(10)
        assert written == [True]
        assert other.get("pause:k") == b"2"
    finally:
        admin.execute_command("CLIENT", "UNPAUSE")
        if thread.is_alive():
            thread.join(10)
        other.delete("pause:k")
        for client in (admin, other, writer):
            client.close()


def test_client_pause_all_and_unpause(server):
    admin = server.client()
    other = server.client()
    admin.execute_command("CLIENT", "PAUSE", "5000", "ALL")
    try:
        results = []
        thread = threading.Thread(target=lambda: results.append(other.ping()))
        thread.start()
        time.sleep(0.3)
        assert not results  # held back
        raw = RawConnection(server.port)
        raw.send(b"*1\r\n$4\r\nPING\r\n")
        assert raw.read_all(0.2) == b""
        leaving = RawConnection(server.port)
        assert leaving.call("QUIT") == b"+OK\r\n"  # QUIT is never held back
        # UNPAUSE from an unpaused path: the embedded server's own loop
        server._loop.call_soon_threadsafe(server.server.unpause_clients)
        thread.join(5)
        assert results == [True]
        raw.sock.settimeout(10)
        assert raw.read_reply()[0] == b"+PONG\r\n"
        raw.close()
    finally:  # a failure must not leave the session server paused for the next tests
        server._loop.call_soon_threadsafe(server.server.unpause_clients)


def test_client_pause_grows_only(server):
    admin = server.client()
    other = server.client()
    try:
        admin.execute_command("CLIENT", "PAUSE", "600", "WRITE")
        admin.execute_command("CLIENT", "PAUSE", "100", "ALL")  # ALL wins, the later end stays
        assert _timed(lambda: other.get("x")) >= 0.4
    finally:
        admin.execute_command("CLIENT", "UNPAUSE")


def test_client_pause_pipelined_order(server):
    admin = server.client()
    conn = RawConnection(server.port)
    admin.execute_command("CLIENT", "PAUSE", "20000", "WRITE")
    try:
        conn.send(b"*2\r\n$4\r\nECHO\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$7\r\npause:p\r\n$1\r\nv\r\n"
                  b"*2\r\n$4\r\nECHO\r\n$1\r\n2\r\n")
        assert conn.read_reply()[0] == b"$1\r\n1\r\n"
        assert conn.read_all(0.3) == b""  # the SET is held, and the ECHO behind it waits too
        admin.execute_command("CLIENT", "UNPAUSE")
        conn.sock.settimeout(10)
        assert [conn.read_reply()[0] for _ in range(2)] == [b"+OK\r\n", b"$1\r\n2\r\n"]
    finally:
        admin.execute_command("CLIENT", "UNPAUSE")
        admin.delete("pause:p")
        conn.close()


def test_quit_and_reset(server):
    conn = RawConnection(server.port)
    conn.call("SELECT", "3")
    conn.call("CLIENT", "SETNAME", "n")
    assert conn.call("RESET") == b"+RESET\r\n"
    assert conn.call("CLIENT", "GETNAME") == b"$-1\r\n"
    assert b"db=0" in conn.call("CLIENT", "INFO")
    assert conn.call("QUIT") == b"+OK\r\n"
    assert conn.read_all(0.5) == b"<closed>"


def test_auth_without_password_differential(diff):
    diff.check("AUTH", "x")
    diff.check("AUTH", "default", "x")
    diff.check("AUTH", "someone", "x")
    diff.check("AUTH", "a", "b", "c")
    diff.check("HELLO", "4")
    diff.check("HELLO", "x")
    diff.check("HELLO", "3", "FOO")
    diff.check("HELLO", "3", "AUTH", "default")


def test_requirepass_embedded(server):
    from dynamis.embedded import EmbeddedServer

    with EmbeddedServer(requirepass="s3cret") as secured:
        conn = RawConnection(secured.port)
        assert conn.call("GET", "k") == b"-NOAUTH Authentication required.\r\n"
        assert conn.call("PING") == b"-NOAUTH Authentication required.\r\n"
        assert conn.call("AUTH", "wrong") == (
            b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
        assert conn.call("HELLO", "3").startswith(b"-NOAUTH HELLO must be called")
        assert conn.call("AUTH", "s3cret") == b"+OK\r\n"
        assert conn.call("PING") == b"+PONG\r\n"
        other = RawConnection(secured.port)
        assert other.call("HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "x").startswith(b"%7\r\n")
        assert other.call("CLIENT", "GETNAME") == b"$1\r\nx\r\n"
        assert other.call("RESET") == b"+RESET\r\n"
        assert other.call("GET", "k") == b"-NOAUTH Authentication required.\r\n"
        conn.close()
        other.close()


_CLIENT_OPS = st.sampled_from([
    ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", "n1"), ("CLIENT", "SETNAME", ""), ("CLIENT", "SETNAME", "a b"),
    ("CLIENT", "REPLY", "ON"), ("CLIENT", "NO-EVICT", "on"), ("CLIENT", "NO-EVICT", "off"), ("SELECT", "2"),
    ("SELECT", "0"), ("ECHO", "e"), ("PING",), ("PING", "p"), ("CLIENT", "LIST", "TYPE", "master"),
    ("CLIENT", "KILL", "ADDR", "9.9.9.9:9"), ("CLIENT", "KILL", "TYPE", "master"), ("CLIENT", "BOGUS"),
])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_CLIENT_OPS, min_size=1, max_size=8))
def test_connection_sequences_differential(diff, ops):
    for op in ops:
        diff.check(*op)
    diff.check("CLIENT", "SETNAME", "")
    diff.check("SELECT", "0")
