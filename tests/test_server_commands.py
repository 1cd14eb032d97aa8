"""Server commands: INFO CONFIG TIME DEBUG MEMORY SLOWLOG LATENCY MONITOR LASTSAVE ROLE."""

from __future__ import annotations

import time

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamis import REDIS_VERSION, __version__
from dynamis.embedded import EmbeddedServer
from tests.helpers import RawConnection


def test_info_sections(r, r2):
    r.set("info:a", "1")
    r.set("info:b", "2", ex=100)
    info = r2.info()
    assert info["redis_version"] == REDIS_VERSION and info["dynamis_version"] == __version__
    assert info["redis_mode"] == "standalone" and info["role"] == "master"
    assert info["connected_clients"] >= 1 and info["used_memory"] > 0
    assert info["db0"] == {"keys": 2, "expires": 1, "avg_ttl": info["db0"]["avg_ttl"], "subexpiry": 0}  # 7.4 format
    assert "cmdstat_set" not in info  # commandstats is not a default section
    everything = r2.info("everything")
    assert everything["cmdstat_set"]["calls"] >= 2
    assert set(everything["cmdstat_set"]) == {"calls", "usec", "usec_per_call", "rejected_calls", "failed_calls"}
    assert set(r2.info("all")) == set(everything)
    assert r2.info("cpu").keys() >= {"used_cpu_sys", "used_cpu_user"}
    # avg_ttl is a running estimate the active cycle refines between the two calls
    keyspace = r2.info("keyspace")
    assert keyspace.keys() == {"db0"} and keyspace["db0"]["keys"] == 2 and keyspace["db0"]["expires"] == 1
    assert 0 <= keyspace["db0"]["avg_ttl"] <= 100_000


def test_info_instantaneous_metrics(r2):
    deadline = time.monotonic() + 0.6
    while time.monotonic() < deadline:
        r2.ping()
    stats = r2.info("stats")
    assert stats["instantaneous_ops_per_sec"] > 0
    assert stats["instantaneous_input_kbps"] > 0 and stats["instantaneous_output_kbps"] > 0


def test_instantaneous_metrics_after_resetstat(r2):
    """CONFIG RESETSTAT starts the rate samples afresh (a rate across the reset came out negative)."""
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        r2.ping()
    r2.config_resetstat()
    time.sleep(0.35)  # a few cron samples after the reset
    stats = r2.info("stats")
    assert stats["instantaneous_ops_per_sec"] >= 0
    assert stats["instantaneous_input_kbps"] >= 0 and stats["instantaneous_output_kbps"] >= 0


def test_info_raw_format(server):
    conn = RawConnection(server.port)
    assert conn.call("INFO", "cluster", "CLUSTER") == b"$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n"
    assert conn.call("INFO", "nosuch") == b"$0\r\n\r\n"
    assert conn.call("INFO", "modules") == b"$11\r\n# Modules\r\n\r\n"
    body = conn.call("INFO", "server", "clients")
    assert b"# Server\r\n" in body and b"\r\n\r\n# Clients\r\n" in body
    conn.call("HELLO", "3")
    assert conn.call("INFO", "cluster") == b"=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n"
    conn.close()


def test_info_errorstats_and_dirty(r2):
    r2.config_resetstat()
    with pytest.raises(redis.ResponseError):
        r2.execute_command("NOSUCHCMD")
    info = r2.info("everything")
    assert info["errorstat_ERR"]["count"] >= 1
    r2.set("hits:k", "v")
    r2.get("hits:k")
    r2.get("hits:missing")
    stats = r2.info("stats")
    assert stats["keyspace_hits"] >= 1 and stats["keyspace_misses"] >= 1
    r2.config_resetstat()
    stats = r2.info("stats")
    assert stats["keyspace_hits"] == 0 and stats["keyspace_misses"] == 0 and stats["total_error_replies"] == 0
    before = r2.info("persistence")["rdb_changes_since_last_save"]
    r2.set("dirty:k", "v")
    assert r2.info("persistence")["rdb_changes_since_last_save"] == before + 1


@pytest.mark.parametrize("args", [
    ("CONFIG", "SET", "foo", "bar"), ("CONFIG", "SET", "maxmemory", "abc"), ("CONFIG", "SET", "daemonize", "yes"),
    ("CONFIG", "SET", "maxmemory", "1", "maxmemory", "2"), ("CONFIG", "SET", "maxmemory", "1", "hz"),
    ("CONFIG", "SET", "appendfsync", "foo"), ("CONFIG", "SET", "save", "abc"),
    ("CONFIG", "SET", "notify-keyspace-events", "Z"), ("CONFIG", "SET", "slowlog-log-slower-than", "-5"),
    ("CONFIG", "SET", "proto-max-bulk-len", "1000"), ("CONFIG", "GET"), ("CONFIG", "GET", "nosuch"),
    ("CONFIG", "GET", "maxmemory"),
    ("CONFIG", "GET", "hash-max-ziplist-entries"), ("CONFIG", "GET", "notify-keyspace-events"),
    ("CONFIG", "HELP"), ("CONFIG", "NOSUCH"), ("CONFIG", "RESETSTAT", "x"), ("CONFIG", "REWRITE"),
    ("TIME", "x"), ("LASTSAVE", "x"), ("ROLE",), ("SLOWLOG", "NOSUCH"), ("SLOWLOG", "GET", "-2"),
    ("SLOWLOG", "GET", "x"), ("SLOWLOG", "GET", "1", "2"), ("SLOWLOG", "HELP"), ("MEMORY", "HELP"),
    ("MEMORY", "USAGE", "nokey"), ("MEMORY", "USAGE", "nokey", "SAMPLES"), ("MEMORY", "USAGE", "nokey", "FOO", "1"),
    ("LATENCY", "HISTORY", "nosuch"), ("LATENCY", "GRAPH", "nosuch"), ("LATENCY", "RESET", "nosuch"),
    ("DEBUG", "OBJECT", "nokey"), ("DEBUG", "NOSUCH"), ("DEBUG", "POPULATE", "-1"), ("DEBUG", "POPULATE", "x"),
    ("DEBUG", "SET-ACTIVE-EXPIRE", "1"), ("DEBUG", "SLEEP", "0"), ("DEBUG", "PROTOCOL", "nosuch"),
    ("SHUTDOWN", "FOO"), ("SHUTDOWN", "ABORT"), ("SHUTDOWN", "NOSAVE", "SAVE"), ("SHUTDOWN", "ABORT", "NOW"),
    ("MONITOR", "x"),
])
def test_server_differential(diff, args):
    diff.check(*args)


def test_config_get_several_differential(diff):
    import hiredis

    def parsed(raw: bytes) -> dict:
        reader = hiredis.Reader()
        reader.feed(raw)
        flat = reader.gets()
        return dict(zip(flat[::2], flat[1::2], strict=True))

    for args in (("maxmemory-policy", "timeout"), ("timeout", "TIMEOUT", "time*"), ("zset-max-*",),
                 ("hash-max-ziplist-entries", "hash-max-listpack-entries"), ("maxmemory", "maxmemory-policy", "slowlog-*")):
        expected, actual = diff.both("CONFIG", "GET", *args)
        assert parsed(actual) == parsed(expected), args


@pytest.mark.parametrize("kind", ["string", "integer", "double", "bignum", "null", "array", "set", "map",
                                  "verbatim", "true", "false"])
def test_debug_protocol_differential(diff, diff3, kind):
    diff.check("DEBUG", "PROTOCOL", kind)
    diff3.check("DEBUG", "PROTOCOL", kind)


def test_debug_error_replies_as_given_and_is_not_an_error_reply(diff, r2):
    """DEBUG ERROR: how client test suites (redis-py's among them) fake LOADING, READONLY or OOM errors."""
    for message in ("LOADING Redis is loading the dataset in memory", "x", "multi\nline\rtext"):
        diff.check("DEBUG", "ERROR", message)
    r2.config_resetstat()
    with pytest.raises(redis.exceptions.BusyLoadingError):
        r2.execute_command("DEBUG", "ERROR", "LOADING Redis is loading the dataset in memory")
    assert r2.info("stats")["total_error_replies"] == 0
    assert r2.info("commandstats")["cmdstat_debug"]["failed_calls"] == 0


@pytest.mark.parametrize("args", [("MODULE", "LIST"), ("MODULE", "HELP"), ("MODULE", "LOAD", "/nonexistent.so"),
                                  ("MODULE", "LOADEX", "/x.so", "ARGS", "a"), ("MODULE", "UNLOAD", "foo"),
                                  ("MODULE", "FOO"), ("MODULE",), ("MODULE", "LIST", "x"),
                                  ("CONFIG", "GET", "enable-module-command")])
def test_module_command_as_redis_by_default(diff, diff3, args):
    """No modules, and MODULE LOAD refused while enable-module-command is `no` (Redis's default)."""
    diff.check(*args)
    diff3.check(*args)


def test_module_load_fails_when_allowed():
    """Allowed, a load fails as a missing library does in Redis: dynamis cannot run Redis's C modules."""
    with EmbeddedServer(enable_module_command="yes") as embedded:
        client = embedded.client()
        with pytest.raises(redis.ResponseError, match="^Error loading the extension. Please check the server logs.$"):
            client.module_load("/usr/lib/redis/modules/redisjson.so")
        with pytest.raises(redis.ResponseError, match="^Error unloading module: no such module with that name$"):
            client.module_unload("ReJSON")
        assert client.module_list() == []
        client.close()


def test_config_get_set_roundtrip(r2, diff):
    try:
        assert r2.config_set("maxmemory", "10mb") is True
        assert r2.config_get("maxmemory") == {"maxmemory": "10485760"}
        # several pairs at once, atomically: a bad second value leaves the first unchanged
        with pytest.raises(redis.ResponseError, match="possibly related to argument 'timeout'"):
            r2.execute_command("CONFIG", "SET", "maxmemory", "1mb", "timeout", "abc")
        assert r2.config_get("maxmemory") == {"maxmemory": "10485760"}
        r2.execute_command("CONFIG", "SET", "maxmemory-policy", "ALLKEYS-LRU", "timeout", "7")
        assert r2.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
        got = r2.config_get("maxmemory*")
        assert {"maxmemory", "maxmemory-policy", "maxmemory-samples"} <= set(got)
        assert set(r2.execute_command("CONFIG", "GET", "timeout", "maxmem?ry", "timeout")) >= {b"timeout", b"maxmemory"}
        everything = r2.config_get("*")
        assert {"port", "bind", "save", "appendonly", "databases", "requirepass"} <= set(everything)
    finally:
        r2.execute_command("CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "noeviction", "timeout", "0")
    for name in ("maxmemory", "timeout", "maxmemory-policy", "databases", "appendonly", "slowlog-max-len", "hz",
                 "hash-max-listpack-entries", "list-max-listpack-size", "save", "notify-keyspace-events"):
        diff.check("CONFIG", "GET", name)


@pytest.mark.parametrize("value", ["abc", "-99999999999999999999", "-1", "99999999999999999999", "1.5", "-10mb"])
def test_config_set_error_texts_match_redis(diff, value):
    for name in ("maxclients", "timeout", "slowlog-max-len", "maxmemory-samples", "active-expire-effort", "hz",
                 "list-max-listpack-size", "appendonly", "maxmemory-policy", "maxmemory", "hash-max-listpack-value",
                 "proto-max-bulk-len", "client-query-buffer-limit", "loglevel", "dir", "dbfilename",
                 "tracking-table-max-keys", "notify-keyspace-events"):
        before = diff.both("CONFIG", "GET", name)
        expected, actual = diff.both("CONFIG", "SET", name, value)
        assert actual == expected, (name, value)
        if actual.startswith(b"+"):  # accepted (maxmemory saturates, -1 is a list size): put it back
            for conn, raw in zip((diff.redis, diff.dynamis), before, strict=True):
                conn.send(b"*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n" + raw.split(b"\r\n", 1)[1])
                assert conn.read_reply()[0] == b"+OK\r\n"


def test_config_set_reports_the_first_refused_name(diff):
    diff.check("CONFIG", "SET", "daemonize", "yes", "dir", "/tmp")
    diff.check("CONFIG", "SET", "dir", "/tmp", "daemonize", "yes")
    diff.check("CONFIG", "SET", "daemonize", "yes", "nosuch", "1")
    diff.check("CONFIG", "SET", "nosuch", "1", "daemonize", "yes")
    diff.check("CONFIG", "SET", "timeout", "1", "timeout", "2", "daemonize", "yes")


def test_config_hz_is_clamped(r2, diff):
    try:
        diff.check("CONFIG", "SET", "hz", "0")
        diff.check("CONFIG", "GET", "hz")
        diff.check("CONFIG", "SET", "hz", "100000")
        diff.check("CONFIG", "GET", "hz")
    finally:
        diff.check("CONFIG", "SET", "hz", "10")


def test_config_rewrite(tmp_path):

    conf = tmp_path / "redis.conf"
    conf.write_text("# my comment\nmaxmemory 1mb\ntimeout 5\ntimeout 6\n")
    with EmbeddedServer() as srv:
        srv.server.config.load_file(str(conf))
        client = srv.client(protocol=2)
        client.config_set("maxmemory", "2mb")
        client.config_set("slowlog-max-len", "99")
        assert client.config_rewrite() in (True, b"OK")
        text = conf.read_text()
        assert text.startswith("# my comment\nmaxmemory 2097152\ntimeout 6\n")
        assert "# Generated by CONFIG REWRITE\n" in text and "slowlog-max-len 99\n" in text
        assert "timeout 5" not in text


def test_time_lastsave_role(r2):
    seconds, micros = r2.execute_command("TIME")
    assert abs(int(seconds) - time.time()) < 5 and 0 <= int(micros) < 1_000_000
    assert abs(r2.lastsave().timestamp() - time.time()) < 86400 * 365
    assert r2.execute_command("ROLE") == [b"master", 0, []]


def test_debug_populate_and_object(diff, r2):
    diff.check("SET", "key:1", "existing")
    diff.check("DEBUG", "POPULATE", "5")
    for i in range(6):
        diff.check("GET", f"key:{i}")
    diff.check("DEBUG", "POPULATE", "3", "p", "12")
    for i in range(4):
        diff.check("GET", f"p:{i}")
    diff.check("DEBUG", "POPULATE", "2", "q", "3")
    diff.check("GET", "q:1")
    diff.check("DBSIZE")
    r2.set("obj:k", "12345")
    line = r2.execute_command("DEBUG", "OBJECT", "obj:k").decode()
    assert line.startswith("Value at:0x") and " refcount:1 encoding:int serializedlength:" in line
    assert " lru:" in line and " lru_seconds_idle:" in line


def test_debug_set_active_expire(r2, server):
    try:
        r2.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        r2.set("ae:k", "v", px=50)
        time.sleep(0.4)
        assert server.server.keyspace.dbs[0].data.get(b"ae:k") is not None  # nobody read it: still stored
    finally:
        r2.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    deadline = time.monotonic() + 10  # the cycle runs at hz 10; a loaded box may lag
    while server.server.keyspace.dbs[0].data.get(b"ae:k") is not None:
        assert time.monotonic() < deadline, "the active cycle never expired the key"
        time.sleep(0.02)


def test_memory_usage_plausible(r2):
    r2.set("mem:small", "x")
    r2.set("mem:big", "x" * 10000)
    small = r2.memory_usage("mem:small")
    big = r2.memory_usage("mem:big")
    assert 40 <= small < 200 and 10000 <= big < 10300
    assert r2.memory_usage("mem:none") is None
    assert r2.execute_command("MEMORY", "USAGE", "mem:big", "SAMPLES", "0") == big
    for kind, fill in (("hash", lambda k, n: r2.hset(k, mapping={f"f{i}": f"v{i}" for i in range(n)})),
                       ("list", lambda k, n: r2.rpush(k, *range(n))),
                       ("set", lambda k, n: r2.sadd(k, *range(n))),
                       ("zset", lambda k, n: r2.zadd(k, {f"m{i}": i for i in range(n)}))):
        fill(f"mem:{kind}:small", 10)
        fill(f"mem:{kind}:big", 1000)
        small, big = r2.memory_usage(f"mem:{kind}:small"), r2.memory_usage(f"mem:{kind}:big")
        assert 100 < small < big and big > 10 * 1000, kind  # grows with the elements, at least ~10 B each
    stats = r2.memory_stats()
    assert stats["keys.count"] >= 2 and stats["total.allocated"] > 0
    assert r2.execute_command("MEMORY", "DOCTOR")
    assert r2.execute_command("MEMORY", "MALLOC-STATS") == b"Stats not supported for the current allocator"
    assert r2.execute_command("MEMORY", "PURGE") == b"OK"


def test_slowlog(r2, server):
    conn = RawConnection(server.port)
    try:
        r2.config_set("slowlog-log-slower-than", "0")
        r2.slowlog_reset()
        conn.call("CLIENT", "SETNAME", "slowpoke")
        conn.call("SET", "slow:k", "v" * 200)
        conn.send(b"*3\r\n$7\r\nSLOWLOG\r\n$3\r\nGET\r\n$2\r\n-1\r\n")
        _, entries = conn.read_reply()
        assert r2.execute_command("SLOWLOG", "LEN") >= 2
        entry = next(e for e in entries if e[3][0] == b"SET")
        assert len(entry) == 6 and isinstance(entry[0], int) and abs(entry[1] - time.time()) < 10
        assert entry[3] == [b"SET", b"slow:k", b"v" * 128 + b"... (72 more bytes)"]
        assert entry[4].startswith(b"127.0.0.1:") and entry[5] == b"slowpoke"
        conn.send(b"*3\r\n$7\r\nSLOWLOG\r\n$3\r\nGET\r\n$1\r\n1\r\n")
        assert len(conn.read_reply()[1]) == 1
        assert entries[0][0] > entries[-1][0]  # newest first
    finally:
        r2.config_set("slowlog-log-slower-than", "10000")
        r2.slowlog_reset()
        conn.close()
    assert r2.execute_command("SLOWLOG", "LEN") == 0


def test_latency_monitor(r2):
    try:
        r2.execute_command("LATENCY", "RESET")
        r2.config_set("latency-monitor-threshold", "50")
        r2.execute_command("DEBUG", "SLEEP", "0.08")
        latest = r2.execute_command("LATENCY", "LATEST")
        assert latest[0][0] == b"command" and latest[0][2] >= 50 and latest[0][3] >= 50
        history = r2.execute_command("LATENCY", "HISTORY", "command")
        assert len(history) == 1 and history[0][1] >= 50
        graph = r2.execute_command("LATENCY", "GRAPH", "command").decode()
        assert graph.startswith("command - high ")
        assert b"latency spikes" in r2.execute_command("LATENCY", "DOCTOR")
        assert r2.execute_command("LATENCY", "RESET", "command") == 1
        assert r2.execute_command("LATENCY", "LATEST") == []
    finally:
        r2.config_set("latency-monitor-threshold", "0")


def test_monitor_line_format(server):
    mon = RawConnection(server.port)
    assert mon.call("MONITOR") == b"+OK\r\n"
    other = RawConnection(server.port)
    other.call("SELECT", "2")
    other.call("SET", "mon:k", 'a "b"\n\x01')
    other.call("CONFIG", "GET", "timeout")  # admin commands are not shown
    other.call("SELECT", "0")
    lines = mon.read_all(0.5).decode().split("\r\n")
    assert lines[0].startswith("+") and lines[0].endswith('"SELECT" "2"')
    stamp, rest = lines[1][1:].split(" ", 1)
    assert abs(float(stamp) - time.time()) < 10 and len(stamp.split(".")[1]) == 6
    assert rest.startswith("[2 127.0.0.1:") and rest.endswith('] "SET" "mon:k" "a \\"b\\"\\n\\x01"')
    assert "CONFIG" not in "".join(lines)
    other.call("SELECT", "2")
    other.call("DEL", "mon:k")
    mon.read_all(0.3)
    # the monitor's own command: its reply, then its line
    mon.send(b"*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n")
    own = mon.read_all(0.5)
    assert own.startswith(b"$1\r\nx\r\n+") and own.endswith(b'] "ECHO" "x"\r\n')
    mon.close()
    other.close()


_CONFIG_VALUES = {
    "timeout": ["0", "5", "-1", "x"],
    "maxmemory-policy": ["noeviction", "allkeys-lru", "VOLATILE-TTL", "bogus"],
    "slowlog-max-len": ["128", "0", "10", "-5"],
    "hash-max-listpack-entries": ["128", "0", "64", "1kb"],
    "notify-keyspace-events": ["", "KEA", "Ex", "gZ", "AK"],
    "maxmemory": ["0", "1mb", "10MB", "-1", "1gb"],
}
_CONFIG_OPS = st.one_of(
    st.lists(st.sampled_from(sorted(_CONFIG_VALUES)), min_size=1, max_size=3).flatmap(
        lambda names: st.tuples(*[st.sampled_from(_CONFIG_VALUES[n]).map(lambda v, n=n: (n, v)) for n in names])
    ).map(lambda pairs: ("CONFIG", "SET", *[x for pair in pairs for x in pair])),
    st.sampled_from(sorted(_CONFIG_VALUES) + ["maxmem?ry*-policy", "*-events", "hash-max-*-entries"]).map(
        lambda n: ("CONFIG", "GET", n)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_CONFIG_OPS, min_size=1, max_size=6))
def test_config_sequences_differential(diff, ops):
    try:
        for op in ops:
            if op[1] == "GET" and any(c in op[2] for c in "*?"):
                expected, actual = (parse_pairs(raw) for raw in diff.both(*op))
                assert actual == expected, op
            else:
                diff.check(*op)
    finally:
        defaults = {"timeout": "0", "maxmemory-policy": "noeviction", "slowlog-max-len": "128",
                    "hash-max-listpack-entries": "128", "notify-keyspace-events": "", "maxmemory": "0"}
        diff.check("CONFIG", "SET", *[x for pair in defaults.items() for x in pair])


def parse_pairs(raw: bytes) -> dict:
    import hiredis

    reader = hiredis.Reader()
    reader.feed(raw)
    flat = reader.gets()
    return dict(zip(flat[::2], flat[1::2], strict=True))


def test_latency_histogram_and_latencystats(diff, diff3):
    diff.check("CONFIG", "RESETSTAT")
    for _ in range(5):
        diff.check("PING")
    expected, actual = (parse_pairs(raw) for raw in diff.both("CONFIG", "GET", "latency-tracking*"))
    assert actual == expected
    expected, actual = (parse_pairs(raw) for raw in diff.both("LATENCY", "HISTOGRAM", "ping", "nosuch"))
    assert set(actual) == set(expected) == {b"ping"}
    got = dict(zip(actual[b"ping"][::2], actual[b"ping"][1::2], strict=True))
    want = dict(zip(expected[b"ping"][::2], expected[b"ping"][1::2], strict=True))
    assert got[b"calls"] == want[b"calls"] == 5
    buckets = got[b"histogram_usec"]
    assert buckets[-1] == 5 and all(k in (1, 2, 4, 8, 16, 33, 66, 132, 264, 528) for k in buckets[:-1:2])
    expected, actual = (parse_pairs(raw) for raw in diff.both("LATENCY", "HISTOGRAM", "config"))
    assert set(actual) == set(expected) == {b"config|get", b"config|resetstat"}  # a container gives its subcommands
    info = parse_raw_bulk(diff.dynamis.call("INFO", "latencystats")).splitlines()
    line = next(x for x in info if x.startswith("latency_percentiles_usec_ping:"))
    assert [part.split("=")[0] for part in line.split(":")[1].split(",")] == ["p50", "p99", "p99.9"]
    diff.check("CONFIG", "SET", "latency-tracking-info-percentiles", "101")
    diff.check("CONFIG", "SET", "latency-tracking-info-percentiles", "x")
    diff.check("CONFIG", "SET", "latency-tracking", "maybe")
    diff3.check("LATENCY", "HISTOGRAM", "nosuch")


def parse_raw_bulk(raw: bytes) -> str:
    import hiredis

    reader = hiredis.Reader()
    reader.feed(raw)
    return reader.gets().decode()


def test_shared_error_replies_do_not_accumulate_tracebacks(r):
    """Error instances raised again and again (NOT_INTEGER, WRONGTYPE...) must not chain a traceback per
    raise: 1.3 KB leaked per failed command before (the embedded server shares this process)."""
    from dynamis.kv.args import NOT_INTEGER
    from dynamis.kv.keyspace import WRONGTYPE

    r.set("k", "x")
    r.rpush("l", "a")
    for _ in range(50):
        with pytest.raises(redis.ResponseError):
            r.incr("k")
        with pytest.raises(redis.ResponseError):
            r.get("l")
    assert NOT_INTEGER.__traceback__ is None and WRONGTYPE.__traceback__ is None


def test_persistence_settings_say_nothing_is_written_yet(caplog, r2):
    """appendonly/save are accepted (redis.conf files keep working), with a warning that no AOF or RDB is written."""
    with caplog.at_level("WARNING", logger="dynamis"):
        with EmbeddedServer(appendonly="yes"):
            pass
        assert "does not persist the Redis keyspace yet" in caplog.text
        caplog.clear()
        try:
            r2.config_set("save", "900 1")
            assert "does not persist the Redis keyspace yet" in caplog.text
        finally:
            r2.config_set("save", "")
