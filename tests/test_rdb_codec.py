"""The RDB codec below DUMP/RESTORE: the encodings only older servers write (ziplist, zipmap, quicklist 1,
text-double zsets, stream listpacks 1), built here by hand and RESTOREd on real redis-server 7.0 (which
still loads them) and on dynamis, which must end with the same values; stream consumer groups written
back byte for byte; CRC-64 and LZF on their own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from dynamis.config import Config
from dynamis.kv.persistence import lzf, rdb
from dynamis.kv.persistence.crc64 import crc64
from dynamis.kv.persistence.encodings import build_listpack, listpack, lp_entry, lp_int


@pytest.fixture
def both(redis_oracle_port: int, server) -> Iterator[tuple[redis.Redis, redis.Redis]]:
    clients = (redis.Redis(port=redis_oracle_port, protocol=2), server.client(protocol=2))
    for client in clients:
        client.flushall()
    yield clients
    for client in clients:
        client.close()


def payload(obj: bytes, version: int = 9) -> bytes:
    body = obj + version.to_bytes(2, "little")
    return body + crc64(body).to_bytes(8, "little")


def rdb_len(n: int) -> bytes:
    return bytes((n,)) if n < 64 else bytes((0x40 | (n >> 8), n & 0xFF))


def rdb_string(s: bytes) -> bytes:
    return rdb_len(len(s)) + s


def ziplist(elements: list[bytes | int]) -> bytes:
    """A ziplist as Redis 2.6-6.2 wrote them: prevlen, encoding, data per entry."""
    entries = []
    prev = 0
    for e in elements:
        head = bytes((prev,)) if prev < 254 else b"\xfe" + prev.to_bytes(4, "little")
        if isinstance(e, int):
            if 0 <= e <= 12:
                enc = bytes((0xF1 + e,))
            elif -128 <= e <= 127:
                enc = b"\xfe" + e.to_bytes(1, "little", signed=True)
            elif -32768 <= e <= 32767:
                enc = b"\xc0" + e.to_bytes(2, "little", signed=True)
            elif -(1 << 23) <= e < (1 << 23):
                enc = b"\xf0" + e.to_bytes(3, "little", signed=True)
            elif -(1 << 31) <= e < (1 << 31):
                enc = b"\xd0" + e.to_bytes(4, "little", signed=True)
            else:
                enc = b"\xe0" + e.to_bytes(8, "little", signed=True)
        else:
            n = len(e)
            enc = (bytes((n,)) if n < 64 else bytes((0x40 | (n >> 8), n & 0xFF))) + e
        entries.append(head + enc)
        prev = len(head + enc)
    body = b"".join(entries)
    tail = 10 + len(body) - (len(entries[-1]) if entries else 0)
    return ((len(body) + 11).to_bytes(4, "little") + tail.to_bytes(4, "little")
            + len(entries).to_bytes(2, "little") + body + b"\xff")


def zipmap(pairs: list[tuple[bytes, bytes]]) -> bytes:
    body = b"".join(bytes((len(k),)) + k + bytes((len(v), 0)) + v for k, v in pairs)
    return bytes((len(pairs),)) + body + b"\xff"


def restore_both(both: tuple[redis.Redis, redis.Redis], obj: bytes) -> list[object]:
    """RESTORE the object on both servers: the replies (or errors) must agree."""
    replies = []
    for client in both:
        try:
            replies.append(client.restore("k", 0, payload(obj), replace=True))
        except redis.ResponseError as exc:
            replies.append(str(exc))
    assert replies[0] == replies[1]
    return replies


MIXED = [b"hello", 0, 12, 13, -1, 200, -30000, 1 << 20, -(1 << 30), 1 << 40, b"x" * 100, b"", b"007"]


def test_list_ziplist_and_quicklist_1(both) -> None:
    oracle, dyn = both
    for obj in (bytes((rdb.TYPE_LIST_ZIPLIST,)) + rdb_string(ziplist(MIXED)),
                bytes((rdb.TYPE_LIST_QUICKLIST, 2)) + rdb_string(ziplist(MIXED)) + rdb_string(ziplist([b"a", 5])),
                bytes((rdb.TYPE_LIST, 3)) + rdb_string(b"a") + b"\xc0\x05" + rdb_string(b"c")):
        restore_both(both, obj)
        assert dyn.lrange("k", 0, -1) == oracle.lrange("k", 0, -1)
        if obj[0] != rdb.TYPE_LIST_QUICKLIST:  # Redis keeps a loaded quicklist's nodes as they were
            assert dyn.dump("k")[:-10] == oracle.dump("k")[:-10]


def test_hash_zipmap_ziplist_and_plain(both) -> None:
    oracle, dyn = both
    pairs = [(b"f1", b"v1"), (b"n", b"12"), (b"long", b"y" * 80)]
    for obj in (bytes((rdb.TYPE_HASH_ZIPMAP,)) + rdb_string(zipmap(pairs)),
                bytes((rdb.TYPE_HASH_ZIPLIST,)) + rdb_string(ziplist([b"f1", b"v1", b"n", 12, b"z", b""])),
                bytes((rdb.TYPE_HASH, 2)) + rdb_string(b"a") + rdb_string(b"1") + rdb_string(b"b") + rdb_string(b"2")):
        restore_both(both, obj)
        assert dyn.hgetall("k") == oracle.hgetall("k")
        assert dyn.object("encoding", "k") == oracle.object("encoding", "k")
        if oracle.object("encoding", "k") == b"listpack":
            assert dyn.dump("k")[:-10] == oracle.dump("k")[:-10]


def test_zset_ziplist_and_text_doubles(both) -> None:
    oracle, dyn = both
    text_zset = bytes((rdb.TYPE_ZSET, 4)) + b"".join(
        rdb_string(m) + d for m, d in ((b"a", b"\x031.5"), (b"b", b"\xfe"), (b"c", b"\xff"), (b"d", b"\x02-7")))
    for obj in (bytes((rdb.TYPE_ZSET_ZIPLIST,)) + rdb_string(ziplist([b"a", 1, b"b", b"2.5", b"c", 300])),
                text_zset):
        restore_both(both, obj)
        assert dyn.zrange("k", 0, -1, withscores=True) == oracle.zrange("k", 0, -1, withscores=True)
        assert dyn.dump("k")[:-10] == oracle.dump("k")[:-10]


def test_sets_and_intset_widths(both) -> None:
    oracle, dyn = both
    wide = (8).to_bytes(4, "little") + (3).to_bytes(4, "little") + b"".join(
        v.to_bytes(8, "little", signed=True) for v in (-5, 1, 7))  # 64-bit slots for small values
    for obj in (bytes((rdb.TYPE_SET_INTSET,)) + rdb_string(wide),
                bytes((rdb.TYPE_SET, 3)) + rdb_string(b"1") + rdb_string(b"2") + rdb_string(b"x"),
                bytes((rdb.TYPE_SET, 2)) + rdb_string(b"1") + rdb_string(b"2")):
        restore_both(both, obj)
        assert sorted(dyn.smembers("k")) == sorted(oracle.smembers("k"))
        assert dyn.object("encoding", "k") == oracle.object("encoding", "k")


@pytest.mark.parametrize("obj", [
    bytes((rdb.TYPE_SET, 2)) + rdb_string(b"1") + rdb_string(b"1"),  # duplicate members
    bytes((rdb.TYPE_SET, 2)) + rdb_string(b"x") + rdb_string(b"x"),
    bytes((rdb.TYPE_HASH_ZIPLIST,)) + rdb_string(ziplist([b"f", b"1", b"f", b"2"])),
    bytes((rdb.TYPE_HASH_ZIPLIST,)) + rdb_string(ziplist([b"f", b"1", b"g"])),
    bytes((rdb.TYPE_ZSET_ZIPLIST,)) + rdb_string(ziplist([b"a", 1, b"a", 2])),
    bytes((rdb.TYPE_ZSET, 1)) + rdb_string(b"a") + b"\xfd",  # a NaN score
    bytes((rdb.TYPE_ZSET_2, 1)) + rdb_string(b"a") + b"\x00" * 6 + b"\xf8\x7f",
    bytes((rdb.TYPE_LIST_ZIPLIST,)) + rdb_string(ziplist([]) [:-1] + b"\xfe"),
    bytes((rdb.TYPE_LIST_ZIPLIST,)) + rdb_string(ziplist([b"abc"])[:-3] + b"\x09\xff"),
    bytes((rdb.TYPE_HASH_ZIPMAP,)) + rdb_string(zipmap([(b"a", b"1"), (b"a", b"2")])),
])
def test_corrupt_old_encodings_are_bad_data_format(both, obj) -> None:
    assert restore_both(both, obj) == ["Bad data format"] * 2


def _stream_node(master: tuple[int, int], entries: list[tuple[int, int, list[bytes]]]) -> bytes:
    """A stream node listpack with master fields a, b (entries with those fields use SAMEFIELDS)."""
    items = [lp_int(len(entries)), lp_int(0), lp_int(2), lp_entry(b"a"), lp_entry(b"b"), lp_int(0)]
    for ms, seq, fv in entries:
        if fv[0::2] == [b"a", b"b"]:
            items += [lp_int(2), lp_int(ms - master[0]), lp_int(seq - master[1]), *map(lp_entry, fv[1::2]), lp_int(5)]
        else:
            items += [lp_int(0), lp_int(ms - master[0]), lp_int(seq - master[1]), lp_int(len(fv) // 2),
                      *map(lp_entry, fv), lp_int(len(fv) + 4)]
    return listpack(items, len(items))


def test_stream_listpacks_1(both) -> None:
    """RDB 9 streams: no first ID, no tombstone bookkeeping, no group read counters."""
    oracle, dyn = both
    node = _stream_node((5, 0), [(5, 0, [b"a", b"1", b"b", b"2"]), (6, 3, [b"c", b"x"]), (9, 0, [b"a", b"3", b"b", b"4"])])
    group = rdb_string(b"grp") + bytes((6, 3)) + rdb_len(1) + (6 << 64 | 3).to_bytes(16, "big") \
        + (1_700_000_000_000).to_bytes(8, "little") + bytes((2,)) + rdb_len(1) + rdb_string(b"alice") \
        + (1_700_000_000_500).to_bytes(8, "little") + rdb_len(1) + (6 << 64 | 3).to_bytes(16, "big")
    obj = (bytes((rdb.TYPE_STREAM_LISTPACKS, 1)) + rdb_string((5 << 64).to_bytes(16, "big")) + rdb_string(node)
           + bytes((3, 9, 0, 1)) + group)
    restore_both(both, obj)
    assert dyn.xrange("k") == oracle.xrange("k")
    assert dyn.xinfo_groups("k") == oracle.xinfo_groups("k")
    assert dyn.xpending("k", "grp") == oracle.xpending("k", "grp")
    assert [(c["name"], c["pending"]) for c in dyn.xinfo_consumers("k", "grp")] == [
        (c["name"], c["pending"]) for c in oracle.xinfo_consumers("k", "grp")]
    fields = ("length", "last-generated-id", "max-deleted-entry-id", "entries-added", "recorded-first-entry-id",
              "first-entry", "last-entry")
    assert [dyn.xinfo_stream("k")[f] for f in fields] == [oracle.xinfo_stream("k")[f] for f in fields]


def test_stream_groups_written_back_byte_for_byte(both) -> None:
    """A Redis stream payload with groups, PELs and consumers, decoded and encoded again as RDB 10: the
    same bytes (the times come from the payload), and as RDB 12 the same plus the consumers' active time."""
    oracle, _ = both
    oracle.xgroup_create("t", "empty", id="$", mkstream=True)
    for i in range(1, 60):
        oracle.xadd("t", {"f": i}, id=f"{i}-0")
    oracle.xgroup_create("t", "g", id="0")
    oracle.xreadgroup("g", "c2", {"t": ">"}, count=2)
    oracle.xreadgroup("g", "c1", {"t": ">"}, count=2)
    oracle.xclaim("t", "g", "c1", 0, ["1-0"])
    expected = oracle.dump("t")
    value = rdb.decode_value(expected, Config())
    assert rdb.encode_value(value, Config(), version=10) == expected[:-10]
    newer = rdb.encode_value(value, Config())
    assert newer[0] == rdb.TYPE_STREAM_LISTPACKS_3
    assert rdb.decode_value(newer, Config()).groups[b"g"].consumers[b"c1"].active_time == \
        value.groups[b"g"].consumers[b"c1"].seen_time


def test_crc64_and_payload_trailer() -> None:
    assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA
    data = bytes(range(256)) * 50
    assert crc64(data[100:], crc64(data[:100])) == crc64(data)
    dumped = rdb.dump_payload(b"hello", Config())
    assert dumped[-10:-8] == b"\x0c\x00" and rdb.verify_payload(dumped)
    assert not rdb.verify_payload(dumped[:-1] + b"\x00")
    assert not rdb.verify_payload(b"short")


@pytest.mark.parametrize("data", [b"a" * 1000, bytes(range(256)) * 40, b"abcabcabd" * 300, b"x" * 21,
                                  b"0123456789" * 2 + b"0"])
def test_lzf_round_trip_and_bounds(data) -> None:
    packed = lzf.compress(data, len(data) - 4)
    if packed is not None:
        assert lzf.decompress(packed, len(data)) == data
        with pytest.raises(lzf.LZFError):
            lzf.decompress(packed, len(data) + 1)
        with pytest.raises(lzf.LZFError):
            lzf.decompress(packed[:-1], len(data))
    assert lzf.compress(bytes(range(256)), 252) is None  # incompressible within len - 4


def test_listpack_encodings() -> None:
    """The integer and string entry encodings of listpack.c, by their first bytes."""
    cases = {b"0": b"\x00\x01", b"127": b"\x7f\x01", b"128": b"\xc0\x80\x02", b"-1": b"\xdf\xff\x02",
             b"4096": b"\xf1\x00\x10\x03", b"-32769": b"\xf2\xff\x7f\xff\x04", b"8388608": b"\xf3\x00\x00\x80\x00\x05",
             b"-0": b"\x82-0\x03", b"01": b"\x8201\x03"}
    for text, encoded in cases.items():
        assert lp_entry(text) == encoded
    assert lp_entry(b"x" * 64)[:2] == b"\xe0\x40" and lp_entry(b"x" * 4096)[:5] == b"\xf0\x00\x10\x00\x00"
    assert build_listpack([b"a"]) == b"\x0a\x00\x00\x00\x01\x00\x81a\x02\xff"
