"""ACL users, their selectors and permission checks, and the ACL command family (Redis's acl.c).

A user has flags, password hashes and a list of selectors; the first is the root selector (the rules
given outside parentheses). A selector holds the commands it allows (a set of table entries, Redis's
command bitmap), first-args allowed for otherwise denied commands, key patterns with R/W permissions
and channel patterns. A command runs when any selector allows it with all its keys and channels.

Clients of an unrestricted user (every command, key and channel, no further selector) skip the check:
`RedisServer.execute` tests `client.user.restricted` only.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from dynamis.config import ConfigError
from dynamis.kv import commands as cmdtable
from dynamis.kv.commands import Command, command, document_container, help_reply, subcommand_syntax_error
from dynamis.kv.glob import glob_match
from dynamis.kv.protocol import ReplyError, SetReply

if TYPE_CHECKING:
    from dynamis.kv.client import Client
    from dynamis.kv.server import RedisServer

CATEGORIES = ("keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog",
              "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection",
              "transaction", "scripting")
READ, WRITE = 1, 2
ALL_PERMISSION = READ | WRITE
DENIED_CMD, DENIED_KEY, DENIED_CHANNEL, DENIED_AUTH = 1, 2, 3, 4  # a larger one wins across selectors
_EXEC_REASONS = {DENIED_CMD: "no permission to execute the command or subcommand",
                 DENIED_KEY: "no permission to touch the specified keys",
                 DENIED_CHANNEL: "no permission to access one of the channels used as arguments"}
_REASONS = {DENIED_CMD: "command", DENIED_KEY: "key", DENIED_CHANNEL: "channel", DENIED_AUTH: "auth"}
_SPACES = frozenset(b" \t\n\v\f\r\0")
_HEX = frozenset(b"0123456789abcdef")
# commands whose arguments are channels: (first channel, all following, the user's patterns taken literally)
_CHANNEL_ARGS = {"publish": (1, False, False), "spublish": (1, False, False), "subscribe": (1, True, False),
                 "ssubscribe": (1, True, False), "psubscribe": (1, True, True)}
NO_ACL_FILE = ReplyError(
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL "
    "SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in "
    "order to store users in the Redis configuration.")


class RuleError(Exception):
    """An ACL rule that cannot be applied; the text is Redis's ACLSetUserStringError."""


_UNKNOWN = "Unknown command or category name in ACL"
_SYNTAX = "Syntax error"


def hash_password(password: bytes) -> bytes:
    return hashlib.sha256(password).hexdigest().encode()


def _has_spaces(text: bytes) -> bool:
    return any(b in _SPACES for b in text)


# -- the command table as ACLs see it ----------------------------------------------------

_all_commands: list[Command] = []
_category_members: dict[str, list[Command]] = {}


def _commands() -> list[Command]:
    """Every command and subcommand (containers before their subcommands), in a stable order."""
    if not _all_commands:
        cmdtable.load_all()
        for cmd in sorted(cmdtable.unique_commands(), key=lambda c: c.name):
            _all_commands.append(cmd)
            _all_commands.extend(sorted({id(s): s for s in cmd.subcommands.values()}.values(), key=lambda c: c.name))
        for name in CATEGORIES:
            _category_members[name] = [c for c in _all_commands if "@" + name in c.acl_categories()]
    return _all_commands


def _category(name: bytes) -> list[Command] | None:
    _commands()
    return _category_members.get(name.decode("latin-1").lower())


def lookup_acl_command(name: bytes) -> Command | None:
    """`cmd` or `container|sub` (Redis's lookupCommandBySdsLogic in strict mode)."""
    parts = name.lower().split(b"|")
    if len(parts) > 2:
        return None
    cmd = cmdtable.COMMANDS.get(parts[0])
    if cmd is None:
        return None
    if len(parts) == 1:
        return cmd
    return cmd.subcommands.get(parts[1]) if cmd.subcommands else None


class Selector:
    """Permissions: commands, key patterns, channel patterns (Redis's aclSelector)."""

    __slots__ = ("root", "allkeys", "allchannels", "allcommands", "future", "allowed", "firstargs", "patterns",
                 "channels")

    def __init__(self, root: bool, allchannels: bool) -> None:
        self.root = root
        self.allkeys = False
        self.allchannels = allchannels
        self.allcommands = False
        self.future = False  # Redis's reserved bit: +@all also allows commands added later
        self.allowed: set[Command] = set()
        self.firstargs: dict[Command, list[bytes]] = {}
        self.patterns: dict[bytes, int] = {}  # key pattern -> READ|WRITE
        self.channels: dict[bytes, None] = {}

    def copy(self) -> Selector:
        new = Selector(self.root, self.allchannels)
        new.allkeys, new.allcommands, new.future = self.allkeys, self.allcommands, self.future
        new.allowed = set(self.allowed)
        new.firstargs = {cmd: list(args) for cmd, args in self.firstargs.items()}
        new.patterns = dict(self.patterns)
        new.channels = dict(self.channels)
        return new

    def _set_bit(self, cmd: Command, allow: bool) -> None:
        if allow:
            self.allowed.add(cmd)
        else:
            self.allowed.discard(cmd)
            self.allcommands = False

    def change_perm(self, cmd: Command, allow: bool) -> None:
        """Allow or deny a command; a container's subcommands follow it (ACLChangeSelectorPerm)."""
        self._set_bit(cmd, allow)
        if cmd.bare is not None:  # a container's own form (COMMAND alone) shares its permission
            self._set_bit(cmd.bare, allow)
        self.firstargs.pop(cmd, None)
        for sub in set(cmd.subcommands.values()):
            self._set_bit(sub, allow)

    def _all(self, allow: bool) -> None:
        self.allowed = set()
        if allow:
            for cmd in _commands():
                self.change_perm(cmd, True)
        self.allcommands = self.future = allow
        self.firstargs.clear()

    def apply(self, op: bytes) -> None:
        """One selector rule (ACLSetSelector); raises RuleError."""
        lower = op.lower()
        if lower in (b"allkeys", b"~*"):
            self.allkeys = True
            self.patterns.clear()
        elif lower == b"resetkeys":
            self.allkeys = False
            self.patterns.clear()
        elif lower in (b"allchannels", b"&*"):
            self.allchannels = True
            self.channels.clear()
        elif lower == b"resetchannels":
            self.allchannels = False
            self.channels.clear()
        elif lower in (b"allcommands", b"+@all"):
            self._all(True)
        elif lower in (b"nocommands", b"-@all"):
            self._all(False)
        elif op[:1] in (b"~", b"%"):
            self._add_key_pattern(op)
        elif op[:1] == b"&":
            if self.allchannels:
                raise RuleError("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and "
                                "does not have any effect. Try 'resetchannels' to start with an empty list of "
                                "channels")
            if _has_spaces(op[1:]):
                raise RuleError(_SYNTAX)
            self.channels[op[1:]] = None
        elif op[:1] == b"+" and op[1:2] != b"@":
            self._allow_command(op[1:])
        elif op[:1] == b"-" and op[1:2] != b"@":
            cmd = lookup_acl_command(op[1:])
            if cmd is None:
                raise RuleError(_UNKNOWN)
            self.change_perm(cmd, False)
        elif op[:1] in (b"+", b"-"):
            members = _category(op[2:])
            if members is None:
                raise RuleError(_UNKNOWN)
            for cmd in members:
                self.change_perm(cmd, op[:1] == b"+")
        else:
            raise RuleError(_SYNTAX)

    def _add_key_pattern(self, op: bytes) -> None:
        if self.allkeys:
            raise RuleError("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
                            "have any effect. Try 'resetkeys' to start with an empty list of patterns")
        flags, offset = 0, 1
        if op[:1] == b"%":
            while offset < len(op):
                c = op[offset:offset + 1].upper()
                offset += 1
                if c == b"R" and not flags & READ:
                    flags |= READ
                elif c == b"W" and not flags & WRITE:
                    flags |= WRITE
                elif c == b"~":
                    break
                else:
                    raise RuleError(_SYNTAX)
        else:
            flags = ALL_PERMISSION
        pattern = op[offset:]
        if _has_spaces(pattern):
            raise RuleError(_SYNTAX)
        self.patterns[pattern] = self.patterns.get(pattern, 0) | flags
        self.allkeys = False

    def _allow_command(self, name: bytes) -> None:
        if b"|" not in name:
            cmd = lookup_acl_command(name)
            if cmd is None:
                raise RuleError(_UNKNOWN)
            self.change_perm(cmd, True)
            return
        base, _, first = name.rpartition(b"|")
        cmd = lookup_acl_command(base)
        if cmd is None:
            raise RuleError(_UNKNOWN)
        if cmd.parent is not None:
            raise RuleError("Allowing first-arg of a subcommand is not supported")
        if not first:
            raise RuleError(_SYNTAX)
        if cmd.subcommands:
            sub = lookup_acl_command(name)
            if sub is None:
                raise RuleError(_UNKNOWN)
            self.change_perm(sub, True)
            return
        # SELECT|0 and the like: that first argument only, of an otherwise denied command
        allowed = self.firstargs.setdefault(cmd, [])
        if first.lower() not in (a.lower() for a in allowed):
            allowed.append(first)

    # -- checks ----------------------------------------------------------------------------

    def check_key(self, key: bytes, spec_flags: str) -> bool:
        if self.allkeys:
            return True
        needed = 0
        for flag in spec_flags.split():
            if flag == "access":
                needed |= READ
            elif flag in ("insert", "delete", "update"):
                needed |= WRITE
        return any(flags & needed == needed and glob_match(pattern, key) for pattern, flags in self.patterns.items())

    def check_channel(self, channel: bytes, literal: bool) -> bool:
        if self.allchannels:
            return True
        if literal:
            return channel in self.channels
        return any(glob_match(pattern, channel) for pattern in self.channels)

    def check_command(self, cmd: Command, argv: list[bytes]) -> tuple[int, int]:
        """(0 or the DENIED_* reason, the index of the key or channel denied) as ACLSelectorCheckCmd."""
        if not self.allcommands and not cmd.no_auth and cmd not in self.allowed:
            firsts = self.firstargs.get(cmd)
            idx = 2 if cmd.parent is not None else 1
            if not firsts or len(argv) <= idx or argv[idx].lower() not in (a.lower() for a in firsts):
                return DENIED_CMD, 0
        if not self.allkeys and cmd.has_keys:
            for pos, flags in cmd.keys_and_flags(argv):
                if not self.check_key(argv[pos], flags):
                    return DENIED_KEY, pos
        channels = _CHANNEL_ARGS.get(cmd.name) if not self.allchannels and cmd.parent is None else None
        if channels is not None:
            first, rest, literal = channels
            for pos in range(first, len(argv) if rest else first + 1):
                if not self.check_channel(argv[pos], literal):
                    return DENIED_CHANNEL, pos
        return 0, 0

    # -- description -----------------------------------------------------------------------

    def describe_commands(self) -> str:
        """The command rules as Redis 7.0 rebuilds them: +@all or -@all, the best fitting categories, then
        single commands (ACLDescribeSelectorCommandRules)."""
        additive = not self.future
        rules = ["-@all" if additive else "+@all"]
        fake = Selector(False, False)
        fake._all(not additive)
        remaining = set(self.allowed)  # Redis's temp selector: categories applied are taken back out of it
        applied: set[str] = set()
        while True:
            best, mindiff, maxsame = None, None, 0
            for name in CATEGORIES:
                if name in applied:
                    continue
                members = _category_members[name]
                on = sum(1 for c in members if c in remaining)
                off = len(members) - on
                diff, same = (off, on) if additive else (on, off)
                if same > diff and (mindiff is None or diff < mindiff or (diff == mindiff and same > maxsame)):
                    best, mindiff, maxsame = name, diff, same
            if best is None:
                break
            for cmd in _category_members[best]:
                fake.change_perm(cmd, additive)
            rules.append(("+@" if additive else "-@") + best)
            if additive:
                remaining.difference_update(_members_with_subcommands(best))
            else:
                remaining.update(_members_with_subcommands(best))
            applied.add(best)
        for cmd in _commands():
            mine = cmd in self.allowed
            if mine != (cmd in fake.allowed):
                rules.append(("+" if mine else "-") + cmd.full_name)
                fake.change_perm(cmd, mine)
            if not mine:
                for first in self.firstargs.get(cmd, ()):
                    rules.append(f"+{cmd.full_name}|{first.decode('utf-8', 'surrogateescape')}")
        return " ".join(rules)

    def key_rules(self) -> list[str]:
        if self.allkeys:
            return ["~*"]
        return [_PERMISSION_PREFIX[flags] + p.decode("utf-8", "surrogateescape") for p, flags in self.patterns.items()]

    def channel_rules(self) -> list[str]:
        if self.allchannels:
            return ["&*"]
        return ["&" + c.decode("utf-8", "surrogateescape") for c in self.channels]

    def describe(self) -> str:
        parts = self.key_rules()
        parts += ["&*"] if self.allchannels else ["resetchannels", *self.channel_rules()]
        parts.append(self.describe_commands())
        return " ".join(parts)

    def reply(self) -> dict[bytes, bytes]:
        return {b"commands": self.describe_commands().encode("utf-8", "surrogateescape"),
                b"keys": " ".join(self.key_rules()).encode("utf-8", "surrogateescape"),
                b"channels": " ".join(self.channel_rules()).encode("utf-8", "surrogateescape")}


_PERMISSION_PREFIX = {ALL_PERMISSION: "~", READ: "%R~", WRITE: "%W~"}


def _members_with_subcommands(category: str) -> set[Command]:
    """What +@category changes: its commands and every subcommand of a container among them."""
    found: set[Command] = set()
    for cmd in _category_members[category]:
        found.add(cmd)
        found.update(cmd.subcommands.values())
    return found


class User:
    """An ACL user; clients hold a reference, so changes apply to connections already authenticated."""

    __slots__ = ("name", "enabled", "nopass", "sanitize", "passwords", "selectors", "restricted")

    def __init__(self, name: str, allchannels: bool = False) -> None:
        self.name = name
        self.enabled = False
        self.nopass = False
        self.sanitize = ""  # "", "skip-sanitize-payload" or "sanitize-payload"
        self.passwords: dict[bytes, None] = {}  # SHA-256 hex digests
        self.selectors = [Selector(True, allchannels)]
        self.restricted = True

    @property
    def root(self) -> Selector:
        return self.selectors[0]

    def copy_from(self, other: User) -> None:
        self.enabled, self.nopass, self.sanitize = other.enabled, other.nopass, other.sanitize
        self.passwords = dict(other.passwords)
        self.selectors = [s.copy() for s in other.selectors]
        root = self.root
        self.restricted = not (len(self.selectors) == 1 and root.allcommands and root.allkeys and root.allchannels)

    def apply(self, op: bytes, pubsub_default: bool) -> None:
        """One rule (ACLSetUser); raises RuleError. The caller refreshes `restricted`."""
        if not op:
            return
        lower = op.lower()
        if lower == b"on":
            self.enabled = True
        elif lower == b"off":
            self.enabled = False
        elif lower in (b"skip-sanitize-payload", b"sanitize-payload"):
            self.sanitize = lower.decode()
        elif lower == b"nopass":
            self.nopass = True
            self.passwords.clear()
        elif lower == b"resetpass":
            self.nopass = False
            self.passwords.clear()
        elif op[:1] in (b">", b"#"):
            self.passwords[hash_password(op[1:]) if op[:1] == b">" else _checked_hash(op[1:])] = None
            self.nopass = False
        elif op[:1] in (b"<", b"!"):
            digest = hash_password(op[1:]) if op[:1] == b"<" else _checked_hash(op[1:])
            if self.passwords.pop(digest, False) is False:
                raise RuleError("The password you are trying to remove from the user does not exist")
        elif op[:1] == b"(" and op[-1:] == b")":
            selector = Selector(False, pubsub_default)
            for rule in op[1:-1].split():
                selector.apply(rule)
            self.selectors.append(selector)
        elif lower == b"clearselectors":
            del self.selectors[1:]
        elif lower == b"reset":
            self.nopass = False
            self.passwords.clear()
            root = self.root
            root.apply(b"resetkeys")
            root.apply(b"allchannels" if pubsub_default else b"resetchannels")
            self.enabled = False
            self.sanitize = "sanitize-payload"
            del self.selectors[1:]
            root.apply(b"-@all")
        else:
            self.root.apply(op)

    def refresh(self) -> None:
        root = self.root
        self.restricted = not (len(self.selectors) == 1 and root.allcommands and root.allkeys and root.allchannels)

    def flags(self) -> list[str]:
        flags = ["on" if self.enabled else "off"]
        if self.nopass:
            flags.append("nopass")
        if self.sanitize:
            flags.append(self.sanitize)
        return flags

    def describe(self) -> str:
        """The user as ACL LIST and the ACL file show it (ACLDescribeUser)."""
        parts = self.flags() + ["#" + p.decode() for p in self.passwords]
        text = " ".join(parts) + " " + self.root.describe()
        return text + "".join(f" ({s.describe()})" for s in self.selectors[1:])

    def check_password(self, password: bytes) -> bool:
        if not self.enabled:
            return False
        if self.nopass:
            return True
        digest = hash_password(password)
        return any(secrets.compare_digest(digest, p) for p in self.passwords)

    def check(self, cmd: Command, argv: list[bytes]) -> tuple[int, int]:
        """(0, 0) when some selector allows the command; else the most relevant denial (ACLCheckAllUserCommandPerm)."""
        reason, index = DENIED_CMD, 0
        for selector in self.selectors:
            denied, pos = selector.check_command(cmd, argv)
            if not denied:
                return 0, 0
            if denied > reason or (denied == reason and pos > index):
                reason, index = denied, pos
        return reason, index

    def check_channel(self, channel: bytes, literal: bool) -> bool:
        return any(s.check_channel(channel, literal) for s in self.selectors)


def _default_user() -> User:
    """The default user as a fresh server has it (ACLCreateDefaultUser)."""
    user = User("default")
    for rule in (b"+@all", b"~*", b"&*", b"on", b"nopass"):
        user.apply(rule, True)
    user.refresh()
    return user


def _checked_hash(digest: bytes) -> bytes:
    if len(digest) != 64 or any(b not in _HEX for b in digest):
        raise RuleError("The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
                        "characters")
    return digest


def merge_selector_args(rules: list[bytes]) -> tuple[list[bytes], int]:
    """Join a selector spread over several arguments, `(+get` `~x)`; (-1 or the unmatched one's index)."""
    merged: list[bytes] = []
    opened = -1
    selector = b""
    for i, op in enumerate(rules):
        if opened < 0 and op[:1] == b"(" and op[-1:] != b")":
            selector, opened = op, i
            continue
        if opened >= 0:
            selector += b" " + op
            if op[-1:] == b")":
                merged.append(selector)
                opened = -1
            continue
        merged.append(op)
    return merged, opened


class LogEntry:
    __slots__ = ("count", "reason", "context", "object", "username", "ctime", "cinfo", "entry_id", "created")

    def __init__(self, reason: int, context: str, obj: bytes, username: str, cinfo: str, entry_id: int) -> None:
        self.count = 1
        self.reason = reason
        self.context = context
        self.object = obj
        self.username = username
        self.ctime = self.created = int(time.time() * 1000)
        self.cinfo = cinfo
        self.entry_id = entry_id


class Acl:
    """The server's users and its ACL log."""

    def __init__(self, server: RedisServer) -> None:
        self.server = server
        self.users: dict[str, User] = {}
        self.default = _default_user()
        self.users["default"] = self.default
        self.log: deque[LogEntry] = deque()
        self._next_entry_id = 0
        self.set_default_password(server.config["requirepass"])
        server.config.on_change["requirepass"] = self.set_default_password
        server.config.on_change["acllog-max-len"] = self._trim_log
        path = server.config["aclfile"]
        if path and server.config.acl_users:
            raise ConfigError("Configuring Redis with users defined in redis.conf and at the same setting an ACL file "
                              "path is invalid. This setup is very likely to lead to configuration errors and "
                              "security holes, please define either an ACL file or declare users directly in your "
                              "redis.conf, but not both.")
        for name, *rules in server.config.acl_users:
            self._load_configured_user(name, [r.encode("utf-8", "surrogateescape") for r in rules])
        if path:
            errors = self.load_file(path)
            if errors is not None:
                raise ConfigError(f"Aborting Redis startup because of ACL errors: {errors}")

    def _load_configured_user(self, name: str, rules: list[bytes]) -> None:
        """A `user` directive (ACLLoadConfiguredUsers): the default user is reset first."""
        if _has_spaces(name.encode("utf-8", "surrogateescape")):
            raise ConfigError("Spaces not allowed in ACL usernames")
        user = self.users.get(name)
        if user is None:
            user = self.users[name] = self.new_user(name)
        else:
            user.apply(b"reset", self.pubsub_default)
        merged, opened = merge_selector_args(rules)
        if opened >= 0:
            raise ConfigError(f"Unmatched parenthesis in selector definition of user '{name}'")
        for rule in merged:
            try:
                user.apply(rule, self.pubsub_default)
            except RuleError as exc:
                raise ConfigError(f"Error loading ACL rule '{rule.decode('utf-8', 'surrogateescape')}' for the user "
                                  f"named '{name}': {exc}") from None
        user.refresh()

    @property
    def pubsub_default(self) -> bool:
        return self.server.config["acl-pubsub-default"] == "allchannels"

    def set_default_password(self, password: str) -> None:
        """requirepass is the default user's password (ACLUpdateDefaultUserPassword)."""
        self.default.apply(b"resetpass", True)
        self.default.apply(b">" + password.encode("utf-8", "surrogateescape") if password else b"nopass", True)

    def default_needs_no_auth(self) -> bool:
        """New connections start authenticated as the default user when it is on and nopass (authRequired)."""
        return self.default.nopass and self.default.enabled

    def authenticate(self, client: Client, username: bytes, password: bytes, command_name: bytes) -> bool:
        user = self.users.get(username.decode("utf-8", "surrogateescape"))
        if user is not None and user.check_password(password):
            client.authenticated = True
            client.user = user
            return True
        self.add_log(client, DENIED_AUTH, None, username.decode("utf-8", "surrogateescape"), command_name)
        return False

    def new_user(self, name: str) -> User:
        return User(name, self.pubsub_default)

    # -- the log -----------------------------------------------------------------------------

    def add_log(self, client: Client, reason: int, context: str | None, username: str, obj: bytes) -> None:
        """Log a denial (addACLLogEntry): a like entry of the last 10 within a minute is bumped instead."""
        if context is None:
            context = "multi" if client.multi is not None else "toplevel"
        entry = LogEntry(reason, context, obj, username, client.info_line(), self._next_entry_id)
        for current in list(self.log)[:10]:
            if (current.reason == reason and current.context == context and abs(current.ctime - entry.ctime) <= 60000
                    and current.object == obj and current.username == username):
                self.log.remove(current)
                self.log.appendleft(current)
                current.cinfo, current.ctime = entry.cinfo, entry.ctime
                current.count += 1
                return
        self._next_entry_id += 1
        self.log.appendleft(entry)
        self._trim_log(self.server.config["acllog-max-len"])

    def _trim_log(self, size: int) -> None:
        while len(self.log) > size:
            self.log.pop()

    def denied(self, client: Client, cmd: Command, argv: list[bytes], context: str | None = None) -> str | None:
        """None if the client's user may run the command; else the message (NOPERM ...), logged.

        A script's commands are checked against its caller's user, and logged with the caller's info."""
        reason, pos = self._check_and_log(client, cmd, argv, context)
        return error_message(reason, client.user, cmd, argv[pos], verbose=False) if reason else None

    def denied_at_exec(self, client: Client, cmd: Command, argv: list[bytes]) -> str | None:
        """EXEC checks its queued commands again, in case the rules changed since they were queued."""
        reason, _ = self._check_and_log(client, cmd, argv, "multi")
        if not reason:
            return None
        return ("ACLs rules changed between the moment the transaction was accumulated and the EXEC call. "
                f"This command is no longer allowed for the following reason: {_EXEC_REASONS[reason]}")

    def _check_and_log(self, client: Client, cmd: Command, argv: list[bytes],
                       context: str | None) -> tuple[int, int]:
        user = client.user
        reason, pos = user.check(cmd, argv)
        if reason:
            obj = cmd.full_name.encode() if reason == DENIED_CMD else argv[pos]
            self.add_log(client, reason, context, user.name, obj)
        return reason, pos

    # -- users' clients ----------------------------------------------------------------------

    def disconnect_clients(self, user: User) -> None:
        """A deleted user's connections go (ACLFreeUserAndKillClients); the current one after its reply."""
        server = self.server
        for client in list(server.clients.values()):
            if client.user is user:
                client.user = self.default
                client.authenticated = False
                if client is server.current_client:
                    client.close_after_reply = True
                else:
                    client.close()

    def kill_pubsub_clients(self, new: User, original: User) -> None:
        """Subscribers of `original` whose channels `new` no longer allows are disconnected."""
        if any(s.allchannels for s in new.selectors):
            return
        upcoming = [c for s in new.selectors for c in s.channels]
        if all(c in upcoming for s in original.selectors for c in s.channels):
            return
        for client in list(self.server.clients.values()):
            if client.user is not original or not client.subscriptions:
                continue
            if (any(p not in upcoming for p in client.patterns)
                    or any(not any(glob_match(u, c) for u in upcoming)
                           for c in [*client.channels, *client.shard_channels])):
                client.close()

    # -- the ACL file ------------------------------------------------------------------------

    def load_file(self, path: str) -> str | None:
        """Replace every user with the file's (ACLLoadFromFile); None, or the errors, with nothing changed."""
        try:
            with open(path, "rb") as f:
                text = f.read()
        except OSError as exc:
            return f"Error loading ACLs, opening file '{path}': {exc.strerror}"
        users: dict[str, User] = {}
        errors = ""
        for linenum, line in enumerate(text.split(b"\n"), 1):
            line = line.strip(b" \t\r\n")
            if not line:
                continue
            argv = [a for a in line.split(b" ") if a]
            if not argv:
                continue
            if argv[0] != b"user" or len(argv) < 2:
                errors += f"{path}:{linenum} should start with user keyword followed by the username. "
                continue
            name = argv[1].decode("utf-8", "surrogateescape")
            if _has_spaces(argv[1]):
                errors += f"'{path}:{linenum}: username '{name}' contains invalid characters. "
                continue
            if name in users:
                errors += f"WARNING: Duplicate user '{name}' found on line {linenum}. "
                continue
            user = users[name] = self.new_user(name)
            rules, opened = merge_selector_args(argv[2:])
            if opened >= 0:
                errors += f"{path}:{linenum}: Unmatched parenthesis in selector definition."
            for rule in rules:
                try:
                    user.apply(rule.strip(b"\t\r\n"), self.pubsub_default)
                except RuleError as exc:
                    errors += f"{path}:{linenum}: {exc}. "
        if errors:
            return errors + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
        new_default = users.pop("default", None)
        for user in users.values():
            user.refresh()
        old = self.users
        self.users = {"default": self.default, **users}
        if new_default is not None:
            self.default.copy_from(new_default)
        else:
            self.default.copy_from(_default_user())
        for user in old.values():
            if user is not self.default:
                self.disconnect_clients(user)
        return None

    def save_file(self, path: str) -> bool:
        text = "".join(f"user {u.name} {u.describe()}\n" for u in self.sorted_users())
        tmp = f"{path}.tmp-{os.getpid()}-{int(time.time() * 1000)}"
        try:
            with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(text)
            os.replace(tmp, path)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            return False
        return True

    def sorted_users(self) -> list[User]:
        """In Redis's radix tree order: by the names' bytes."""
        return sorted(self.users.values(), key=lambda u: u.name.encode("utf-8", "surrogateescape"))


def error_message(reason: int, user: User, cmd: Command, arg: bytes, verbose: bool) -> str:
    """Redis 7.2+'s getAclErrorMessage."""
    if reason == DENIED_CMD:
        return f"User {user.name} has no permissions to run the '{cmd.full_name}' command"
    what = "key" if reason == DENIED_KEY else "channel"
    if verbose:
        return f"User {user.name} has no permissions to access the '{arg.decode('utf-8', 'surrogateescape')}' {what}"
    return f"No permissions to access a {what}"


# -- the ACL command --------------------------------------------------------------------------

_G = {"group": "server", "since": "6.0.0"}
_ADMIN = "admin noscript loading stale"


def _acl(client: Client) -> Acl:
    return client.server.acl


@command("setuser", -3, _ADMIN, parent="acl", summary="Modify or create the rules for a specific ACL user",
         complexity="O(N). Where N is the number of rules provided.", **_G)
def acl_setuser_command(client: Client, argv: list[bytes]) -> str:
    acl = _acl(client)
    if _has_spaces(argv[2]):
        raise ReplyError("ERR Usernames can't contain spaces or null characters")
    rules, opened = merge_selector_args(argv[3:])
    if opened >= 0:
        raise ReplyError(f"ERR Unmatched parenthesis in acl selector starting at "
                         f"'{argv[3 + opened].decode('utf-8', 'surrogateescape')}'.")
    name = argv[2].decode("utf-8", "surrogateescape")
    existing = acl.users.get(name)
    staged = acl.new_user(name)
    if existing is not None:
        staged.copy_from(existing)
    for rule in rules:
        try:
            staged.apply(rule, acl.pubsub_default)
        except RuleError as exc:
            raise ReplyError(f"ERR Error in ACL SETUSER modifier '{rule.decode('utf-8', 'surrogateescape')}': "
                             f"{exc}") from None
    if existing is None:
        existing = acl.users[name] = acl.new_user(name)
    else:
        acl.kill_pubsub_clients(staged, existing)
    existing.copy_from(staged)
    return "OK"


@command("deluser", -3, _ADMIN, parent="acl", summary="Remove the specified ACL users and the associated rules",
         complexity="O(1) amortized time considering the typical user.", **_G)
def acl_deluser_command(client: Client, argv: list[bytes]) -> int:
    acl = _acl(client)
    names = [a.decode("utf-8", "surrogateescape") for a in argv[2:]]
    if "default" in names:
        raise ReplyError("ERR The 'default' user cannot be removed")
    deleted = 0
    for name in names:
        user = acl.users.pop(name, None)
        if user is not None:
            acl.disconnect_clients(user)
            deleted += 1
    return deleted


@command("getuser", 3, _ADMIN, parent="acl", summary="Get the rules for a specific ACL user",
         complexity="O(N). Where N is the number of password, command and pattern rules that the user has.", **_G)
def acl_getuser_command(client: Client, argv: list[bytes]) -> Any:
    user = _acl(client).users.get(argv[2].decode("utf-8", "surrogateescape"))
    if user is None:
        return None
    reply: dict[bytes, Any] = {b"flags": SetReply(f.encode() for f in user.flags()),
                               b"passwords": list(user.passwords)}
    reply.update(user.root.reply())
    reply[b"selectors"] = [s.reply() for s in user.selectors[1:]]
    return reply


@command("list", 2, _ADMIN, parent="acl", summary="List the current ACL rules in ACL config file format",
         complexity="O(N). Where N is the number of configured users.", **_G)
def acl_list_command(client: Client, argv: list[bytes]) -> list[bytes]:
    return [f"user {u.name} {u.describe()}".encode("utf-8", "surrogateescape") for u in _acl(client).sorted_users()]


@command("users", 2, _ADMIN, parent="acl", summary="List the username of all the configured ACL rules",
         complexity="O(N). Where N is the number of configured users.", **_G)
def acl_users_command(client: Client, argv: list[bytes]) -> list[bytes]:
    return [u.name.encode("utf-8", "surrogateescape") for u in _acl(client).sorted_users()]


@command("whoami", 2, "noscript loading stale", parent="acl",
         summary="Return the name of the user associated to the current connection", complexity="O(1)", **_G)
def acl_whoami_command(client: Client, argv: list[bytes]) -> bytes:
    return client.user.name.encode("utf-8", "surrogateescape")


def _acl_file(client: Client) -> str:
    path = client.server.config["aclfile"]
    if not path:
        raise NO_ACL_FILE
    return path


@command("load", 2, _ADMIN, parent="acl", summary="Reload the ACLs from the configured ACL file",
         complexity="O(N). Where N is the number of configured users.", **_G)
def acl_load_command(client: Client, argv: list[bytes]) -> str:
    errors = _acl(client).load_file(_acl_file(client))
    if errors is not None:
        raise ReplyError("ERR " + errors)
    return "OK"


@command("save", 2, _ADMIN, parent="acl", summary="Save the current ACL rules in the configured ACL file",
         complexity="O(N). Where N is the number of configured users.", **_G)
def acl_save_command(client: Client, argv: list[bytes]) -> str:
    if not _acl(client).save_file(_acl_file(client)):
        raise ReplyError("ERR There was an error trying to save the ACLs. Please check the server logs for more "
                         "information")
    return "OK"


@command("cat", -2, "noscript loading stale", parent="acl",
         summary="List the ACL categories or the commands inside a category",
         complexity="O(1) since the categories and commands are a fixed set.", **_G)
def acl_cat_command(client: Client, argv: list[bytes]) -> list[bytes]:
    if len(argv) == 2:
        return [c.encode() for c in CATEGORIES]
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    members = _category(argv[2])
    if members is None:
        raise ReplyError(f"ERR Unknown category '{argv[2][:128].decode('utf-8', 'surrogateescape')}'")
    return [c.full_name.encode() for c in members]


@command("genpass", -2, "noscript loading stale", parent="acl",
         summary="Generate a pseudorandom secure password to use for ACL users", complexity="O(1)", **_G)
def acl_genpass_command(client: Client, argv: list[bytes]) -> bytes:
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    bits = 256
    if len(argv) == 3:
        bits = cmdtable.parse_int64(argv[2])
        if bits is None:
            raise ReplyError("ERR value is not an integer or out of range")
    if bits <= 0 or bits > 4096:
        raise ReplyError("ERR ACL GENPASS argument must be the number of bits for the output password, a positive "
                         "number up to 4096")
    chars = (bits + 3) // 4
    return secrets.token_hex((chars + 1) // 2)[:chars].encode()


@command("log", -2, _ADMIN, parent="acl", summary="List latest events denied because of ACLs in place",
         complexity="O(N) with N being the number of entries shown.", **_G)
def acl_log_command(client: Client, argv: list[bytes]) -> Any:
    acl = _acl(client)
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    count = 10
    if len(argv) == 3:
        if argv[2].lower() == b"reset":
            acl.log.clear()
            return "OK"
        count = cmdtable.parse_int64(argv[2])
        if count is None:
            raise ReplyError("ERR value is not an integer or out of range")
    now = int(time.time() * 1000)
    return [{b"count": e.count, b"reason": _REASONS[e.reason].encode(), b"context": e.context.encode(),
             b"object": e.object, b"username": e.username.encode("utf-8", "surrogateescape"),
             b"age-seconds": (now - e.ctime) / 1000, b"client-info": e.cinfo.encode("utf-8", "surrogateescape"),
             b"entry-id": e.entry_id, b"timestamp-created": e.created, b"timestamp-last-updated": e.ctime}
            for e in list(acl.log)[:max(count, 0)]]


@command("dryrun", -4, _ADMIN, parent="acl", since="7.0.0", group="server",
         summary="Returns whether the user can execute the given command without executing the command.",
         complexity="O(1).")
def acl_dryrun_command(client: Client, argv: list[bytes]) -> Any:
    user = _acl(client).users.get(argv[2].decode("utf-8", "surrogateescape"))
    if user is None:
        raise ReplyError(f"ERR User '{argv[2].decode('utf-8', 'surrogateescape')}' not found")
    args = argv[3:]
    cmd = cmdtable.lookup(args)
    if cmd is None or cmd.handler is None:
        raise ReplyError(f"ERR Command '{argv[3].decode('utf-8', 'surrogateescape')}' not found")
    arity = cmd.arity
    if arity != len(args) and (arity > 0 or len(args) < -arity):
        raise ReplyError(f"ERR wrong number of arguments for '{cmd.full_name}' command")
    reason, pos = user.check(cmd, args)
    if reason:
        return error_message(reason, user, cmd, args[pos], verbose=True).encode("utf-8", "surrogateescape")
    return "OK"


_HELP = [
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
]


@command("help", 2, "loading stale", parent="acl", summary="Show helpful text about the different subcommands",
         complexity="O(1)", **_G)
def acl_help_command(client: Client, argv: list[bytes]) -> list[str]:
    return help_reply("ACL", _HELP)


document_container("acl", "A container for Access List Control commands ")  # sic, as Redis
