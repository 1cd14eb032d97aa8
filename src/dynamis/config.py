"""Configuration: redis.conf-style directives, from a file, the command line and CONFIG SET.

Each directive is declared once in `DIRECTIVES` with its type, default and whether CONFIG SET may
change it at run time. `dynamis serve --port 7000 --save ""` works as `redis-server` does: every
directive is also a `--name value` option.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class ConfigError(Exception):
    """A directive that cannot be parsed or set; the message is Redis's reason text."""


_UNITS = {"k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3}


def parse_memory(text: str) -> int:
    """Redis's memtoull: `1mb` = 1048576, `1m` = 1000000, plain bytes otherwise."""
    t = text.strip().lower()
    multiplier = 1
    for unit in ("kb", "mb", "gb", "k", "m", "g", "b"):
        if t.endswith(unit):
            t, multiplier = t[: -len(unit)], _UNITS.get(unit, 1)
            break
    if not t.isdigit():  # no sign: a negative size is not a memory value
        raise ConfigError("argument must be a memory value")
    return min(int(t), 2**64 - 1) * multiplier  # strtoull saturates


_INT_RE = re.compile(r"-?[1-9][0-9]*|0")


def _parse_int(text: str) -> int:
    """Redis's string2ll: no sign but '-', no leading zeros or spaces, within 64 bits."""
    value = int(text) if _INT_RE.fullmatch(text) else None
    if value is None or not -(2**63) <= value < 2**63:
        raise ConfigError("argument couldn't be parsed into an integer")
    return value


def _parse_bool(text: str) -> bool:
    t = text.lower()
    if t in ("yes", "no"):
        return t == "yes"
    raise ConfigError("argument must be 'yes' or 'no'")


NOTIFY_CLASSES = "g$lshzxeKEtmdn"


def parse_notify_flags(text: str) -> str:
    """notify-keyspace-events: validate and expand `A`; the canonical rendering is Redis's."""
    flags = set()
    for ch in text:
        if ch == "A":  # every class but key-miss (m) and new-key (n) events, as Redis's NOTIFY_ALL
            flags.update("g$lshzxetd")
        elif ch in NOTIFY_CLASSES:
            flags.add(ch)
        else:
            raise ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
    return "".join(sorted(flags))


def render_notify_flags(flags: str) -> str:
    """Redis's keyspaceEventsFlagsToString (which omits `n` after `A`)."""
    if set("g$lshzxetd") <= set(flags):
        out = "A"
    else:
        out = "".join(c for c in "g$lshzxetdn" if c in flags)
    return out + "".join(c for c in "KEm" if c in flags)


@dataclass
class Directive:
    name: str
    default: Any
    kind: str  # int, memory, bool, string, enum, notify, list, save, limits, percentiles
    mutable: bool = True
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    aliases: tuple[str, ...] = ()
    protected: bool = False  # Redis's PROTECTED_CONFIG: CONFIG SET refuses it (enable-protected-configs no)
    clamp: tuple[int, int] | None = None  # a value outside is brought into this range (hz)

    def parse(self, text: str) -> Any:
        if self.kind == "int":
            value = _parse_int(text)
        elif self.kind == "memory":
            value = parse_memory(text)
        elif self.kind == "bool":
            return _parse_bool(text)
        elif self.kind == "enum":
            if text.lower() not in self.choices:
                raise ConfigError("argument(s) must be one of the following: " + ", ".join(self.choices))
            return text.lower()
        elif self.kind == "notify":
            return parse_notify_flags(text)
        elif self.kind == "list":
            return text.split()
        elif self.kind == "save":
            return _parse_save(text)
        elif self.kind == "percentiles":
            return _parse_percentiles(text)
        elif self.kind == "limits":
            return parse_output_limits(text)
        else:
            return text
        if self.minimum is not None and value < self.minimum or self.maximum is not None and value > self.maximum:
            raise ConfigError(f"argument must be between {self.minimum} and {self.maximum} inclusive")
        if self.clamp is not None:
            value = min(max(value, self.clamp[0]), self.clamp[1])
        return value

    def render(self, value: Any) -> str:
        if self.kind == "bool":
            return "yes" if value else "no"
        if self.kind == "notify":
            return render_notify_flags(value)
        if self.kind == "list":
            return " ".join(value)
        if self.kind == "save":
            return " ".join(f"{s} {c}" for s, c in value)
        if self.kind == "percentiles":
            return " ".join(f"{p:g}" for p in value)
        if self.kind == "limits":
            return " ".join(f"{cls} {hard} {soft} {secs}" for cls, (hard, soft, secs) in value.items())
        return str(value)


_OUTPUT_CLASSES = {"normal": "normal", "replica": "slave", "slave": "slave", "pubsub": "pubsub"}
DEFAULT_OUTPUT_LIMITS = {"normal": (0, 0, 0), "slave": (268435456, 67108864, 60), "pubsub": (33554432, 8388608, 60)}


def parse_output_limits(text: str) -> dict[str, tuple[int, int, int]]:
    """client-output-buffer-limit: `<class> <hard> <soft> <soft seconds>` groups (merged by Config.apply
    into the current value, so unnamed classes keep theirs)."""
    parts = text.split()
    if not parts or len(parts) % 4:
        raise ConfigError("Wrong number of arguments in buffer limit configuration.")
    limits = {}
    for i in range(0, len(parts), 4):
        cls = _OUTPUT_CLASSES.get(parts[i].lower())
        if cls is None:
            raise ConfigError("Invalid client class specified in buffer limit configuration.")
        try:
            hard, soft = parse_memory(parts[i + 1]), parse_memory(parts[i + 2])
            secs = int(parts[i + 3])
        except (ConfigError, ValueError):
            raise ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.") from None
        if hard < 0 or soft < 0 or secs < 0:
            raise ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
        limits[cls] = (hard, soft, secs)
    return limits


def _parse_percentiles(text: str) -> list[float]:
    """latency-tracking-info-percentiles: doubles between 0 and 100."""
    try:
        values = [float(part) for part in text.split()]
    except ValueError:
        raise ConfigError("Invalid latency-tracking-info-percentiles parameters") from None
    if any(not 0.0 <= v <= 100.0 for v in values):
        raise ConfigError("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
    return values


def _parse_save(text: str) -> list[tuple[int, int]]:
    parts = text.split()
    if len(parts) % 2:
        raise ConfigError("Invalid save parameters")
    try:
        return [(int(parts[i]), int(parts[i + 1])) for i in range(0, len(parts), 2)]
    except ValueError:
        raise ConfigError("Invalid save parameters") from None


_POLICIES = ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu",
             "allkeys-random", "noeviction")

DIRECTIVES: dict[str, Directive] = {
    d.name: d
    for d in [
        Directive("port", 6379, "int", mutable=False, minimum=0, maximum=65535),
        Directive("bind", ["127.0.0.1", "::1"], "list", mutable=False),
        Directive("dir", "./data", "string", protected=True),
        Directive("dbfilename", "dump.rdb", "string", protected=True),
        Directive("rdbcompression", True, "bool"),
        Directive("appendfilename", "appendonly.aof", "string", mutable=False),
        Directive("appenddirname", "appendonlydir", "string", mutable=False),
        Directive("appendonly", False, "bool"),
        Directive("appendfsync", "everysec", "enum", choices=("everysec", "always", "no")),
        Directive("save", [], "save"),
        Directive("requirepass", "", "string"),
        Directive("aclfile", "", "string", mutable=False),
        Directive("acllog-max-len", 128, "int", minimum=0, maximum=2**63 - 1),
        Directive("acl-pubsub-default", "resetchannels", "enum", choices=("allchannels", "resetchannels")),
        Directive("masterauth", "", "string"),
        Directive("databases", 16, "int", mutable=False, minimum=1, maximum=2**31 - 1),
        Directive("maxclients", 10000, "int", minimum=1, maximum=2**32 - 1),
        Directive("timeout", 0, "int", minimum=0, maximum=2**31 - 1),
        Directive("tcp-keepalive", 300, "int", minimum=0, maximum=2**31 - 1),
        Directive("tcp-backlog", 511, "int", mutable=False),
        Directive("hz", 10, "int", minimum=0, maximum=2**31 - 1, clamp=(1, 500)),
        Directive("proto-max-bulk-len", 512 * 1024 * 1024, "memory", minimum=1024 * 1024, maximum=2**63 - 1),
        Directive("client-query-buffer-limit", 1024**3, "memory", minimum=1024 * 1024, maximum=2**63 - 1),
        Directive("client-output-buffer-limit", DEFAULT_OUTPUT_LIMITS, "limits"),
        Directive("maxmemory", 0, "memory", minimum=0, maximum=2**64 - 1),
        Directive("maxmemory-policy", "noeviction", "enum", choices=_POLICIES),
        Directive("maxmemory-samples", 5, "int", minimum=1, maximum=2**31 - 1),
        Directive("lfu-log-factor", 10, "int", minimum=0, maximum=2**31 - 1),
        Directive("lfu-decay-time", 1, "int", minimum=0, maximum=2**31 - 1),
        Directive("loglevel", "notice", "enum", choices=("debug", "verbose", "notice", "warning")),
        Directive("logfile", "", "string", mutable=False),
        Directive("pidfile", "", "string", mutable=False),
        Directive("daemonize", False, "bool", mutable=False),
        Directive("protected-mode", True, "bool"),
        Directive("slowlog-log-slower-than", 10000, "int", minimum=-1, maximum=2**63 - 1),
        Directive("slowlog-max-len", 128, "int", minimum=0, maximum=2**63 - 1),
        Directive("latency-monitor-threshold", 0, "int", minimum=0, maximum=2**63 - 1),
        Directive("latency-tracking", True, "bool"),
        Directive("latency-tracking-info-percentiles", [50.0, 99.0, 99.9], "percentiles"),
        Directive("notify-keyspace-events", "", "notify"),
        Directive("lazyfree-lazy-user-flush", False, "bool"),
        Directive("busy-reply-threshold", 5000, "int", minimum=0, maximum=2**63 - 1, aliases=("lua-time-limit",)),
        Directive("hash-max-listpack-entries", 512, "int", minimum=0, maximum=2**63 - 1,
                  aliases=("hash-max-ziplist-entries",)),
        Directive("hash-max-listpack-value", 64, "memory", minimum=0, maximum=2**63 - 1,
                  aliases=("hash-max-ziplist-value",)),
        Directive("list-max-listpack-size", -2, "int", minimum=-5, maximum=2**31 - 1,
                  aliases=("list-max-ziplist-size",)),
        Directive("list-compress-depth", 0, "int", minimum=0, maximum=2**31 - 1),
        Directive("set-max-intset-entries", 512, "int", minimum=0, maximum=2**63 - 1),
        Directive("set-max-listpack-entries", 128, "int", minimum=0, maximum=2**63 - 1),
        Directive("set-max-listpack-value", 64, "memory", minimum=0, maximum=2**63 - 1),
        Directive("zset-max-listpack-entries", 128, "int", minimum=0, maximum=2**63 - 1,
                  aliases=("zset-max-ziplist-entries",)),
        Directive("zset-max-listpack-value", 64, "memory", minimum=0, maximum=2**63 - 1,
                  aliases=("zset-max-ziplist-value",)),
        Directive("hll-sparse-max-bytes", 3000, "memory", minimum=0, maximum=2**63 - 1),
        Directive("stream-node-max-bytes", 4096, "memory", minimum=0, maximum=2**63 - 1),
        Directive("stream-node-max-entries", 100, "int", minimum=0, maximum=2**63 - 1),
        Directive("active-expire-effort", 1, "int", minimum=1, maximum=10),
        Directive("tracking-table-max-keys", 1000000, "int", minimum=0, maximum=2**63 - 1),
        # read by tools; they state what dynamis does: no cluster mode yet, one I/O thread, DEBUG always on
        Directive("cluster-enabled", False, "bool", mutable=False),
        Directive("io-threads", 1, "int", mutable=False, minimum=1, maximum=128),
        Directive("enable-debug-command", "yes", "enum", mutable=False, choices=("yes",)),
        # MODULE LOAD/LOADEX/UNLOAD: refused unless allowed, as in Redis; dynamis then fails to load (no C modules)
        Directive("enable-module-command", "no", "enum", mutable=False, choices=("no", "yes", "local")),
        Directive("dynamo-port", 8000, "int", mutable=False, minimum=0, maximum=65535),
        Directive("in-memory", False, "bool", mutable=False),
        Directive("dynamo-region", "us-east-1", "string", mutable=False),
    ]
}
_ALIASES = {alias: d.name for d in DIRECTIVES.values() for alias in d.aliases}
# directives that may repeat: `dynamo-credential AKID SECRET`, `user NAME RULE...` (ACL users, see kv/acl.py)
_MULTI_VALUED = {"dynamo-credential", "user"}


class Config:
    """The server's configuration; `on_change` callbacks keep hot-path copies in sync."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {name: d.default for name, d in DIRECTIVES.items()}
        self.dynamo_credentials: dict[str, str] = {}
        self.acl_users: list[list[str]] = []  # `user` directives: the name, then its ACL rules
        self.config_file: str | None = None
        self.on_change: dict[str, Callable[[Any], None]] = {}

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @staticmethod
    def canonical(name: str) -> str:
        name = name.lower()
        return _ALIASES.get(name, name)

    def apply(self, name: str, args: list[str], at_startup: bool = True) -> None:
        """Apply one directive line (`name arg...`). Raises ConfigError with Redis's reason."""
        name = self.canonical(name)
        if name == "dynamo-credential":
            if len(args) != 2:
                raise ConfigError("dynamo-credential takes an access key id and a secret")
            self.dynamo_credentials[args[0]] = args[1]
            return
        if name == "user":
            if not args or not args[0]:
                raise ConfigError("Error in user declaration")
            self.acl_users.append(args)
            return
        directive = DIRECTIVES.get(name)
        if directive is None:
            raise ConfigError(f"Bad directive or wrong number of arguments: '{name}'")
        if not at_startup and not directive.mutable:
            raise ConfigError("can't set immutable config")
        text = " ".join(args)
        if directive.kind == "save" and len(args) == 1 and args[0] == "":
            text = ""
        value = directive.parse(text)
        if directive.kind == "limits":
            value = {**self.values[name], **value}
        self.values[name] = value
        callback = self.on_change.get(name)
        if callback is not None and not at_startup:
            callback(value)

    def load_file(self, path: str) -> None:
        """Read a redis.conf-style file: one directive per line, `#` comments, quoted arguments."""
        self.config_file = path
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                parts = shlex.split(line)
                try:
                    self.apply(parts[0], parts[1:])
                except ConfigError as exc:
                    raise ConfigError(f"{path}:{lineno}: {exc}") from None

    def load_args(self, argv: list[str]) -> None:
        """`--name value [value...]` pairs, as redis-server takes them after its config file."""
        i = 0
        while i < len(argv):
            arg = argv[i]
            if not arg.startswith("--"):
                raise ConfigError(f"unexpected argument '{arg}'")
            name = arg[2:]
            values = []
            i += 1
            while i < len(argv) and not argv[i].startswith("--"):
                values.append(argv[i])
                i += 1
            if name.lower() in _MULTI_VALUED or self.canonical(name) in DIRECTIVES:
                self.apply(name, values if values else [""])
            else:
                raise ConfigError(f"Bad directive or wrong number of arguments: '{name}'")

    def rewrite_file(self, path: str) -> None:
        """CONFIG REWRITE (Redis's rewriteConfig): keep the file's comments and order, put each directive's
        current value on its first line (dropping repeats), append the changed ones the file did not have."""
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            lines = []
        out: list[str] = []
        written: set[str] = set()
        for line in lines:
            stripped = line.strip()
            if stripped == _REWRITE_SIGNATURE:
                continue
            try:
                parts = shlex.split(stripped) if stripped and not stripped.startswith("#") else []
            except ValueError:
                parts = []
            name = self.canonical(parts[0]) if parts else ""
            if name in DIRECTIVES or name == "dynamo-credential":
                if name not in written:
                    written.add(name)
                    out.extend(self._lines(name))
            else:
                out.append(line)
        extra = [line for name, d in DIRECTIVES.items() if name not in written and self.values[name] != d.default
                 for line in self._lines(name)]
        if "dynamo-credential" not in written:
            extra += self._lines("dynamo-credential")
        if extra:
            if out and out[-1].strip():
                out.append("")
            out += [_REWRITE_SIGNATURE, *extra]
        tmp = f"{path}.tmp-{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("\n".join(out) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def _lines(self, name: str) -> list[str]:
        if name == "dynamo-credential":
            return [f"dynamo-credential {akid} {_quote(secret)}" for akid, secret in self.dynamo_credentials.items()]
        return [f"{name} {_quote(DIRECTIVES[name].render(self.values[name]))}"]


_REWRITE_SIGNATURE = "# Generated by CONFIG REWRITE"


def _quote(text: str) -> str:
    """A value as a config file line needs it: quoted when shlex would split or unescape it."""
    if text and text.isprintable() and not any(c in text for c in " \"'\\#"):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

