"""COMMAND and its subcommands: the command table (kv/commands.py) as clients see it.

COMMAND INFO gives Redis 7's ten fields per command, its key specs from each command's declared
`KeySpec`s (first/last/step and `movablekeys` are derived from them, as Redis does); COMMAND GETKEYS and
GETKEYSANDFLAGS find keys with those specs, or the command's getkeys proc where Redis needs one.
"""

from __future__ import annotations

from dynamis.kv.args import SYNTAX
from dynamis.kv.client import Client
from dynamis.kv.commands import (
    COMMANDS,
    Command,
    Index,
    Keynum,
    KeySpec,
    Keyword,
    Range,
    Unknown,
    command,
    help_reply,
    lookup,
    unique_commands,
)
from dynamis.kv.glob import glob_match
from dynamis.kv.protocol import ReplyError, SetReply

# Redis's order when it lists a command's flags
_FLAG_ORDER = ("write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking", "loading",
               "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth", "no_mandatory_keys",
               "no_async_loading", "no_multi", "movablekeys", "allow_busy")
_HIDDEN_FLAGS = frozenset({"may_replicate"})  # used by dispatch (CLIENT PAUSE WRITE); Redis 7.0 does not list it


def _flags(cmd: Command) -> set[str]:
    flags = set(cmd.flags)
    if cmd.movablekeys:
        flags.add("movablekeys")
    return flags


def _ordered_flags(cmd: Command) -> list[str]:
    flags = _flags(cmd)
    return [f for f in _FLAG_ORDER if f in flags] + sorted(flags.difference(_FLAG_ORDER, _HIDDEN_FLAGS))


def _search(part: Index | Keyword | Range | Keynum | Unknown) -> dict[bytes, object]:
    if isinstance(part, Index):
        return {b"type": b"index", b"spec": {b"index": part.pos}}
    if isinstance(part, Keyword):
        return {b"type": b"keyword", b"spec": {b"keyword": part.keyword.encode(), b"startfrom": part.startfrom}}
    if isinstance(part, Range):
        return {b"type": b"range", b"spec": {b"lastkey": part.lastkey, b"keystep": part.step, b"limit": part.limit}}
    if isinstance(part, Keynum):
        return {b"type": b"keynum",
                b"spec": {b"keynumidx": part.keynumidx, b"firstkey": part.firstkey, b"keystep": part.step}}
    return {b"type": b"unknown", b"spec": {}}


def _key_spec_reply(spec: KeySpec) -> dict[bytes, object]:
    reply: dict[bytes, object] = {b"notes": spec.notes.encode()} if spec.notes else {}
    reply[b"flags"] = SetReply(spec.flags.split())
    reply[b"begin_search"] = _search(spec.begin)
    reply[b"find_keys"] = _search(spec.find)
    return reply


def _info(cmd: Command) -> list[object]:
    shape = cmd.bare or cmd  # COMMAND's own form gives the container its arity and flags
    return [
        cmd.full_name.encode(),
        shape.arity,
        SetReply(_ordered_flags(shape)),
        shape.first_key,
        shape.last_key,
        shape.key_step,
        SetReply(shape.acl_categories()),
        SetReply(t.encode() for t in shape.tips),
        SetReply(_key_spec_reply(spec) for spec in shape.key_specs),
        # Redis sends an empty set, but a non-empty array, of subcommands
        [_info(sub) for sub in subs] if (subs := _subcommands(cmd)) else SetReply(),
    ]


def _subcommands(cmd: Command) -> list[Command]:
    return list({id(s): s for s in cmd.subcommands.values()}.values())


def _find(name: bytes) -> Command | None:
    """A command by name, or a subcommand as `container|sub`."""
    if b"|" in name:
        parent, _, sub = name.partition(b"|")
        container = COMMANDS.get(parent.lower())
        return container.subcommands.get(sub.lower()) if container is not None else None
    return COMMANDS.get(name.lower())


def _listed(cmd: Command) -> list[Command]:
    """The command and its subcommands, as COMMAND LIST names them."""
    return [cmd, *_subcommands(cmd)]


@command("command", -1, "loading stale", tips="nondeterministic_output_order", categories="@connection",
         group="server", since="2.8.13", summary="Get array of Redis command details",
         complexity="O(N) where N is the total number of Redis commands")
def command_command(client: Client, argv: list[bytes]) -> list[object]:
    return [_info(cmd) for cmd in unique_commands()]


@command("count", 2, "loading stale", parent="command", categories="@connection", group="server",
         since="2.8.13", summary="Get total number of Redis commands", complexity="O(1)")
def command_count_command(client: Client, argv: list[bytes]) -> int:
    return len(unique_commands())


@command("info", -2, "loading stale", parent="command", tips="nondeterministic_output_order",
         categories="@connection", group="server", since="2.8.13",
         summary="Get array of specific Redis command details, or all when no argument is given.",
         complexity="O(N) where N is the number of commands to look up")
def command_info_command(client: Client, argv: list[bytes]) -> list[object]:
    if len(argv) == 2:
        return command_command(client, argv)
    out: list[object] = []
    for name in argv[2:]:
        cmd = _find(name)
        out.append(_info(cmd) if cmd is not None else None)
    return out


def _docs(cmd: Command) -> dict[bytes, object]:
    doc: dict[bytes, object] = {
        b"summary": cmd.summary.encode(),
        b"since": cmd.since.encode(),
        b"group": cmd.group.replace("_", "-").encode(),  # Redis names the group sorted-set in replies
    }
    if cmd.complexity:
        doc[b"complexity"] = cmd.complexity.encode()
    subs = _subcommands(cmd)
    if subs:
        doc[b"subcommands"] = {sub.full_name.encode(): _docs(sub) for sub in subs}
    return doc


@command("docs", -2, "loading stale", parent="command", tips="nondeterministic_output_order",
         categories="@connection", group="server", since="7.0.0",
         summary="Get array of specific Redis command documentation",
         complexity="O(N) where N is the number of commands to look up")
def command_docs_command(client: Client, argv: list[bytes]) -> dict[bytes, object]:
    if len(argv) == 2:
        return {cmd.name.encode(): _docs(cmd) for cmd in unique_commands()}
    out: dict[bytes, object] = {}
    for name in argv[2:]:
        cmd = _find(name)
        if cmd is not None:
            out[cmd.full_name.encode()] = _docs(cmd)
    return out


@command("list", -2, "loading stale", parent="command", tips="nondeterministic_output_order",
         categories="@connection", group="server", since="7.0.0",
         summary="Get an array of Redis command names",
         complexity="O(N) where N is the total number of Redis commands")
def command_list_command(client: Client, argv: list[bytes]) -> list[bytes]:
    commands = [c for cmd in unique_commands() for c in _listed(cmd)]
    if len(argv) == 2:
        return [c.full_name.encode() for c in commands]
    if len(argv) != 5 or argv[2].lower() != b"filterby":
        raise SYNTAX
    kind, value = argv[3].lower(), argv[4]
    if kind == b"module":
        return []  # no modules are loaded
    if kind == b"aclcat":
        category = "@" + value.decode("utf-8", "replace").lower()
        return [c.full_name.encode() for c in commands if category in c.acl_categories()]
    if kind == b"pattern":
        return [c.full_name.encode() for c in commands if glob_match(value, c.full_name.encode(), nocase=True)]
    raise SYNTAX


def _keys_of(argv: list[bytes]) -> list[tuple[int, str]]:
    """COMMAND GETKEYS's checks, in Redis's order (getKeysSubcommandImpl), then the keys and their flags."""
    target = argv[2:]
    cmd = lookup(target)
    if cmd is None or cmd.handler is None:
        raise ReplyError("ERR Invalid command specified")
    if not cmd.has_keys:
        raise ReplyError("ERR The command has no key arguments")
    if (cmd.arity > 0 and len(target) != cmd.arity) or len(target) < -cmd.arity:
        raise ReplyError("ERR Invalid number of arguments specified for command")
    keys = cmd.keys_and_flags(target)
    if not keys and "no_mandatory_keys" not in cmd.flags:
        raise ReplyError("ERR Invalid arguments specified for command")
    return keys


@command("getkeys", -4, "loading stale", parent="command", categories="@connection", group="server",
         since="2.8.13", summary="Extract keys given a full Redis command",
         complexity="O(N) where N is the number of arguments to the command")
def command_getkeys_command(client: Client, argv: list[bytes]) -> list[bytes]:
    return [argv[2 + pos] for pos, _ in _keys_of(argv)]


@command("getkeysandflags", -4, "loading stale", parent="command", categories="@connection", group="server",
         since="7.0.0", summary="Extract keys and access flags given a full Redis command",
         complexity="O(N) where N is the number of arguments to the command")
def command_getkeysandflags_command(client: Client, argv: list[bytes]) -> list[object]:
    return [[argv[2 + pos], SetReply(flags.split())] for pos, flags in _keys_of(argv)]


_COMMAND_HELP = [
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
]


@command("help", 2, "loading stale", parent="command", categories="@connection", group="server",
         since="5.0.0", summary="Show helpful text about the different subcommands", complexity="O(1)")
def command_help_command(client: Client, argv: list[bytes]) -> list[str]:
    return help_reply("COMMAND", _COMMAND_HELP)
