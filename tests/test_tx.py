"""MULTI/EXEC/WATCH through redis-py and against real redis-server."""

import threading

import pytest
import redis


def test_exec_replies_differential(diff):
    diff.check("MULTI")
    diff.check("SET", "a", "1")
    diff.check("INCR", "a")
    diff.check("GET", "a")
    diff.check("EXEC")


def test_runtime_errors_do_not_roll_back(diff):
    diff.check("SET", "s", "x")
    diff.check("MULTI")
    diff.check("INCR", "s")
    diff.check("SET", "t", "y")
    diff.check("EXEC")
    diff.check("GET", "t")


def test_queueing_errors_abort_exec(diff):
    diff.check("MULTI")
    diff.check("SET", "a")
    diff.check("NOSUCH")
    diff.check("SET", "b", "2")
    diff.check("EXEC")
    diff.check("EXISTS", "b")


def test_nesting_and_misplaced_commands(diff):
    diff.check("EXEC")
    diff.check("DISCARD")
    diff.check("MULTI")
    diff.check("MULTI")
    diff.check("WATCH", "a")
    diff.check("PING")
    diff.check("EXEC")
    diff.check("MULTI")
    diff.check("SET", "x", "1")
    diff.check("DISCARD")
    diff.check("EXISTS", "x")
    diff.check("EXEC", "extra")


def test_exec_rejected_in_subscribed_context_differential(diff):
    diff.check("MULTI")
    diff.check("PING")
    diff.check("EXEC")


@pytest.mark.parametrize("touch", [
    ("SET", "w", "2"), ("DEL", "w"), ("FLUSHDB",), ("FLUSHALL",), ("RENAME", "w", "w2"), ("SWAPDB", "0", "1"),
    ("EXPIRE", "w", "100"),
])
def test_watched_key_touched_by_another_client_aborts(server, r2, touch):
    r2.set("w", "1")
    other = server.client(protocol=2)
    r2.execute_command("WATCH", "w")
    other.execute_command(*touch)
    r2.execute_command("MULTI")
    r2.execute_command("SET", "w", "mine")
    assert r2.execute_command("EXEC") is None
    other.close()


def test_watch_untouched_key_executes(server, r2):
    r2.set("w", "1")
    r2.execute_command("WATCH", "w")
    r2.execute_command("MULTI")
    r2.execute_command("SET", "w", "2")
    assert r2.execute_command("EXEC") == [b"OK"]
    assert r2.get("w") == b"2"


def test_flush_of_missing_watched_key_does_not_abort(server, r2):
    r2.execute_command("WATCH", "nothere")
    server.client(protocol=2).flushdb()
    r2.execute_command("MULTI")
    r2.execute_command("SET", "k", "v")
    assert r2.execute_command("EXEC") == [b"OK"]


def test_watched_key_expiring_aborts(r2):
    # the key must still be live at WATCH (one already expired then is no change, as Redis 7.0): 50 ms was too
    # short for a loaded box
    r2.set("e", "1", px=500)
    r2.execute_command("WATCH", "e")
    import time
    time.sleep(0.6)
    r2.execute_command("MULTI")
    r2.execute_command("SET", "x", "1")
    assert r2.execute_command("EXEC") is None


def test_unwatch(server, r2):
    r2.set("w", "1")
    r2.execute_command("WATCH", "w")
    server.client().set("w", "2")
    r2.execute_command("UNWATCH")
    r2.execute_command("MULTI")
    r2.execute_command("GET", "w")
    assert r2.execute_command("EXEC") == [b"2"]


def test_exec_null_reply_resp3(r):
    r.set("w", "1")
    r.execute_command("WATCH", "w")
    r.execute_command("SET", "w", "2")
    r.execute_command("MULTI")
    r.execute_command("GET", "w")
    assert r.execute_command("EXEC") is None


def test_pipeline_transaction(r):
    with r.pipeline(transaction=True) as pipe:
        pipe.set("a", 1).incr("a").get("a")
        assert pipe.execute() == [True, 2, b"2"]


def test_watch_retry_loop_counts_every_increment(server):
    """Optimistic locking under contention: 4 threads x 50 WATCH/MULTI increments lose nothing."""
    server.client().set("counter", 0)

    def worker():
        client = server.client()
        for _ in range(50):
            while True:
                with client.pipeline() as pipe:
                    try:
                        pipe.watch("counter")
                        value = int(pipe.get("counter"))
                        pipe.multi()
                        pipe.set("counter", value + 1)
                        pipe.execute()
                        break
                    except redis.WatchError:
                        continue
        client.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert int(server.client().get("counter")) == 200


async def test_asyncio_transaction(ar):
    async with ar.pipeline(transaction=True) as pipe:
        pipe.set("k", "v").get("k")
        assert await pipe.execute() == [True, b"v"]
