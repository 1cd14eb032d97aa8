"""Client-side caching (tracking.c): CLIENT TRACKING / CACHING / TRACKINGINFO / GETREDIR.

Default mode remembers which keys a client read and sends one invalidation when such a key changes;
BCAST mode sends invalidations for every changed key under the client's prefixes. Invalidations are
RESP3 push frames (`invalidate`), or, for a RESP2 client redirecting to another connection,
messages on that connection's `__redis__:invalidate` channel. As in Redis, the tracking table holds
keys without their database.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from dynamis.kv.args import SYNTAX, parse_int64
from dynamis.kv.client import Client
from dynamis.kv.commands import command
from dynamis.kv.protocol import OK, Push, ReplyError

if TYPE_CHECKING:
    from dynamis.kv.commands import Command
    from dynamis.kv.server import RedisServer

INVALIDATE_CHANNEL = b"__redis__:invalidate"


class Tracking:
    """The server's tracking state; hooked into the keyspace only while someone tracks."""

    def __init__(self, server: RedisServer) -> None:
        self.server = server
        self.table: dict[bytes, set[int]] = {}  # key -> ids of clients that may cache it
        self.prefixes: dict[bytes, set[int]] = {}  # BCAST prefix -> client ids
        # BCAST invalidations wait for the end of the loop iteration and go out as one message per
        # prefix and client, as Redis's trackingBroadcastInvalidationMessages: prefix -> key -> writer id
        self.pending: dict[bytes, dict[bytes, int]] = {}
        self.clients = 0

    def enable(self, client: Client) -> None:
        if not client.tracking:
            self.clients += 1
        client.tracking = True
        self.server.keyspace.tracking = self

    def disable(self, client: Client) -> None:
        if not client.tracking:
            return
        for prefix in client.tracking_prefixes:
            ids = self.prefixes.get(prefix)
            if ids is not None:
                ids.discard(client.id)
                if not ids:
                    del self.prefixes[prefix]
        client.tracking = False
        client.tracking_bcast = client.tracking_optin = client.tracking_optout = client.tracking_noloop = False
        client.tracking_redirect = 0
        client.tracking_prefixes = []
        client.tracking_caching = None
        self.clients -= 1
        if not self.clients:
            self.server.keyspace.tracking = None
            self.table.clear()

    def remember(self, client: Client, cmd: Command, argv: list[bytes]) -> None:
        """After a read-only command: the client may now cache the keys it read."""
        caching = client.tracking_caching
        if client.multi is None:
            client.tracking_caching = None  # CLIENT CACHING applies to the next command only
        if client.tracking_bcast or (client.tracking_optin and caching is not True) or (
                client.tracking_optout and caching is False):
            return
        if len(self.table) >= self.server.config["tracking-table-max-keys"] > 0:
            self._evict_one()
        for index in cmd.key_positions(argv):
            self.table.setdefault(argv[index], set()).add(client.id)

    def _evict_one(self) -> None:
        key = next(iter(self.table))
        self.invalidate(key, self.table.pop(key), None)

    def key_modified(self, key: bytes) -> None:
        """Called by the keyspace for every changed key while tracking is on."""
        current = self.server.current_client
        ids = self.table.pop(key, None)
        if ids:
            self.invalidate(key, ids, current)
        for prefix in self.prefixes:
            if key.startswith(prefix):
                if not self.pending:
                    asyncio.get_running_loop().call_soon(self.broadcast)
                self.pending.setdefault(prefix, {})[key] = current.id if current is not None else 0

    def broadcast(self) -> None:
        """Send the BCAST invalidations collected during this loop iteration."""
        pending, self.pending = self.pending, {}
        clients = self.server.clients
        # in Redis's order: its prefix table and each prefix's key set are radix trees (sorted bytewise)
        for prefix in sorted(pending):
            keys = sorted(pending[prefix].items())
            for client_id in self.prefixes.get(prefix, ()):
                client = clients.get(client_id)
                if client is None or not client.tracking:
                    continue
                wanted = [k for k, writer in keys if not (client.tracking_noloop and writer == client_id)]
                if wanted:
                    self.send(client, wanted, None)

    def invalidate(self, key: bytes | None, ids: set[int], current: Client | None) -> None:
        clients = self.server.clients
        for client_id in list(ids):
            client = clients.get(client_id)
            if client is None or not client.tracking:
                continue
            if client is current and client.tracking_noloop:
                continue
            self.send(client, None if key is None else [key], current)

    def flush(self) -> None:
        """FLUSHDB/FLUSHALL: every tracking client drops its whole cache (a null invalidation)."""
        self.table.clear()
        current = self.server.current_client
        for client in list(self.server.clients.values()):
            if client.tracking:
                self.send(client, None, current)

    def send(self, client: Client, keys: list[bytes] | None, current: Client | None) -> None:
        target = client
        if client.tracking_redirect:
            target = self.server.clients.get(client.tracking_redirect)
            if target is None:
                if client.resp == 3:
                    self._deliver(client, Push([b"tracking-redir-broken", client.tracking_redirect]), current)
                return
        if target.resp == 3:
            self._deliver(target, Push([b"invalidate", keys]), current)
        elif INVALIDATE_CHANNEL in target.channels:
            self._deliver(target, Push([b"message", INVALIDATE_CHANNEL, keys]), current)

    @staticmethod
    def _deliver(target: Client, push: Push, current: Client | None) -> None:
        # the client whose own command caused it gets the push after that command's reply (Redis 7.0)
        if target is current:
            target.deferred_pushes.append(push)
        else:
            target.write_push(push)


@command("tracking", -3, "noscript loading stale", parent="client", categories="@connection",
         group="connection", since="6.0.0",
         summary="Enable or disable server assisted client side caching support",
         complexity="O(1). Some options may introduce additional complexity.")
def client_tracking_command(client: Client, argv: list[bytes]) -> str:
    mode = argv[2].lower()
    redirect = 0
    prefixes: list[bytes] = []
    bcast = optin = optout = noloop = False
    i = 3
    while i < len(argv):
        option = argv[i].lower()
        more = i + 1 < len(argv)
        if option == b"redirect" and more:
            i += 1
            if redirect:
                raise ReplyError("ERR A client can only redirect to a single other client")
            value = parse_int64(argv[i])
            if value is None:
                raise ReplyError("ERR value is not an integer or out of range")
            if value not in client.server.clients:
                raise ReplyError("ERR The client ID you want redirect to does not exist")
            redirect = value
        elif option == b"bcast":
            bcast = True
        elif option == b"optin":
            optin = True
        elif option == b"optout":
            optout = True
        elif option == b"noloop":
            noloop = True
        elif option == b"prefix" and more:
            i += 1
            prefixes.append(argv[i])
        else:
            raise SYNTAX
        i += 1
    tracking = client.server.tracking
    if mode == b"off":
        tracking.disable(client)
        return OK
    if mode != b"on":
        raise SYNTAX
    if client.tracking and client.tracking_bcast != bcast:
        raise ReplyError("ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
                         "and then re-enabling it with a different mode.")
    if prefixes and not bcast:
        raise ReplyError("ERR PREFIX option requires BCAST mode to be enabled")
    if optin and optout:
        raise ReplyError("ERR You can't specify both OPTIN mode and OPTOUT mode")
    if client.tracking and ((optin and client.tracking_optout) or (optout and client.tracking_optin)):
        raise ReplyError("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
                         "and then re-enabling it with a different mode.")
    if bcast and (optin or optout):
        raise ReplyError("ERR OPTIN and OPTOUT are not compatible with BCAST")
    _check_prefix_collisions(client.tracking_prefixes, prefixes)
    tracking.enable(client)
    client.tracking_bcast = bcast
    client.tracking_optin = optin
    client.tracking_optout = optout
    client.tracking_noloop = noloop
    client.tracking_redirect = redirect
    if bcast:
        new = [p for p in prefixes if p not in client.tracking_prefixes]
        client.tracking_prefixes = client.tracking_prefixes + new if (client.tracking_prefixes or new) else [b""]
        for prefix in client.tracking_prefixes:
            tracking.prefixes.setdefault(prefix, set()).add(client.id)
    return OK


def _check_prefix_collisions(existing: list[bytes], new: list[bytes]) -> None:
    """BCAST prefixes of one client must not overlap (Redis's checkPrefixCollisionsOrReply)."""

    def overlap(a: bytes, b: bytes) -> bool:
        return a.startswith(b) or b.startswith(a)

    def text(p: bytes) -> str:
        return p.decode("utf-8", "replace")

    for i, prefix in enumerate(new):
        for other in existing:
            if overlap(prefix, other):
                raise ReplyError(f"ERR Prefix '{text(prefix)}' overlaps with an existing prefix '{text(other)}'. "
                                 "Prefixes for a single client must not overlap.")
        for other in new[i + 1 :]:
            if overlap(prefix, other):
                raise ReplyError(f"ERR Prefix '{text(prefix)}' overlaps with another provided prefix "
                                 f"'{text(other)}'. Prefixes for a single client must not overlap.")


@command("caching", 3, "noscript loading stale", parent="client", categories="@connection",
         group="connection", since="6.0.0",
         summary="Instruct the server about tracking or not keys in the next request",
         complexity="O(1)")
def client_caching_command(client: Client, argv: list[bytes]) -> str:
    if not client.tracking or not (client.tracking_optin or client.tracking_optout):
        raise ReplyError("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN "
                         "or OPTOUT mode enabled")
    answer = argv[2].lower()
    if answer == b"yes":
        if not client.tracking_optin:
            raise ReplyError("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
        client.tracking_caching = True
    elif answer == b"no":
        if not client.tracking_optout:
            raise ReplyError("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
        client.tracking_caching = False
    else:
        raise SYNTAX
    return OK


@command("getredir", 2, "noscript loading stale", parent="client", categories="@connection",
         group="connection", since="6.0.0",
         summary="Get tracking notifications redirection client ID if any",
         complexity="O(1)")
def client_getredir_command(client: Client, argv: list[bytes]) -> int:
    return client.tracking_redirect if client.tracking else -1


@command("trackinginfo", 2, "noscript loading stale", parent="client", categories="@connection",
         group="connection", since="6.2.0",
         summary="Return information about server assisted client side caching for the "
                 "current connection",
         complexity="O(1)")
def client_trackinginfo_command(client: Client, argv: list[bytes]) -> dict[bytes, object]:
    flags: list[bytes] = []
    if not client.tracking:
        flags.append(b"off")
    else:
        flags.append(b"on")
        for enabled, name in ((client.tracking_bcast, b"bcast"), (client.tracking_optin, b"optin"),
                              (client.tracking_optout, b"optout"), (client.tracking_noloop, b"noloop")):
            if enabled:
                flags.append(name)
        if client.tracking_caching is True:
            flags.append(b"caching-yes")
        elif client.tracking_caching is False:
            flags.append(b"caching-no")
        if client.tracking_redirect and client.tracking_redirect not in client.server.clients:
            flags.append(b"broken_redirect")
    redirect = -1 if not client.tracking else client.tracking_redirect
    return {b"flags": set(flags) if client.resp == 3 else flags, b"redirect": redirect,
            b"prefixes": list(client.tracking_prefixes) if client.tracking_bcast else []}
