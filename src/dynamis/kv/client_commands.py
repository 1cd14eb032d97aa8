"""Connection commands (networking.c): PING ECHO QUIT RESET AUTH HELLO SELECT and CLIENT; WAITAOF.

CLIENT TRACKING/CACHING/GETREDIR/TRACKINGINFO/UNBLOCK live with tracking and blocking.
"""

from __future__ import annotations

import time

from dynamis.kv.args import INT64_MAX, SYNTAX, int_arg, parse_int64
from dynamis.kv.blocking import NOT_READY, BlockedRequest, parse_timeout
from dynamis.kv.client import Client
from dynamis.kv.commands import COMMANDS, command, help_reply, subcommand_syntax_error
from dynamis.kv.protocol import OK, ReplyError, Verbatim

WRONGPASS = ReplyError("WRONGPASS invalid username-password pair or user is disabled.")


@command("ping", -1, "fast", tips="request_policy:all_shards response_policy:all_succeeded",
         categories="@connection", group="connection", since="1.0.0", summary="Ping the server",
         complexity="O(1)")
def ping_command(client: Client, argv: list[bytes]) -> object:
    if len(argv) > 2:
        raise ReplyError("ERR wrong number of arguments for 'ping' command")
    if client.subscriptions and client.resp == 2:
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    return "PONG" if len(argv) == 1 else argv[1]


@command("echo", 2, "loading stale fast", categories="@connection", group="connection", since="1.0.0",
         summary="Echo the given string", complexity="O(1)")
def echo_command(client: Client, argv: list[bytes]) -> bytes:
    return argv[1]


@command("quit", -1, "noscript loading stale fast no_auth allow_busy", categories="@connection",
         group="connection", since="1.0.0", summary="Close the connection", complexity="O(1)")
def quit_command(client: Client, argv: list[bytes]) -> str:
    client.close_after_reply = True
    return OK


@command("reset", 1, "noscript loading stale no_auth allow_busy fast", categories="@connection",
         group="connection", since="6.2.0", summary="Reset the connection", complexity="O(1)")
def reset_command(client: Client, argv: list[bytes]) -> str:
    client.server.reset_client(client)
    return "RESET"


@command("auth", -2, "noscript loading stale fast no_auth allow_busy", categories="@connection",
         group="connection", since="1.0.0", summary="Authenticate to the server",
         complexity="O(N) where N is the number of passwords defined for the user")
def auth_command(client: Client, argv: list[bytes]) -> str:
    if len(argv) > 3:
        raise SYNTAX
    if len(argv) == 2:
        if client.server.acl.default.nopass:
            raise ReplyError("ERR AUTH <password> called without any password configured for the default user. "
                             "Are you sure your configuration is correct?")
        user, password = b"default", argv[1]
    else:
        user, password = argv[1], argv[2]
    if not client.server.acl.authenticate(client, user, password, argv[0]):
        raise WRONGPASS
    return OK


def valid_client_name(name: bytes) -> bool:
    return all(33 <= b <= 126 for b in name)


@command("hello", -1, "noscript loading stale fast no_auth allow_busy", categories="@connection",
         group="connection", since="6.0.0", summary="Handshake with Redis", complexity="O(1)")
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
        if not client.server.acl.authenticate(client, *auth, argv[0]):
            raise WRONGPASS
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


@command("select", 2, "loading stale fast", categories="@connection", group="connection", since="1.0.0",
         summary="Change the selected database for the current connection", complexity="O(1)")
def select_command(client: Client, argv: list[bytes]) -> str:
    index = parse_int64(argv[1])
    if index is None:
        raise ReplyError("ERR value is not an integer or out of range")
    if not 0 <= index < len(client.server.keyspace.dbs):
        raise ReplyError("ERR DB index is out of range")
    client.select(index)
    return OK


# -- CLIENT -----------------------------------------------------------------------------------

_CLIENT_TYPES = {b"normal": "normal", b"slave": "replica", b"replica": "replica", b"pubsub": "pubsub",
                 b"master": "master"}


def client_type(client: Client) -> str:
    """Redis's getClientType: MONITOR clients count as normal; a subscribed client is pubsub."""
    return "pubsub" if client.subscriptions else "normal"


def _type_arg(arg: bytes) -> str:
    kind = _CLIENT_TYPES.get(arg.lower())
    if kind is None:
        raise ReplyError(f"ERR Unknown client type '{arg.decode('utf-8', 'replace')}'")
    return kind


_CLIENT_HELP = [  # Redis 7.4's text, word for word (the tracking and unblock subcommands live elsewhere)
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "    * ID <client-id>",
    "      Kill connections by client id.",
    "    * MAXAGE <maxage>",
    "      Kill connections older than the specified age.",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "SETINFO <option> <value>",
    "    Set client meta attr. Options are:",
    "    * LIB-NAME: the client lib name.",
    "    * LIB-VER: the client lib version.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "NO-TOUCH (ON|OFF)",
    "    Will not touch LRU/LFU stats when this mode is on.",
]


@command("help", 2, "loading stale", parent="client", categories="@connection", group="connection",
         since="5.0.0", summary="Show helpful text about the different subcommands", complexity="O(1)")
def client_help_command(client: Client, argv: list[bytes]) -> list[str]:
    return help_reply("CLIENT", _CLIENT_HELP)


@command("id", 2, "noscript loading stale", parent="client", categories="@connection", group="connection",
         since="5.0.0", summary="Returns the client ID for the current connection", complexity="O(1)")
def client_id_command(client: Client, argv: list[bytes]) -> int:
    return client.id


@command("setname", 3, "noscript loading stale", parent="client", categories="@connection",
         group="connection", since="2.6.9", summary="Set the current connection name", complexity="O(1)")
def client_setname_command(client: Client, argv: list[bytes]) -> str:
    if not valid_client_name(argv[2]):
        raise ReplyError("ERR Client names cannot contain spaces, newlines or special characters.")
    client.name = argv[2]
    return OK


@command("getname", 2, "noscript loading stale", parent="client", categories="@connection",
         group="connection", since="2.6.9", summary="Get the current connection name", complexity="O(1)")
def client_getname_command(client: Client, argv: list[bytes]) -> bytes | None:
    return client.name or None


@command("setinfo", 4, "noscript loading stale", parent="client", categories="@connection",
         group="connection", since="7.2.0", summary="Set client or connection specific info",
         complexity="O(1)")
def client_setinfo_command(client: Client, argv: list[bytes]) -> str:
    option = argv[2].lower()
    if option not in (b"lib-name", b"lib-ver"):
        raise ReplyError(f"ERR Unrecognized option '{argv[2].decode('utf-8', 'replace')}'")
    if not valid_client_name(argv[3]):
        raise ReplyError(f"ERR {argv[2].decode('utf-8', 'replace')} cannot contain spaces, newlines or special "
                         "characters.")
    if option == b"lib-name":
        client.lib_name = argv[3].decode()
    else:
        client.lib_ver = argv[3].decode()
    return OK


def _client_lines(clients: list[Client]) -> Verbatim:
    return Verbatim("".join(c.info_line() + "\n" for c in clients))


@command("info", 2, "noscript loading stale", parent="client", tips="nondeterministic_output",
         categories="@connection", group="connection", since="6.2.0",
         summary="Returns information about the current client connection.", complexity="O(1)")
def client_info_command(client: Client, argv: list[bytes]) -> Verbatim:
    return _client_lines([client])


@command("list", -2, "admin noscript loading stale", parent="client", tips="nondeterministic_output",
         categories="@connection", group="connection", since="2.4.0",
         summary="Get the list of client connections",
         complexity="O(N) where N is the number of client connections")
def client_list_command(client: Client, argv: list[bytes]) -> Verbatim:
    clients = client.server.clients
    if len(argv) == 4 and argv[2].lower() == b"type":
        kind = _type_arg(argv[3])
        return _client_lines([c for c in clients.values() if client_type(c) == kind])
    if len(argv) > 3 and argv[2].lower() == b"id":
        ids = [int_arg(arg, ReplyError("ERR Invalid client ID")) for arg in argv[3:]]
        return _client_lines([clients[i] for i in ids if i in clients])
    if len(argv) != 2:
        raise SYNTAX
    return _client_lines(list(clients.values()))


@command("kill", -3, "admin noscript loading stale", parent="client", categories="@connection",
         group="connection", since="2.4.0", summary="Kill the connection of a client",
         complexity="O(N) where N is the number of client connections")
def client_kill_command(client: Client, argv: list[bytes]) -> object:
    addr = laddr = user = kind = None
    client_id = max_age = 0
    skipme = True
    if len(argv) == 3:  # the old form: CLIENT KILL addr, which may kill the caller itself
        addr = argv[2].decode("utf-8", "replace")
        skipme = False
    else:
        for i in range(2, len(argv), 2):
            option = argv[i].lower()
            if i + 1 >= len(argv):
                raise SYNTAX
            value = argv[i + 1]
            if option == b"id":
                client_id = parse_int64(value) or 0
                if client_id <= 0:
                    raise ReplyError("ERR client-id should be greater than 0")
            elif option == b"type":
                kind = _type_arg(value)
            elif option == b"addr":
                addr = value.decode("utf-8", "replace")
            elif option == b"laddr":
                laddr = value.decode("utf-8", "replace")
            elif option == b"user":
                user = client.server.acl.users.get(value.decode("utf-8", "surrogateescape"))
                if user is None:
                    raise ReplyError(f"ERR No such user '{value.decode('utf-8', 'replace')}'")
            elif option == b"skipme":
                if value.lower() not in (b"yes", b"no"):
                    raise SYNTAX
                skipme = value.lower() == b"yes"
            elif option == b"maxage":
                max_age = int_arg(value, ReplyError("ERR maxage is not an integer or out of range"))
                if max_age <= 0:
                    raise ReplyError("ERR maxage should be greater than 0")
            else:
                raise SYNTAX
    now = time.time()
    killed = 0
    for other in list(client.server.clients.values()):
        if ((addr is not None and other.addr != addr) or (laddr is not None and other.laddr != laddr)
                or (kind is not None and client_type(other) != kind) or (user is not None and other.user is not user)
                or (client_id and other.id != client_id) or (max_age and int(now - other.created) < max_age)
                or (skipme and other is client)):
            continue
        killed += 1
        other.killed = True
        if other is client:
            client.close_after_reply = True
        else:
            other.close()
    if len(argv) == 3:
        if not killed:
            raise ReplyError("ERR No such client")
        return OK
    return killed


@command("pause", -3, "admin noscript loading stale", parent="client", categories="@connection",
         group="connection", since="2.9.50", summary="Stop processing commands from clients for some time",
         complexity="O(1)")
def client_pause_command(client: Client, argv: list[bytes]) -> str:
    timeout = parse_int64(argv[2])
    if timeout is None:
        raise ReplyError("ERR timeout is not an integer or out of range")
    if timeout < 0:
        raise ReplyError("ERR timeout is negative")
    writes_only = False
    if len(argv) == 4:
        mode = argv[3].lower()
        if mode not in (b"write", b"all"):
            raise ReplyError("ERR CLIENT PAUSE mode must be WRITE or ALL")
        writes_only = mode == b"write"
    elif len(argv) > 4:
        raise subcommand_syntax_error(argv)
    now_ms = int(time.time() * 1000)
    if timeout <= INT64_MAX - now_ms:  # Redis 7.0 overflows a larger one into the past: no pause
        client.server.pause_clients((now_ms + timeout) / 1000, writes_only)
    return OK


@command("unpause", 2, "admin noscript loading stale", parent="client", categories="@connection",
         group="connection", since="6.2.0", summary="Resume processing of clients that were paused",
         complexity="O(N) Where N is the number of paused clients")
def client_unpause_command(client: Client, argv: list[bytes]) -> str:
    client.server.unpause_clients()
    return OK


@command("reply", 3, "noscript loading stale", parent="client", categories="@connection", group="connection",
         since="3.2.0", summary="Instruct the server whether to reply to commands", complexity="O(1)")
def client_reply_command(client: Client, argv: list[bytes]) -> object:
    mode = argv[2].lower()
    if mode == b"on":
        client.reply_mode = "on"
        return OK
    if mode == b"off":
        client.reply_mode = "off"
    elif mode == b"skip":
        if client.reply_mode != "off":
            client.reply_mode = "skip-next"  # this reply and the next command's are dropped
    else:
        raise SYNTAX
    return None


def _on_off(arg: bytes) -> bool:
    mode = arg.lower()
    if mode not in (b"on", b"off"):
        raise SYNTAX
    return mode == b"on"


@command("no-evict", 3, "admin noscript loading stale", parent="client", categories="@connection",
         group="connection", since="7.0.0", summary="Set client eviction mode for the current connection",
         complexity="O(1)")
def client_no_evict_command(client: Client, argv: list[bytes]) -> str:
    client.no_evict = _on_off(argv[2])
    return OK


@command("no-touch", 3, "noscript loading stale", parent="client", categories="@connection",
         group="connection", since="7.2.0",
         summary="Controls whether commands sent by the client affect the LRU/LFU of accessed keys.",
         complexity="O(1)")
def client_no_touch_command(client: Client, argv: list[bytes]) -> str:
    client.no_touch = _on_off(argv[2])
    return OK


# -- WAITAOF ------------------------------------------------------------------------------------

def _range_long(arg: bytes, low: int, high: int) -> int:
    """Redis's getRangeLongFromObjectOrReply without a message of its own."""
    value = int_arg(arg)
    if not low <= value <= high:
        raise ReplyError(f"ERR value is out of range, value must between {low} and {high}")
    return value


_NOT_POSITIVE = ReplyError("ERR value is out of range, must be positive")


@command("waitaof", 4, "blocking", categories="@connection", group="generic", since="7.2.0",
         tips="request_policy:all_shards response_policy:agg_min",
         summary="Blocks until all of the preceding write commands sent by the connection are written to the "
                 "append-only file of the master and/or replicas.",
         complexity="O(1)")
def waitaof_command(client: Client, argv: list[bytes]) -> object:
    numlocal = _range_long(argv[1], 0, 1)
    numreplicas = int_arg(argv[2], _NOT_POSITIVE)
    if numreplicas < 0:
        raise _NOT_POSITIVE
    timeout = parse_timeout(argv[3], unit_ms=True)
    if numlocal and not client.server.config["appendonly"]:
        raise ReplyError("ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.")
    # dynamis writes no AOF and has no replicas yet: nothing is ever acknowledged, so any wait lasts the timeout
    acks = [0, 0]
    if numlocal or numreplicas:
        return BlockedRequest([], timeout, lambda key: NOT_READY, acks)
    return acks


_container = COMMANDS[b"client"]
_container.since, _container.summary = "2.4.0", "A container for client connection commands"
_container.complexity, _container.group = "Depends on subcommand.", "connection"
