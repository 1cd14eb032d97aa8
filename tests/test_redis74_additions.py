"""What Redis 7.2 and 7.4 added to commands dynamis has: ZRANK WITHSCORE, CLIENT NO-TOUCH, CLIENT LIST/INFO
fields, XREAD's "+" ID, consumers' seen-time / active-time, WAITAOF and INFO's client fields.

The 7.0 oracle does not know these, so the expectations are Redis 7.4's (its sources and src/commands/*.json);
where a 7.0 reply is the base of a 7.4 one (CLIENT HELP), the oracle supplies it.
"""

from __future__ import annotations

import time

import pytest
import redis

from tests.helpers import RawConnection

# -- ZRANK / ZREVRANK WITHSCORE (7.2) -------------------------------------------------------------


@pytest.fixture
def zset_conns(server):
    conns = {resp: RawConnection(server.port) for resp in (2, 3)}
    conns[3].call("HELLO", "3")
    conns[2].call("FLUSHALL")
    conns[2].call("ZADD", "z", "1", "a", "2.5", "b", "inf", "c")
    yield conns
    for conn in conns.values():
        conn.close()


@pytest.mark.parametrize(("args", "resp2", "resp3"), [
    (("ZRANK", "z", "b", "WITHSCORE"), b"*2\r\n:1\r\n$3\r\n2.5\r\n", b"*2\r\n:1\r\n,2.5\r\n"),
    (("ZREVRANK", "z", "b", "withscore"), b"*2\r\n:1\r\n$3\r\n2.5\r\n", b"*2\r\n:1\r\n,2.5\r\n"),
    (("ZRANK", "z", "c", "WITHSCORE"), b"*2\r\n:2\r\n$3\r\ninf\r\n", b"*2\r\n:2\r\n,inf\r\n"),
    (("ZREVRANK", "z", "c", "WITHSCORE"), b"*2\r\n:0\r\n$3\r\ninf\r\n", b"*2\r\n:0\r\n,inf\r\n"),
    (("ZRANK", "z", "a"), b":0\r\n", b":0\r\n"),
    # a missing member or key: a null array with WITHSCORE, a null bulk without
    (("ZRANK", "z", "nope", "WITHSCORE"), b"*-1\r\n", b"_\r\n"),
    (("ZREVRANK", "nokey", "a", "WITHSCORE"), b"*-1\r\n", b"_\r\n"),
    (("ZRANK", "z", "nope"), b"$-1\r\n", b"_\r\n"),
    # the options are checked before the key
    (("ZRANK", "nokey", "a", "WITHSCORES"), b"-ERR syntax error\r\n", b"-ERR syntax error\r\n"),
    (("ZRANK", "z", "a", "WITHSCORE", "x"), b"-ERR wrong number of arguments for 'zrank' command\r\n",
     b"-ERR wrong number of arguments for 'zrank' command\r\n"),
    (("ZREVRANK", "nokey", "a", "WITHSCORE", "x"), b"-ERR wrong number of arguments for 'zrevrank' command\r\n",
     b"-ERR wrong number of arguments for 'zrevrank' command\r\n"),
    (("ZRANK", "z"), b"-ERR wrong number of arguments for 'zrank' command\r\n",
     b"-ERR wrong number of arguments for 'zrank' command\r\n"),
])
def test_zrank_withscore_raw(zset_conns, args, resp2, resp3):
    assert zset_conns[2].call(*args) == resp2
    assert zset_conns[3].call(*args) == resp3


def test_zrank_withscore_wrong_type(zset_conns):
    zset_conns[2].call("SET", "s", "x")
    assert zset_conns[2].call("ZRANK", "s", "a", "WITHSCORE").startswith(b"-WRONGTYPE")


def test_zrank_withscore_redis_py(r, r2):
    r.zadd("z", {"a": 1, "b": 2})
    assert r.zrank("z", "b", withscore=True) == [1, 2.0]
    assert r.zrevrank("z", "b", withscore=True) == [0, 2.0]
    assert r.zrank("z", "x", withscore=True) is None
    assert r2.zrank("z", "a", withscore=True) == [0, 1.0]


# -- CLIENT NO-TOUCH (7.2) ------------------------------------------------------------------------


def test_client_no_touch_replies(server):
    conn = RawConnection(server.port)
    assert conn.call("CLIENT", "NO-TOUCH", "ON") == b"+OK\r\n"
    assert b" flags=T " in conn.call("CLIENT", "INFO")
    assert conn.call("CLIENT", "NO-TOUCH", "maybe") == b"-ERR syntax error\r\n"
    assert conn.call("CLIENT", "NO-TOUCH") == b"-ERR wrong number of arguments for 'client|no-touch' command\r\n"
    assert conn.call("CLIENT", "NO-TOUCH", "off") == b"+OK\r\n"
    assert b" flags=N " in conn.call("CLIENT", "INFO")
    conn.call("CLIENT", "NO-TOUCH", "ON")
    conn.call("RESET")  # RESET leaves the mode, as it leaves NO-EVICT
    assert b" flags=N " in conn.call("CLIENT", "INFO")
    conn.close()


def _idle(r: redis.Redis, key: str) -> int:
    return r.object("idletime", key)


def test_no_touch_keeps_the_access_time(r):
    """Redis's own test: GET in NO-TOUCH mode leaves OBJECT IDLETIME growing, out of it GET resets it."""
    r.set("foo", "bar")
    time.sleep(1.1)
    r.client_no_touch("ON")
    assert r.get("foo") == b"bar"
    r.incr("n")  # writes look keys up too: a new key is created fresh, but does not touch others
    assert _idle(r, "foo") >= 1
    r.client_no_touch("OFF")
    r.get("foo")
    assert _idle(r, "foo") == 0


def test_touch_touches_in_no_touch_mode(r):
    r.set("foo", "bar")
    r.set("other", "x")
    time.sleep(1.1)
    r.client_no_touch("ON")
    assert r.touch("foo") == 1
    assert _idle(r, "foo") == 0
    # a script's commands are the NO-TOUCH client's: only TOUCH touches there too
    r.eval("redis.call('get', KEYS[1])", 1, "other")
    assert _idle(r, "other") >= 1
    r.eval("redis.call('touch', KEYS[1])", 1, "other")
    assert _idle(r, "other") == 0


def test_no_touch_keeps_the_lfu_counter(r):
    policy = r.config_get("maxmemory-policy")["maxmemory-policy"]
    factor = r.config_get("lfu-log-factor")["lfu-log-factor"]
    r.config_set("maxmemory-policy", "allkeys-lfu")
    r.config_set("lfu-log-factor", "0")  # every access counts
    try:
        r.set("k", "v")
        start = r.object("freq", "k")
        r.client_no_touch("ON")
        for _ in range(3):
            r.get("k")
        assert r.object("freq", "k") == start
        r.client_no_touch("OFF")
        for _ in range(3):
            r.get("k")
        assert r.object("freq", "k") == start + 3
    finally:
        r.config_set("maxmemory-policy", policy)
        r.config_set("lfu-log-factor", factor)


def test_no_touch_in_multi_applies_from_the_next_command(r):
    r.set("foo", "bar")
    time.sleep(1.1)
    pipe = r.pipeline()
    pipe.client_no_touch("ON")
    pipe.get("foo")
    pipe.client_no_touch("OFF")
    pipe.execute()
    assert _idle(r, "foo") >= 1


# -- CLIENT LIST / CLIENT INFO / CLIENT HELP / CLIENT KILL (7.2, 7.4) -------------------------------

# catClientInfoString's fields in Redis 7.4's order
CLIENT_FIELDS_74 = ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub", "ssub",
                    "multi", "watch", "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll",
                    "omem", "tot-mem", "events", "cmd", "user", "redir", "resp", "lib-name", "lib-ver"]


def _fields(line: bytes) -> dict[str, str]:
    return dict(item.split("=", 1) for item in line.decode().split())


def test_client_info_fields_in_order(server):
    conn = RawConnection(server.port)
    line = conn.call("CLIENT", "INFO").split(b"\r\n")[1]
    assert [item.split("=", 1)[0] for item in line.decode().split()] == CLIENT_FIELDS_74
    conn.close()


def test_client_info_watch_count(server):
    conn = RawConnection(server.port)
    conn.call("WATCH", "a", "b", "a")
    conn.call("WATCH", "c")
    assert _fields(conn.call("CLIENT", "INFO").split(b"\r\n")[1])["watch"] == "3"
    conn.call("UNWATCH")
    assert _fields(conn.call("CLIENT", "INFO").split(b"\r\n")[1])["watch"] == "0"
    conn.close()


def test_client_list_tracking_flags_and_redir(server):
    target = RawConnection(server.port)
    target_id = target.call("CLIENT", "ID")[1:-2].decode()
    conn = RawConnection(server.port)
    conn.call("CLIENT", "TRACKING", "ON", "REDIRECT", target_id, "BCAST")
    fields = _fields(conn.call("CLIENT", "INFO").split(b"\r\n")[1])
    assert fields["flags"] == "tB" and fields["redir"] == target_id
    target.close()
    time.sleep(0.2)
    assert _fields(conn.call("CLIENT", "INFO").split(b"\r\n")[1])["flags"] == "tRB"
    conn.call("CLIENT", "TRACKING", "OFF")
    fields = _fields(conn.call("CLIENT", "INFO").split(b"\r\n")[1])
    assert fields["flags"] == "N" and fields["redir"] == "-1"
    conn.close()


def test_client_help_is_7_4s(diff):
    """Redis 7.0's CLIENT HELP plus the lines 7.2 and 7.4 added, in their places."""
    lines_70 = diff.redis.call("CLIENT", "HELP").decode().split("\r\n")
    lines = [line[1:] for line in lines_70 if line.startswith("+")]
    at = lines.index("    * SKIPME (YES|NO)") + 2
    lines[at:at] = ["    * ID <client-id>", "      Kill connections by client id.",
                    "    * MAXAGE <maxage>", "      Kill connections older than the specified age."]
    at = lines.index("SETNAME <name>") + 2
    lines[at:at] = ["SETINFO <option> <value>", "    Set client meta attr. Options are:",
                    "    * LIB-NAME: the client lib name.", "    * LIB-VER: the client lib version."]
    at = lines.index("NO-EVICT (ON|OFF)") + 2
    lines[at:at] = ["NO-TOUCH (ON|OFF)", "    Will not touch LRU/LFU stats when this mode is on."]
    actual = diff.dynamis.call("CLIENT", "HELP").decode().split("\r\n")
    assert [line[1:] for line in actual if line.startswith("+")] == lines


def test_client_kill_maxage(server):
    old = RawConnection(server.port)
    old.call("CLIENT", "SETNAME", "old")
    time.sleep(2.1)
    young = RawConnection(server.port)
    young.call("CLIENT", "SETNAME", "young")
    killer = RawConnection(server.port)
    old_id, young_id = (conn.call("CLIENT", "ID")[1:-2].decode() for conn in (old, young))
    assert killer.call("CLIENT", "KILL", "ID", young_id, "MAXAGE", "2") == b":0\r\n"
    assert killer.call("CLIENT", "KILL", "ID", old_id, "MAXAGE", "2") == b":1\r\n"
    assert old.read_all(1.0).endswith(b"<closed>")
    assert young.call("PING") == b"+PONG\r\n"
    for conn in (young, killer):
        conn.close()


# -- XREAD with "+" (7.4) -------------------------------------------------------------------------


@pytest.fixture
def raw(server):
    conns = {resp: RawConnection(server.port) for resp in (2, 3)}
    conns[3].call("HELLO", "3")
    conns[2].call("FLUSHALL")
    yield conns
    for conn in conns.values():
        conn.close()


def test_xread_plus_reads_the_last_entry(raw):
    c2, c3 = raw[2], raw[3]
    c2.call("XADD", "s", "1-1", "a", "1")
    c2.call("XADD", "s", "2-1", "b", "2")
    last = b"*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    assert c2.call("XREAD", "STREAMS", "s", "+") == b"*1\r\n*2\r\n$1\r\ns\r\n" + last
    assert c3.call("XREAD", "STREAMS", "s", "+") == b"%1\r\n$1\r\ns\r\n" + last
    assert c2.call("XREAD", "COUNT", "10", "STREAMS", "s", "+") == b"*1\r\n*2\r\n$1\r\ns\r\n" + last
    # several streams, "+" beside other IDs; a missing key and an empty stream give nothing
    c2.call("XADD", "e", "MAXLEN", "0", "1-1", "x", "y")
    reply = c2.call("XREAD", "STREAMS", "s", "t", "e", "+", "+", "0")
    assert reply == b"*1\r\n*2\r\n$1\r\ns\r\n" + last
    assert c2.call("XREAD", "STREAMS", "nokey", "e", "+", "+") == b"*-1\r\n"
    assert c3.call("XREAD", "STREAMS", "nokey", "+") == b"_\r\n"
    # the last entry still there, not the last ID generated
    c2.call("XDEL", "s", "2-1")
    assert c2.call("XREAD", "STREAMS", "s", "+") == (
        b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n")


def test_xread_plus_redis_py(r2):
    r2.xadd("s", {"a": "1"}, id="1-1")
    r2.xadd("s", {"b": "2"}, id="2-1")
    assert r2.xread({"s": "+"}) == [[b"s", [(b"2-1", {b"b": b"2"})]]]


def test_xread_plus_blocks_until_an_entry_then_reads_the_last_one(server, r):
    reader = RawConnection(server.port)
    reader.send(b"*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n+\r\n")
    _wait_blocked(r, 1)
    pipe = r.pipeline()  # two entries at once: the blocked XREAD, run again, reads the last one only
    pipe.xadd("s", {"a": "1"}, id="1-1")
    pipe.xadd("s", {"b": "2"}, id="2-1")
    pipe.execute()
    raw_reply, _ = reader.read_reply()
    assert raw_reply == b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    reader.close()


@pytest.mark.parametrize(("args", "error"), [
    (("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "+"),
     b"-ERR The + ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer "
     b"by specifying a proper ID, or use the > ID to get new messages. The + ID would just return an empty result "
     b"set.\r\n"),
    (("XREAD", "STREAMS", "s", "t", "0"),
     b"-ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be specified.\r\n"),
    (("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "t", ">"),
     b"-ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' must be specified.\r\n"),
])
def test_xread_errors_74(raw, args, error):
    raw[2].call("XGROUP", "CREATE", "s", "g", "0", "MKSTREAM")
    assert raw[2].call(*args) == error


# -- consumers' seen-time and active-time (7.2) ---------------------------------------------------


def _consumers(r: redis.Redis, group: str = "g") -> dict[bytes, dict]:
    return {c["name"]: c for c in r.xinfo_consumers("s", group)}


def _full_consumers(r: redis.Redis) -> dict[bytes, dict]:
    groups = r.execute_command("XINFO", "STREAM", "s", "FULL")[b"groups"]
    return {c[b"name"]: {k.decode(): v for k, v in c.items()} for c in groups[0][b"consumers"]}


def test_xinfo_consumers_inactive_field(raw):
    c2 = raw[2]
    c2.call("XGROUP", "CREATE", "s", "g", "0", "MKSTREAM")
    c2.call("XGROUP", "CREATECONSUMER", "s", "g", "alice")
    reply = c2.call("XINFO", "CONSUMERS", "s", "g")
    assert reply.startswith(b"*1\r\n*8\r\n$4\r\nname\r\n$5\r\nalice\r\n$7\r\npending\r\n:0\r\n$4\r\nidle\r\n:")
    assert reply.endswith(b"$8\r\ninactive\r\n:-1\r\n")
    assert raw[3].call("XINFO", "CONSUMERS", "s", "g").startswith(b"*1\r\n%4\r\n")


def test_seen_and_active_time(r):
    r.xgroup_create("s", "g", id="0", mkstream=True)
    # an XREADGROUP that reads nothing creates the consumer and sees it; it is not active yet
    assert r.xreadgroup("g", "alice", {"s": ">"}) in ([], {}, None)
    alice = _consumers(r)[b"alice"]
    assert alice["inactive"] == -1 and alice["idle"] < 1000
    full = _full_consumers(r)[b"alice"]
    assert full["active-time"] == -1 and full["seen-time"] > 0
    r.xadd("s", {"f": "1"}, id="1-1")
    r.xadd("s", {"f": "2"}, id="2-1")
    before = int(time.time() * 1000)
    r.xreadgroup("g", "alice", {"s": ">"}, count=1)
    full = _full_consumers(r)[b"alice"]
    assert before <= full["active-time"] == full["seen-time"] <= int(time.time() * 1000)
    time.sleep(0.06)
    # reading its own history is an attempt, not an activity; so is a NOACK read
    r.xreadgroup("g", "alice", {"s": "0"})
    r.xreadgroup("g", "alice", {"s": ">"}, noack=True)
    alice = _consumers(r)[b"alice"]
    assert alice["inactive"] >= 60 > alice["idle"]
    full = _full_consumers(r)[b"alice"]
    assert full["seen-time"] - full["active-time"] >= 60


def test_claims_see_and_activate(r):
    r.xadd("s", {"f": "1"}, id="1-1")
    r.xgroup_create("s", "g", id="0")
    r.xreadgroup("g", "alice", {"s": ">"})
    # claiming nothing still creates and sees the consumer (Redis 7.2)
    assert r.xclaim("s", "g", "bob", 3_600_000, ["1-1"]) == []
    assert r.xautoclaim("s", "g", "carol", 3_600_000, "0-0") == [b"0-0", [], []]
    consumers = _consumers(r)
    assert consumers[b"bob"]["inactive"] == -1 and consumers[b"carol"]["inactive"] == -1
    time.sleep(0.06)
    r.xclaim("s", "g", "bob", 0, ["1-1"], justid=True)
    assert 0 <= _consumers(r)[b"bob"]["inactive"] < 60
    time.sleep(0.06)
    r.xautoclaim("s", "g", "carol", 0, "0-0", justid=True)
    consumers = _consumers(r)
    assert 0 <= consumers[b"carol"]["inactive"] < 60 <= consumers[b"bob"]["inactive"]


def test_xpending_and_delconsumer_do_not_see_the_consumer(r):
    r.xgroup_create("s", "g", id="0", mkstream=True)
    r.xgroup_createconsumer("s", "g", "alice")
    time.sleep(0.06)
    r.xpending_range("s", "g", "-", "+", 10, consumername="alice")
    r.xgroup_createconsumer("s", "g", "alice")
    assert _consumers(r)[b"alice"]["idle"] >= 60


# -- WAITAOF (7.2) --------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "reply"), [
    (("0", "0", "0"), b"*2\r\n:0\r\n:0\r\n"),
    (("1", "0", "0"), b"-ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.\r\n"),
    (("1", "0", "-5"), b"-ERR timeout is negative\r\n"),  # every argument is parsed before the AOF check
    (("2", "0", "0"), b"-ERR value is out of range, value must between 0 and 1\r\n"),
    (("-1", "0", "0"), b"-ERR value is out of range, value must between 0 and 1\r\n"),
    (("x", "0", "0"), b"-ERR value is not an integer or out of range\r\n"),
    (("0", "-1", "0"), b"-ERR value is out of range, must be positive\r\n"),
    (("0", "x", "0"), b"-ERR value is out of range, must be positive\r\n"),
    (("0", "0", "x"), b"-ERR timeout is not an integer or out of range\r\n"),
    (("0", "0", "1.5"), b"-ERR timeout is not an integer or out of range\r\n"),
    (("0", "0"), b"-ERR wrong number of arguments for 'waitaof' command\r\n"),
])
def test_waitaof_replies(raw, args, reply):
    assert raw[2].call("WAITAOF", *args) == reply


def test_waitaof_redis_py(r):
    assert r.waitaof(0, 0, 0) == [0, 0]


def test_waitaof_waits_the_timeout_for_acks_that_cannot_come(raw):
    start = time.monotonic()
    assert raw[3].call("WAITAOF", "0", "1", "150") == b"*2\r\n:0\r\n:0\r\n"
    assert time.monotonic() - start >= 0.14


def test_waitaof_does_not_block_in_multi_or_scripts(raw):
    c2 = raw[2]
    c2.call("MULTI")
    assert c2.call("WAITAOF", "0", "1", "0") == b"+QUEUED\r\n"
    assert c2.call("EXEC") == b"*1\r\n*2\r\n:0\r\n:0\r\n"
    assert c2.call("EVAL", "return redis.call('waitaof', 0, 1, 0)", "0") == b"*2\r\n:0\r\n:0\r\n"


def test_waitaof_forever_until_client_unblock(server, raw):
    waiter = RawConnection(server.port)
    waiter_id = waiter.call("CLIENT", "ID")[1:-2].decode()
    waiter.send(b"*4\r\n$7\r\nWAITAOF\r\n$1\r\n0\r\n$1\r\n1\r\n$1\r\n0\r\n")
    deadline = time.monotonic() + 5
    while raw[2].call("CLIENT", "UNBLOCK", waiter_id) != b":1\r\n":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert waiter.read_reply()[0] == b"*2\r\n:0\r\n:0\r\n"
    waiter.close()


# -- INFO clients (7.2, 7.4) ----------------------------------------------------------------------


def _wait_blocked(r: redis.Redis, n: int) -> None:
    deadline = time.monotonic() + 5
    while r.info("clients")["blocked_clients"] != n:
        assert time.monotonic() < deadline, "clients did not block"
        time.sleep(0.01)


def test_info_clients_fields(server, r):
    fields = list(r.info("clients"))
    assert fields == ["connected_clients", "cluster_connections", "maxclients", "client_recent_max_input_buffer",
                      "client_recent_max_output_buffer", "blocked_clients", "tracking_clients", "pubsub_clients",
                      "watching_clients", "clients_in_timeout_table", "total_watched_keys", "total_blocking_keys",
                      "total_blocking_keys_on_nokey"]
    watcher = RawConnection(server.port)
    watcher.call("WATCH", "a", "b")
    other = RawConnection(server.port)
    other.call("WATCH", "b")
    subscriber = RawConnection(server.port)
    subscriber.call("SUBSCRIBE", "ch")
    r.xgroup_create("s", "g", id="$", mkstream=True)
    blocked = [RawConnection(server.port) for _ in range(3)]
    blocked[0].send(b"*4\r\n$5\r\nBLPOP\r\n$1\r\nl\r\n$1\r\nm\r\n$1\r\n0\r\n")
    blocked[1].send(b"*4\r\n$5\r\nBLPOP\r\n$1\r\nl\r\n$1\r\nm\r\n$2\r\n30\r\n")
    blocked[2].send(b"*9\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$1\r\ng\r\n$1\r\nc\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n"
                    b"$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n>\r\n")
    _wait_blocked(r, 3)
    info = r.info("clients")
    assert info["pubsub_clients"] == 1
    assert info["watching_clients"] == 2 and info["total_watched_keys"] == 2
    assert info["total_blocking_keys"] == 3 and info["total_blocking_keys_on_nokey"] == 1
    assert info["clients_in_timeout_table"] == 1
    for conn in (watcher, other, subscriber, *blocked):
        conn.close()
    deadline = time.monotonic() + 5
    while r.info("clients")["total_blocking_keys"] or r.info("clients")["watching_clients"]:
        assert time.monotonic() < deadline
        time.sleep(0.01)

