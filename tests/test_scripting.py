"""EVAL and friends through redis-py: register_script, Lock, pipelines, conversions, busy scripts and kill."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from dynamis import REDIS_VERSION
from dynamis.embedded import EmbeddedServer


@pytest.fixture
def short_busy(server: EmbeddedServer) -> Iterator[None]:
    """busy-reply-threshold at 100 ms for the test, restored after."""
    client = server.client()
    old = client.config_get("busy-reply-threshold")["busy-reply-threshold"]
    client.config_set("busy-reply-threshold", 100)
    yield
    client.config_set("busy-reply-threshold", old)
    client.close()


def run_in_thread(client: redis.Redis, *args: object) -> tuple[threading.Thread, dict[str, object]]:
    result: dict[str, object] = {}

    def target() -> None:
        try:
            result["reply"] = client.execute_command(*args)
        except Exception as exc:  # the test looks at it
            result["reply"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    return thread, result


def wait_busy(client: redis.Redis) -> None:
    deadline = time.monotonic() + 15  # a loaded box may take seconds to start a subprocess server's script
    while time.monotonic() < deadline:
        try:
            client.ping()
        except redis.exceptions.BusyLoadingError:
            return
        except redis.exceptions.ResponseError as exc:
            if str(exc).startswith("Redis is busy") or "BUSY" in str(exc):
                return
        time.sleep(0.02)
    raise AssertionError("the server never turned busy")


def test_keys_args_and_reply_types(r2):
    assert r2.eval("return {KEYS[1], ARGV[1], #KEYS, #ARGV}", 1, "k", "a") == [b"k", b"a", 1, 1]
    assert r2.eval("return 3.99", 0) == 3
    assert r2.eval("return {1, 2, nil, 4}", 0) == [1, 2]
    assert r2.eval("return redis.status_reply('FINE')", 0) == b"FINE"
    with pytest.raises(redis.ResponseError, match="^MY error$"):
        r2.eval("return redis.error_reply('MY error')", 0)


def test_redis_version_in_lua(r2):
    """redis.REDIS_VERSION is the version INFO reports; REDIS_VERSION_NUM packs it as 0x00MMmmpp."""
    major, minor, patch = (int(x) for x in REDIS_VERSION.split("."))
    assert r2.eval("return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}", 0) == [
        REDIS_VERSION.encode(), (major << 16) | (minor << 8) | patch]
    assert r2.info("server")["redis_version"] == REDIS_VERSION


def test_resp3_conversions(r):
    r.hset("h", mapping={"a": "1"})
    assert r.eval("redis.setresp(3) return redis.call('hgetall', KEYS[1])", 1, "h") == {b"a": b"1"}
    assert r.eval("return {double=1.5}", 0) == 1.5
    assert r.eval("redis.setresp(3) return true", 0) is True
    assert r.eval("return true", 0) == 1
    assert r.eval("redis.setresp(3) local m = redis.call('hgetall', 'h').map return m.a", 0) == b"1"


def test_register_script_and_noscript_reload(r):
    incr_by = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert incr_by(keys=["counter"], args=[5]) == 5
    r.script_flush()
    assert incr_by(keys=["counter"], args=[2]) == 7  # NOSCRIPT -> redis-py loads it again
    assert r.script_exists(incr_by.sha) == [True]


def test_pipeline_with_scripts(r):
    script = r.register_script("return redis.call('rpush', KEYS[1], ARGV[1])")
    with r.pipeline() as pipe:
        script(keys=["l"], args=["a"], client=pipe)
        script(keys=["l"], args=["b"], client=pipe)
        pipe.lrange("l", 0, -1)
        assert pipe.execute() == [1, 2, [b"a", b"b"]]
    with r.pipeline(transaction=True) as pipe:
        pipe.eval("return redis.call('incr', KEYS[1])", 1, "n")
        pipe.eval("return redis.call('incr', KEYS[1])", 1, "n")
        assert pipe.execute() == [1, 2]


def test_redis_py_lock(r):
    lock = r.lock("resource", timeout=5)
    assert lock.acquire(blocking=False)
    other = r.lock("resource", timeout=5)
    assert not other.acquire(blocking=False)
    assert lock.extend(5)
    assert lock.reacquire()
    assert lock.owned()
    lock.release()
    assert other.acquire(blocking=False)
    r.delete("resource")  # expired meanwhile: the Lua release script refuses
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        other.release()


def test_script_write_wakes_blocked_client(server, r):
    waiter = server.client()
    thread, result = run_in_thread(waiter, "BLPOP", "wakeme", 5)
    time.sleep(0.2)
    r.eval("redis.call('rpush', 'wakeme', 'x')", 0)
    thread.join(5)
    assert list(result["reply"]) == [b"wakeme", b"x"]
    waiter.close()


def test_select_in_script_does_not_change_caller_db(r):
    r.eval("redis.call('select', 1) redis.call('set', 'in1', 'v')", 0)
    assert r.get("in1") is None
    assert r.execute_command("SELECT", 1) and r.get("in1") == b"v"
    r.execute_command("SELECT", 0)


def test_busy_script_and_script_kill(server, r, short_busy):
    runner = server.client()
    thread, result = run_in_thread(runner, "EVAL", "local i = 0 while true do i = i + 1 end", 0)
    wait_busy(r)
    with pytest.raises(redis.ResponseError, match="SCRIPT KILL or SHUTDOWN NOSAVE"):
        r.get("x")
    with pytest.raises(redis.ResponseError, match="SCRIPT KILL or SHUTDOWN NOSAVE"):
        r.function_stats()
    with pytest.raises(redis.ResponseError, match="SCRIPT KILL or SHUTDOWN NOSAVE"):
        r.execute_command("FUNCTION", "KILL")
    assert r.script_kill()
    thread.join(5)
    assert isinstance(result["reply"], redis.ResponseError)
    assert str(result["reply"]).startswith("Script killed by user with SCRIPT KILL...")
    assert r.ping()
    with pytest.raises(redis.ResponseError, match="NOTBUSY"):
        r.script_kill()
    runner.close()


def test_pcall_cannot_swallow_the_kill(server, r, short_busy):
    runner = server.client()
    thread, result = run_in_thread(runner, "EVAL", "while true do pcall(function() while true do end end) end", 0)
    wait_busy(r)
    assert r.script_kill()
    thread.join(5)
    assert "Script killed" in str(result["reply"])
    runner.close()


def test_writing_busy_script_is_unkillable(server, r, short_busy):
    runner = server.client()
    deadline = time.time() + 0.6
    script = "redis.call('set', 'w', '1') while tonumber(redis.call('time')[1]) < tonumber(ARGV[1]) do end return 'done'"
    thread, result = run_in_thread(runner, "EVAL", script, 0, int(deadline) + 1)
    wait_busy(r)
    with pytest.raises(redis.ResponseError, match="^UNKILLABLE"):
        r.script_kill()
    with pytest.raises(redis.ResponseError, match="SCRIPT KILL or SHUTDOWN NOSAVE"):
        r.execute_command("SHUTDOWN")
    thread.join(5)
    assert result["reply"] == b"done"
    assert r.get("w") == b"1"
    runner.close()


def test_busy_runner_pipeline_is_held_in_order(server, r, short_busy):
    runner = server.client()
    with runner.pipeline(transaction=False) as pipe:
        pipe.eval("local t = redis.call('time') local s = tonumber(t[1]) + 1 "
                  "while tonumber(redis.call('time')[1]) < s do end return 'slow'", 0)
        pipe.incr("after")
        replies = pipe.execute()
    assert replies == [b"slow", 1]
    runner.close()


def test_script_in_multi_exec(r):
    with r.pipeline(transaction=True) as pipe:
        pipe.set("m", "1")
        pipe.eval("return redis.call('get', 'm')", 0)
        assert pipe.execute() == [True, b"1"]


def test_sandbox(r):
    for name in ("os", "io", "loadfile", "dofile", "require", "package", "debug", "python", "print"):
        with pytest.raises(redis.ResponseError, match="nonexistent global variable"):
            r.eval(f"return {name}", 0)
    with pytest.raises(redis.ResponseError, match="readonly table"):
        r.eval("cjson.encode = nil", 0)
    with pytest.raises(redis.ResponseError, match="readonly table"):
        r.eval("_G.x = 1", 0)
    assert r.eval("return cjson.encode({1})", 0) == b"[1]"


def test_error_statistics_count_each_error_once(r):
    """A command error inside a script is counted once, not again as the script's error (Redis 7.0)."""
    r.config_resetstat()
    r.set("s", "x")
    for script in ("return redis.call('incr', 's')", "return redis.pcall('incr', 's')",
                   "return redis.error_reply('MY err')", "error('x')", "return redis.call('nosuch')"):
        with pytest.raises(redis.ResponseError):
            r.eval(script, 0)
    assert r.info("errorstats") == {"errorstat_ERR": {"count": 4}, "errorstat_MY": {"count": 1}}
    assert r.info("stats")["total_error_replies"] == 5
    assert r.info("commandstats")["cmdstat_eval"]["failed_calls"] == 5


def test_keys_read_by_a_script_are_tracked_for_its_caller(server, r):
    from tests.helpers import RawConnection

    tracked = RawConnection(server.port)
    try:
        tracked.call("HELLO", "3")
        assert tracked.call("CLIENT", "TRACKING", "ON") == b"+OK\r\n"
        tracked.call("EVAL", "return redis.call('get', KEYS[1])", 1, "tk")
        r.set("tk", "changed")
        assert tracked.read_reply()[1] == [b"invalidate", [b"tk"]]
    finally:
        tracked.close()


def test_shutdown_nosave_ends_a_writing_busy_script(tmp_path):
    from tests.helpers import free_port, start_dynamis

    port = free_port()
    proc = start_dynamis(port, "--busy-reply-threshold", "100", "--save", "", data_dir=str(tmp_path))
    try:
        # no retries: redis-py would spend seconds reconnecting to the server that shut down
        runner = redis.Redis(port=port, retry=Retry(NoBackoff(), 0))
        admin = redis.Redis(port=port, retry=Retry(NoBackoff(), 0))
        thread, result = run_in_thread(runner, "EVAL", "redis.call('set', 'w', '1') while true do end", 0)
        wait_busy(admin)
        with pytest.raises(redis.ResponseError, match="^UNKILLABLE"):
            admin.script_kill()
        admin.shutdown(nosave=True)  # redis-py takes the closed connection as success
        assert proc.wait(10) == 0
        thread.join(10)
        assert not thread.is_alive()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_monitor_shows_the_script_before_its_commands(server, r):
    from tests.helpers import RawConnection

    monitor = RawConnection(server.port)
    try:
        monitor.call("MONITOR")
        r.eval("return redis.call('get', KEYS[1])", 1, "mk")
        lines = []
        while len(lines) < 2:
            lines.append(monitor.read_reply()[1])
        assert lines[0].endswith(b'"EVAL" "return redis.call(\'get\', KEYS[1])" "1" "mk"')
        assert lines[1].endswith(b'[0 lua] "get" "mk"')
    finally:
        monitor.close()


def test_new_connection_during_busy_script(server, short_busy):
    """redis-cli opened after the script went busy is accepted, answered, and can SCRIPT KILL; once
    the script ends it carries on as a normal connection with the session it set up."""
    from tests.helpers import RawConnection

    runner = server.client()
    thread, result = run_in_thread(runner, "EVAL", "while true do end", 0)
    wait_busy(server.client())
    late = RawConnection(server.port, timeout=5)
    try:
        assert late.call("HELLO", "3").startswith(b"%7\r\n")
        assert late.call("GET", "x").startswith(b"-BUSY ")
        killer = RawConnection(server.port, timeout=5)
        late.send(b"*2\r\n$6\r\nCLIENT\r\n")  # half a request when the script ends
        assert killer.call("SCRIPT", "KILL") == b"+OK\r\n"
        killer.close()
        thread.join(5)
        assert "Script killed" in str(result["reply"])
        late.send(b"$7\r\nGETNAME\r\n")
        assert late.read_reply()[0] == b"_\r\n"  # RESP3 null: the HELLO 3 session carried over
        assert late.call("PING") == b"+PONG\r\n"
    finally:
        late.close()
        runner.close()
