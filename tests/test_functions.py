"""Redis functions through redis-py: FUNCTION LOAD/LIST/DELETE/FLUSH/DUMP/RESTORE/STATS/KILL, FCALL, FCALL_RO."""

from __future__ import annotations

import time

import pytest
import redis

from tests.test_scripting import run_in_thread, short_busy, wait_busy  # noqa: F401 (fixture)

LIBRARY = """#!lua name=counters
local function incr(keys, args)
  return redis.call('incrby', keys[1], args[1] or 1)
end
local function peek(keys, args)
  return redis.call('get', keys[1])
end
redis.register_function('counter_incr', incr)
redis.register_function{function_name='counter_peek', callback=peek, flags={'no-writes'},
                        description='read a counter'}
"""


def as_dict(reply):
    """redis-py hands FUNCTION LIST entries back as flat [key, value, ...] lists (in RESP3 too)."""
    return reply if isinstance(reply, dict) else dict(zip(reply[::2], reply[1::2], strict=True))


@pytest.fixture
def fr(r):
    r.function_flush()
    yield r
    r.function_flush()


def test_load_call_and_list(fr):
    assert fr.function_load(LIBRARY) == b"counters"
    assert fr.fcall("counter_incr", 1, "c", 5) == 5
    assert fr.fcall_ro("counter_peek", 1, "c") == b"5"
    with pytest.raises(redis.ResponseError, match="write flag using \\*_ro"):
        fr.fcall_ro("counter_incr", 1, "c")
    [library] = map(as_dict, fr.function_list(withcode=True))
    assert library[b"library_name"] == b"counters" and library[b"engine"] == b"LUA"
    assert library[b"library_code"] == LIBRARY.encode()
    functions = {f[b"name"]: f for f in map(as_dict, library[b"functions"])}
    assert list(functions[b"counter_peek"][b"flags"]) == [b"no-writes"]
    assert functions[b"counter_peek"][b"description"] == b"read a counter"
    assert functions[b"counter_incr"][b"description"] is None
    assert fr.function_list(library="count*") and not fr.function_list(library="other*")


def test_replace_delete_flush(fr):
    fr.function_load(LIBRARY)
    with pytest.raises(redis.ResponseError, match="Library 'counters' already exists"):
        fr.function_load(LIBRARY)
    fr.function_load(LIBRARY.replace("args[1] or 1", "100"), replace=True)
    assert fr.fcall("counter_incr", 1, "c") == 100
    with pytest.raises(redis.ResponseError, match="Function counter_incr already exists"):
        fr.function_load("#!lua name=other\nredis.register_function('counter_incr', function() end)")
    assert fr.function_delete("counters")
    with pytest.raises(redis.ResponseError, match="Function not found"):
        fr.fcall("counter_incr", 1, "c")
    fr.function_load(LIBRARY)
    assert fr.function_flush()
    assert fr.function_list() == []


def test_dump_restore_policies(fr):
    fr.function_load(LIBRARY)
    payload = fr.function_dump()
    fr.function_flush()
    assert fr.function_restore(payload)
    assert fr.fcall("counter_incr", 1, "d") == 1
    with pytest.raises(redis.ResponseError, match="Library counters already exists"):
        fr.function_restore(payload)
    assert fr.function_restore(payload, "REPLACE")
    fr.function_load("#!lua name=extra\nredis.register_function('extra_fn', function() return 1 end)")
    assert fr.function_restore(payload, "FLUSH")
    assert [as_dict(lib)[b"library_name"] for lib in fr.function_list()] == [b"counters"]


def test_stats_and_function_kill(server, fr, short_busy):  # noqa: F811
    fr.function_load("#!lua name=spinner\nredis.register_function('spin', function() while true do end end)")
    stats = fr.function_stats()
    assert stats[b"running_script"] is None
    assert stats[b"engines"] == {b"LUA": {b"libraries_count": 1, b"functions_count": 1}}
    runner = server.client()
    thread, result = run_in_thread(runner, "FCALL", "spin", 0)
    wait_busy(fr)
    with pytest.raises(redis.ResponseError, match="FUNCTION KILL or SHUTDOWN NOSAVE"):
        fr.get("x")
    with pytest.raises(redis.ResponseError, match="FUNCTION KILL or SHUTDOWN NOSAVE"):
        fr.script_kill()
    running = fr.function_stats()[b"running_script"]
    assert running[b"name"] == b"spin" and running[b"command"] == [b"FCALL", b"spin", b"0"]
    assert fr.execute_command("FUNCTION", "KILL")
    thread.join(5)
    assert "Script killed by user" in str(result["reply"]) and "spin" in str(result["reply"])
    runner.close()


def test_load_timeout(fr):
    start = time.monotonic()
    with pytest.raises(redis.ResponseError, match="FUNCTION LOAD timeout"):
        fr.function_load("#!lua name=forever\nwhile true do end")
    assert time.monotonic() - start < 3
    assert fr.ping()
