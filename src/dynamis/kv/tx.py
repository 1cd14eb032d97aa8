"""Transactions (multi.c): MULTI EXEC DISCARD WATCH UNWATCH.

Dispatch queues a client's commands while `client.multi` is a list; EXEC runs them back to back
through `RedisServer.call`, so nothing else interleaves. WATCH is optimistic locking: every change
of a key reaches `Keyspace.key_modified`, which marks the watching clients dirty.
"""

from __future__ import annotations

from dynamis.kv.client import Client
from dynamis.kv.commands import command
from dynamis.kv.keyspace import now_ms
from dynamis.kv.protocol import NULL_ARRAY, OK, ReplyError


@command("multi", 1, "noscript loading stale fast allow_busy", categories="@transaction", group="transactions",
         since="1.2.0",
         summary="Mark the start of a transaction block",
         complexity="O(1)")
def multi_command(client: Client, argv: list[bytes]) -> str:
    if client.multi is not None:
        raise ReplyError("ERR MULTI calls can not be nested")
    client.multi = []
    client.multi_error = False
    return OK


def _end_transaction(client: Client) -> None:
    client.multi = None
    client.multi_error = False
    client.server.unwatch(client)


@command("discard", 1, "noscript loading stale fast allow_busy", categories="@transaction",
         group="transactions", since="2.0.0",
         summary="Discard all commands issued after MULTI",
         complexity="O(N), when N is the number of queued commands")
def discard_command(client: Client, argv: list[bytes]) -> str:
    if client.multi is None:
        raise ReplyError("ERR DISCARD without MULTI")
    _end_transaction(client)
    return OK


def _watched_key_expired(client: Client) -> bool:
    """A watched key whose time ran out since WATCH counts as changed (Redis's isWatchedKeyExpired)."""
    now = now_ms()
    dbs = client.server.keyspace.dbs
    for (db_id, key), expired_at_watch in client.watched.items():
        when = dbs[db_id].expires.get(key)
        if not expired_at_watch and when is not None and when <= now:
            return True
    return False


@command("exec", 1, "noscript loading stale skip_slowlog", categories="@transaction", group="transactions",
         since="1.2.0",
         summary="Execute all commands issued after MULTI",
         complexity="Depends on commands in the transaction")
def exec_command(client: Client, argv: list[bytes]) -> object:
    if client.multi is None:
        raise ReplyError("ERR EXEC without MULTI")
    queued = client.multi
    if client.multi_error:
        _end_transaction(client)
        raise ReplyError("EXECABORT Transaction discarded because of previous errors.")
    if client.watch_dirty or (client.watched and _watched_key_expired(client)):
        _end_transaction(client)
        return NULL_ARRAY
    _end_transaction(client)
    server = client.server
    replies = []
    client.deny_blocking = True
    try:
        for cmd, args in queued:
            denied = server.acl.denied_at_exec(client, cmd, args) if client.user.restricted else None
            if denied is None:
                replies.append(server.call(client, cmd, args))
            else:
                error = ReplyError("NOPERM " + denied)
                server.count_error(error)
                replies.append(error)
    finally:
        client.deny_blocking = False
    return replies


@command("watch", -2, "noscript loading stale fast allow_busy", keys=(1, -1, 1), categories="@transaction",
         group="transactions", since="2.2.0",
         summary="Watch the given keys to determine execution of the MULTI/EXEC block",
         complexity="O(1) for every key.")
def watch_command(client: Client, argv: list[bytes]) -> str:
    if client.multi is not None:
        raise ReplyError("ERR WATCH inside MULTI is not allowed")
    db = client.db
    watching = client.server.keyspace.watching
    now = now_ms()
    for key in argv[1:]:
        entry = (db.id, key)
        if entry in client.watched:
            continue
        when = db.expires.get(key)
        client.watched[entry] = when is not None and when <= now
        watching.setdefault(entry, set()).add(client)
    return OK


@command("unwatch", 1, "noscript loading stale fast allow_busy", categories="@transaction",
         group="transactions", since="2.2.0",
         summary="Forget about all watched keys",
         complexity="O(1)")
def unwatch_command(client: Client, argv: list[bytes]) -> str:
    client.server.unwatch(client)
    return OK
