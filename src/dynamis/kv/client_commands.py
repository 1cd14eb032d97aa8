"""Connection commands (networking.c): PING ECHO QUIT RESET AUTH HELLO SELECT and CLIENT."""

from __future__ import annotations

import hmac

from dynamis.kv.args import SYNTAX, parse_int64
from dynamis.kv.client import Client
from dynamis.kv.commands import command
from dynamis.kv.protocol import OK, ReplyError

WRONGPASS = ReplyError("WRONGPASS invalid username-password pair or user is disabled.")


@command("ping", -1, "fast", categories="@connection", group="connection")
def ping_command(client: Client, argv: list[bytes]) -> object:
    if len(argv) > 2:
        raise ReplyError("ERR wrong number of arguments for 'ping' command")
    if client.subscriptions and client.resp == 2:
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    return "PONG" if len(argv) == 1 else argv[1]


@command("echo", 2, "fast", categories="@connection", group="connection")
def echo_command(client: Client, argv: list[bytes]) -> bytes:
    return argv[1]


@command("quit", -1, "allow_busy no_auth fast", categories="@connection", group="connection")
def quit_command(client: Client, argv: list[bytes]) -> str:
    client.close_after_reply = True
    return OK


@command("reset", 1, "noscript loading stale no_auth allow_busy fast", categories="@connection",
         group="connection", since="6.2.0")
def reset_command(client: Client, argv: list[bytes]) -> str:
    client.server.reset_client(client)
    return "RESET"


def _check_password(client: Client, user: bytes, password: bytes) -> bool:
    """The default user is the only user until ACLs land: it has `requirepass` or no password."""
    required = client.server.config["requirepass"]
    if user != b"default":
        return False
    return not required or hmac.compare_digest(password, required.encode())


@command("auth", -2, "noscript loading stale fast no_auth allow_busy", categories="@connection",
         group="connection")
def auth_command(client: Client, argv: list[bytes]) -> str:
    if len(argv) > 3:
        raise SYNTAX
    if len(argv) == 2:
        if not client.server.config["requirepass"]:
            raise ReplyError("ERR AUTH <password> called without any password configured for the default user. "
                             "Are you sure your configuration is correct?")
        user, password = b"default", argv[1]
    else:
        user, password = argv[1], argv[2]
    if not _check_password(client, user, password):
        raise WRONGPASS
    client.authenticated = True
    client.user = user.decode()
    return OK


def valid_client_name(name: bytes) -> bool:
    return all(33 <= b <= 126 for b in name)


@command("hello", -1, "noscript loading stale fast no_auth allow_busy", categories="@connection",
         group="connection", since="6.0.0")
def hello_command(client: Client, argv: list[bytes]) -> dict[bytes, object]:
    version = client.resp
    if len(argv) >= 2:
        version = parse_int64(argv[1])
        if version is None:
            raise ReplyError("ERR Protocol version is not an integer or out of range")
        if version not in (2, 3):
            raise ReplyError("NOPROTO unsupported protocol version")
    i = 2
    auth: tuple[bytes, bytes] | None = None
    name: bytes | None = None
    while i < len(argv):
        option = argv[i].lower()
        remaining = len(argv) - i - 1
        if option == b"auth" and remaining >= 2:
            auth = (argv[i + 1], argv[i + 2])
            i += 3
        elif option == b"setname" and remaining >= 1:
            name = argv[i + 1]
            i += 2
        else:
            raise ReplyError(f"ERR Syntax error in HELLO option '{argv[i].decode('utf-8', 'replace')}'")
    if auth is not None:
        if not _check_password(client, *auth):
            raise WRONGPASS
        client.authenticated = True
        client.user = auth[0].decode()
    elif not client.authenticated:
        raise ReplyError("NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                         "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
                         "select the RESP protocol version at the same time")
    if name is not None:
        if not valid_client_name(name):
            raise ReplyError("ERR Client names cannot contain spaces, newlines or special characters.")
        client.name = name
    client.resp = version
    server = client.server
    return {b"server": b"redis", b"version": server.version.encode(), b"proto": version, b"id": client.id,
            b"mode": b"standalone", b"role": b"master", b"modules": []}


@command("select", 2, "loading stale fast", categories="@connection", group="connection")
def select_command(client: Client, argv: list[bytes]) -> str:
    index = parse_int64(argv[1])
    if index is None:
        raise ReplyError("ERR value is not an integer or out of range")
    if not 0 <= index < len(client.server.keyspace.dbs):
        raise ReplyError("ERR DB index is out of range")
    client.select(index)
    return OK
