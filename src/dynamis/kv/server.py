"""The Redis-compatible server's state and its command dispatch (Redis's `processCommand` + `call`).

`RedisServer` owns the keyspace, the clients, statistics and the periodic cron. `execute()` is the
single path every command takes: lookup in the command table, arity, auth, ACL and context checks,
MULTI queuing, the call itself with its statistics, slowlog and MONITOR feed.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
from collections import deque
from typing import Any

from dynamis import REDIS_VERSION, __version__
from dynamis.config import Config
from dynamis.kv import blocking, scripting
from dynamis.kv import commands as cmdtable
from dynamis.kv.acl import Acl
from dynamis.kv.client import Client
from dynamis.kv.keyspace import Keyspace
from dynamis.kv.protocol import ProtocolLimits, ReplyError
from dynamis.kv.pubsub import PubSub
from dynamis.kv.tracking import Tracking
from dynamis.kv.types.hash import expire_hash_fields

log = logging.getLogger("dynamis")

NOAUTH = ReplyError("NOAUTH Authentication required.")
QUEUED = "QUEUED"
POSTPONED = object()  # execute(): the server is paused (CLIENT PAUSE); the connection holds the request back
_perf_ns = time.perf_counter_ns
_COMMANDS = cmdtable.COMMANDS
_BlockedRequest = blocking.BlockedRequest
_MULTI_CONTROL = frozenset({"exec", "discard", "multi", "watch", "quit", "reset"})


class SlowlogEntry:
    __slots__ = ("id", "time", "duration", "argv", "addr", "name")

    def __init__(self, entry_id: int, duration: int, argv: list[bytes], client: Client) -> None:
        self.id = entry_id
        self.time = int(time.time())
        self.duration = duration
        # Redis keeps at most 32 arguments and 128 bytes of each
        if len(argv) > 32:
            argv = argv[:31] + [b"... (%d more arguments)" % (len(argv) - 31)]
        self.argv = [a if len(a) <= 128 else a[:128] + b"... (%d more bytes)" % (len(a) - 128) for a in argv]
        self.addr = client.addr.encode()
        self.name = client.name


# a read-only script's keys are tracked only through the reads it makes (kv/scripting.py), as in Redis 7.0
_READ_ONLY_SCRIPTS = frozenset({"eval_ro", "evalsha_ro", "fcall_ro"})


class RedisServer:
    """Everything the Redis-compatible side shares between clients."""

    def __init__(self, config: Config | None = None) -> None:
        cmdtable.load_all()
        self.config = config or Config()
        self.keyspace = Keyspace(self.config["databases"])
        self.acl = Acl(self)
        self._ready_keys = self.keyspace.blocking.ready  # keys blocked clients wait on that were written
        self.pubsub = PubSub()
        self.tracking = Tracking(self)
        self.current_client: Client | None = None  # whose command runs now (NOLOOP, deferred pushes)
        self.keyspace.notify_hook = self.pubsub.notify_keyspace_event
        self.clients: dict[int, Client] = {}
        self._ids = itertools.count(1)
        self.start_time = time.time()
        self.monitors: list[Client] = []
        self.slowlog: deque[SlowlogEntry] = deque(maxlen=self.config["slowlog-max-len"])
        self._slowlog_ids = itertools.count(0)
        self.slowlog_threshold_ns = self.config["slowlog-log-slower-than"] * 1000
        self.latency_events: dict[str, deque[tuple[int, int]]] = {}  # event -> (unix time, ms) samples
        self.latency_max: dict[str, int] = {}
        self.active_expire_enabled = True
        self._expire_next_db = 0  # where the next active expiry cycle starts
        self.busy_script: Any = None  # a script past busy-reply-threshold (kv/scripting.py): others get -BUSY
        self.paused_until = 0.0  # CLIENT PAUSE: unix time it ends, 0 when not paused
        self.pause_writes_only = False
        self._pause_timer: asyncio.TimerHandle | None = None
        self._postponed: list[Any] = []  # callbacks of connections holding requests back until the pause ends
        self.latency_threshold_ns = 0
        self.latency_tracking = self.config["latency-tracking"]
        self.proto_limits = ProtocolLimits(self.config["proto-max-bulk-len"], self.config["client-query-buffer-limit"])
        self.shutdown_requested: asyncio.Future[bool] | None = None
        self.stats = {"total_connections_received": 0,
                      "rejected_connections": 0, "total_net_input_bytes": 0, "total_net_output_bytes": 0,
                      "total_error_replies": 0, "unexpected_error_replies": 0, "keyspace_hits": 0,
                      "keyspace_misses": 0, "evicted_keys": 0, "expired_stale_perc": 0}
        self.error_stats: dict[str, int] = {}
        self.metric_samples: deque[tuple[float, int, int, int]] = deque(maxlen=16)
        self.last_save = int(time.time())
        self.ports: list[int] = []
        self.run_id = os.urandom(20).hex()
        self.version = REDIS_VERSION
        self.dynamis_version = __version__
        self._watch_config()

    def _watch_config(self) -> None:
        def slowlog_len(value: int) -> None:
            self.slowlog = deque(self.slowlog, maxlen=value)

        def slowlog_threshold(value: int) -> None:
            self.slowlog_threshold_ns = value * 1000

        def persistence_asked(value: object) -> None:
            # accepted so that redis.conf files and clients work unchanged, but nothing is written yet:
            # say so rather than let an operator believe the keyspace survives a restart
            if value:
                log.warning("appendonly/save are set, but dynamis does not persist the Redis keyspace yet "
                            "(no AOF, no RDB snapshots): data is lost when the server stops")

        self.config.on_change["appendonly"] = persistence_asked
        self.config.on_change["save"] = persistence_asked
        persistence_asked(self.config["appendonly"] or self.config["save"])
        self.config.on_change["slowlog-max-len"] = slowlog_len
        self.config.on_change["slowlog-log-slower-than"] = slowlog_threshold
        self.config.on_change["notify-keyspace-events"] = self._set_notify_flags
        self.config.on_change["latency-monitor-threshold"] = self._set_latency_threshold
        self.config.on_change["latency-tracking"] = lambda on: setattr(self, "latency_tracking", on)
        self.config.on_change["proto-max-bulk-len"] = lambda v: setattr(self.proto_limits, "max_bulk_len", v)
        self.config.on_change["client-query-buffer-limit"] = lambda v: setattr(self.proto_limits,
                                                                                "max_query_buffer", v)
        self._set_latency_threshold(self.config["latency-monitor-threshold"])
        self._set_notify_flags(self.config["notify-keyspace-events"])
        self.config.on_change["maxmemory-policy"] = self._set_maxmemory_policy
        self.config.on_change["lfu-log-factor"] = lambda v: setattr(self.keyspace, "lfu_log_factor", v)
        self.config.on_change["lfu-decay-time"] = lambda v: setattr(self.keyspace, "lfu_decay_time", v)
        self._set_maxmemory_policy(self.config["maxmemory-policy"])
        self.keyspace.lfu_log_factor = self.config["lfu-log-factor"]
        self.keyspace.lfu_decay_time = self.config["lfu-decay-time"]

    def _set_maxmemory_policy(self, policy: str) -> None:
        self.keyspace.set_lfu(policy.endswith("-lfu"))

    def _set_notify_flags(self, flags: str) -> None:
        self.keyspace.notify_flags = flags if ("K" in flags or "E" in flags) else ""
        self.keyspace.notify_new = "n" in self.keyspace.notify_flags

    def _set_latency_threshold(self, ms: int) -> None:
        self.latency_threshold_ns = ms * 1_000_000

    def latency_sample(self, event: str, ms: int) -> None:
        """Record a latency spike (Redis's latencyAddSample): one sample per second, the max wins."""
        samples = self.latency_events.get(event)
        if samples is None:
            samples = self.latency_events[event] = deque(maxlen=160)
        now = int(time.time())
        if samples and samples[-1][0] == now:
            samples[-1] = (now, max(ms, samples[-1][1]))
        else:
            samples.append((now, ms))
        self.latency_max[event] = max(self.latency_max.get(event, 0), ms)

    # -- CLIENT PAUSE ----------------------------------------------------------------------

    def pause_clients(self, until: float, writes_only: bool) -> None:
        """Pause until `until` (unix time); a pause in force only grows: the later end, ALL over WRITE."""
        if self.paused_until:
            writes_only = writes_only and self.pause_writes_only
            until = max(until, self.paused_until)
        self.paused_until = until
        self.pause_writes_only = writes_only
        if self._pause_timer is not None:
            self._pause_timer.cancel()
        self._pause_timer = asyncio.get_running_loop().call_later(max(until - time.time(), 0), self.unpause_clients)

    def unpause_clients(self) -> None:
        """End the pause; the connections that held requests back run them, in the order they stopped."""
        self.paused_until = 0.0
        if self._pause_timer is not None:
            self._pause_timer.cancel()
            self._pause_timer = None
        waiting, self._postponed = self._postponed, []
        loop = asyncio.get_running_loop()
        for resume in waiting:
            loop.call_soon(resume)

    def postpone(self, resume: Any) -> None:
        """Call `resume()` when the pause ends (the connection that got POSTPONED)."""
        self._postponed.append(resume)

    def _must_postpone(self, client: Client, cmd: cmdtable.Command) -> bool:
        if time.time() >= self.paused_until:
            self.unpause_clients()
            return False
        if cmd.name == "quit":  # Redis 7.0 answers QUIT before any other check
            return False
        if not self.pause_writes_only or cmd.may_replicate:
            return True
        return cmd.name == "exec" and client.multi is not None and any(c.may_replicate for c, _ in client.multi)

    # -- clients ---------------------------------------------------------------------------

    def new_client(self, addr: str = "", laddr: str = "", fd: int = -1) -> Client:
        client = Client(self, next(self._ids), addr, laddr, fd)
        self.clients[client.id] = client
        self.stats["total_connections_received"] += 1
        return client

    def remove_client(self, client: Client) -> None:
        self.clients.pop(client.id, None)
        if client.blocked is not None:
            blocking.forget_client(client)
        if client.monitor:
            self.monitors.remove(client)
        self.unwatch(client)
        self.pubsub.unsubscribe_all(client)
        self.tracking.disable(client)
        if self.current_client is client:
            self.current_client = None

    def reset_client(self, client: Client) -> None:
        """RESET: back to a fresh connection's state (db 0, RESP2, no MULTI/WATCH/name/modes)."""
        self.unwatch(client)
        client.multi = None
        client.multi_error = False
        client.select(0)
        client.resp = 2
        client.name = b""
        client.reply_mode = "on"
        client.no_evict = False
        client.no_touch = False
        if client.monitor:
            client.monitor = False
            self.monitors.remove(client)
        self.pubsub.unsubscribe_all(client)
        self.tracking.disable(client)
        client.authenticated = self.acl.default_needs_no_auth()
        client.user = self.acl.default

    def unwatch(self, client: Client) -> None:
        for key in client.watched:
            watchers = self.keyspace.watching.get(key)
            if watchers is not None:
                watchers.discard(client)
                if not watchers:
                    del self.keyspace.watching[key]
        client.watched.clear()
        client.watch_dirty = False

    # -- dispatch --------------------------------------------------------------------------

    def execute(self, client: Client, argv: list[bytes]) -> Any:
        """Run one request from `client` and return its reply (Redis's processCommand)."""
        cmd = _COMMANDS.get(argv[0])
        if cmd is None or cmd.handler is None:
            cmd = cmdtable.lookup(argv)
            if cmd is None or cmd.handler is None:
                if cmd is not None and len(argv) == 1:
                    return self._reject(client, cmd, cmdtable.arity_error(cmd))
                return self._reject(client, None, cmdtable.unknown_command_error(argv))
        arity = cmd.arity
        if arity != len(argv) and (arity > 0 or len(argv) < -arity):
            return self._reject(client, cmd, cmdtable.arity_error(cmd))
        if not client.authenticated and not cmd.no_auth:
            return self._reject(client, cmd, NOAUTH)
        if client.user.restricted:
            denied = self.acl.denied(client, cmd, argv)
            if denied is not None:
                return self._reject(client, cmd, ReplyError("NOPERM " + denied))
        if self.busy_script is not None:
            busy = scripting.busy_reply(self, cmd, argv)
            if busy is not None:
                return self._reject(client, cmd, busy)
        multi = client.multi
        if multi is not None and cmd.no_multi:
            return self._reject(client, cmd, ReplyError("ERR Command not allowed inside a transaction"))
        if client.subscriptions and client.resp == 2 and not cmd.pubsub_ok:
            return self._reject(client, cmd, ReplyError(
                f"ERR Can't execute '{cmd.full_name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
                "are allowed in this context"))
        if self.paused_until and self._must_postpone(client, cmd):
            return POSTPONED
        if multi is not None and cmd.name not in _MULTI_CONTROL:
            multi.append((cmd, argv))
            return QUEUED
        reply = self.call(client, cmd, argv)
        if self._ready_keys:
            # after the whole command, EXEC or script, as Redis's handleClientsBlockedOnKeys
            blocking.serve_ready_keys(self.keyspace)
        return reply

    def _reject(self, client: Client, cmd: cmdtable.Command | None, error: ReplyError) -> ReplyError:
        if cmd is not None:
            cmd.rejected_calls += 1
        if cmd is not None and cmd.name == "exec":
            # EXEC itself refused: any transaction is discarded, with the reason (Redis 7.0)
            client.multi = None
            self.unwatch(client)
            reason = error.message[4:] if error.message.startswith("ERR ") else error.message
            error = ReplyError(f"EXECABORT Transaction discarded because of: {reason}")
        elif client.multi is not None:
            client.multi_error = True
        self.count_error(error)
        return error

    def count_error(self, error: ReplyError) -> None:
        self.stats["total_error_replies"] += 1
        code = error.message.split(" ", 1)[0]
        self.error_stats[code] = self.error_stats.get(code, 0) + 1

    def call(self, client: Client, cmd: cmdtable.Command, argv: list[bytes]) -> Any:
        """Execute `cmd` (Redis's call()): statistics, slowlog and MONITOR around the handler."""
        # current while it runs, then back to the caller (EXEC, a script) or to None: the cron's expiry and
        # other clients' writes must not be attributed to the last client that ran a command
        previous = self.current_client
        if client.id:  # not a script's fake client (id 0): the script's caller stays current (NOLOOP, pushes)
            self.current_client = client
            self.keyspace.no_touch = client.no_touch
        client.last_command = cmd.full_name  # set before the call: CLIENT INFO shows itself, as in Redis
        start = _perf_ns()
        try:
            reply = cmd.handler(client, argv)
        except ReplyError as exc:
            # shared error instances (NOT_INTEGER, WRONGTYPE...) are raised again and again: without this
            # each raise would chain its frames onto the last traceback, and the chain would never be freed
            exc.__traceback__ = None
            reply = exc
        except Exception as exc:  # a bug must not take the server down: report it like Redis's panic-free path
            if any(type(a) is not bytes for a in argv):
                raise
            log.exception("internal error running %s", cmd.full_name)
            reply = ReplyError(f"ERR internal error: {type(exc).__name__}: {exc}")
        duration = _perf_ns() - start
        cmd.calls += 1
        cmd.usec += duration
        if self.latency_tracking:  # in whole microseconds, at least 1, as Redis records them
            cmd.latency_us[duration // 1000 or 1] += 1
        reply_type = type(reply)
        if reply_type is ReplyError:
            cmd.failed_calls += 1
            self.count_error(reply)
        elif reply_type is _BlockedRequest and client.deny_blocking:
            reply = reply.timeout_reply  # inside EXEC or a script a blocking command does not block
        if duration > self.slowlog_threshold_ns >= 0:
            self.slowlog.appendleft(SlowlogEntry(next(self._slowlog_ids), duration // 1000, argv, client))
        if self.latency_threshold_ns and duration >= self.latency_threshold_ns:
            self.latency_sample("fast-command" if cmd.fast else "command", duration // 1_000_000)
        # fed after the call, as Redis 7.0 does (so SELECT shows the new db); admin commands are not shown
        if self.monitors and not cmd.skip_monitor:
            self._feed_monitors(client, argv)
        if client.tracking and cmd.readonly and cmd.name not in _READ_ONLY_SCRIPTS:
            self.tracking.remember(client, cmd, argv)
        self.current_client = previous
        return reply

    def commands_processed(self) -> int:
        """INFO's total_commands_processed, summed from the per-command counters call() keeps anyway."""
        return sum(cmd.calls + sum(sub.calls for sub in set(cmd.subcommands.values()))
                   for cmd in cmdtable.unique_commands())

    def _feed_monitors(self, client: Client, argv: list[bytes]) -> None:
        now = time.time()
        args = " ".join('"' + _monitor_escape(a) + '"' for a in argv)
        line = f"{now:.6f} [{client.db.id} {client.addr or 'lua'}] {args}"
        for monitor in list(self.monitors):
            if monitor is client:  # a monitor's own command: its line follows its reply, as in Redis
                client.deferred_pushes.append(line)
            else:
                monitor.write_push(line)

    # -- cron ------------------------------------------------------------------------------

    def sample_metrics(self) -> None:
        """Keep the last samples of the traffic counters for INFO's instantaneous_* (Redis's trackInstantaneousMetric)."""
        stats = self.stats
        self.metric_samples.append((time.monotonic(), self.commands_processed(),
                                    stats["total_net_input_bytes"], stats["total_net_output_bytes"]))

    def instantaneous(self, field: int) -> float:
        """Per second rate of counter `field` (1 commands, 2 input bytes, 3 output bytes) over the samples."""
        samples = self.metric_samples
        if len(samples) < 2 or samples[-1][0] <= samples[0][0]:
            return 0.0
        return (samples[-1][field] - samples[0][field]) / (samples[-1][0] - samples[0][0])

    async def cron(self) -> None:
        """Periodic work at `hz` (Redis's serverCron): active expiry, idle client timeouts."""
        while True:
            hz = max(self.config["hz"], 1)
            await asyncio.sleep(1 / hz)
            try:
                self.keyspace.tick()
                self.sample_metrics()
                if self.active_expire_enabled and not self.paused_until > time.time() and self.busy_script is None:
                    # 25% of each cron period at most, as Redis's ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC
                    deadline = time.perf_counter() + 0.25 / hz
                    dbs = self.keyspace.dbs
                    # resume at the db where the last cycle ran out of time, as Redis's current_db does,
                    # so a db full of volatile keys cannot starve the others
                    for step in range(len(dbs)):
                        db = dbs[(self._expire_next_db + step) % len(dbs)]
                        if db.expires:
                            db.active_expire(deadline)
                        elif db.avg_ttl:  # no volatile keys left: activeExpireCycle zeroes the estimate
                            db.avg_ttl = 0
                        if db.hexpires:  # then hash fields, as Redis's activeExpireCycle does after the keys
                            expire_hash_fields(db, deadline)
                        if time.perf_counter() > deadline:
                            self._expire_next_db = (db.id + 1) % len(dbs)
                            break
                    if self._ready_keys:  # a deleted stream wakes its XREADGROUP waiters now, not at the next command
                        blocking.serve_ready_keys(self.keyspace)
                timeout = self.config["timeout"]
                if timeout:
                    now = time.time()
                    for client in list(self.clients.values()):
                        if (now - client.last_interaction > timeout and not client.subscriptions
                                and not client.monitor and client.blocked is None and client.fd >= 0):
                            client.close()
            except Exception:  # one bad tick must not end active expiry and timeouts for good
                log.exception("cron tick failed")


def _monitor_escape(arg: bytes) -> str:
    out = []
    for b in arg:
        if b == 0x5C:
            out.append("\\\\")
        elif b == 0x22:
            out.append('\\"')
        elif b == 0x0A:
            out.append("\\n")
        elif b == 0x0D:
            out.append("\\r")
        elif b == 0x09:
            out.append("\\t")
        elif b == 0x07:
            out.append("\\a")
        elif b == 0x08:
            out.append("\\b")
        elif 32 <= b < 127:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return "".join(out)
