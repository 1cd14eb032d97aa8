"""Blocking commands (Redis's blocked.c): BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK ... wait here for keys.

How a blocking command uses it (lists, sorted sets and streams all do the same):

    from dynamis.kv.blocking import NOT_READY, BlockedRequest, parse_timeout

    timeout = parse_timeout(argv[-1])            # seconds; `unit_ms=True` for XREAD BLOCK
    ...try to serve at once; when nothing is there:
    return BlockedRequest(keys, timeout, retry, timeout_reply)

- `keys`: the keys (of the client's current db) to wait on.
- `timeout`: seconds (a float, millisecond precision as Redis) or None to wait for ever.
- `retry(key)`: called after a command / MULTI-EXEC / script that modified `key` has ended
  (Redis's handleClientsBlockedOnKeys), with the key that became ready, in the order the
  clients blocked on it (FIFO). It runs as the blocked client (`client.db` is the db it blocked
  in) and returns the reply to unblock it with, or `NOT_READY` to keep it waiting (wrong type,
  still empty, no new stream entry...). A `ReplyError` it raises is the reply, as for handlers.
- `timeout_reply`: the reply on timeout and on CLIENT UNBLOCK id TIMEOUT.

Writers need not do anything: `Keyspace.key_modified`, which every write reaches, marks a key
ready when some client waits on it (Redis's signalKeyAsReady), so RENAME, MOVE, RESTORE, SWAPDB ...
wake waiters too; retry() decides whether the key is really ready, as Redis's serve* functions do.

Inside MULTI/EXEC and scripts (`client.deny_blocking`) `RedisServer.call` replaces a returned
request by its `timeout_reply`: blocking commands act as non-blocking there. Otherwise the
request travels back to the connection, which calls `block_client`, arms the timer, holds the
client's further pipelined requests, and resumes them after `client.on_unblocked(reply)`.
`keyspace.blocking` counts `blocked_clients` and `clients_in_timeout_table` (INFO's fields).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING

from dynamis.kv.args import int_arg
from dynamis.kv.client import Client
from dynamis.kv.commands import command
from dynamis.kv.longdouble import parse_long_double
from dynamis.kv.protocol import ReplyError

if TYPE_CHECKING:
    from dynamis.kv.keyspace import Keyspace

NOT_READY = object()

NEGATIVE_TIMEOUT = ReplyError("ERR timeout is negative")
_NOT_FLOAT_TIMEOUT = ReplyError("ERR timeout is not a float or out of range")
_NOT_INT_TIMEOUT = ReplyError("ERR timeout is not an integer or out of range")
_INT64_LIMIT = 2**63
_FOREVER_MS = 10**15


class BlockedRequest:
    """What a handler returns to block its client; see the module docstring."""

    __slots__ = ("keys", "timeout", "retry", "timeout_reply", "unblock_on_nokey", "client", "db_id")

    def __init__(self, keys: list[bytes], timeout: float | None, retry: Callable[[bytes], object],
                 timeout_reply: object, unblock_on_nokey: bool = False) -> None:
        self.keys = keys
        self.timeout = timeout
        self.retry = retry
        self.timeout_reply = timeout_reply
        self.unblock_on_nokey = unblock_on_nokey  # woken by the key's deletion too (XREADGROUP): INFO counts these
        self.client: Client | None = None
        self.db_id = 0


class BlockingState:
    """Who waits on which key, and which keys were touched since the last serve (one per Keyspace)."""

    __slots__ = ("waiting", "ready", "clients")

    def __init__(self) -> None:
        # (db id, key) -> clients blocked on it, in blocking order (a dict is an ordered set)
        self.waiting: dict[tuple[int, bytes], dict[Client, None]] = {}
        # (db id, key) signalled since the last serve, in signal order
        self.ready: dict[tuple[int, bytes], None] = {}
        self.clients: dict[Client, None] = {}

    @property
    def blocked_clients(self) -> int:
        return len(self.clients)

    @property
    def clients_in_timeout_table(self) -> int:
        return sum(1 for c in self.clients if c.blocked is not None and c.blocked.timeout is not None)


def parse_timeout(arg: bytes, unit_ms: bool = False) -> float | None:
    """Redis's getTimeoutFromObjectOrReply: seconds as a float (or milliseconds as an integer with
    `unit_ms`), truncated up to whole milliseconds; 0 means for ever (None)."""
    if unit_ms:
        ms = int_arg(arg, _NOT_INT_TIMEOUT)
    else:
        value = parse_long_double(arg)
        if value is None:
            raise _NOT_FLOAT_TIMEOUT
        if isinstance(value, float):
            ms = -1  # inf: a long double too big for a long long converts to LLONG_MIN on x86, "negative"
        else:
            mantissa, exp = value
            scaled = Fraction(mantissa * 1000) * Fraction(2) ** exp
            ms = math.ceil(scaled) if abs(scaled) < _INT64_LIMIT else -1
    if ms < 0:
        raise NEGATIVE_TIMEOUT
    # 0 blocks for ever; so, in effect, does a timeout of centuries (which the event loop's timer refuses)
    return ms / 1000.0 if 0 < ms < _FOREVER_MS else None


def signal_swapped_dbs(keyspace: Keyspace, a: int, b: int) -> None:
    """SWAPDB: a waited-on key that exists in either db now holds new data or is gone (Redis's
    scanDatabaseForReadyKeys and scanDatabaseForDeletedKeys): its waiters look again."""
    state = keyspace.blocking
    data_a, data_b = keyspace.dbs[a].data, keyspace.dbs[b].data
    for entry in state.waiting:
        if entry[0] in (a, b) and (entry[1] in data_a or entry[1] in data_b):
            state.ready[entry] = None


def block_client(client: Client, request: BlockedRequest) -> None:
    """Register `client` as waiting on the request's keys (the connection then arms the timeout)."""
    state = client.server.keyspace.blocking
    request.client = client
    request.db_id = client.db.id
    client.blocked = request
    state.clients[client] = None
    for key in request.keys:
        state.waiting.setdefault((request.db_id, key), {})[client] = None


def _forget(client: Client) -> None:
    request = client.blocked
    if request is None:
        return
    state = client.server.keyspace.blocking
    client.blocked = None
    state.clients.pop(client, None)
    for key in request.keys:
        entry = (request.db_id, key)
        waiters = state.waiting.get(entry)
        if waiters is not None:
            waiters.pop(client, None)
            if not waiters:
                del state.waiting[entry]


def unblock_client(client: Client, reply: object) -> None:
    """Release `client` with `reply` (served, timed out or CLIENT UNBLOCK)."""
    if client.blocked is None:
        return
    _forget(client)
    if isinstance(reply, ReplyError):
        client.server.count_error(reply)
    client.on_unblocked(reply)


def forget_client(client: Client) -> None:
    """A blocked client went away: drop it from the wait lists, no reply."""
    _forget(client)


def timeout_client(client: Client) -> None:
    """The connection's timer fired."""
    if client.blocked is not None:
        unblock_client(client, client.blocked.timeout_reply)


def serve_ready_keys(keyspace: Keyspace) -> None:
    """Serve clients waiting on the keys signalled so far (after each top-level command).

    Serving one client may signal more keys (BLMOVE pushes): the loop runs until none is left.
    """
    state = keyspace.blocking
    ready = state.ready
    while ready:
        entry = next(iter(ready))
        del ready[entry]
        waiters = state.waiting.get(entry)
        if not waiters:
            continue
        key = entry[1]
        for client in list(waiters):
            request = client.blocked
            if request is None or request.db_id != entry[0]:
                continue
            keyspace.no_touch = client.no_touch  # the retry runs as the blocked client's command
            try:
                reply = request.retry(key)
            except ReplyError as exc:
                exc.__traceback__ = None  # a shared instance: see RedisServer.call
                reply = exc
            if reply is not NOT_READY:
                unblock_client(client, reply)


@command("unblock", -3, "admin noscript loading stale", categories="@connection", parent="client",
         group="connection", since="5.0.0",
         summary="Unblock a client blocked in a blocking command from a different connection",
         complexity="O(log N) where N is the number of client connections")
def client_unblock_command(client: Client, argv: list[bytes]) -> int:
    as_error = False
    if len(argv) == 4:
        reason = argv[3].lower()
        if reason == b"error":
            as_error = True
        elif reason != b"timeout":
            raise ReplyError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    elif len(argv) > 4:
        raise ReplyError(f"ERR unknown subcommand or wrong number of arguments for '{argv[1].decode('utf-8', 'replace')}'. "
                         "Try CLIENT HELP.")
    target = client.server.clients.get(int_arg(argv[2]))
    if target is None or target.blocked is None:
        return 0
    if as_error:
        unblock_client(target, ReplyError("UNBLOCKED client unblocked via CLIENT UNBLOCK"))
    else:
        unblock_client(target, target.blocked.timeout_reply)
    return 1
