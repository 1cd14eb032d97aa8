"""The command table against real Redis 7.0: COMMAND INFO and DOCS of every command, GETKEYS of the keyed ones.

COMMAND INFO carries what clients and proxies read from the table (arity, flags, first/last/step, ACL
categories, tips, key specs); it is compared byte for byte, in RESP2 and RESP3. Redis lists a container's
subcommands in its dict's (randomly seeded) hash order, so containers are compared subcommand by subcommand.
"""

from __future__ import annotations

import hiredis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamis.kv.commands import COMMANDS, Command, load_all, unique_commands

load_all()

# Subcommands that legitimately differ from Redis 7.0 (each says why)
ALLOWED = {
    "client|setinfo": "added in Redis 7.2 (redis-py sends it on connect); Redis 7.0 does not have it",
    "client|no-touch": "added in Redis 7.2; Redis 7.0 does not have it",
    "waitaof": "added in Redis 7.2; Redis 7.0 does not have it",
    "script|debug": "the Lua debugger (ldb) is not implemented, so dynamis does not register SCRIPT DEBUG",
    **{name: "hash field expiry, added in Redis 7.4 (tests/test_hash_field_expiry.py checks its COMMAND INFO)"
       for name in ("hexpire", "hpexpire", "hexpireat", "hpexpireat", "httl", "hpttl", "hexpiretime",
                    "hpexpiretime", "hpersist")},
}
# Commands whose COMMAND INFO changed after 7.0: field index in the reply -> the value Redis 7.4 declares
CHANGED_SINCE_70 = {
    "zrank": {1: -3},  # WITHSCORE (7.2): arity 3 -> -3
    "zrevrank": {1: -3},
}
# Redis 7.4's COMMAND INFO of the commands 7.0 does not have, as its src/commands/*.json declare them
NEW_SINCE_70 = {
    "waitaof": [b"waitaof", 4, [b"blocking"], 0, 0, 0, [b"@slow", b"@blocking", b"@connection"],
                [b"request_policy:all_shards", b"response_policy:agg_min"], [], []],
    "client|no-touch": [b"client|no-touch", 3, [b"noscript", b"loading", b"stale"], 0, 0, 0,
                        [b"@slow", b"@connection"], [], [], []],
}


def parse(raw: bytes) -> object:
    reader = hiredis.Reader()
    reader.feed(raw)
    return reader.gets()


def _names() -> tuple[list[str], list[str]]:
    plain, containers = [], []
    for cmd in sorted(unique_commands(), key=lambda c: c.name):
        (containers if cmd.subcommands else plain).append(cmd.name)
    return plain, containers


PLAIN, CONTAINERS = _names()
PLAIN_IN_70 = [name for name in PLAIN if name not in ALLOWED]
SUBCOMMANDS = sorted({sub.full_name for name in CONTAINERS for sub in COMMANDS[name.encode()].subcommands.values()})


@pytest.mark.parametrize("resp", [2, 3])
def test_command_info_every_command(diff, diff3, resp):
    d = diff if resp == 2 else diff3
    mismatched = [name for name in PLAIN_IN_70 + [s for s in SUBCOMMANDS if s not in ALLOWED]
                  if name not in CHANGED_SINCE_70 and (pair := d.both("COMMAND", "INFO", name))[0] != pair[1]]
    assert mismatched == []


@pytest.mark.parametrize("name", sorted(CHANGED_SINCE_70))
def test_command_info_changed_since_70(diff, name):
    """7.0's reply with the fields Redis 7.4 changed."""
    expected, actual = (parse(raw)[0] for raw in diff.both("COMMAND", "INFO", name))
    for index, value in CHANGED_SINCE_70[name].items():
        assert expected[index] != value
        expected[index] = value
    assert actual == expected


@pytest.mark.parametrize("name", sorted(NEW_SINCE_70))
def test_command_info_new_since_70(diff, name):
    assert parse(diff.dynamis.call("COMMAND", "INFO", name))[0] == NEW_SINCE_70[name]


@pytest.mark.parametrize("resp", [2, 3])
def test_command_info_containers(diff, diff3, resp):
    """A container's own fields, and the same set of subcommands (less the allow-listed ones)."""
    d = diff if resp == 2 else diff3
    for name in CONTAINERS:
        expected, actual = (parse(raw)[0] for raw in d.both("COMMAND", "INFO", name))
        assert actual[:9] == expected[:9], name
        subs = {e[0] for e in actual[9]} - {n.encode() for n in ALLOWED}
        assert subs == {e[0] for e in expected[9]} - {n.encode() for n in ALLOWED}, name


def _simple_argv(cmd: Command) -> list[str] | None:
    """An argv of the command's minimal length whose arguments are all key-like names."""
    if cmd.first_key <= 0 or cmd.movablekeys:
        return None
    words = cmd.full_name.split("|")
    return [*words, *(f"k{i}" for i in range(len(words), abs(cmd.arity)))]


def _every_command() -> list[Command]:
    return [c for cmd in unique_commands() for c in (cmd, *{id(s): s for s in cmd.subcommands.values()}.values())
            if c.handler is not None]


# Commands whose keys are found by keyword, numkeys, several specs or a getkeys proc; and variable lengths
MOVABLE = [
    ["rename", "a", "b"], ["renamenx", "a", "b"], ["copy", "a", "b", "DB", "1"], ["smove", "a", "b", "m"],
    ["lmove", "a", "b", "LEFT", "RIGHT"], ["blmove", "a", "b", "LEFT", "RIGHT", "0"], ["rpoplpush", "a", "b"],
    ["brpoplpush", "a", "b", "0"], ["sinterstore", "d", "a", "b"], ["sunionstore", "d", "a"],
    ["sdiffstore", "d", "a", "b", "c"], ["lmpop", "2", "a", "b", "LEFT"], ["lmpop", "3", "a", "b", "LEFT"],
    ["blmpop", "0", "2", "a", "b", "RIGHT", "COUNT", "2"], ["sintercard", "2", "a", "b", "LIMIT", "1"],
    ["sintercard", "x", "a"], ["zrangestore", "d", "s", "0", "-1"],
    ["geosearchstore", "d", "s", "FROMMEMBER", "m", "BYRADIUS", "1", "km"],
    ["zunion", "2", "a", "b", "WEIGHTS", "1", "2"], ["zunion", "0", "a"], ["zunion", "-1", "a"],
    ["zunion", "01", "a"], ["zunionstore", "d", " 1", "a"], ["georadius", "g", "0", "0", "1", "km", "STORE"],
    ["zinter", "1", "a"], ["zdiff", "2", "a", "b"], ["zunionstore", "d", "2", "a", "b"],
    ["zinterstore", "d", "1", "a", "AGGREGATE", "MIN"], ["zdiffstore", "d", "3", "a", "b"],
    ["zintercard", "2", "a", "b"], ["zmpop", "1", "a", "MIN"], ["bzmpop", "1", "2", "a", "b", "MAX"],
    ["georadius", "g", "0", "0", "1", "km", "STORE", "d"], ["georadius", "g", "0", "0", "1", "km", "STOREDIST", "d"],
    ["georadius", "g", "0", "0", "1", "km", "STORE", "d", "STOREDIST", "e"], ["georadius", "g", "0", "0", "1", "km"],
    ["georadiusbymember", "g", "m", "1", "km", "STORE", "d"], ["georadius_ro", "g", "0", "0", "1", "km"],
    ["sort", "s"], ["sort", "s", "BY", "w_*", "GET", "o_*", "STORE", "d"], ["sort", "s", "LIMIT", "0", "1", "STORE"],
    ["sort_ro", "s", "BY", "w_*"], ["xread", "STREAMS", "a", "b", "0", "0"], ["xread", "COUNT", "1", "STREAMS", "a", "0"],
    ["xread", "STREAMS", "a", "b", "0"], ["xreadgroup", "GROUP", "g", "c", "STREAMS", "a", "0"],
    ["eval", "return 1", "2", "a", "b", "x"], ["eval", "return 1", "0"], ["evalsha", "abc", "1", "a"],
    ["eval_ro", "s", "1", "a"], ["evalsha_ro", "s", "1", "a"], ["fcall", "f", "1", "a"], ["fcall_ro", "f", "0"],
    ["eval", "s", "3", "a"], ["set", "k", "v"], ["set", "k", "v", "GET"], ["set", "k", "v", "EX", "1", "get"],
    ["bitfield", "k", "GET", "u8", "0"], ["bitfield", "k", "SET", "u8", "0", "1"], ["bitfield", "k", "OVERFLOW", "SAT"],
    ["bitfield", "k", "GET", "u8"], ["bitfield_ro", "k", "GET", "u8", "0"], ["bitop", "AND", "d", "a", "b"],
    ["pfmerge", "d", "a", "b"], ["pfcount", "a", "b"], ["getex", "k", "PERSIST"], ["xadd", "s", "*", "f", "v"],
    ["mset", "a", "1", "b", "2"], ["msetnx", "a", "1"], ["del", "a", "b", "c"], ["blpop", "a", "b", "0"],
    ["memory", "usage", "k", "SAMPLES", "0"], ["xinfo", "stream", "s", "FULL"],
    ["spublish", "ch", "m"], ["ssubscribe", "a", "b"], ["sunsubscribe", "a"], ["time", "x"], ["ping", "x"],
    ["touch", "a", "b"], ["watch", "a", "b"],
]
SIMPLE = [argv for cmd in _every_command() if cmd.full_name not in ALLOWED and (argv := _simple_argv(cmd)) is not None]


@pytest.mark.parametrize("argv", MOVABLE + SIMPLE, ids=lambda argv: " ".join(argv))
def test_getkeys_and_flags(diff, diff3, argv):
    diff.check("COMMAND", "GETKEYS", *argv)
    diff.check("COMMAND", "GETKEYSANDFLAGS", *argv)
    diff3.check("COMMAND", "GETKEYSANDFLAGS", *argv)


def test_every_keyed_command_has_an_argv():
    """Each command with keys is exercised above, by its simple argv or an explicit one."""
    covered = {argv[0] for argv in MOVABLE + SIMPLE} | {"|".join(argv[:2]) for argv in MOVABLE + SIMPLE}
    keyed = {cmd.full_name for cmd in _every_command() if cmd.has_keys and cmd.full_name not in ALLOWED}
    assert keyed - covered == set()


def test_command_docs_fields_every_command(diff):
    """COMMAND DOCS: summary, since, group and complexity are Redis's (arguments and history are not kept)."""
    fields = (b"summary", b"since", b"group", b"complexity")
    mismatched = []
    for name in PLAIN_IN_70 + CONTAINERS + [s for s in SUBCOMMANDS if s not in ALLOWED]:
        expected, actual = (parse(raw) for raw in diff.both("COMMAND", "DOCS", name))
        want, got = (dict(zip(doc[1][::2], doc[1][1::2], strict=True)) for doc in (expected, actual))
        if any(got.get(f) != want.get(f) for f in fields):
            mismatched.append(name)
    assert mismatched == []


_TOKENS = st.sampled_from(["k", "a", "0", "1", "2", "3", "-1", "01", " 1", "+2", "1x", "x", "STORE", "store", "STOREDIST", "STREAMS",
                           "streams", "GET", "get", "BY", "LIMIT", "SET", "u8", "OVERFLOW", "km", "GROUP"])
_KEYED = sorted(cmd.full_name for cmd in _every_command() if cmd.has_keys and cmd.full_name not in CHANGED_SINCE_70
                and cmd.full_name not in ALLOWED)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(_KEYED), args=st.lists(_TOKENS, max_size=9))
def test_getkeys_generated(diff, name, args):
    """Any argv, well-formed or not: the same keys, flags and errors as Redis."""
    diff.check("COMMAND", "GETKEYSANDFLAGS", *name.split("|"), *args)
