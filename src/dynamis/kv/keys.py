"""Keyspace commands (db.c, expire.c): DEL EXISTS EXPIRE SCAN SELECT ... on any value type."""

from __future__ import annotations

from dynamis.kv.args import SYNTAX
from dynamis.kv.client import Client
from dynamis.kv.commands import command
from dynamis.kv.protocol import OK


@command("del", -2, "write", keys=(1, -1, 1), categories="@keyspace", group="generic")
def del_command(client: Client, argv: list[bytes]) -> int:
    db = client.db
    removed = sum(1 for key in argv[1:] if db.delete(key))
    client.server.keyspace.dirty += removed
    return removed


def _flush_mode(argv: list[bytes]) -> None:
    if len(argv) > 2 or (len(argv) == 2 and argv[1].lower() not in (b"async", b"sync")):
        raise SYNTAX


@command("flushdb", -1, "write", categories="@keyspace @dangerous", group="server")
def flushdb_command(client: Client, argv: list[bytes]) -> str:
    _flush_mode(argv)
    keyspace = client.server.keyspace
    keyspace.dirty += len(client.db.data)
    client.db.flush()
    return OK


@command("flushall", -1, "write", categories="@keyspace @dangerous", group="server")
def flushall_command(client: Client, argv: list[bytes]) -> str:
    _flush_mode(argv)
    keyspace = client.server.keyspace
    keyspace.dirty += sum(len(db.data) for db in keyspace.dbs) + 1
    keyspace.flushall()
    return OK


@command("dbsize", 1, "readonly fast", categories="@keyspace", group="server")
def dbsize_command(client: Client, argv: list[bytes]) -> int:
    return len(client.db.data)
