"""Server commands (server.c, config.c, debug.c, object.c, slowlog.c, latency.c): INFO CONFIG TIME
DEBUG MEMORY SLOWLOG LATENCY MONITOR SHUTDOWN LASTSAVE ROLE.

Memory figures come from the process: `used_memory` is the resident set size (RSS) read from
/proc, as a Python process has no allocator total as exact as jemalloc's; MEMORY USAGE estimates a
value with sys.getsizeof per type (see `dynamis.kv.types.memory_usage`).
"""

from __future__ import annotations

import gc
import logging
import os
import platform
import resource
import sys
import time
from typing import Any

from dynamis.config import DIRECTIVES, ConfigError
from dynamis.kv.args import NOT_INTEGER, SYNTAX, int_arg, parse_int64
from dynamis.kv.client import Client
from dynamis.kv.commands import (
    COMMANDS,
    Command,
    command,
    help_reply,
    subcommand_syntax_error,
    unique_commands,
)
from dynamis.kv.glob import glob_match
from dynamis.kv.protocol import OK, Raw, ReplyError, Verbatim
from dynamis.kv.server import RedisServer
from dynamis.kv.types import encoding_of, memory_usage
from dynamis.kv.types.hash import subexpiry_count

log = logging.getLogger("dynamis")


# -- process figures ----------------------------------------------------------------------------

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """Resident set size of this process (what INFO reports as used_memory)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _system_memory() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * _PAGE
    except (ValueError, OSError):
        return 0


def human_bytes(n: float) -> str:
    """Redis's bytesToHuman."""
    if n < 1024:
        return f"{int(n)}B"
    for unit in "KMGTPE":
        n /= 1024
        if n < 1024 or unit == "E":
            return f"{n:.2f}{unit}"
    return f"{n:.2f}E"


class _MemoryFigures:
    """RSS at start-up (when the command modules load) and the highest RSS seen since: per process, as RSS is."""

    def __init__(self) -> None:
        self.startup = rss_bytes()
        self.peak = self.startup

    def current(self) -> int:
        used = rss_bytes()
        self.peak = max(self.peak, used)
        return used


_MEMORY = _MemoryFigures()


# -- INFO -----------------------------------------------------------------------------------------

def _section_server(server: RedisServer) -> list[str]:
    uptime = int(time.time() - server.start_time)
    uname = platform.uname()
    config_file = server.config.config_file or ""
    return [
        f"redis_version:{server.version}",
        f"dynamis_version:{server.dynamis_version}",
        "redis_git_sha1:00000000",
        "redis_git_dirty:0",
        "redis_build_id:0",
        "redis_mode:standalone",
        f"os:{uname.system} {uname.release} {uname.machine}",
        f"arch_bits:{64 if sys.maxsize > 2**32 else 32}",
        "monotonic_clock:POSIX clock_gettime",
        "multiplexing_api:epoll" if sys.platform.startswith("linux") else "multiplexing_api:kqueue",
        f"python_version:{platform.python_version()}",
        f"process_id:{os.getpid()}",
        "process_supervised:no",
        f"run_id:{server.run_id}",
        f"tcp_port:{server.ports[0] if server.ports else 0}",
        f"server_time_usec:{int(time.time() * 1_000_000)}",
        f"uptime_in_seconds:{uptime}",
        f"uptime_in_days:{uptime // 86400}",
        f"hz:{server.config['hz']}",
        f"configured_hz:{server.config['hz']}",
        f"lru_clock:{int(time.time()) & ((1 << 24) - 1)}",
        f"executable:{os.path.abspath(sys.argv[0]) if os.path.isfile(sys.argv[0]) else sys.executable}",
        f"config_file:{os.path.abspath(config_file) if config_file else ''}",
        "io_threads_active:0",
    ]


def _section_clients(server: RedisServer) -> list[str]:
    clients = server.clients.values()
    waiting = server.keyspace.blocking.waiting
    # keys an XREADGROUP waits on, whose deletion also wakes it (Redis's blocking_keys_unblock_on_nokey)
    on_nokey = sum(1 for waiters in waiting.values()
                   if any(c.blocked is not None and c.blocked.unblock_on_nokey for c in waiters))
    return [
        f"connected_clients:{len(server.clients)}",
        "cluster_connections:0",
        f"maxclients:{server.config['maxclients']}",
        "client_recent_max_input_buffer:0",
        "client_recent_max_output_buffer:0",
        f"blocked_clients:{sum(1 for c in clients if c.blocked is not None)}",
        f"tracking_clients:{sum(1 for c in clients if c.tracking)}",
        f"pubsub_clients:{sum(1 for c in clients if c.subscriptions)}",
        f"watching_clients:{sum(1 for c in clients if c.watched)}",
        f"clients_in_timeout_table:{sum(1 for c in clients if c.blocked is not None and c.blocked.timeout)}",
        f"total_watched_keys:{len(server.keyspace.watching)}",
        f"total_blocking_keys:{len(waiting)}",
        f"total_blocking_keys_on_nokey:{on_nokey}",
    ]


def _section_memory(server: RedisServer) -> list[str]:
    figures = _MEMORY
    used = figures.current()
    dataset = max(used - figures.startup, 0)
    maxmemory = server.config["maxmemory"]
    system = _system_memory()
    return [
        f"used_memory:{used}",
        f"used_memory_human:{human_bytes(used)}",
        f"used_memory_rss:{used}",
        f"used_memory_rss_human:{human_bytes(used)}",
        f"used_memory_peak:{figures.peak}",
        f"used_memory_peak_human:{human_bytes(figures.peak)}",
        f"used_memory_peak_perc:{used * 100 / figures.peak:.2f}%",
        f"used_memory_overhead:{figures.startup}",
        f"used_memory_startup:{figures.startup}",
        f"used_memory_dataset:{dataset}",
        f"used_memory_dataset_perc:{dataset * 100 / used if used else 0:.2f}%",
        f"total_system_memory:{system}",
        f"total_system_memory_human:{human_bytes(system)}",
        f"maxmemory:{maxmemory}",
        f"maxmemory_human:{human_bytes(maxmemory)}",
        f"maxmemory_policy:{server.config['maxmemory-policy']}",
        "mem_fragmentation_ratio:1.00",
        "mem_fragmentation_bytes:0",
        "mem_not_counted_for_evict:0",
        "mem_replication_backlog:0",
        "mem_clients_slaves:0",
        "mem_clients_normal:0",
        "mem_aof_buffer:0",
        "mem_allocator:pymalloc",
        "active_defrag_running:0",
        "lazyfree_pending_objects:0",
        "lazyfreed_objects:0",
    ]


def _section_persistence(server: RedisServer) -> list[str]:
    return [
        "loading:0",
        "async_loading:0",
        "current_cow_peak:0",
        "current_cow_size:0",
        "current_fork_perc:0.00",
        f"rdb_changes_since_last_save:{server.keyspace.dirty}",
        "rdb_bgsave_in_progress:0",
        f"rdb_last_save_time:{server.last_save}",
        "rdb_last_bgsave_status:ok",
        "rdb_last_bgsave_time_sec:-1",
        "rdb_current_bgsave_time_sec:-1",
        "rdb_saves:0",
        "aof_enabled:0",
        "aof_rewrite_in_progress:0",
        "aof_rewrite_scheduled:0",
        "aof_last_rewrite_time_sec:-1",
        "aof_current_rewrite_time_sec:-1",
        "aof_last_bgrewrite_status:ok",
        "aof_rewrites:0",
        "aof_last_write_status:ok",
    ]


def _section_stats(server: RedisServer) -> list[str]:
    stats = server.stats
    pubsub = server.pubsub
    return [
        f"total_connections_received:{stats['total_connections_received']}",
        f"total_commands_processed:{server.commands_processed()}",
        f"instantaneous_ops_per_sec:{int(server.instantaneous(1))}",
        f"total_net_input_bytes:{stats['total_net_input_bytes']}",
        f"total_net_output_bytes:{stats['total_net_output_bytes']}",
        f"instantaneous_input_kbps:{server.instantaneous(2) / 1024:.2f}",
        f"instantaneous_output_kbps:{server.instantaneous(3) / 1024:.2f}",
        f"rejected_connections:{stats['rejected_connections']}",
        "sync_full:0",
        "sync_partial_ok:0",
        "sync_partial_err:0",
        f"expired_keys:{server.keyspace.stats_expired_keys}",
        f"expired_subkeys:{server.keyspace.stats_expired_subkeys}",
        f"expired_stale_perc:{stats['expired_stale_perc']:.2f}",
        f"evicted_keys:{stats['evicted_keys']}",
        "evicted_clients:0",
        f"keyspace_hits:{server.keyspace.lookup_stats()[0]}",
        f"keyspace_misses:{server.keyspace.lookup_stats()[1]}",
        f"pubsub_channels:{len(pubsub.channels)}",
        f"pubsub_patterns:{len(pubsub.patterns)}",
        f"pubsubshard_channels:{len(pubsub.shard_channels)}",
        "latest_fork_usec:0",
        "total_forks:0",
        f"unexpected_error_replies:{stats['unexpected_error_replies']}",
        f"total_error_replies:{stats['total_error_replies']}",
    ]


def _section_replication(server: RedisServer) -> list[str]:
    return [
        "role:master",
        "connected_slaves:0",
        "master_failover_state:no-failover",
        f"master_replid:{server.run_id}",
        "master_replid2:0000000000000000000000000000000000000000",
        "master_repl_offset:0",
        "second_repl_offset:-1",
        "repl_backlog_active:0",
        "repl_backlog_size:1048576",
        "repl_backlog_first_byte_offset:0",
        "repl_backlog_histlen:0",
    ]


def _section_cpu(server: RedisServer) -> list[str]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    thread = resource.getrusage(getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF))
    return [
        f"used_cpu_sys:{own.ru_stime:.6f}",
        f"used_cpu_user:{own.ru_utime:.6f}",
        f"used_cpu_sys_children:{children.ru_stime:.6f}",
        f"used_cpu_user_children:{children.ru_utime:.6f}",
        f"used_cpu_sys_main_thread:{thread.ru_stime:.6f}",
        f"used_cpu_user_main_thread:{thread.ru_utime:.6f}",
    ]


def _all_commands() -> list[Command]:
    out = []
    for cmd in unique_commands():
        if cmd.handler is not None:
            out.append(cmd)
        if cmd.bare is not None:
            out.append(cmd.bare)
        out.extend({id(s): s for s in cmd.subcommands.values()}.values())
    return out


def _section_commandstats(server: RedisServer) -> list[str]:
    lines = []
    for cmd in _all_commands():
        if cmd.calls or cmd.failed_calls or cmd.rejected_calls:
            usec = cmd.usec // 1000  # Command.usec accumulates nanoseconds
            per_call = usec / cmd.calls if cmd.calls else 0
            lines.append(f"cmdstat_{cmd.full_name}:calls={cmd.calls},usec={usec},usec_per_call={per_call:.2f},"
                         f"rejected_calls={cmd.rejected_calls},failed_calls={cmd.failed_calls}")
    return lines


def _section_errorstats(server: RedisServer) -> list[str]:
    return [f"errorstat_{code}:count={count}" for code, count in sorted(server.error_stats.items())]


def _section_latencystats(server: RedisServer) -> list[str]:
    percentiles = server.config["latency-tracking-info-percentiles"]
    lines = []
    for cmd in _all_commands():
        if cmd.latency_us:
            values = ",".join(f"p{p:g}={latency_percentile(cmd.latency_us, p) / 1000:.3f}" for p in percentiles)
            lines.append(f"latency_percentiles_usec_{cmd.full_name}:{values}")
    return lines


def _section_keyspace(server: RedisServer) -> list[str]:
    return [f"db{db.id}:keys={len(db.data)},expires={len(db.expires)},avg_ttl={db.avg_ttl},"
            f"subexpiry={subexpiry_count(db)}" for db in server.keyspace.dbs if db.data]


_SECTIONS = {
    "server": ("Server", _section_server),
    "clients": ("Clients", _section_clients),
    "memory": ("Memory", _section_memory),
    "persistence": ("Persistence", _section_persistence),
    "stats": ("Stats", _section_stats),
    "replication": ("Replication", _section_replication),
    "cpu": ("CPU", _section_cpu),
    "modules": ("Modules", lambda server: []),
    "commandstats": ("Commandstats", _section_commandstats),
    "errorstats": ("Errorstats", _section_errorstats),
    "latencystats": ("Latencystats", _section_latencystats),
    "cluster": ("Cluster", lambda server: ["cluster_enabled:0"]),
    "keyspace": ("Keyspace", _section_keyspace),
}
_DEFAULT = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats",
            "cluster", "keyspace")
_ALL = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "commandstats",
        "errorstats", "latencystats", "cluster", "keyspace")


def info_text(server: RedisServer, names: list[str]) -> str:
    """The INFO report for `names` (section names, `default`, `all`, `everything`), in Redis's order."""
    wanted: set[str] = set()
    for name in names or ["default"]:
        name = name.lower()
        if name == "default":
            wanted.update(_DEFAULT)
        elif name in ("all", "everything"):
            wanted.update(_ALL)
        elif name in _SECTIONS:
            wanted.add(name)
    parts = []
    for key in _ALL:
        if key in wanted:
            title, render = _SECTIONS[key]
            parts.append("".join(f"{line}\r\n" for line in [f"# {title}", *render(server)]))
    return "\r\n".join(parts)


@command("info", -1, "loading stale",
         tips="nondeterministic_output request_policy:all_shards response_policy:special",
         categories="@dangerous", group="server", since="1.0.0",
         summary="Get information and statistics about the server", complexity="O(1)")
def info_command(client: Client, argv: list[bytes]) -> Verbatim:
    return Verbatim(info_text(client.server, [a.decode("utf-8", "replace") for a in argv[1:]]))


# -- CONFIG ---------------------------------------------------------------------------------------

_CONFIG_HELP = [
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
]


@command("help", 2, "loading stale", parent="config", group="server", since="5.0.0",
         summary="Show helpful text about the different subcommands", complexity="O(1)")
def config_help_command(client: Client, argv: list[bytes]) -> list[str]:
    return help_reply("CONFIG", _CONFIG_HELP)


def _aliases() -> dict[str, str]:
    return {alias: d.name for d in DIRECTIVES.values() for alias in d.aliases}


@command("get", -3, "admin noscript loading stale", parent="config", group="server", since="2.0.0",
         summary="Get the values of configuration parameters",
         complexity="O(N) when N is the number of configuration parameters provided")
def config_get_command(client: Client, argv: list[bytes]) -> dict[bytes, bytes]:
    config = client.server.config
    aliases = _aliases()
    out: dict[bytes, bytes] = {}
    for raw in argv[2:]:
        pattern = raw.decode("utf-8", "replace")
        if not any(c in pattern for c in "[*?"):
            name = pattern.lower()
            canonical = aliases.get(name, name)
            if canonical in DIRECTIVES and name.encode() not in out:
                out[name.encode()] = DIRECTIVES[canonical].render(config[canonical]).encode()
            continue
        # a pattern matches old names too (hash-max-ziplist-entries beside hash-max-listpack-entries), as in Redis
        for name in [*DIRECTIVES, *aliases]:
            if name.encode() not in out and glob_match(raw, name.encode(), nocase=True):
                canonical = aliases.get(name, name)
                out[name.encode()] = DIRECTIVES[canonical].render(config[canonical]).encode()
    return out


@command("set", -4, "admin noscript loading stale", parent="config",
         tips="request_policy:all_nodes response_policy:all_succeeded", group="server", since="2.0.0",
         summary="Set configuration parameters to the given values",
         complexity="O(N) when N is the number of configuration parameters provided")
def config_set_command(client: Client, argv: list[bytes]) -> str:
    if len(argv) % 2:
        raise SYNTAX
    config = client.server.config
    aliases = _aliases()
    pairs: list[tuple[str, str, str]] = []  # (name as given, canonical name, value)
    seen: set[str] = set()
    for i in range(2, len(argv), 2):  # the first name refused is the one Redis reports
        given = argv[i].decode("utf-8", "replace")
        name = given.lower()
        canonical = aliases.get(name, name)
        directive = DIRECTIVES.get(canonical)
        if directive is None:
            raise ReplyError(f"ERR Unknown option or number of arguments for CONFIG SET - '{given}'")
        if not directive.mutable:
            raise _config_set_failed(given, "can't set immutable config")
        if directive.protected:
            raise _config_set_failed(given, "can't set protected config")
        if name in seen:
            raise _config_set_failed(given, "duplicate parameter")
        seen.add(name)
        pairs.append((given, canonical, argv[i + 1].decode("utf-8", "surrogateescape")))
    # all or nothing: parse every value first, then apply; a failing apply restores what was set
    parsed = []
    for given, canonical, text in pairs:
        try:
            parsed.append((given, canonical, _parse_value(canonical, text)))
        except ConfigError as exc:
            raise _config_set_failed(given, str(exc)) from None
    previous = {canonical: config[canonical] for _, canonical, _ in pairs}
    done: list[str] = []
    for given, canonical, text in parsed:
        try:
            config.apply(canonical, [text], at_startup=False)
            done.append(canonical)
        except ConfigError as exc:
            for name in done:
                config.apply(name, [DIRECTIVES[name].render(previous[name])], at_startup=False)
            raise _config_set_failed(given, str(exc)) from None
    return OK


def _parse_value(name: str, text: str) -> str:
    directive = DIRECTIVES[name]
    directive.parse(text)  # raises ConfigError with Redis's reason
    return text


def _config_set_failed(name: str, reason: str) -> ReplyError:
    return ReplyError(f"ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")


@command("resetstat", 2, "admin noscript loading stale", parent="config", group="server", since="2.0.0",
         summary="Reset the stats returned by INFO", complexity="O(1)")
def config_resetstat_command(client: Client, argv: list[bytes]) -> str:
    server = client.server
    for key in server.stats:
        server.stats[key] = 0
    server.error_stats.clear()
    server.keyspace.stats_expired_keys = 0
    server.keyspace.stats_expired_subkeys = 0
    server.keyspace.reset_lookup_stats()
    server.metric_samples.clear()  # samples from before would make the instantaneous_* rates negative
    for cmd in _all_commands():
        cmd.calls = cmd.usec = cmd.rejected_calls = cmd.failed_calls = 0
        cmd.latency_us.clear()
    return OK


@command("rewrite", 2, "admin noscript loading stale", parent="config", group="server", since="2.8.0",
         summary="Rewrite the configuration file with the in memory configuration", complexity="O(1)")
def config_rewrite_command(client: Client, argv: list[bytes]) -> str:
    config = client.server.config
    if not config.config_file:
        raise ReplyError("ERR The server is running without a config file")
    try:
        config.rewrite_file(config.config_file)
    except OSError as exc:
        log.warning("CONFIG REWRITE failed: %s", exc.strerror)
        raise ReplyError(f"ERR Rewriting config file: {exc.strerror}") from None
    log.info("CONFIG REWRITE executed with success.")
    return OK


# -- TIME LASTSAVE ROLE ---------------------------------------------------------------------------

@command("time", 1, "loading stale fast", tips="nondeterministic_output", group="server", since="2.6.0",
         summary="Return the current server time", complexity="O(1)")
def time_command(client: Client, argv: list[bytes]) -> list[bytes]:
    now = time.time_ns() // 1000
    return [b"%d" % (now // 1_000_000), b"%d" % (now % 1_000_000)]


@command("lastsave", 1, "loading stale fast", tips="nondeterministic_output", categories="@admin @dangerous",
         group="server", since="1.0.0",
         summary="Get the UNIX time stamp of the last successful save to disk", complexity="O(1)")
def lastsave_command(client: Client, argv: list[bytes]) -> int:
    return int(client.server.last_save)


@command("role", 1, "noscript loading stale fast", categories="@admin @dangerous", group="server",
         since="2.8.12", summary="Return the role of the instance in the context of replication",
         complexity="O(1)")
def role_command(client: Client, argv: list[bytes]) -> list[object]:
    return [b"master", 0, []]


# -- MONITOR SHUTDOWN -----------------------------------------------------------------------------

@command("monitor", 1, "admin noscript loading stale", group="server", since="1.0.0",
         summary="Listen for all requests received by the server in real time")
def monitor_command(client: Client, argv: list[bytes]) -> object:
    if client.deny_blocking:
        raise ReplyError("ERR MONITOR isn't allowed for DENY BLOCKING client")
    if not client.monitor:
        client.monitor = True
        client.server.monitors.append(client)
    return OK


@command("shutdown", -1, "admin noscript loading stale no_multi allow_busy", group="server", since="1.0.0",
         summary="Synchronously save the dataset to disk and then shut down the server",
         complexity="O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)")
def shutdown_command(client: Client, argv: list[bytes]) -> object:
    flags = set()
    abort = False
    for arg in argv[1:]:
        option = arg.lower()
        if option in (b"nosave", b"save", b"now", b"force"):
            flags.add(option)
        elif option == b"abort":
            abort = True
        else:
            raise SYNTAX
    if (abort and flags) or {b"nosave", b"save"} <= flags:
        raise SYNTAX
    if abort:
        raise ReplyError("ERR No shutdown in progress.")
    if b"now" not in flags and client.deny_blocking:
        raise ReplyError("ERR SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client")
    server = client.server
    log.warning("User requested shutdown...")
    wants_save = b"save" in flags or (b"nosave" not in flags and server.config["save"])
    if wants_save and b"force" not in flags:
        # snapshots arrive with persistence; until then a shutdown that must save refuses, as Redis does
        # when its save fails, unless FORCE says to exit anyway
        log.warning("Error trying to save the DB, can't exit: RDB persistence is not available.")
        raise ReplyError("ERR Errors trying to SHUTDOWN. Check logs.")
    future = server.shutdown_requested
    if future is not None and not future.done():
        future.set_result(True)
    client.close_after_reply = True
    return Raw(b"")  # the connection closes without a reply


# -- DEBUG ----------------------------------------------------------------------------------------

_DEBUG_HELP = [
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, push, verbatim,",
    "    true, false.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
]


@command("debug", -2, "admin noscript loading stale", group="server", since="1.0.0",
         summary="A container for debugging commands", complexity="Depends on subcommand.")
def debug_command(client: Client, argv: list[bytes]) -> object:
    sub = argv[1].lower()
    n = len(argv)
    if sub == b"help" and n == 2:
        return help_reply("DEBUG", _DEBUG_HELP)
    if sub == b"sleep" and n == 3:
        try:
            seconds = float(argv[2])
        except ValueError:
            seconds = 0.0  # strtod: not a number sleeps for 0 s
        if seconds > 0:
            time.sleep(seconds)  # blocks the event loop, as Redis blocks its main thread
        return OK
    if sub == b"set-active-expire" and n == 3:
        client.server.active_expire_enabled = bool(_atoi(argv[2]))
        return OK
    if sub == b"object" and n == 3:
        return _debug_object(client, argv[2])
    if sub == b"populate" and 3 <= n <= 5:
        return _debug_populate(client, argv)
    if sub == b"protocol" and n == 3:
        return _debug_protocol(client, argv[2])
    if sub == b"error" and n == 3:
        # written as is, like Redis's addReplySds: clients' tests fake LOADING/READONLY/OOM errors with it,
        # and it is not counted as an error reply
        return Raw(b"-" + argv[2].replace(b"\r", b" ").replace(b"\n", b" ") + b"\r\n")
    if sub == b"log" and n == 3:
        log.warning("DEBUG LOG: %s", argv[2].decode("utf-8", "replace"))
        return OK
    raise subcommand_syntax_error(argv)


def _atoi(arg: bytes) -> int:
    """C's atoi: leading digits, 0 when there are none."""
    digits = arg.strip()
    end = 1 if digits[:1] in (b"-", b"+") else 0
    while end < len(digits) and digits[end : end + 1].isdigit():
        end += 1
    try:
        return int(digits[:end])
    except ValueError:
        return 0


def _debug_object(client: Client, key: bytes) -> str:
    db = client.db
    value = db.peek(key)
    if value is None:
        raise ReplyError("ERR no such key")
    encoding = encoding_of(value, client.server.config)
    idle = 0 if db.lfu else max(db.clock - db.access_word(key), 0)
    lru = (int(time.time()) - idle) & ((1 << 24) - 1)
    return (f"Value at:0x{id(value):x} refcount:1 encoding:{encoding} serializedlength:{_serialized_length(value)} "
            f"lru:{lru} lru_seconds_idle:{idle}")


def _serialized_length(value: Any) -> int:
    """An estimate of the RDB payload size (no RDB writer yet): the bytes of the elements."""
    if isinstance(value, (bytes, bytearray)):
        return 1 if parse_int64(bytes(value)) is not None and len(value) <= 11 else len(value)
    try:
        return sum(len(x) if isinstance(x, (bytes, bytearray)) else 8 for x in value)
    except TypeError:
        return 0


_POSITIVE = ReplyError("ERR value is out of range, must be positive")


def _debug_populate(client: Client, argv: list[bytes]) -> str:
    count = int_arg(argv[2], _POSITIVE)
    if count < 0:
        raise _POSITIVE
    prefix = argv[3] if len(argv) >= 4 else b"key"
    size = 0
    if len(argv) == 5:
        size = int_arg(argv[4], _POSITIVE)
        if size < 0:
            raise _POSITIVE
    db = client.db
    data = db.data
    for j in range(count):
        key = b"%s:%d" % (prefix, j)
        if key in data and db.peek(key) is not None:
            continue  # existing keys are left alone, as Redis does
        value = b"value:%d" % j
        if size:
            value = value[:size].ljust(size, b"\0")
        db.load(key, value)
    return OK


def _debug_protocol(client: Client, kind: bytes) -> object:
    name = kind.lower()
    if name == b"string":
        return b"Hello World"
    if name == b"integer":
        return 12345
    if name == b"double":
        return 3.141
    if name == b"bignum":
        from dynamis.kv.protocol import BigNumber

        return BigNumber(1234567999999999999999999999999999999)
    if name == b"null":
        return None
    if name == b"array":
        return [0, 1, 2]
    if name == b"set":
        return {0, 1, 2}
    if name == b"map":
        return {0: False, 1: True, 2: False}
    if name == b"push":
        if client.resp < 3:
            raise ReplyError("ERR RESP2 is not supported by this command")
        from dynamis.kv.protocol import Push

        client.write_push(Push([b"server-cpu-usage", 42]))
        return b"Some real reply following the push reply"
    if name == b"true":
        return True
    if name == b"false":
        return False
    if name == b"verbatim":
        return Verbatim("This is a verbatim\nstring")
    raise ReplyError("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|"
                     "null|array|set|map|attrib|push|verbatim|true|false")


# -- MEMORY ---------------------------------------------------------------------------------------

_MEMORY_HELP = [
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
]


@command("help", 2, "loading stale", parent="memory", group="server", since="4.0.0",
         summary="Show helpful text about the different subcommands", complexity="O(1)")
def memory_help_command(client: Client, argv: list[bytes]) -> list[str]:
    return help_reply("MEMORY", _MEMORY_HELP)


# what a key costs beside its value: the dict entry and the key object (Redis counts its dictEntry too)
_ENTRY_OVERHEAD = 3 * 8


@command("usage", -3, "readonly", keys=(2, 2, 1), parent="memory", key_flags="RO", group="server",
         since="4.0.0", summary="Estimate the memory usage of a key",
         complexity="O(N) where N is the number of samples.")
def memory_usage_command(client: Client, argv: list[bytes]) -> int | None:
    samples = 5
    i = 3
    while i < len(argv):
        if argv[i].lower() == b"samples" and i + 1 < len(argv):
            samples = int_arg(argv[i + 1])
            if samples < 0:
                raise NOT_INTEGER
            if samples == 0:
                samples = -1  # all
            i += 2
        else:
            raise SYNTAX
    db = client.db
    value = db.peek(argv[2])
    if value is None:
        return None
    key = argv[2]
    return memory_usage(value, samples) + sys.getsizeof(key) + _ENTRY_OVERHEAD


@command("stats", 2, "", parent="memory",
         tips="nondeterministic_output request_policy:all_shards response_policy:special", group="server",
         since="4.0.0", summary="Show memory usage details", complexity="O(1)")
def memory_stats_command(client: Client, argv: list[bytes]) -> dict[bytes, object]:
    server = client.server
    figures = _MEMORY
    used = figures.current()
    dataset = max(used - figures.startup, 0)
    keys = sum(len(db.data) for db in server.keyspace.dbs)
    out: dict[bytes, object] = {
        b"peak.allocated": figures.peak,
        b"total.allocated": used,
        b"startup.allocated": figures.startup,
        b"replication.backlog": 0,
        b"clients.slaves": 0,
        b"clients.normal": 0,
        b"cluster.links": 0,
        b"aof.buffer": 0,
        b"lua.caches": 0,
        b"functions.caches": 0,
        b"overhead.total": figures.startup,
    }
    for db in server.keyspace.dbs:
        if db.data:
            out[b"db.%d" % db.id] = {b"overhead.hashtable.main": sys.getsizeof(db.data),
                                     b"overhead.hashtable.expires": sys.getsizeof(db.expires)}
    out.update({
        b"keys.count": keys,
        b"keys.bytes-per-key": dataset // keys if keys else 0,
        b"dataset.bytes": dataset,
        b"dataset.percentage": dataset * 100 / used if used else 0.0,
        b"peak.percentage": used * 100 / figures.peak if figures.peak else 0.0,
        b"allocator.allocated": used,
        b"allocator.active": used,
        b"allocator.resident": used,
        b"allocator-fragmentation.ratio": 1.0,
        b"allocator-fragmentation.bytes": 0,
        b"allocator.rss-ratio": 1.0,
        b"allocator.rss-bytes": 0,
        b"rss-overhead.ratio": 1.0,
        b"rss-overhead.bytes": 0,
        b"fragmentation": 1.0,
        b"fragmentation.bytes": 0,
    })
    return out


@command("doctor", 2, "", parent="memory",
         tips="nondeterministic_output request_policy:all_shards response_policy:special", group="server",
         since="4.0.0", summary="Outputs memory problems report", complexity="O(1)")
def memory_doctor_command(client: Client, argv: list[bytes]) -> Verbatim:
    figures = _MEMORY
    used = figures.current()
    if figures.peak > used * 1.5:
        return Verbatim(
            "Sam, I detected a few issues in this Redis instance memory implants:\n\n"
            " * Peak memory: In the past this instance used more than 150% the memory that is currently using. "
            "The allocator is normally not able to release memory after a peak, so you can expect to see a big "
            "fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if "
            "the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be "
            "used as soon as you fill the Redis instance with more data. If the memory peak was only occasional "
            "and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other "
            "option is to shutdown and restart the instance.\n\n"
            "I'm here to keep you safe, Sam. I want to help you.\n")
    return Verbatim("Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs "
                    "on this base.")


@command("malloc-stats", 2, "", parent="memory",
         tips="nondeterministic_output request_policy:all_shards response_policy:special", group="server",
         since="4.0.0", summary="Show allocator internal stats",
         complexity="Depends on how much memory is allocated, could be slow")
def memory_malloc_stats_command(client: Client, argv: list[bytes]) -> Verbatim:
    return Verbatim("Stats not supported for the current allocator")


@command("purge", 2, "", parent="memory", tips="request_policy:all_shards response_policy:all_succeeded",
         group="server", since="4.0.0", summary="Ask the allocator to release memory",
         complexity="Depends on how much memory is allocated, could be slow")
def memory_purge_command(client: Client, argv: list[bytes]) -> str:
    gc.collect()
    return OK


# -- SLOWLOG --------------------------------------------------------------------------------------

_SLOWLOG_HELP = [
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
]


@command("help", 2, "loading stale", parent="slowlog", group="server", since="6.2.0",
         summary="Show helpful text about the different subcommands", complexity="O(1)")
def slowlog_help_command(client: Client, argv: list[bytes]) -> list[str]:
    return help_reply("SLOWLOG", _SLOWLOG_HELP)


@command("get", -2, "admin loading stale", parent="slowlog",
         tips="request_policy:all_nodes nondeterministic_output", group="server", since="2.2.12",
         summary="Get the slow log's entries", complexity="O(N) where N is the number of entries returned")
def slowlog_get_command(client: Client, argv: list[bytes]) -> list[object]:
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    count = 10
    if len(argv) == 3:
        count = parse_int64(argv[2])
        if count is None or count < -1:
            raise ReplyError("ERR count should be greater than or equal to -1")
    entries = list(client.server.slowlog)
    if count != -1:
        entries = entries[:count]
    return [[e.id, e.time, e.duration, list(e.argv), e.addr, e.name] for e in entries]


@command("len", 2, "admin loading stale", parent="slowlog",
         tips="request_policy:all_nodes response_policy:agg_sum nondeterministic_output", group="server",
         since="2.2.12", summary="Get the slow log's length", complexity="O(1)")
def slowlog_len_command(client: Client, argv: list[bytes]) -> int:
    return len(client.server.slowlog)


@command("reset", 2, "admin loading stale", parent="slowlog",
         tips="request_policy:all_nodes response_policy:all_succeeded", group="server", since="2.2.12",
         summary="Clear all entries from the slow log",
         complexity="O(N) where N is the number of entries in the slowlog")
def slowlog_reset_command(client: Client, argv: list[bytes]) -> str:
    client.server.slowlog.clear()
    return OK


# -- LATENCY --------------------------------------------------------------------------------------

_LATENCY_HELP = [
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
    "    If no commands are specified then all histograms are replied.",
]


@command("help", 2, "loading stale", parent="latency", group="server", since="2.8.13",
         summary="Show helpful text about the different subcommands.", complexity="O(1)")
def latency_help_command(client: Client, argv: list[bytes]) -> list[str]:
    return help_reply("LATENCY", _LATENCY_HELP)


@command("latest", 2, "admin noscript loading stale", parent="latency",
         tips="nondeterministic_output request_policy:all_nodes response_policy:special", group="server",
         since="2.8.13", summary="Return the latest latency samples for all events.", complexity="O(1)")
def latency_latest_command(client: Client, argv: list[bytes]) -> list[object]:
    server = client.server
    return [[event.encode(), samples[-1][0], samples[-1][1], server.latency_max.get(event, 0)]
            for event, samples in server.latency_events.items() if samples]


@command("history", 3, "admin noscript loading stale", parent="latency",
         tips="nondeterministic_output request_policy:all_nodes response_policy:special", group="server",
         since="2.8.13", summary="Return timestamp-latency samples for the event.", complexity="O(1)")
def latency_history_command(client: Client, argv: list[bytes]) -> list[object]:
    samples = client.server.latency_events.get(argv[2].decode("utf-8", "replace"), ())
    return [[when, ms] for when, ms in samples]


@command("reset", -2, "admin noscript loading stale", parent="latency",
         tips="request_policy:all_nodes response_policy:all_succeeded", group="server", since="2.8.13",
         summary="Reset latency data for one or more events.", complexity="O(1)")
def latency_reset_command(client: Client, argv: list[bytes]) -> int:
    server = client.server
    if len(argv) == 2:
        count = len(server.latency_events)
        server.latency_events.clear()
        server.latency_max.clear()
        return count
    count = 0
    for arg in argv[2:]:
        event = arg.decode("utf-8", "replace")
        if server.latency_events.pop(event, None) is not None:
            server.latency_max.pop(event, None)
            count += 1
    return count


@command("graph", 3, "admin noscript loading stale", parent="latency",
         tips="nondeterministic_output request_policy:all_nodes response_policy:special", group="server",
         since="2.8.13", summary="Return a latency graph for the event.", complexity="O(1)")
def latency_graph_command(client: Client, argv: list[bytes]) -> Verbatim:
    server = client.server
    event = argv[2].decode("utf-8", "replace")
    samples = server.latency_events.get(event)
    if not samples:
        raise ReplyError(f"ERR No samples available for event '{event}'")
    return Verbatim(latency_graph(event, list(samples), server.latency_max.get(event, 0)))


def latency_graph(event: str, samples: list[tuple[int, int]], all_time_high: int) -> str:
    """Redis's sparkline: one column per sample (height by latency), the sample's age below it."""
    high = max(ms for _, ms in samples)
    low = min(ms for _, ms in samples)
    rows = 4
    now = int(time.time())
    lines = [f"{event} - high {high} ms, low {low} ms (all time high {all_time_high} ms)", "-" * 80]
    heights = [round((ms - low) / (high - low) * (rows * 2 - 1)) if high > low else rows * 2 - 1 for _, ms in samples]
    for row in range(rows - 1, -1, -1):
        line = ""
        for h in heights:
            if h >= row * 2 + 2:
                line += "|"
            elif h >= row * 2 + 1:
                line += "_"
            elif row == 0:
                line += "_"
            else:
                line += " "
        lines.append(line)
    lines.append("")
    labels = [_age_label(now - when) for when, _ in samples]
    for i in range(max(len(label) for label in labels)):
        lines.append("".join(label[i] if i < len(label) else " " for label in labels))
    return "\n".join(lines) + "\n"


def _age_label(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _highest_equivalent(ns: int) -> int:
    """The top of the bucket holding `ns` in Redis's latency histograms (hdr_histogram, 2 significant digits)."""
    if ns < 256:
        return ns
    size = 1 << (ns.bit_length() - 8)
    return (ns & ~(size - 1)) + size - 1


def latency_percentile(hist: dict[int, int], percentile: float) -> int:
    """hdr_value_at_percentile over a command's microsecond counts, in ns."""
    total = sum(hist.values())
    wanted = max(int(min(percentile, 100.0) / 100 * total + 0.5), 1)
    seen = 0
    for us in sorted(hist):
        seen += hist[us]
        if seen >= wanted:
            return _highest_equivalent(us * 1000)
    return 0


def latency_cdf(hist: dict[int, int]) -> dict[int, object]:
    """LATENCY HISTOGRAM's entry: the calls and their cumulative counts by power-of-two bucket from 1024 ns."""
    total = sum(hist.values())
    buckets: dict[int, int] = {}
    values = sorted(hist)
    seen = i = 0
    level = 1024
    while seen < total:
        top = _highest_equivalent(level)
        previous = seen
        while i < len(values) and values[i] * 1000 <= top:
            seen += hist[values[i]]
            i += 1
        if seen > previous:
            buckets[top // 1000] = seen
        level <<= 1
    return {b"calls": total, b"histogram_usec": buckets}


@command("histogram", -2, "admin noscript loading stale", parent="latency",
         tips="nondeterministic_output request_policy:all_nodes response_policy:special", group="server",
         since="7.0.0", summary="Return the cumulative distribution of latencies of a subset of commands or all.",
         complexity="O(N) where N is the number of commands with latency information being retrieved.")
def latency_histogram_command(client: Client, argv: list[bytes]) -> dict[bytes, object]:
    if len(argv) == 2:
        wanted = _all_commands()
    else:
        wanted = []
        for name in argv[2:]:
            cmd = COMMANDS.get(name.lower())
            if cmd is not None:
                wanted += ([cmd] if cmd.handler is not None else [])
                wanted += [cmd.bare] if cmd.bare is not None else []
                wanted += list({id(s): s for s in cmd.subcommands.values()}.values())
    return {cmd.full_name.encode(): latency_cdf(cmd.latency_us) for cmd in wanted if cmd.latency_us}


@command("doctor", 2, "admin noscript loading stale", parent="latency",
         tips="nondeterministic_output request_policy:all_nodes response_policy:special", group="server",
         since="2.8.13", summary="Return a human readable latency analysis report.", complexity="O(1)")
def latency_doctor_command(client: Client, argv: list[bytes]) -> Verbatim:
    server = client.server
    events = {e: s for e, s in server.latency_events.items() if s}
    if not events:
        if not server.config["latency-monitor-threshold"]:
            return Verbatim(
                "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may "
                "use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't "
                "in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n")
        return Verbatim("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the "
                        "slightest bit. I honestly think you ought to sleep tonight.\n")
    lines = ["Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do "
             "you Dave?", ""]
    for i, (event, samples) in enumerate(events.items(), 1):
        values = [ms for _, ms in samples]
        lines.append(f"{i}. {event}: {len(values)} latency spikes (average {sum(values) // len(values)}ms, "
                     f"mean deviation {_mean_deviation(values)}ms, period {_period(samples)} sec). "
                     f"Worst all time event {server.latency_max.get(event, 0)}ms.")
    lines += ["", "I have a few advices for you:", "",
              "- Check your SLOWLOG for the commands that took longest: SLOWLOG GET. Long-running commands "
              "(O(N) over big values, KEYS, DEBUG SLEEP) block every other client while they run."]
    return Verbatim("\n".join(lines) + "\n")


def _mean_deviation(values: list[int]) -> int:
    mean = sum(values) / len(values)
    return int(sum(abs(v - mean) for v in values) / len(values))


def _period(samples: Any) -> int:
    if len(samples) < 2:
        return 0
    return (samples[-1][0] - samples[0][0]) // (len(samples) - 1)


# -- MODULE: dynamis runs no Redis modules (they are C shared objects for Redis's module API) ---------------

_MODULE_HELP = [
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
    "    Load a module library from <path>, while passing it module configurations and optional arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
]


@command("help", 2, "loading stale", parent="module", group="server", since="5.0.0",
         summary="Show helpful text about the different subcommands", complexity="O(1)")
def module_help_command(client: Client, argv: list[bytes]) -> list[str]:
    return help_reply("MODULE", _MODULE_HELP)


@command("list", 2, "admin noscript", parent="module", categories="@admin @slow @dangerous",
         tips="nondeterministic_output_order", group="server", since="4.0.0",
         summary="List all modules loaded by the server", complexity="O(N) where N is the number of loaded modules.")
def module_list_command(client: Client, argv: list[bytes]) -> list[object]:
    return []


def _module_command_allowed(client: Client) -> None:
    """Redis's enable-module-command check (a PROTECTED command): no, yes, or local connections only."""
    allowed = client.server.config["enable-module-command"]
    host = client.addr.rpartition(":")[0].strip("[]")
    if allowed == "yes" or (allowed == "local" and host in ("127.0.0.1", "::1")):
        return
    raise ReplyError('ERR MODULE command not allowed. If the enable-module-command option is set to "local", you '
                     "can run it from a local connection, otherwise you need to set this option in the configuration "
                     "file, and then restart the server.")


@command("load", -3, "admin noscript no_async_loading", parent="module", categories="@admin @slow @dangerous",
         group="server", since="4.0.0", summary="Load a module", complexity="O(1)")
def module_load_command(client: Client, argv: list[bytes]) -> str:
    _module_command_allowed(client)
    log.warning("Module %s failed to load: dynamis cannot load Redis modules",
                argv[2].decode("utf-8", "replace"))
    raise ReplyError("ERR Error loading the extension. Please check the server logs.")


@command("loadex", -3, "admin noscript no_async_loading", parent="module", categories="@admin @slow @dangerous",
         group="server", since="7.0.0", summary="Load a module with extended parameters", complexity="O(1)")
def module_loadex_command(client: Client, argv: list[bytes]) -> str:
    return module_load_command(client, argv)


@command("unload", 3, "admin noscript no_async_loading", parent="module", categories="@admin @slow @dangerous",
         group="server", since="4.0.0", summary="Unload a module", complexity="O(1)")
def module_unload_command(client: Client, argv: list[bytes]) -> str:
    _module_command_allowed(client)
    raise ReplyError("ERR Error unloading module: no such module with that name")


# keep the container commands' `COMMANDS` entries documented like Redis's
for _name, _since, _summary in (("config", "2.0.0", "A container for server configuration commands"),
                                ("module", "4.0.0", "A container for module commands"),
                                ("memory", "4.0.0", "A container for memory diagnostics commands"),
                                ("slowlog", "2.2.12", "A container for slow log commands"),
                                ("latency", "2.8.13", "A container for latency diagnostics commands")):
    _container = COMMANDS[_name.encode()]
    _container.since, _container.summary, _container.complexity = _since, _summary, "Depends on subcommand."
    _container.group = "server"
