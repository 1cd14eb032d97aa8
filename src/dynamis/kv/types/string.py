"""Strings (t_string.c): SET and GET and every other string command."""

from __future__ import annotations

from dynamis.kv.client import Client
from dynamis.kv.commands import command
from dynamis.kv.keyspace import WRONGTYPE
from dynamis.kv.protocol import OK

STRING_TYPES = (bytes, bytearray)


@command("get", 2, "readonly fast", keys=(1, 1, 1), categories="@string", group="string")
def get_command(client: Client, argv: list[bytes]) -> bytes | None:
    value = client.db.lookup(argv[1])
    if value is None:
        return None
    t = type(value)
    if t is bytes:
        return value
    if t is bytearray:
        return bytes(value)
    raise WRONGTYPE


@command("set", -3, "write denyoom", keys=(1, 1, 1), categories="@string", group="string")
def set_command(client: Client, argv: list[bytes]) -> object:
    if len(argv) == 3:
        client.db.set(argv[1], argv[2])
        client.server.keyspace.dirty += 1
        return OK
    raise NotImplementedError
