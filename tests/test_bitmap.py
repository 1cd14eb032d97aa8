"""Bitmaps: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO, against redis-py and real Redis."""

from __future__ import annotations

import pytest
import redis


def test_setbit_getbit_grow_and_return_old(r):
    assert r.setbit("bm", 7, 1) == 0
    assert r.get("bm") == b"\x01"
    assert r.setbit("bm", 7, 1) == 1
    assert r.setbit("bm", 100, 1) == 0
    assert len(r.get("bm")) == 13
    assert r.getbit("bm", 100) == 1
    assert r.getbit("bm", 99) == 0
    assert r.getbit("bm", 10_000) == 0
    assert r.getbit("missing", 3) == 0
    assert r.object("encoding", "bm") == b"raw"


def test_setbit_keeps_ttl(r):
    r.set("bm", "a", ex=100)
    r.setbit("bm", 0, 1)
    assert r.get("bm") == b"\xe1"
    assert 0 < r.ttl("bm") <= 100


def test_bitcount_and_bitpos(r):
    r.set("bm", b"\xff\xf0\x00")
    assert r.bitcount("bm") == 12
    assert r.bitcount("bm", 1, 1) == 4
    assert r.bitcount("bm", 5, 30, "bit") == 7
    assert r.bitpos("bm", 0) == 12
    assert r.bitpos("bm", 1, 2) == -1
    assert r.bitpos("bm", 0, 0, 0) == -1  # an explicit end: no zero padding on the right
    assert r.bitpos("bm", 1, 7, 15, "bit") == 7
    assert r.bitpos("missing", 0) == 0
    assert r.bitpos("missing", 1) == -1


def test_bitop(r):
    r.set("a", b"\x0f\xf0")
    r.set("b", b"\xff")
    assert r.bitop("and", "dst", "a", "b") == 2
    assert r.get("dst") == b"\x0f\x00"
    assert r.bitop("or", "dst", "a", "b", "missing") == 2
    assert r.get("dst") == b"\xff\xf0"
    assert r.bitop("xor", "dst", "a", "b") == 2
    assert r.get("dst") == b"\xf0\xf0"
    assert r.bitop("not", "dst", "a") == 2
    assert r.get("dst") == b"\xf0\x0f"
    assert r.bitop("and", "dst", "missing", "missing2") == 0
    assert r.exists("dst") == 0


def test_bitfield(r):
    bf = r.bitfield("bf")
    assert bf.set("u8", 0, 255).get("u8", 0).incrby("u8", 0, 10).execute() == [0, 255, 9]
    assert r.bitfield("bf").overflow("SAT").incrby("u8", 0, 1000).execute() == [255]
    assert r.bitfield("bf").overflow("FAIL").incrby("u8", 0, 1).execute() == [None]
    assert r.bitfield("bf").set("i8", "#1", -1).get("i8", "#1").get("u4", 8).execute() == [0, -1, 15]
    assert r.bitfield_ro("bf", "u8", 0, items=[("u4", 4)]) == [255, 15]
    with pytest.raises(redis.ResponseError, match="BITFIELD_RO only supports the GET subcommand"):
        r.execute_command("BITFIELD_RO", "bf", "SET", "u8", 0, 1)


@pytest.mark.parametrize("args", [
    ("SETBIT", "k", -1, 1), ("SETBIT", "k", 4294967296, 1), ("SETBIT", "k", 4294967295, 2), ("SETBIT", "k", "x", 1),
    ("SETBIT", "k", 1, "-1"), ("GETBIT", "k", "-1"), ("GETBIT", "k", 4294967296), ("GETBIT", "k", "1.5"),
    ("BITCOUNT", "k", 1), ("BITCOUNT", "k", "a", "b"), ("BITCOUNT", "k", 0, -1, "bitx"), ("BITCOUNT", "k", -1, -2, "bitx"),
    ("BITCOUNT", "k", 0, 1, "BIT", "x"), ("BITCOUNT", "nokey", 1), ("BITCOUNT", "k", 0, 100, "BIT"),
    ("BITCOUNT", "k", -5, -1, "bit"), ("BITPOS", "k", 2), ("BITPOS", "k", "a"), ("BITPOS", "nokey", 1, "a"),
    ("BITPOS", "k", 0, "a"), ("BITPOS", "k", 0, 1, "b"), ("BITPOS", "k", 0, 1, 2, "bat"), ("BITPOS", "k", 0, 1, 2, "bit", 4),
    ("BITPOS", "k", 1, 3, 2), ("BITPOS", "k", 0, -100, 100, "BIT"), ("BITPOS", "k", 1, 10, 12, "BIT"),
    ("BITOP", "nand", "d", "k"), ("BITOP", "NOT", "d", "k", "k"), ("BITOP", "and", "d", "k", "lst"),
    ("BITFIELD", "k", "GET", "u64", 0), ("BITFIELD", "k", "GET", "i65", 0), ("BITFIELD", "k", "GET", "i0", 0),
    ("BITFIELD", "k", "GET", "x8", 0), ("BITFIELD", "k", "GET", "u8", "#-1"), ("BITFIELD", "k", "GET", "u8", "-1"),
    ("BITFIELD", "k", "GET", "u8", 4294967296), ("BITFIELD", "k", "OVERFLOW", "bad"), ("BITFIELD", "k", "GETT", "u8", 0),
    ("BITFIELD", "k", "GET", "u8"), ("BITFIELD", "k", "SET", "u8", 0), ("BITFIELD", "k", "SET", "u8", 0, "x"),
    ("BITFIELD", "k", "INCRBY", "u8", 0, "1.5"), ("BITFIELD", "k"), ("BITFIELD", "nokey", "GET", "u8", 0),
    ("BITFIELD", "lst", "GET", "u8", 0), ("BITFIELD", "lst", "SET", "u8", 0, 1), ("BITFIELD_RO", "k", "INCRBY", "u8", 0, 1),
    ("BITFIELD", "k", "OVERFLOW", "SAT", "SET", "i8", 0, "-9223372036854775808", "GET", "u8", 0),
    ("BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u8", 8, "-1", "OVERFLOW", "WRAP", "SET", "u8", 16, "-1"),
    ("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i64", 0, "9223372036854775807", "INCRBY", "i64", 0, 1),
    ("BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "i64", 0, "9223372036854775807", "INCRBY", "i64", 0, 1),
    ("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i64", 0, "-9223372036854775808", "INCRBY", "i64", 0, -1),
    ("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u63", 3, "9223372036854775807", "INCRBY", "u63", 3, 1),
    ("BITFIELD", "k", "SET", "u1", 7, 5, "SET", "i3", "#3", 5, "INCRBY", "i3", "#3", -9),
    ("SETBIT", "lst", 0, 1), ("GETBIT", "lst", 0), ("BITCOUNT", "lst"), ("BITPOS", "lst", 1),
])
def test_errors_and_edges_match_redis(diff, args):
    diff.check("SET", "k", "foobar")
    diff.check("RPUSH", "lst", "a")
    diff.check(*args)
    diff.check("GET", "k")


def test_setbit_offset_follows_proto_max_bulk_len(diff, server):
    config = server.server.config
    old = config["proto-max-bulk-len"]
    diff.redis.call("CONFIG", "SET", "proto-max-bulk-len", "1048576")
    config.apply("proto-max-bulk-len", ["1048576"])
    try:
        diff.check("SETBIT", "k", 8 * 1048576 - 1, 1)
        diff.check("SETBIT", "k", 8 * 1048576, 1)
        diff.check("BITFIELD", "k", "SET", "u8", "#1048576", 1)
        diff.check("STRLEN", "k")
    finally:
        diff.redis.call("CONFIG", "SET", "proto-max-bulk-len", str(old))
        config.apply("proto-max-bulk-len", [str(old)])


def test_bitop_result_is_raw_and_drops_ttl(r):
    r.set("src", "abc")
    r.set("dst", "x", ex=100)
    assert r.bitop("or", "dst", "src") == 3
    assert r.ttl("dst") == -1
    assert r.object("encoding", "dst") == b"raw"


def test_bitcount_large_string_is_fast(r):
    r.setbit("big", 8 * 4_000_000 - 1, 1)
    r.setbit("big", 12345, 1)
    assert r.bitcount("big") == 2
    assert r.bitcount("big", 1000, -1) == 2
    assert r.bitpos("big", 1, 2000) == 8 * 4_000_000 - 1


def test_bit_commands_on_incrbyfloat_strings(diff):
    diff.check("INCRBYFLOAT", "f", "3.0")  # stored like an embstr "3"
    diff.check("GETBIT", "f", 2)
    diff.check("BITCOUNT", "f")
    diff.check("SETBIT", "f", 1, 1)
    diff.check("GET", "f")
    diff.check("INCRBYFLOAT", "g", "10.5")
    diff.check("BITOP", "OR", "d", "f", "g")
    diff.check("GET", "d")
    diff.check("BITFIELD", "g", "INCRBY", "u8", 0, 1)
    diff.check("PFADD", "g", "a")
    diff.check("PFCOUNT", "g")
