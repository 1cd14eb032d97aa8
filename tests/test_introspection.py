"""COMMAND and its subcommands read the one command table; compared with real Redis 7.0."""

from __future__ import annotations

import hiredis
import pytest

from tests.helpers import RawConnection, encode_command


def parse(raw: bytes) -> object:
    reader = hiredis.Reader()
    reader.feed(raw)
    return reader.gets()


def normalized(entry: list) -> list:
    """A COMMAND INFO entry with its subcommands sorted by name (Redis lists them in hash order)."""
    return [*entry[:9], sorted((normalized(sub) for sub in entry[9]), key=lambda e: e[0])]


# commands of this part: their whole COMMAND INFO entry (flags, keys, categories, tips, key specs) is Redis's
OWN = ["ping", "echo", "quit", "reset", "auth", "hello", "select", "client|id", "client|setname", "client|getname",
       "client|list", "client|info", "client|kill", "client|pause", "client|unpause", "client|reply",
       "client|no-evict", "client|help", "info", "config", "time", "debug", "memory", "slowlog", "monitor",
       "shutdown", "lastsave", "role", "command", "latency|latest", "latency|history", "latency|reset",
       "latency|graph", "latency|doctor", "latency|help", "get", "set", "del", "mset", "dbsize", "nosuch"]
OTHERS = ("set", "del", "mset", "get", "dbsize")  # their tips and key spec flags are declared by their owners


@pytest.mark.parametrize("resp", [2, 3])
def test_command_info_differential(diff, diff3, resp):
    d = diff if resp == 2 else diff3
    for name in OWN:
        expected, actual = d.both("COMMAND", "INFO", name)
        if name in OTHERS:
            expected, actual = parse(expected)[0][:7], parse(actual)[0][:7]
            assert actual == expected, name
            continue
        if name in ("config", "memory", "slowlog", "command", "client"):
            assert normalized(parse(actual)[0]) == normalized(parse(expected)[0]), name
        else:
            assert actual == expected, name


def test_command_info_several_and_unknown(diff):
    diff.check("COMMAND", "INFO", "ping", "nosuch", "echo")
    diff.check("COMMAND", "INFO", "client|nosuch")


def test_command_count_list_and_all(server):
    conn = RawConnection(server.port)
    count = parse(conn.call("COMMAND", "COUNT"))
    everything = parse(conn.call("COMMAND"))
    assert count == len(everything) > 100
    names = parse(conn.call("COMMAND", "LIST"))
    top = [e[0] for e in everything]
    assert set(top) <= set(names) and b"client|list" in names and b"config|get" in names
    assert len(names) == len(set(names))
    info_all = parse(conn.call("COMMAND", "INFO"))
    assert len(info_all) == count
    conn.close()


def test_command_list_filters(diff, server):
    conn = RawConnection(server.port)
    client_cmds = set(parse(conn.call("COMMAND", "LIST", "FILTERBY", "PATTERN", "client*")))
    assert {b"client", b"client|list", b"client|kill"} <= client_cmds
    connection = set(parse(conn.call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection")))
    assert {b"ping", b"hello", b"client|id"} <= connection and b"get" not in connection
    assert parse(conn.call("COMMAND", "LIST", "FILTERBY", "MODULE", "foo")) == []
    conn.close()
    for args in (("FILTERBY", "foo", "bar"), ("x",), ("FILTERBY", "aclcat", "nosuch"), ("FILTERBY", "pattern")):
        diff.check("COMMAND", "LIST", *args)
    expected, actual = diff.both("COMMAND", "LIST", "FILTERBY", "PATTERN", "conf*")
    assert sorted(parse(actual)) == sorted(parse(expected))


@pytest.mark.parametrize("args", [
    ("GETKEYS",), ("GETKEYS", "get"), ("GETKEYS", "get", "a"), ("GETKEYS", "nosuch", "a"), ("GETKEYS", "set", "a"),
    ("GETKEYS", "client", "list"), ("GETKEYS", "ping", "x"), ("GETKEYS", "mset", "a", "1", "b", "2"),
    ("GETKEYS", "del", "a", "b", "c"), ("GETKEYS", "memory", "usage", "k"), ("GETKEYSANDFLAGS", "get", "a"),
    ("GETKEYSANDFLAGS", "memory", "usage", "k"), ("GETKEYSANDFLAGS", "ping", "x"), ("COUNT", "x"), ("NOSUCH",),
    ("HELP",), ("DOCS", "nosuch"), ("DOCS", "memory|usage|x"),
])
def test_command_subcommands_differential(diff, diff3, args):
    diff.check("COMMAND", *args)
    diff3.check("COMMAND", *args)


def test_command_docs(server):
    conn = RawConnection(server.port)
    docs = parse(conn.call("COMMAND", "DOCS", "get", "client", "nosuch", "config|get"))
    assert set(docs[::2]) == {b"get", b"client", b"config|get"}
    doc = dict(zip(docs[1::2][0][::2], docs[1::2][0][1::2], strict=True))
    assert doc[b"since"] == b"1.0.0" and doc[b"group"] == b"string"
    client = dict(zip(docs[3][::2], docs[3][1::2], strict=True))
    assert client[b"group"] == b"connection" and b"client|list" in client[b"subcommands"][::2]
    every = parse(conn.call("COMMAND", "DOCS"))
    assert len(every) == 2 * parse(conn.call("COMMAND", "COUNT"))
    conn.close()


def test_command_docs_own_commands_match_redis(diff):
    """summary, since, group and complexity of this part's commands are Redis's."""
    for name in ("ping", "echo", "info", "time", "lastsave", "role", "monitor", "client|list", "client|kill",
                 "config|get", "config|set", "memory|usage", "slowlog|get", "latency|latest", "command|count"):
        expected, actual = (parse(raw) for raw in diff.both("COMMAND", "DOCS", name))
        want = dict(zip(expected[1][::2], expected[1][1::2], strict=True))
        got = dict(zip(actual[1][::2], actual[1][1::2], strict=True))
        for field in (b"summary", b"since", b"group", b"complexity"):
            assert got.get(field) == want.get(field), (name, field)


def test_getkeys_for_movable_keys(server):
    conn = RawConnection(server.port)
    conn.send(encode_command(["COMMAND", "GETKEYS", "ZUNION", "2", "a", "b", "WEIGHTS", "1", "2"]))
    assert conn.read_reply()[1] == [b"a", b"b"]
    conn.close()
