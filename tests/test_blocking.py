"""Blocking commands with several clients: the same scenario runs on real redis-server and on dynamis
and must produce the same transcript; redis-py (threads and asyncio) checks the everyday use."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest

from tests.helpers import RawConnection, encode_command


class Clients:
    """Raw connections to one server; `send` does not wait for the reply, `read` collects it."""

    def __init__(self, port: int, n: int) -> None:
        self.conns = [RawConnection(port) for _ in range(n)]
        self.ctl = RawConnection(port)
        self.ctl.call("FLUSHALL")

    def send(self, i: int, *args) -> None:
        self.conns[i].send(encode_command(args))

    def call(self, i: int, *args) -> bytes:
        return self.conns[i].call(*args)

    def read(self, i: int) -> bytes:
        return self.conns[i].read_reply()[0]

    def wait_blocked(self, n: int) -> None:
        """Until `n` clients show the `b` flag in CLIENT LIST."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            listing = self.ctl.call("CLIENT", "LIST")
            if sum("b" in field[6:] for field in listing.decode().split() if field.startswith("flags=")) == n:
                return
            time.sleep(0.005)
        raise AssertionError(f"{n} blocked clients expected:\n{listing.decode()}")

    def client_id(self, i: int) -> int:
        return int(self.conns[i].call("CLIENT", "ID")[1:-2])

    def close(self) -> None:
        for c in [*self.conns, self.ctl]:
            c.close()


def same_on_both(redis_oracle_port: int, server, n: int, scenario: Callable[[Clients], list[bytes]]) -> list[bytes]:
    transcripts = []
    for port in (redis_oracle_port, server.port):
        clients = Clients(port, n)
        try:
            transcripts.append(scenario(clients))
        finally:
            clients.close()
    assert transcripts[1] == transcripts[0], f"\n  redis:   {transcripts[0]}\n  dynamis: {transcripts[1]}"
    return transcripts[1]


@pytest.fixture
def both(redis_oracle_port, server):
    return lambda n, scenario: same_on_both(redis_oracle_port, server, n, scenario)


def test_push_wakes_the_first_blocked_client_first(both):
    def scenario(c: Clients) -> list[bytes]:
        for i in range(3):
            c.send(i, "BLPOP", "q", 0)
            c.wait_blocked(i + 1)
        out = [c.call(3, "RPUSH", "q", "a", "b")]
        out += [c.read(0), c.read(1)]
        out.append(c.call(3, "RPUSH", "q", "c"))
        out.append(c.read(2))
        out.append(c.call(3, "EXISTS", "q"))
        return out

    assert both(4, scenario)[1:3] == [b"*2\r\n$1\r\nq\r\n$1\r\na\r\n", b"*2\r\n$1\r\nq\r\n$1\r\nb\r\n"]


def test_waiters_are_served_after_exec_with_the_final_state(both):
    def scenario(c: Clients) -> list[bytes]:
        c.send(0, "BRPOP", "q", 0)
        c.wait_blocked(1)
        out = [c.call(1, "MULTI"), c.call(1, "RPUSH", "q", "first"), c.call(1, "DEL", "q"),
               c.call(1, "RPUSH", "q", "x", "y"), c.call(1, "EXEC"), c.read(0), c.call(1, "LRANGE", "q", 0, -1)]
        return out

    assert both(2, scenario)[5] == b"*2\r\n$1\r\nq\r\n$1\r\ny\r\n"


def test_waiters_are_served_after_a_script(both):
    script = "redis.call('rpush', KEYS[1], 'first'); redis.call('del', KEYS[1]); return redis.call('rpush', KEYS[1], 'x', 'y')"

    def scenario(c: Clients) -> list[bytes]:
        c.send(0, "BLPOP", "q", 0)
        c.wait_blocked(1)
        return [c.call(1, "EVAL", script, 1, "q"), c.read(0), c.call(1, "LRANGE", "q", 0, -1)]

    assert both(2, scenario)[1] == b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n"


def test_key_of_another_type_keeps_the_client_blocked(both):
    def scenario(c: Clients) -> list[bytes]:
        c.send(0, "BLPOP", "k", 0)
        c.wait_blocked(1)
        out = [c.call(1, "SET", "k", "str"), c.call(1, "SADD", "other", "k")]
        c.wait_blocked(1)
        out += [c.call(1, "DEL", "k"), c.call(1, "SADD", "k", "m")]
        c.wait_blocked(1)
        out += [c.call(1, "DEL", "k"), c.call(1, "LPUSH", "k", "v"), c.read(0)]
        return out

    both(2, scenario)


def test_multi_key_wait_reports_the_key_that_got_data(both):
    def scenario(c: Clients) -> list[bytes]:
        c.send(0, "BLPOP", "k1", "k2", "k3", 0)
        c.wait_blocked(1)
        return [c.call(1, "MULTI"), c.call(1, "RPUSH", "k3", "c"), c.call(1, "RPUSH", "k1", "a"), c.call(1, "EXEC"),
                c.read(0), c.call(1, "LLEN", "k1"), c.call(1, "LLEN", "k3")]

    assert both(2, scenario)[4] == b"*2\r\n$2\r\nk3\r\n$1\r\nc\r\n"


def test_blmove_chain_serves_the_next_waiter(both):
    def scenario(c: Clients) -> list[bytes]:
        c.send(0, "BLMOVE", "src", "mid", "LEFT", "RIGHT", 0)
        c.wait_blocked(1)
        c.send(1, "BRPOPLPUSH", "mid", "dst", 0)
        c.wait_blocked(2)
        c.send(2, "BLMPOP", 0, 1, "dst", "LEFT", "COUNT", 5)
        c.wait_blocked(3)
        return [c.call(3, "RPUSH", "src", "v"), c.read(0), c.read(1), c.read(2),
                c.call(3, "EXISTS", "src", "mid", "dst")]

    assert both(4, scenario)[3] == b"*2\r\n$3\r\ndst\r\n*1\r\n$1\r\nv\r\n"


def test_blmove_to_a_wrong_type_destination_errors_when_served(both):
    def scenario(c: Clients) -> list[bytes]:
        c.call(1, "SET", "dst", "x")
        c.send(0, "BLMOVE", "src", "dst", "LEFT", "RIGHT", 0)
        c.wait_blocked(1)
        return [c.call(1, "RPUSH", "src", "v"), c.read(0), c.call(1, "LLEN", "src")]

    both(2, scenario)


def test_blmpop_count_and_direction(both):
    def scenario(c: Clients) -> list[bytes]:
        c.send(0, "BLMPOP", 0, 2, "a", "b", "RIGHT", "COUNT", 2)
        c.wait_blocked(1)
        return [c.call(1, "RPUSH", "b", "1", "2", "3"), c.read(0), c.call(1, "LRANGE", "b", 0, -1)]

    both(2, scenario)


def test_rename_swapdb_and_move_wake_waiters(both):
    def scenario(c: Clients) -> list[bytes]:
        c.send(0, "BLPOP", "target", 0)
        c.wait_blocked(1)
        out = [c.call(1, "RPUSH", "tmp", "renamed"), c.call(1, "RENAME", "tmp", "target"), c.read(0)]
        c.send(0, "BLPOP", "target", 0)
        c.wait_blocked(1)
        out += [c.call(1, "SELECT", 1), c.call(1, "RPUSH", "target", "swapped"), c.call(1, "SWAPDB", 0, 1),
                c.read(0), c.call(1, "FLUSHALL")]
        c.send(0, "BLPOP", "target", 0)
        c.wait_blocked(1)
        out += [c.call(1, "RPUSH", "target", "moved"), c.call(1, "MOVE", "target", 0), c.read(0)]
        return out

    both(2, scenario)


def test_other_database_does_not_wake(both):
    def scenario(c: Clients) -> list[bytes]:
        c.send(0, "BLPOP", "k", "0.3")
        c.wait_blocked(1)
        return [c.call(1, "SELECT", 3), c.call(1, "RPUSH", "k", "v"), c.read(0), c.call(1, "LLEN", "k")]

    assert both(2, scenario)[2] == b"*-1\r\n"


def test_pipelined_requests_wait_for_the_blocked_one(both):
    def scenario(c: Clients) -> list[bytes]:
        c.conns[0].send(encode_command(["BLPOP", "q", 0]) + encode_command(["PING"]) + encode_command(["LLEN", "q"]))
        c.wait_blocked(1)
        c.conns[0].sock.settimeout(0.2)
        try:
            early = c.conns[0].sock.recv(100)
        except TimeoutError:
            early = b""
        c.conns[0].sock.settimeout(10)
        return [early, c.call(1, "RPUSH", "q", "a", "b"), c.read(0), c.read(0), c.read(0)]

    assert both(2, scenario)[0] == b""


def test_timeouts(both):
    def scenario(c: Clients) -> list[bytes]:
        start = time.monotonic()
        out = [c.call(0, "BLPOP", "q", "0.15")]
        elapsed = time.monotonic() - start
        assert 0.14 <= elapsed < 1.5, elapsed
        c.send(0, "BLPOP", "q", "1.5")
        c.wait_blocked(1)
        out += [c.call(1, "RPUSH", "q", "in-time"), c.read(0)]
        return out

    both(2, scenario)


def test_client_unblock(both):
    def scenario(c: Clients) -> list[bytes]:
        target = c.client_id(0)
        out = [c.call(1, "CLIENT", "UNBLOCK", target)]
        c.send(0, "BLPOP", "q", 0)
        c.wait_blocked(1)
        out.append(c.call(1, "CLIENT", "UNBLOCK", target, "TIMEOUT"))
        out.append(c.read(0))
        c.send(0, "BLMOVE", "q", "d", "LEFT", "LEFT", 0)
        c.wait_blocked(1)
        out.append(c.call(1, "CLIENT", "UNBLOCK", target, "ERROR"))
        out.append(c.read(0))
        c.send(0, "BRPOPLPUSH", "q", "d", 0)
        c.wait_blocked(1)
        out += [c.call(1, "CLIENT", "UNBLOCK", target, "BOGUS"), c.call(1, "CLIENT", "UNBLOCK", "x"),
                c.call(1, "CLIENT", "UNBLOCK", target, "timeout"), c.read(0), c.call(0, "PING")]
        return out

    out = both(2, scenario)
    assert out[:3] == [b":0\r\n", b":1\r\n", b"*-1\r\n"]
    assert out[4] == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"


def test_client_unblock_argument_errors(diff):
    for args in [("1", "TIMEOUT", "x"), ("1", "FOO"), ("x",), ("x", "FOO"), ("999999",), ("-1", "ERROR"), ()]:
        diff.check("CLIENT", "UNBLOCK", *args)


def test_disconnect_while_blocked_cleans_up(server, r):
    waiter = RawConnection(server.port)  # not redis-py: it would reconnect and block again
    waiter.send(encode_command(["BLPOP", "gone", 0]))
    _wait_for(lambda: server.server.keyspace.blocking.blocked_clients == 1)
    waiter.close()
    _wait_for(lambda: server.server.keyspace.blocking.blocked_clients == 0)
    assert not server.server.keyspace.blocked_keys
    r.rpush("gone", "kept")
    assert r.lrange("gone", 0, -1) == [b"kept"]


def test_blocked_flag_and_counters(server, r):
    waiter = server.client()
    done = []
    thread = threading.Thread(target=lambda: done.append(waiter.brpop(["k1", "k2"], 5)))
    thread.start()
    _wait_for(lambda: server.server.keyspace.blocking.blocked_clients == 1)
    assert server.server.keyspace.blocking.clients_in_timeout_table == 1
    assert any(c["flags"] == "b" for c in r.client_list())
    r.rpush("k2", "v")
    thread.join(5)
    assert done == [(b"k2", b"v")]
    assert server.server.keyspace.blocking.blocked_clients == 0


def test_many_threads_fifo(server, r):
    results: dict[int, object] = {}
    clients = [server.client() for _ in range(5)]
    threads = []
    for i, c in enumerate(clients):
        t = threading.Thread(target=lambda i=i, c=c: results.__setitem__(i, c.blpop(["jobs"], 5)))
        t.start()
        threads.append(t)
        _wait_for(lambda i=i: server.server.keyspace.blocking.blocked_clients == i + 1)
    r.rpush("jobs", *[f"job{i}" for i in range(5)])
    for t in threads:
        t.join(5)
    assert results == {i: (b"jobs", f"job{i}".encode()) for i in range(5)}


async def test_asyncio_waiters(server, ar):
    waiters = [server.async_client() for _ in range(3)]
    try:
        tasks = [asyncio.create_task(w.brpop(["aq"], 5)) for w in waiters]
        for _ in range(500):
            if server.server.keyspace.blocking.blocked_clients == 3:
                break
            await asyncio.sleep(0.01)
        await ar.lpush("aq", "x", "y", "z")
        got = await asyncio.gather(*tasks)
        assert sorted(v for _, v in got) == [b"x", b"y", b"z"]
        assert await ar.blpop(["aq"], 0.05) is None
    finally:
        for w in waiters:
            await w.aclose()


def test_redis_py_timeout_and_multi(r):
    start = time.monotonic()
    assert r.blpop(["nothing"], 0.1) is None
    assert time.monotonic() - start >= 0.09
    pipe = r.pipeline(transaction=True)
    pipe.blpop(["nothing"], 0)
    pipe.brpoplpush("nothing", "d", 0)
    assert pipe.execute() == [None, None]


def _wait_for(predicate: Callable[[], bool], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.005)


def test_swapdb_away_unblocks_xreadgroup_differential(redis_oracle_port, server):
    """A stream swapped out of the db a consumer group reader waits on: -UNBLOCKED, as Redis 7.0."""
    from tests.helpers import RawConnection, encode_command, wait_blocked

    replies = []
    for port in (redis_oracle_port, server.port):
        admin, reader = RawConnection(port), RawConnection(port)
        try:
            admin.call("SELECT", "9")
            admin.call("FLUSHALL")
            admin.call("XGROUP", "CREATE", "swapped", "g", "$", "MKSTREAM")
            reader.call("SELECT", "9")
            reader.send(encode_command(["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "swapped", ">"]))
            wait_blocked(admin)  # SWAPDB before the read blocks would leave it waiting forever
            admin.call("SWAPDB", "9", "10")
            replies.append(reader.read_reply()[0])
            admin.call("FLUSHALL")
        finally:
            admin.close()
            reader.close()
    assert replies[0] == replies[1]
