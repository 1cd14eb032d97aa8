"""A client's session state: selected db, protocol version, name, flags, MULTI queue.

Commands receive a `Client`; it knows nothing of sockets. The connection that owns it supplies
`write_push` (out-of-band messages) and `close` callbacks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dynamis.kv.blocking import BlockedRequest
    from dynamis.kv.commands import Command
    from dynamis.kv.keyspace import Database
    from dynamis.kv.server import RedisServer


class Client:
    """One connected client (or an in-process caller of the keyspace)."""

    def __init__(self, server: RedisServer, client_id: int, addr: str = "", laddr: str = "", fd: int = -1) -> None:
        self.server = server
        self.id = client_id
        self.addr = addr
        self.laddr = laddr
        self.fd = fd
        self.db: Database = server.keyspace.dbs[0]
        self.resp = 2
        self.name = b""
        self.lib_name = ""
        self.lib_ver = ""
        self.user = server.acl.default  # an acl.User
        self.authenticated = server.acl.default_needs_no_auth()
        self.created = time.time()
        self.last_interaction = self.created
        self.last_command = "NULL"
        self.multi: list[tuple[Command, list[bytes]]] | None = None
        self.multi_error = False
        self.watched: dict[tuple[int, bytes], bool] = {}  # (db, key) -> already expired at WATCH time
        self.watch_dirty = False
        self.deny_blocking = False  # inside EXEC or a script: blocking commands act as non-blocking
        self.blocked: BlockedRequest | None = None  # waiting in BLPOP, XREAD BLOCK... (kv/blocking.py)
        self.on_unblocked: Callable[[Any], None] = _discard  # the connection delivers the reply, resumes
        self.reply_mode = "on"  # CLIENT REPLY ON|OFF|SKIP
        self.no_evict = False
        self.no_touch = False  # CLIENT NO-TOUCH: its commands (but TOUCH) leave keys' LRU/LFU as they are
        self.monitor = False
        self.subscriptions = 0  # channels + patterns + shard channels; RESP2 restricts commands when > 0
        self.channels: dict[bytes, None] = {}
        self.patterns: dict[bytes, None] = {}
        self.shard_channels: dict[bytes, None] = {}
        self.tracking = False  # CLIENT TRACKING state, see kv/tracking.py
        self.tracking_bcast = self.tracking_optin = self.tracking_optout = self.tracking_noloop = False
        self.tracking_redirect = 0
        self.tracking_prefixes: list[bytes] = []
        self.tracking_caching: bool | None = None  # CLIENT CACHING yes/no for the next command
        self.deferred_pushes: list[Any] = []  # pushes caused by this client's own command: sent after its reply
        self.killed = False
        self.close_after_reply = False
        self.write_push: Callable[[Any], None] = _discard
        self.close: Callable[[], None] = _noop
        self.query_buffer_size: Callable[[], int] = _zero
        self.output_buffer_size: Callable[[], int] = _zero

    def select(self, index: int) -> None:
        self.db = self.server.keyspace.dbs[index]

    def flag_string(self) -> str:
        flags = ""
        if self.monitor:
            flags += "O"
        if self.multi is not None:
            flags += "x"
        if self.subscriptions:
            flags += "P"
        if self.blocked is not None:
            flags += "b"
        if self.tracking:
            flags += "t"
            if self.tracking_redirect and self.tracking_redirect not in self.server.clients:
                flags += "R"
            if self.tracking_bcast:
                flags += "B"
        if self.watch_dirty:
            flags += "d"
        if self.no_evict:
            flags += "e"
        if self.no_touch:
            flags += "T"
        return flags or "N"

    def info_line(self) -> str:
        """One CLIENT LIST / CLIENT INFO line, with the fields Redis 7.4 prints."""
        now = time.time()
        multi = len(self.multi) if self.multi is not None else -1
        qbuf = self.query_buffer_size()
        redirect = self.tracking_redirect if self.tracking else -1
        return (
            f"id={self.id} addr={self.addr} laddr={self.laddr} fd={self.fd} "
            f"name={self.name.decode('utf-8', 'replace')} age={int(now - self.created)} "
            f"idle={int(now - self.last_interaction)} flags={self.flag_string()} db={self.db.id} "
            f"sub={len(self.channels)} psub={len(self.patterns)} "
            f"ssub={len(self.shard_channels)} multi={multi} watch={len(self.watched)} qbuf={qbuf} qbuf-free=0 "
            f"argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem={self.output_buffer_size()} "
            f"tot-mem={qbuf + self.output_buffer_size() + 1024} events=r cmd={self.last_command} "
            f"user={self.user.name} redir={redirect} resp={self.resp} lib-name={self.lib_name} lib-ver={self.lib_ver}"
        )


def _discard(_: Any) -> None:
    return None


def _noop() -> None:
    return None


def _zero() -> int:
    return 0
