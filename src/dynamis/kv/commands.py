"""The command table: every command declared once, next to its implementation.

Dispatch, `COMMAND INFO/DOCS/GETKEYS`, MULTI queuing, ACL categories and (later) the AOF and
cluster routing all read this table. A type module declares its commands with `@command(...)`;
`load_all()` imports every module so that the table is complete.

Keys are declared as Redis 7 declares them: a list of key specs (`KeySpec`: where the search begins,
`Index` or `Keyword`; how keys are found from there, `Range` or `Keynum`; the key flags; notes).
COMMAND INFO's first/last/step and `movablekeys`, COMMAND GETKEYS and `Command.key_positions` all derive
from them; `keys=(first, last, step)` with `key_flags=` is the shorthand for a single range.
"""

from __future__ import annotations

import importlib
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dynamis.kv.args import parse_int64
from dynamis.kv.protocol import ReplyError

if TYPE_CHECKING:
    from dynamis.kv.client import Client

Handler = Callable[["Client", list[bytes]], Any]
# A getkeys procedure (Redis's getkeys_proc): (position, key spec flags) of each key in argv.
GetKeys = Callable[[list[bytes]], list[tuple[int, str]]]

# Modules that declare commands; each is one type or one family, as Redis keeps t_zset.c.
COMMAND_MODULES = (
    "dynamis.kv.types.string",
    "dynamis.kv.keys",
    "dynamis.kv.server_commands",
    "dynamis.kv.client_commands",
    "dynamis.kv.introspection",
    "dynamis.kv.lolwut",
    "dynamis.kv.blocking",
    "dynamis.kv.types.hash",
    "dynamis.kv.types.list",
    "dynamis.kv.types.set",
    "dynamis.kv.types.zset",
    "dynamis.kv.types.geo",
    "dynamis.kv.types.stream",
    "dynamis.kv.types.bitmap",
    "dynamis.kv.types.hll",
    "dynamis.kv.scripting",
    "dynamis.kv.sort",
    "dynamis.kv.tx",
    "dynamis.kv.pubsub",
    "dynamis.kv.tracking",
    "dynamis.kv.cluster",
    "dynamis.kv.acl",
)

# Flags that change how dispatch treats a command (the rest are informational, as in Redis).
WRITE = "write"
READONLY = "readonly"
DENYOOM = "denyoom"
ADMIN = "admin"
PUBSUB = "pubsub"
NOSCRIPT = "noscript"
BLOCKING = "blocking"
LOADING = "loading"
STALE = "stale"
FAST = "fast"
NO_AUTH = "no_auth"
NO_MULTI = "no_multi"
ALLOW_BUSY = "allow_busy"


@dataclass(frozen=True, slots=True)
class Index:
    """begin_search by position: the search starts at argv[pos]."""

    pos: int


@dataclass(frozen=True, slots=True)
class Keyword:
    """begin_search by keyword: the keys follow `keyword`, looked for from argv[startfrom] (from the end if < 0)."""

    keyword: str
    startfrom: int


@dataclass(frozen=True, slots=True)
class Range:
    """find_keys as a range: keys up to `lastkey` (relative; negative counts from the end), every `step`.

    `limit` > 1 with lastkey -1: only the first 1/limit of the remaining arguments (XREAD's STREAMS).
    """

    lastkey: int = 0
    step: int = 1
    limit: int = 0


@dataclass(frozen=True, slots=True)
class Keynum:
    """find_keys by a count: argv[begin + keynumidx] says how many keys follow, from begin + firstkey."""

    keynumidx: int = 0
    firstkey: int = 1
    step: int = 1


@dataclass(frozen=True, slots=True)
class Unknown:
    """A begin_search or find_keys Redis cannot describe (SORT's BY/GET): GETKEYS needs the getkeys proc."""


UNKNOWN = Unknown()


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One of a command's key specs, as COMMAND INFO reports it (Redis 7's `key_specs`).

    `flags` are Redis's key spec flags in Redis's order: RW/RO/OW/RM, access update insert delete,
    not_key incomplete variable_flags.
    """

    flags: str
    begin: Index | Keyword | Unknown
    find: Range | Keynum | Unknown = Range()
    notes: str = ""

    def positions(self, argv: list[bytes]) -> list[int] | None:
        """The key positions in argv (Redis's getKeysUsingKeySpecs for one spec); None if the spec cannot tell."""
        argc = len(argv)
        begin = self.begin
        if isinstance(begin, Index):
            first = begin.pos
        elif isinstance(begin, Keyword):
            first = _keyword_position(argv, begin)
            if not first:
                return []
        else:
            return None
        find = self.find
        if isinstance(find, Range):
            step = find.step
            if find.lastkey >= 0:
                last = first + find.lastkey
            elif find.limit:
                last = first + ((argc - first) // find.limit + find.lastkey)
            else:
                last = argc + find.lastkey
        elif isinstance(find, Keynum):
            step = find.step
            if find.keynumidx >= argc - first:
                return None
            numkeys = parse_int64(argv[first + find.keynumidx])
            if numkeys is None or numkeys < 0:
                return None
            first += find.firstkey
            last = first + numkeys - 1
        else:
            return None
        if last >= argc or last < first or first >= argc:
            return None
        return list(range(first, last + 1, step))


def _keyword_position(argv: list[bytes], begin: Keyword) -> int:
    """The argument after the keyword (0 when absent), searched forwards or, from a negative start, backwards."""
    argc = len(argv)
    keyword = begin.keyword.lower().encode()
    start = begin.startfrom if begin.startfrom > 0 else argc + begin.startfrom
    # as Redis's loop (`i != end_index`), a forward search never looks at the last argument
    indexes = range(start, argc - 1) if begin.startfrom > 0 else range(start, 0, -1)
    for i in indexes:
        if i < 1 or i >= argc:
            break
        if argv[i].lower() == keyword:
            return i + 1
    return 0


def _legacy_range(specs: tuple[KeySpec, ...]) -> tuple[int, int, int, bool]:
    """(first, last, step, movablekeys) for COMMAND INFO, as Redis's populateCommandLegacyRangeSpec."""
    ranges = [(s.begin, s.find) for s in specs if isinstance(s.begin, Index) and isinstance(s.find, Range)]
    movable = len(ranges) < len(specs) or any("incomplete" in s.flags.split() for s in specs)
    if len(specs) == 1 and ranges:  # one range spec: taken as it is
        begin, find = ranges[0]
        return begin.pos, _absolute_last(begin, find), find.step, movable
    first, last = 0, 0
    for begin, find in ranges:
        if find.step != 1 or (last and last != begin.pos - 1):  # not consecutive to the previous range
            movable = True
            continue
        first = min(first, begin.pos) if first else begin.pos
        # C's unsigned comparison: a last key counted from the end (negative) wins
        last = max(last, _absolute_last(begin, find), key=lambda v: v % (1 << 32))
    if not first:
        return 0, 0, 0, bool(specs)
    return first, last, 1, movable


def _absolute_last(begin: Index, find: Range) -> int:
    return begin.pos + find.lastkey if find.lastkey >= 0 else find.lastkey


_ATOI = re.compile(rb"[ \t\n\v\f\r]*([+-]?[0-9]+)")


def numkeys_getkeys(count_at: int, first_at: int, store_at: int = 0) -> GetKeys:
    """Redis's genericGetKeys, the getkeys proc of numkeys commands (ZUNION, LMPOP, EVAL ...).

    Used only when their key specs cannot tell: it reads the count with atoi (so "01" or " 1" still name
    keys), puts the destination last, and gives no key flags.
    """
    def getkeys(argv: list[bytes]) -> list[tuple[int, str]]:
        match = _ATOI.match(argv[count_at])
        num = int(match.group(1)) if match else 0
        if num < 1 or num > len(argv) - first_at:
            return []
        keys = [(first_at + i, "") for i in range(num)]
        if store_at:
            keys.append((store_at, ""))
        return keys
    return getkeys


def _default_key_flags(flags: frozenset[str]) -> str:
    if WRITE in flags:
        return "RW update"
    return "RO access" if READONLY in flags else "RO"


_FLAG_CATEGORIES = {WRITE: "@write", READONLY: "@read", ADMIN: "@admin", PUBSUB: "@pubsub", FAST: "@fast",
                    BLOCKING: "@blocking"}


@dataclass(eq=False)
class Command:
    """One entry of the command table (a container command's subcommands hang off it)."""

    name: str
    handler: Handler | None
    arity: int
    flags: frozenset[str]
    first_key: int = 0
    last_key: int = 0
    key_step: int = 0
    categories: tuple[str, ...] = ()
    group: str = "generic"
    since: str = "1.0.0"
    summary: str = ""
    complexity: str = ""
    key_spec: GetKeys | None = None  # getkeys proc, where the key specs cannot tell (SORT) or flags vary (SET)
    key_specs: tuple[KeySpec, ...] = ()  # derived from first/last/step and key_flags when not declared
    subcommands: dict[bytes, Command] = field(default_factory=dict)
    parent: Command | None = None
    bare: Command | None = None  # a container's form without a subcommand (COMMAND alone)
    tips: tuple[str, ...] = ()  # COMMAND INFO's tips (nondeterministic_output, request_policy:...)
    key_flags: tuple[str, ...] = ()  # COMMAND INFO key spec flags (RW access update...); derived when empty
    # statistics for INFO commandstats
    calls: int = 0
    usec: int = 0
    rejected_calls: int = 0
    failed_calls: int = 0
    # LATENCY HISTOGRAM / INFO latencystats: how many calls took each whole number of microseconds
    latency_us: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))

    def __post_init__(self) -> None:
        self.is_write = WRITE in self.flags
        self.readonly = READONLY in self.flags
        self.full_name = self.name  # "parent|name" once registered as a subcommand
        self.fast = FAST in self.flags
        self.skip_monitor = ADMIN in self.flags or "skip_monitor" in self.flags
        self.may_replicate = self.is_write or "may_replicate" in self.flags
        self.no_multi = NO_MULTI in self.flags
        self.no_auth = NO_AUTH in self.flags
        self.pubsub_ok = self.name in _RESP2_SUBSCRIBED_ALLOWED
        if not self.key_specs and self.first_key > 0:
            last = self.last_key - self.first_key if self.last_key >= 0 else self.last_key
            self.key_specs = (KeySpec(" ".join(self.key_flags) or _default_key_flags(self.flags),
                                      Index(self.first_key), Range(last, self.key_step or 1)),)
        self.first_key, self.last_key, self.key_step, self.movablekeys = _legacy_range(self.key_specs)
        # as getKeysFromCommandWithSpecs: the specs when they name real keys and their flags hold, else the proc
        real = [s for s in self.key_specs if "not_key" not in s.flags.split()]
        self.has_keys = bool(real) or self.key_spec is not None
        self._specs_first = bool(real) and not any("variable_flags" in s.flags.split() for s in self.key_specs)
        self._real_specs = tuple(real)
        # one plain range (most commands): key_positions needs no search
        only = real[0] if len(self.key_specs) == 1 and self._specs_first else None
        self._plain_range = (self.first_key, self.last_key, self.key_step) if (
            only is not None and isinstance(only.find, Range) and not only.find.limit and not self.movablekeys) else None

    def acl_categories(self) -> list[str]:
        """Explicit categories plus those Redis derives from the flags."""
        cats = {_FLAG_CATEGORIES[f] for f in self.flags if f in _FLAG_CATEGORIES}
        if ADMIN in self.flags:
            cats.add("@dangerous")
        if FAST not in self.flags:
            cats.add("@slow")
        cats.update(self.categories)
        if "@scripting" in cats:  # Redis keeps scripting commands out of @read (EVAL_RO, FCALL_RO)
            cats.discard("@read")
        return sorted(cats, key=_category_order)

    def key_positions(self, argv: list[bytes]) -> list[int]:
        """Argument indexes that are keys (COMMAND GETKEYS, client tracking, later ACL and cluster routing)."""
        if self._plain_range is not None:
            first, last, step = self._plain_range
            last = last if last >= 0 else len(argv) + last
            return list(range(first, min(last, len(argv) - 1) + 1, step))
        return [pos for pos, _ in self.keys_and_flags(argv)]

    def keys_and_flags(self, argv: list[bytes]) -> list[tuple[int, str]]:
        """(position, key spec flags) of each key in argv, as Redis's getKeysFromCommandWithSpecs."""
        if self._specs_first:
            found: list[tuple[int, str]] = []
            for spec in self._real_specs:
                positions = spec.positions(argv)
                if positions is None:
                    break
                found.extend((pos, spec.flags) for pos in positions)
            else:
                return found
        return self.key_spec(argv) if self.key_spec is not None else []


_RESP2_SUBSCRIBED_ALLOWED = {"subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe",
                             "punsubscribe", "ping", "quit", "reset"}
_CATEGORY_ORDER = ["@keyspace", "@read", "@write", "@set", "@sortedset", "@list", "@hash", "@string", "@bitmap",
                   "@hyperloglog", "@geo", "@stream", "@pubsub", "@admin", "@fast", "@slow", "@blocking",
                   "@dangerous", "@connection", "@transaction", "@scripting"]


def _category_order(cat: str) -> int:
    return _CATEGORY_ORDER.index(cat) if cat in _CATEGORY_ORDER else len(_CATEGORY_ORDER)


COMMANDS: dict[bytes, Command] = {}


def _register(table: dict[bytes, Command], cmd: Command) -> None:
    name = cmd.name.encode()
    # both cases are stored so that dispatch needs no .lower() for the usual spellings
    table[name] = cmd
    table[name.upper()] = cmd


def command(
    name: str,
    arity: int,
    flags: str = "",
    keys: tuple[int, int, int] = (0, 0, 0),
    categories: str = "",
    group: str = "generic",
    since: str = "1.0.0",
    summary: str = "",
    complexity: str = "",
    parent: str | None = None,
    key_spec: GetKeys | None = None,
    tips: str = "",
    key_flags: str = "",
    key_specs: tuple[KeySpec, ...] = (),
) -> Callable[[Handler], Handler]:
    """Declare a command (or, with `parent`, a subcommand such as `CLIENT|ID`).

    Keys: `keys=(first, last, step)` with `key_flags` for one range of keys, or `key_specs=` for Redis's
    full list (several ranges, keyword or numkeys searches, notes); `key_spec=` a getkeys proc only where
    Redis has one that the specs cannot replace.
    """

    def register(fn: Handler) -> Handler:
        cmd = Command(
            name=name.lower(), handler=fn, arity=arity, flags=frozenset(flags.split()),
            first_key=keys[0], last_key=keys[1], key_step=keys[2],
            categories=tuple(categories.split()), group=group, since=since, summary=summary,
            complexity=complexity, key_spec=key_spec, tips=tuple(tips.split()), key_flags=tuple(key_flags.split()),
            key_specs=key_specs,
        )
        if parent is None:
            _register(COMMANDS, cmd)
        else:
            container = COMMANDS.get(parent.lower().encode())
            if container is None:
                container = Command(name=parent.lower(), handler=None, arity=-2, flags=frozenset(), group=group,
                                    since=since)
                _register(COMMANDS, container)
            elif container.handler is not None:
                # a command with a form of its own gains subcommands: it becomes that container's bare form
                bare = container
                container = Command(name=bare.name, handler=None, arity=bare.arity, flags=bare.flags,
                                    categories=bare.categories, group=bare.group, since=bare.since,
                                    summary=bare.summary, complexity=bare.complexity, bare=bare)
                _register(COMMANDS, container)
            cmd.parent = container
            cmd.full_name = f"{container.name}|{cmd.name}"
            _register(container.subcommands, cmd)
        return fn

    return register


def document_container(name: str, summary: str) -> None:
    """COMMAND DOCS of a container command (OBJECT, XINFO ...), which has no declaration of its own."""
    container = COMMANDS[name.encode()]
    container.summary, container.complexity = summary, "Depends on subcommand."


def lookup(argv: list[bytes]) -> Command | None:
    """Find the command (or subcommand) that `argv` names."""
    cmd = COMMANDS.get(argv[0]) or COMMANDS.get(argv[0].lower())
    if cmd is not None and cmd.handler is None:
        if len(argv) > 1:
            sub = cmd.subcommands.get(argv[1]) or cmd.subcommands.get(argv[1].lower())
            return sub or cmd
        return cmd.bare or cmd
    return cmd


def unique_commands() -> list[Command]:
    """Each top-level command once."""
    seen: dict[int, Command] = {}
    for cmd in COMMANDS.values():
        seen.setdefault(id(cmd), cmd)
    return list(seen.values())


def arity_error(cmd: Command) -> ReplyError:
    if cmd.parent is not None:
        return ReplyError(f"ERR wrong number of arguments for '{cmd.parent.name}|{cmd.name}' command")
    return ReplyError(f"ERR wrong number of arguments for '{cmd.name}' command")


def unknown_command_error(argv: list[bytes]) -> ReplyError:
    cmd = COMMANDS.get(argv[0].lower())
    if cmd is not None and cmd.handler is None:
        sub = _clip(argv[1]) if len(argv) > 1 else ""
        return ReplyError(f"ERR unknown subcommand '{sub}'. Try {cmd.name.upper()} HELP.")
    # as Redis's processCommand: the arguments together are cut at 128 bytes
    args = b""
    for arg in argv[1:]:
        if len(args) >= 128:
            break
        args += b"'%s' " % _c_string(arg)[: 128 - len(args)]
    return ReplyError(f"ERR unknown command '{_clip(argv[0])}', with args beginning with: "
                      f"{args.decode('utf-8', 'surrogateescape')}")


def help_reply(name: str, lines: list[str]) -> list[str]:
    """Redis's addReplyHelp: the usage line, the subcommands' lines, then HELP's own entry."""
    return [f"{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", *lines, "HELP",
            "    Prints this help."]


def subcommand_syntax_error(argv: list[bytes]) -> ReplyError:
    """Redis's addReplySubcommandSyntaxError."""
    return ReplyError(f"ERR unknown subcommand or wrong number of arguments for "
                      f"'{_clip(argv[1])}'. Try {argv[0].decode().upper()} HELP.")


def _c_string(arg: bytes) -> bytes:
    """What C's `%s` prints of an argument: up to its first NUL byte."""
    end = arg.find(b"\0")
    return arg if end < 0 else arg[:end]


def _clip(arg: bytes) -> str:
    """An argument as Redis's `%.128s` prints it (its bytes kept as they are; see protocol.py)."""
    return _c_string(arg)[:128].decode("utf-8", "surrogateescape")


def load_all() -> None:
    for module in COMMAND_MODULES:
        importlib.import_module(module)
