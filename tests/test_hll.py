"""HyperLogLog: PFADD PFCOUNT PFMERGE PFDEBUG, byte for byte against real Redis."""

from __future__ import annotations

import random

import pytest
import redis

from dynamis.kv.types import hll
from tests.helpers import RawConnection


def _elements(seed: int, n: int) -> list[str]:
    rnd = random.Random(seed)
    return [f"el:{rnd.getrandbits(48)}" for _ in range(n)]


def _fill(diff, key: str, elements: list[str], batch: int = 11) -> None:
    for i in range(0, len(elements), batch):
        diff.check("PFADD", key, *elements[i : i + batch])


def test_pattern_matches_redis_registers():
    # PFADD x <element>; PFDEBUG GETREG x on real Redis sets exactly this register to this value
    assert hll.pattern_of(b"e28") == (8299, 1)
    assert hll.pattern_of(b"hello world, this is 8+ bytes") == (1209, 3)


def test_pfadd_pfcount_basics(r):
    assert r.pfadd("h", "a", "b", "c") == 1
    assert r.pfadd("h", "a") == 0
    assert r.pfcount("h") == 3
    assert r.pfadd("empty") == 1
    assert r.pfadd("empty") == 0
    assert r.pfcount("empty") == 0
    assert r.pfcount("missing") == 0
    assert r.get("empty") == b"HYLL\x01" + bytes(11) + b"\x7f\xff"
    assert r.object("encoding", "h") == b"raw"


def test_pfadd_keeps_ttl(r):
    r.pfadd("h", "a")
    r.expire("h", 100)
    r.pfadd("h", *[f"x{i}" for i in range(5000)])  # promotes to dense
    assert 0 < r.ttl("h") <= 100
    assert r.execute_command("PFDEBUG", "ENCODING", "h") == b"dense"


@pytest.mark.parametrize("n", [1, 3, 60, 400, 1200, 2500, 6000])
def test_sparse_and_dense_bytes_match_redis(diff, n):
    _fill(diff, "h", _elements(n, n))
    diff.check("GET", "h")
    diff.check("PFCOUNT", "h")
    diff.check("GET", "h")  # the cached cardinality written into the header
    diff.check("PFDEBUG", "ENCODING", "h")
    diff.check("PFADD", "h", "one-more")
    diff.check("GET", "h")
    diff.check("PFCOUNT", "h")


@pytest.mark.parametrize("sizes", [(10, 20), (100, 2000), (3000, 5), (0, 0), (0, 40), (700, 800), (5000, 6000)])
def test_pfmerge_and_multi_key_pfcount(diff, sizes):
    a, b = sizes
    _fill(diff, "a", _elements(a, a))
    _fill(diff, "b", _elements(b + 1, b))
    diff.check("PFCOUNT", "a", "b")
    diff.check("PFCOUNT", "a", "b", "missing")
    diff.check("PFMERGE", "m", "a", "b")
    diff.check("GET", "m")
    diff.check("PFCOUNT", "m")
    diff.check("PFMERGE", "a", "b")
    diff.check("GET", "a")
    diff.check("PFMERGE", "b")
    diff.check("GET", "b")
    diff.check("PFMERGE", "fresh")
    diff.check("GET", "fresh")


def test_pfdebug(diff):
    _fill(diff, "h", _elements(7, 30))
    diff.check("PFDEBUG", "ENCODING", "h")
    diff.check("PFDEBUG", "DECODE", "h")
    diff.check("PFDEBUG", "GETREG", "h")
    diff.check("GET", "h")  # GETREG converted it to dense
    diff.check("PFDEBUG", "DECODE", "h")
    _fill(diff, "s", _elements(8, 10))
    diff.check("PFDEBUG", "TODENSE", "s")
    diff.check("PFDEBUG", "TODENSE", "s")
    diff.check("GET", "s")
    diff.check("PFDEBUG", "FOO", "s")
    diff.check("PFDEBUG", "FOO", "missing")
    diff.check("PFDEBUG", "GETREG", "missing")
    diff.check("SET", "str", "abc")
    diff.check("PFDEBUG", "GETREG", "str")


def test_round_trip_between_redis_and_dynamis(redis_oracle_port, server):
    real = RawConnection(redis_oracle_port)
    ours = RawConnection(server.port)
    try:
        for conn in (real, ours):
            conn.call("FLUSHALL")
        rr = redis.Redis(port=redis_oracle_port)
        dd = redis.Redis(port=server.port)
        for n in (5, 900, 4000):
            els = _elements(100 + n, n)
            rr.delete("h")
            dd.delete("h")
            rr.pfadd("h", *els)
            dd.set("from-redis", rr.get("h"))
            assert dd.pfcount("from-redis") == rr.pfcount("h")
            dd.pfadd("h", *els)
            rr.set("from-dynamis", dd.get("h"))
            assert rr.pfcount("from-dynamis") == dd.pfcount("h")
            # and the value keeps evolving identically on both sides
            dd.pfadd("from-redis", "x", "y", "z")
            rr.pfadd("h", "x", "y", "z")
            assert dd.get("from-redis") == rr.get("h")
        rr.close()
        dd.close()
    finally:
        real.close()
        ours.close()


@pytest.mark.parametrize("value", [
    b"HYLL\x01\x00\x00\x00" + bytes(7) + b"\x80" + b"\x7f\x00",  # sparse covering too few registers
    b"HYLL\x01\x00\x00\x00" + bytes(7) + b"\x80" + b"\x7f\xff\x7f\xff",  # too many
    b"HYLL\x01\x00\x00\x00" + bytes(7) + b"\x80" + b"\x7f\xfe\xfc\xfc",  # a VAL run past the end
    b"HYLL\x01\x00\x00\x00" + bytes(8),  # no opcodes at all
    b"HYLL\x01\x00\x00\x00" + bytes(7) + b"\x80" + b"\x7f",  # XZERO cut short
    b"HYLL\x00\x00\x00\x00" + bytes(8) + bytes(100),  # dense of the wrong size
    b"HYLL\x02\x00\x00\x00" + bytes(8),  # unknown encoding
    b"HYLX\x01\x00\x00\x00" + bytes(8) + b"\x7f\xff",  # bad magic
    b"HYLL\x01\x00",  # too short for a header
    b"12345678901234567890",
])
def test_corrupt_and_invalid_values(diff, value):
    diff.check("SET", "c", value)
    for cmd in (("PFCOUNT", "c"), ("PFADD", "c", "a", "b", "c"), ("GET", "c"), ("PFCOUNT", "c"),
                ("PFCOUNT", "c", "missing"), ("PFMERGE", "x", "c"), ("PFMERGE", "c"), ("PFDEBUG", "DECODE", "c"),
                ("PFDEBUG", "GETREG", "c"), ("GET", "c")):
        diff.check(*cmd)


def test_wrong_types(diff):
    diff.check("RPUSH", "l", "a")
    for cmd in (("PFADD", "l", "a"), ("PFCOUNT", "l"), ("PFCOUNT", "missing", "l"), ("PFMERGE", "l"),
                ("PFMERGE", "x", "l"), ("PFDEBUG", "ENCODING", "l")):
        diff.check(*cmd)


def test_sparse_max_bytes_promotion(diff, server):
    config = server.server.config
    old = config["hll-sparse-max-bytes"]
    diff.redis.call("CONFIG", "SET", "hll-sparse-max-bytes", "100")
    config.apply("hll-sparse-max-bytes", ["100"])
    try:
        els = _elements(11, 60)
        for e in els:
            diff.check("PFADD", "h", e)
        diff.check("GET", "h")
        _fill(diff, "a", els[:20])
        _fill(diff, "b", els[20:])
        diff.check("PFMERGE", "a", "b")
        diff.check("GET", "a")
    finally:
        diff.redis.call("CONFIG", "SET", "hll-sparse-max-bytes", str(old))
        config.apply("hll-sparse-max-bytes", [str(old)])


def test_estimator_accuracy(r):
    r.pfadd("big", *[f"item{i}" for i in range(50_000)])
    assert abs(r.pfcount("big") - 50_000) < 50_000 * 0.02
    r.pfadd("other", *[f"item{i}" for i in range(25_000, 75_000)])
    assert abs(r.pfcount("big", "other") - 75_000) < 75_000 * 0.02


def test_encodings_follow_redis(diff):
    diff.check("PFADD", "h", "a", "b")
    diff.check("PFCOUNT", "h")
    small = diff.check("GET", "h").split(b"\r\n", 1)[1][:-2]
    diff.check("SET", "copy", small)  # an 18..44-byte value is an embstr...
    diff.check("OBJECT", "ENCODING", "copy")
    diff.check("PFCOUNT", "copy")  # ...until PFCOUNT unshares it, even to read the cached count
    diff.check("OBJECT", "ENCODING", "copy")
    diff.check("OBJECT", "ENCODING", "h")
