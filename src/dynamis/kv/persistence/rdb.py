"""The RDB object format (rdb.c): one value serialized as Redis serializes it, and back.

`encode_value` writes a value's RDB type byte and body, choosing the RDB type and the bytes Redis 7.x
writes for the encoding OBJECT ENCODING reports (strings with integer and LZF encodings, quicklist 2
of listpacks, intset, listpack or skiplist zsets, listpack or hashtable hashes, the 7.4 hash types
with field TTLs, stream listpacks 3). `decode_value` reads every object type Redis 7.4 still loads,
older ones included (ziplist, zipmap, quicklist 1, stream listpacks 1 and 2), checking the payload
as sanitize-dump-payload=yes would: a malformed one raises RdbError, never anything else.
DUMP/RESTORE wrap a value in a payload (`dump_payload`, `verify_payload`); RDB files and replication
will use the same codec.

Where Redis's bytes depend on history that dynamis does not keep, the encoder writes what Redis
would hold had the value been built by appends: quicklist nodes are filled from the head as RPUSH
fills them, an intset has the width of its current members, zset listpack scores are spelled as 7.0
spells them (%.17g), deleted stream entries keep their place (as tombstones with empty values), a
listpackEx hash lists its timed fields by time (ties in insertion order) before the others. Hashtable
sets and hashes come out in dynamis's order (Redis's depends on its hash seed).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

import hiredis

from dynamis.config import Config
from dynamis.kv.args import strtod
from dynamis.kv.persistence import lzf
from dynamis.kv.persistence.crc64 import crc64
from dynamis.kv.persistence.encodings import (
    as_int64,
    build_intset,
    build_listpack,
    listpack,
    lp_entry,
    lp_int,
    parse_intset,
    parse_listpack,
    parse_ziplist,
    parse_zipmap,
)
from dynamis.kv.types.hash import FieldTimes, HashValue, HashValueEx
from dynamis.kv.types.list import ListValue
from dynamis.kv.types.set import SetValue, new_set
from dynamis.kv.types.stream import NACK, Consumer, ConsumerGroup, Stream
from dynamis.kv.types.string import STRING_TYPES
from dynamis.kv.types.zset import SortedSet

RDB_VERSION = 12  # Redis 7.4's

# object types (rdb.h)
TYPE_STRING, TYPE_LIST, TYPE_SET, TYPE_ZSET, TYPE_HASH, TYPE_ZSET_2 = 0, 1, 2, 3, 4, 5
TYPE_MODULE_PRE_GA, TYPE_MODULE_2 = 6, 7
TYPE_HASH_ZIPMAP, TYPE_LIST_ZIPLIST, TYPE_SET_INTSET, TYPE_ZSET_ZIPLIST, TYPE_HASH_ZIPLIST = 9, 10, 11, 12, 13
TYPE_LIST_QUICKLIST, TYPE_STREAM_LISTPACKS, TYPE_HASH_LISTPACK, TYPE_ZSET_LISTPACK = 14, 15, 16, 17
TYPE_LIST_QUICKLIST_2, TYPE_STREAM_LISTPACKS_2, TYPE_SET_LISTPACK, TYPE_STREAM_LISTPACKS_3 = 18, 19, 20, 21
TYPE_HASH_METADATA_PRE_GA, TYPE_HASH_LISTPACK_EX_PRE_GA = 22, 23  # 7.4 release candidates
TYPE_HASH_METADATA, TYPE_HASH_LISTPACK_EX = 24, 25
# the RDB version that introduced each newer type: a payload holding one cannot be loaded by an older
# Redis (7.0 writes and reads RDB 10)
TYPE_SINCE = {TYPE_SET_LISTPACK: 11, TYPE_STREAM_LISTPACKS_3: 11, TYPE_HASH_METADATA_PRE_GA: 12,
              TYPE_HASH_LISTPACK_EX_PRE_GA: 12, TYPE_HASH_METADATA: 12, TYPE_HASH_LISTPACK_EX: 12}

_ENC_INT8, _ENC_INT16, _ENC_INT32, _ENC_LZF = 0, 1, 2, 3
_CONTAINER_PLAIN, _CONTAINER_PACKED = 1, 2
_STREAM_DELETED, _STREAM_SAMEFIELDS = 1, 2
_MASK64 = (1 << 64) - 1
_MAX_STREAM_ID = (1 << 128) - 1
_EXPIRE_TIME_MAX = (1 << 48) - 1  # EB_EXPIRE_TIME_MAX: hash field times fit in 48 bits
# quicklist node size limits by list-max-listpack-size -1..-5, and the cap for positive (count) fills
_QUICKLIST_LEVELS = (4096, 8192, 16384, 32768, 65536)
_QUICKLIST_SAFETY_LIMIT = 8192
_QUICKLIST_ENTRY_OVERHEAD = 8  # SIZE_ESTIMATE_OVERHEAD
_QUICKLIST_PACKED_THRESHOLD = 1 << 30  # elements this big get a plain node of their own
_pack_double = struct.Struct("<d").pack
_unpack_double = struct.Struct("<d").unpack


class RdbError(ValueError):
    """A payload that does not decode to a value (RESTORE answers 'Bad data format')."""


# -- payloads (DUMP / RESTORE) -------------------------------------------------------------------------

def dump_payload(value: Any, config: Config) -> bytes:
    """DUMP's serialization of one value."""
    return seal(encode_value(value, config))


def seal(body: bytes | bytearray) -> bytes:
    """A DUMP-format payload (DUMP, FUNCTION DUMP): `body`, the RDB version (2 bytes) and the CRC-64 of
    both (8 bytes), little endian."""
    body = bytes(body) + RDB_VERSION.to_bytes(2, "little")
    return body + crc64(body).to_bytes(8, "little")


def verify_payload(payload: bytes) -> bool:
    """verifyDumpPayload: a version Redis 7.4 reads and a matching CRC-64."""
    if len(payload) < 10 or int.from_bytes(payload[-10:-8], "little") > RDB_VERSION:
        return False
    return crc64(memoryview(payload)[:-8]) == int.from_bytes(payload[-8:], "little")


# -- writing -------------------------------------------------------------------------------------------

def _save_len(out: bytearray, n: int) -> None:
    if n < 64:
        out.append(n)
    elif n < 16384:
        out += bytes((0x40 | (n >> 8), n & 0xFF))
    elif n <= 0xFFFFFFFF:
        out.append(0x80)
        out += n.to_bytes(4, "big")
    else:
        out.append(0x81)
        out += n.to_bytes(8, "big")


def save_string(out: bytearray, s: bytes, compress: bool) -> None:
    """rdbSaveRawString: a small integer as 1, 2 or 4 bytes, LZF when longer than 20 bytes and it saves
    at least 4, else length and bytes."""
    n = len(s)
    if n <= 11:
        v = as_int64(s)
        if v is not None and -(1 << 31) <= v < (1 << 31):
            if -128 <= v <= 127:
                out += bytes((0xC0 | _ENC_INT8, v & 0xFF))
            elif -32768 <= v <= 32767:
                out.append(0xC0 | _ENC_INT16)
                out += (v & 0xFFFF).to_bytes(2, "little")
            else:
                out.append(0xC0 | _ENC_INT32)
                out += (v & 0xFFFFFFFF).to_bytes(4, "little")
            return
    if compress and n > 20:
        packed = lzf.compress(s, n - 4)
        if packed is not None:
            out.append(0xC0 | _ENC_LZF)
            _save_len(out, len(packed))
            _save_len(out, n)
            out += packed
            return
    _save_len(out, n)
    out += s


def _save_ms(out: bytearray, ms: int) -> None:
    out += (ms & _MASK64).to_bytes(8, "little")


def d2string(value: float) -> bytes:
    """Redis 7.0's d2string, how a zset listpack spells a score: integers exactly, else %.17g."""
    if math.isnan(value):
        return b"nan"
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    if value == 0:
        return b"-0" if math.copysign(1.0, value) < 0 else b"0"
    if -4503599627370495 < value < 4503599627370496 and value == int(value):
        return b"%d" % int(value)
    return b"%.17g" % value


def encode_value(value: Any, config: Config, version: int = RDB_VERSION) -> bytes:
    """The RDB type byte and object body of `value` (rdbSaveObjectType + rdbSaveObject). With `version`
    below 11 a stream is written as RDB 10 (Redis 7.0) writes it, for servers that read no newer."""
    out = bytearray()
    compress = bool(config["rdbcompression"])
    _ENCODERS[type(value)](out, value, config, compress, version)
    return bytes(out)


def _encode_string(out: bytearray, value: Any, config: Config, compress: bool, version: int) -> None:
    out.append(TYPE_STRING)
    save_string(out, bytes(value), compress)


def _quicklist_nodes(elements: ListValue, fill: int) -> list[list[bytes]]:
    """How quicklistPushTail splits the elements into listpack nodes (_quicklistNodeAllowInsert)."""
    nodes: list[list[bytes]] = []
    node: list[bytes] | None = None
    node_bytes = 0
    limit = _QUICKLIST_LEVELS[min(-fill, 5) - 1] if fill < 0 else 0
    for element in elements:
        entry = lp_entry(element)
        sz = len(element)
        if node is not None and sz < _QUICKLIST_PACKED_THRESHOLD:
            new_size = node_bytes + sz + _QUICKLIST_ENTRY_OVERHEAD  # Redis's overestimate of the grown listpack
            if (new_size <= limit if limit else new_size <= _QUICKLIST_SAFETY_LIMIT and len(node) < fill):
                node.append(entry)
                node_bytes += len(entry)
                continue
        node = [entry]
        node_bytes = 7 + len(entry)
        nodes.append(node)
    return nodes


def _encode_list(out: bytearray, value: ListValue, config: Config, compress: bool, version: int) -> None:
    out.append(TYPE_LIST_QUICKLIST_2)
    nodes = _quicklist_nodes(value, config["list-max-listpack-size"])
    _save_len(out, len(nodes))
    for node in nodes:
        _save_len(out, _CONTAINER_PACKED)
        save_string(out, listpack(node, len(node)), compress)


def _encode_set(out: bytearray, value: SetValue, config: Config, compress: bool, version: int) -> None:
    if value.intset:
        out.append(TYPE_SET_INTSET)
        save_string(out, build_intset(int(m) for m in value.members), compress)
        return
    out.append(TYPE_SET)
    _save_len(out, len(value.members))
    for member in value.members:
        save_string(out, member, compress)


def _encode_zset(out: bytearray, value: SortedSet, config: Config, compress: bool, version: int) -> None:
    if value.listpack:
        out.append(TYPE_ZSET_LISTPACK)
        entries = []
        for score, member in value.order:
            entries.append(lp_entry(member))
            entries.append(lp_entry(d2string(score)))
        save_string(out, listpack(entries, len(entries)), compress)
        return
    out.append(TYPE_ZSET_2)
    _save_len(out, len(value.order))
    for score, member in reversed(value.order):  # Redis walks its skiplist from the tail
        save_string(out, member, compress)
        out += _pack_double(score)


def _encode_hash(out: bytearray, value: HashValue, config: Config, compress: bool, version: int) -> None:
    times = value.ttls.when if type(value) is HashValueEx else {}
    if not value.big:
        if type(value) is HashValueEx:
            # a listpackEx: (field, value, time) triplets, those with a time first by time, 0 for none
            out.append(TYPE_HASH_LISTPACK_EX)
            _save_ms(out, value.ttls.filed or 0)
            timed = sorted((f for f in value if f in times), key=times.__getitem__)
            entries = []
            for field in timed + [f for f in value if f not in times]:
                entries += (lp_entry(field), lp_entry(value[field]), lp_int(times.get(field, 0)))
            save_string(out, listpack(entries, len(entries)), compress)
        else:
            out.append(TYPE_HASH_LISTPACK)
            save_string(out, build_listpack(x for pair in value.items() for x in pair), compress)
        return
    live_times = [times[f] for f in value if f in times]
    if not live_times:
        out.append(TYPE_HASH)
        _save_len(out, len(value))
        for field, val in value.items():
            save_string(out, field, compress)
            save_string(out, val, compress)
        return
    # fields' times relative to the earliest, +1 so that 0 stays "no time"
    out.append(TYPE_HASH_METADATA)
    earliest = min(live_times)
    _save_ms(out, earliest)
    _save_len(out, len(value))
    for field, val in value.items():
        when = times.get(field)
        _save_len(out, 0 if when is None else when - earliest + 1)
        save_string(out, field, compress)
        save_string(out, val, compress)


def _stream_id(sid: int) -> bytes:
    return sid.to_bytes(16, "big")


def _stream_node_listpack(node: Any) -> bytes:
    """A stream node as t_stream.c lays it out: the master entry (live count, deleted count, the master
    fields, 0), then per entry flags, ms and seq deltas from the master ID, the fields unless they are
    the master's, the values, and the entry's element count."""
    master = node.ids[0]
    master_fields = node.fields
    reader = hiredis.Reader()
    entries = [lp_int(node.live), lp_int(len(node.ids) - node.live), lp_int(len(master_fields))]
    entries += [lp_entry(f) for f in master_fields]
    entries.append(lp_int(0))
    for sid, raw in zip(node.ids, node.values, strict=True):
        if raw is None:
            fields, values = master_fields, [b""] * len(master_fields)
            flags = _STREAM_DELETED | _STREAM_SAMEFIELDS
        else:
            reader.feed(raw)
            fv = reader.gets()[1]
            fields, values = fv[0::2], fv[1::2]
            flags = _STREAM_SAMEFIELDS if fields == master_fields else 0
        ms_delta = ((sid >> 64) - (master >> 64)) & _MASK64
        seq_delta = ((sid & _MASK64) - (master & _MASK64)) & _MASK64
        entries += (lp_int(flags), lp_int(_signed64(ms_delta)), lp_int(_signed64(seq_delta)))
        if flags & _STREAM_SAMEFIELDS:
            entries += [lp_entry(v) for v in values]
            entries.append(lp_int(len(values) + 3))
        else:
            entries.append(lp_int(len(fields)))
            for field, val in zip(fields, values, strict=True):
                entries += (lp_entry(field), lp_entry(val))
            entries.append(lp_int(2 * len(fields) + 4))
    return listpack(entries, len(entries))


def _signed64(v: int) -> int:
    return v - (1 << 64) if v >> 63 else v


def _encode_stream(out: bytearray, value: Stream, config: Config, compress: bool, version: int) -> None:
    with_active_time = version >= TYPE_SINCE[TYPE_STREAM_LISTPACKS_3]
    out.append(TYPE_STREAM_LISTPACKS_3 if with_active_time else TYPE_STREAM_LISTPACKS_2)
    nodes = [node for node in value.nodes if node.ids]
    _save_len(out, len(nodes))
    for node in nodes:
        save_string(out, _stream_id(node.ids[0]), compress)
        save_string(out, _stream_node_listpack(node), compress)
    for n in (value.length, value.last_id >> 64, value.last_id & _MASK64, value.first_id >> 64,
              value.first_id & _MASK64, value.max_deleted_id >> 64, value.max_deleted_id & _MASK64,
              value.entries_added):
        _save_len(out, n)
    _save_len(out, len(value.groups))
    for name in sorted(value.groups):
        group = value.groups[name]
        save_string(out, name, compress)
        _save_len(out, group.last_id >> 64)
        _save_len(out, group.last_id & _MASK64)
        _save_len(out, group.entries_read & _MASK64)  # -1 (unknown) as Redis's uint64 cast writes it
        _save_len(out, len(group.pel))
        for sid, nack in group.pel.items():
            out += _stream_id(sid)
            _save_ms(out, nack.delivery_time)
            _save_len(out, nack.delivery_count)
        _save_len(out, len(group.consumers))
        for consumer in group.sorted_consumers():
            save_string(out, consumer.name, compress)
            _save_ms(out, consumer.seen_time)
            if with_active_time:
                _save_ms(out, consumer.active_time)
            _save_len(out, len(consumer.pel))
            for sid in consumer.pel:
                out += _stream_id(sid)


_Encoder = Callable[[bytearray, Any, Config, bool, int], None]
_ENCODERS: dict[type, _Encoder] = {
    ListValue: _encode_list, SetValue: _encode_set, SortedSet: _encode_zset, HashValue: _encode_hash,
    HashValueEx: _encode_hash, Stream: _encode_stream,
}
for _string_type in STRING_TYPES:
    _ENCODERS[_string_type] = _encode_string


# -- reading -------------------------------------------------------------------------------------------

class Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def raw(self, n: int) -> bytes:
        start = self.pos
        end = start + n
        if end > len(self.data):
            raise RdbError("short read")
        self.pos = end
        return self.data[start:end]

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise RdbError("short read")
        self.pos += 1
        return self.data[self.pos - 1]

    def length_or_encoding(self) -> tuple[int, bool]:
        """rdbLoadLenByRef: (length, False), or (special encoding, True) for 11xxxxxx."""
        b = self.byte()
        kind = b >> 6
        if kind == 3:
            return b & 0x3F, True
        if kind == 0:
            return b & 0x3F, False
        if kind == 1:
            return ((b & 0x3F) << 8) | self.byte(), False
        if b == 0x80:
            return int.from_bytes(self.raw(4), "big"), False
        if b == 0x81:
            return int.from_bytes(self.raw(8), "big"), False
        raise RdbError("unknown length encoding")

    def length(self) -> int:
        n, encoded = self.length_or_encoding()
        if encoded:
            raise RdbError("encoded length")
        return n

    def string(self) -> bytes:
        n, encoded = self.length_or_encoding()
        if not encoded:
            return self.raw(n)
        if n == _ENC_INT8:
            return b"%d" % int.from_bytes(self.raw(1), "little", signed=True)
        if n == _ENC_INT16:
            return b"%d" % int.from_bytes(self.raw(2), "little", signed=True)
        if n == _ENC_INT32:
            return b"%d" % int.from_bytes(self.raw(4), "little", signed=True)
        if n == _ENC_LZF:
            packed_len = self.length()
            size = self.length()
            try:
                return lzf.decompress(self.raw(packed_len), size)
            except lzf.LZFError as exc:
                raise RdbError("invalid LZF compressed string") from exc
        raise RdbError("unknown string encoding")

    def ms(self) -> int:
        return int.from_bytes(self.raw(8), "little", signed=True)

    def binary_double(self) -> float:
        return _unpack_double(self.raw(8))[0]

    def text_double(self) -> float:
        """rdbLoadDoubleValue (RDB_TYPE_ZSET): a length byte (253 nan, 254 +inf, 255 -inf) and text."""
        n = self.byte()
        if n == 253:
            return math.nan
        if n == 254:
            return math.inf
        if n == 255:
            return -math.inf
        value, used, _ = strtod(self.raw(n))
        return value


def decode_value(data: bytes, config: Config) -> Any:
    """The value of the RDB object (type byte and body) at the start of `data`, encoded as Redis would
    load it under `config`; RdbError for a malformed or empty one. Bytes after the object are not
    looked at: RESTORE reads the object from the whole payload, trailer included, as Redis does."""
    reader = Reader(data)
    rdb_type = reader.byte()
    decoder = _DECODERS.get(rdb_type)
    if decoder is None:
        raise RdbError(f"unknown RDB object type {rdb_type}")
    try:
        value = decoder(reader, rdb_type, config)
    except RdbError:
        raise
    except (ValueError, IndexError, OverflowError) as exc:  # EncodingError, and forged sizes or numbers
        raise RdbError(str(exc)) from exc
    return value


def _check_count(n: int, reader: Reader, per_element: int = 1) -> int:
    """A declared element count that the remaining bytes can hold (each element takes a byte at
    least): no huge loop or allocation on a forged length."""
    if n * per_element > len(reader.data) - reader.pos:
        raise RdbError("count beyond the payload")
    if n == 0:
        raise RdbError("empty key")
    return n


def _decode_string(reader: Reader, rdb_type: int, config: Config) -> bytes:
    return reader.string()


def _new_list(elements: list[bytes]) -> ListValue:
    if not elements:
        raise RdbError("empty key")
    return ListValue(elements)


def _decode_list(reader: Reader, rdb_type: int, config: Config) -> ListValue:
    n = _check_count(reader.length(), reader)
    return _new_list([reader.string() for _ in range(n)])


def _decode_quicklist(reader: Reader, rdb_type: int, config: Config) -> ListValue:
    n = _check_count(reader.length(), reader)
    elements: list[bytes] = []
    for _ in range(n):
        container = _CONTAINER_PACKED
        if rdb_type == TYPE_LIST_QUICKLIST_2:
            container = reader.length()
            if container not in (_CONTAINER_PACKED, _CONTAINER_PLAIN):
                raise RdbError("quicklist container")
        blob = reader.string()
        if not blob:
            raise RdbError("empty quicklist node")
        if container == _CONTAINER_PLAIN:
            elements.append(blob)
        elif rdb_type == TYPE_LIST_QUICKLIST_2:
            elements += parse_listpack(blob)
        else:
            elements += parse_ziplist(blob)
    return _new_list(elements)


def _decode_list_ziplist(reader: Reader, rdb_type: int, config: Config) -> ListValue:
    return _new_list(parse_ziplist(reader.string()))


def _new_set(members: list[bytes], config: Config) -> SetValue:
    if not members:
        raise RdbError("empty key")
    s = new_set(members, config)
    if len(s) != len(members):
        raise RdbError("duplicate set members")
    return s


def _decode_set(reader: Reader, rdb_type: int, config: Config) -> SetValue:
    n = _check_count(reader.length(), reader)
    return _new_set([reader.string() for _ in range(n)], config)


def _decode_set_intset(reader: Reader, rdb_type: int, config: Config) -> SetValue:
    return _new_set([b"%d" % v for v in parse_intset(reader.string())], config)


def _decode_set_listpack(reader: Reader, rdb_type: int, config: Config) -> SetValue:
    return _new_set(parse_listpack(reader.string()), config)


def _zset_limits(config: Config) -> tuple[int, int]:
    return config["zset-max-listpack-entries"], config["zset-max-listpack-value"]


def _new_zset(pairs: list[tuple[float, bytes]], config: Config, listpack_loaded: bool) -> SortedSet:
    """A zset from (score, member) pairs. One loaded from a listpack stays one unless it has too many
    members (Redis checks only the count there), one loaded from a skiplist converts when it is small."""
    if not pairs:
        raise RdbError("empty key")
    if any(math.isnan(score) for score, _ in pairs):
        raise RdbError("zset with NaN score")
    limits = _zset_limits(config)
    zs = SortedSet.build(pairs, limits)
    if len(zs) != len(pairs):
        raise RdbError("duplicate zset members")
    if listpack_loaded and not zs.listpack and len(zs) <= limits[0]:
        zs = SortedSet.build(pairs, (limits[0], max(len(m) for _, m in pairs)))
    return zs


def _decode_zset(reader: Reader, rdb_type: int, config: Config) -> SortedSet:
    n = _check_count(reader.length(), reader, 2)
    pairs = []
    for _ in range(n):
        member = reader.string()
        score = reader.binary_double() if rdb_type == TYPE_ZSET_2 else reader.text_double()
        pairs.append((score, member))
    return _new_zset(pairs, config, False)


def _text(item: bytes | int) -> bytes:
    """A listpack element as bytes (an integer entry spelled in decimal)."""
    return item if type(item) is bytes else b"%d" % item


def _score(item: bytes | int) -> float:
    """zzlGetScore: an integer entry, or the text through strtod."""
    return float(item) if type(item) is int else strtod(item)[0]


def _decode_zset_packed(reader: Reader, rdb_type: int, config: Config) -> SortedSet:
    blob = reader.string()
    items = parse_listpack(blob, as_ints=True) if rdb_type == TYPE_ZSET_LISTPACK else parse_ziplist(blob)
    if len(items) % 2:
        raise RdbError("zset listpack with an odd element count")
    members = [_text(m) for m in items[0::2]]
    return _new_zset([(_score(s), m) for m, s in zip(members, items[1::2], strict=True)], config, True)


def _new_hash(pairs: list[bytes], config: Config, times: dict[bytes, int] | None, check_values: bool) -> HashValue:
    """A hash from field, value, field, value...; with field `times` a HashValueEx filed under its earliest.
    Converted to a hashtable past hash-max-listpack-entries, or -value when `check_values` (what Redis
    checks depends on the RDB type it loads)."""
    if not pairs:
        raise RdbError("empty key")
    h: HashValue
    if times is None:
        h = HashValue()
    else:
        h = HashValueEx()
        h.ttls = FieldTimes()
        for field, when in times.items():
            h.ttls.set(field, when)
        h.ttls.filed = h.ttls.earliest()
    h.update(zip(pairs[0::2], pairs[1::2], strict=True))
    if 2 * len(h) != len(pairs):
        raise RdbError("duplicate hash fields")
    h.big = len(h) > config["hash-max-listpack-entries"] or (
        check_values and max(map(len, pairs)) > config["hash-max-listpack-value"])
    return h


def _decode_hash(reader: Reader, rdb_type: int, config: Config) -> HashValue:
    n = _check_count(reader.length(), reader, 2)
    return _new_hash([reader.string() for _ in range(2 * n)], config, None, True)


def _decode_hash_packed(reader: Reader, rdb_type: int, config: Config) -> HashValue:
    blob = reader.string()
    if rdb_type == TYPE_HASH_ZIPMAP:
        return _new_hash(parse_zipmap(blob), config, None, True)
    items = parse_listpack(blob) if rdb_type == TYPE_HASH_LISTPACK else parse_ziplist(blob)
    if len(items) % 2:
        raise RdbError("hash listpack with an odd element count")
    return _new_hash(items, config, None, False)


def _field_time(when: int) -> int:
    if not 0 <= when <= _EXPIRE_TIME_MAX:
        raise RdbError("invalid hash field time")
    return when


def _decode_hash_listpack_ex(reader: Reader, rdb_type: int, config: Config) -> HashValue:
    if rdb_type == TYPE_HASH_LISTPACK_EX:
        reader.ms()  # the earliest field time: the triplets hold every time already
    items = parse_listpack(reader.string(), as_ints=True)
    if len(items) % 3:
        raise RdbError("hash listpackex with a bad element count")
    pairs: list[bytes] = []
    times: dict[bytes, int] = {}
    last = -1
    for i in range(0, len(items), 3):
        field, val, when = _text(items[i]), _text(items[i + 1]), items[i + 2]
        if type(when) is not int:
            raise RdbError("hash field time is not an integer")
        _field_time(when)
        # timed fields first, by time (lpValidateIntegrityAndDups)
        if when and (last == 0 or when < last):
            raise RdbError("hash listpackex times out of order")
        last = when
        pairs += (field, val)
        if when:
            times[field] = when
    return _new_hash(pairs, config, times, False)


def _decode_hash_metadata(reader: Reader, rdb_type: int, config: Config) -> HashValue:
    earliest = 0
    if rdb_type == TYPE_HASH_METADATA:
        earliest = reader.ms()
        if not 0 <= earliest <= _MASK64:
            raise RdbError("invalid earliest hash field time")
    n = _check_count(reader.length(), reader, 3)
    pairs: list[bytes] = []
    times: dict[bytes, int] = {}
    for _ in range(n):
        ttl = reader.length()
        when = (ttl + earliest - 1 if ttl else 0) if rdb_type == TYPE_HASH_METADATA else ttl
        _field_time(when)
        field = reader.string()
        pairs += (field, reader.string())
        if when:
            times[field] = when
    return _new_hash(pairs, config, times, True)


def _decode_stream(reader: Reader, rdb_type: int, config: Config) -> Stream:
    stream = Stream()
    deleted: list[int] = []
    last_master = last_sid = -1
    for _ in range(reader.length()):
        key = reader.string()
        if len(key) != 16:
            raise RdbError("stream node key is not the size of a stream ID")
        master = int.from_bytes(key, "big")
        if master <= last_master:
            raise RdbError("stream nodes out of order")
        last_master = master
        blob = reader.string()
        for sid, fv, is_deleted in _stream_node_entries(master, parse_listpack(blob, as_ints=True)):
            if sid <= last_sid:
                raise RdbError("stream IDs out of order")
            last_sid = sid
            stream.append(sid, fv, config)
            if is_deleted:
                deleted.append(sid)
    for sid in deleted:
        stream.delete(sid)
    length = reader.length()
    last_id = (reader.length() << 64) | reader.length()
    if rdb_type >= TYPE_STREAM_LISTPACKS_2:
        first_id = (reader.length() << 64) | reader.length()
        max_deleted_id = (reader.length() << 64) | reader.length()
        entries_added = reader.length()
    else:
        first_id = stream.first_live() if stream.length else _MAX_STREAM_ID  # streamGetEdgeID of nothing
        max_deleted_id, entries_added = 0, length
    if length != stream.length or last_id < stream.last_id:
        raise RdbError("stream length or last ID inconsistent with its entries")
    stream.last_id, stream.first_id = last_id, first_id
    stream.max_deleted_id, stream.entries_added = max_deleted_id, entries_added
    for _ in range(reader.length()):
        _decode_stream_group(reader, rdb_type, stream)
    return stream


def _stream_node_entries(master: int, items: list[bytes | int]) -> list[tuple[int, list[bytes], bool]]:
    """(ID, fields and values, deleted) of each entry of a stream node listpack, checked as
    streamValidateListpackIntegrity(deep) checks it."""

    def number(x: bytes | int) -> int:
        if type(x) is not int:
            raise RdbError("stream listpack: integer expected")
        return x

    live, dead, nfields = number(items[0]), number(items[1]), number(items[2])
    master_fields = [_text(f) for f in items[3:3 + nfields]]
    p = 3 + nfields
    if number(items[p]) != 0:
        raise RdbError("stream listpack: master entry terminator")
    p += 1
    out = []
    while p < len(items):
        start = p
        flags = number(items[p])
        ms = (master >> 64) + number(items[p + 1])
        seq = (master & _MASK64) + number(items[p + 2])
        p += 3
        if flags & _STREAM_SAMEFIELDS:
            fields = master_fields
        else:
            count = number(items[p])
            fields = [_text(f) for f in items[p + 1:p + 1 + 2 * count:2]]
            p += 1
        if flags & _STREAM_SAMEFIELDS:
            values = [_text(v) for v in items[p:p + len(fields)]]
            p += len(fields)
        else:
            values = [_text(v) for v in items[p + 1:p + 2 * len(fields):2]]
            p += 2 * len(fields)
        if len(values) != len(fields) or number(items[p]) != p - start:
            raise RdbError("stream listpack: entry element count")
        p += 1
        fv = [x for pair in zip(fields, values, strict=True) for x in pair]
        out.append((((ms & _MASK64) << 64) | (seq & _MASK64), fv, bool(flags & _STREAM_DELETED)))
    if live + dead != len(out) or dead != sum(1 for e in out if e[2]):
        raise RdbError("stream listpack: entry counts")
    return out


def _decode_stream_group(reader: Reader, rdb_type: int, stream: Stream) -> None:
    name = reader.string()
    if name in stream.groups:
        raise RdbError("duplicate consumer group")
    last_id = (reader.length() << 64) | reader.length()
    if rdb_type >= TYPE_STREAM_LISTPACKS_2:
        entries_read = _signed64(reader.length())
    else:
        entries_read = stream.estimate_entries_read(last_id)
    group = stream.groups[name] = ConsumerGroup(name, last_id, entries_read)
    for _ in range(_check_pel(reader.length(), reader)):
        sid = int.from_bytes(reader.raw(16), "big")
        nack = NACK(None, reader.ms())
        nack.delivery_count = reader.length()
        if sid in group.pel:
            raise RdbError("duplicate PEL entry")
        group.pel[sid] = nack
    for _ in range(reader.length()):
        consumer = Consumer(reader.string())
        if consumer.name in group.consumers:
            raise RdbError("duplicate consumer")
        consumer.seen_time = reader.ms()
        consumer.active_time = reader.ms() if rdb_type >= TYPE_STREAM_LISTPACKS_3 else consumer.seen_time
        for _ in range(_check_pel(reader.length(), reader)):
            sid = int.from_bytes(reader.raw(16), "big")
            nack = group.pel.get(sid)
            if nack is None or nack.consumer is not None:
                raise RdbError("consumer PEL entry not in the group's PEL")
            nack.consumer = consumer
            consumer.pel[sid] = nack
        group.consumers[consumer.name] = consumer
    if any(nack.consumer is None for nack in group.pel.values()):
        raise RdbError("PEL entry without a consumer")


def _check_pel(n: int, reader: Reader) -> int:
    if n * 16 > len(reader.data) - reader.pos:
        raise RdbError("PEL beyond the payload")
    return n


def _decode_module(reader: Reader, rdb_type: int, config: Config) -> Any:
    raise RdbError("module values need their module")


_Decoder = Callable[[Reader, int, Config], Any]
_DECODERS: dict[int, _Decoder] = {
    TYPE_STRING: _decode_string, TYPE_LIST: _decode_list, TYPE_SET: _decode_set, TYPE_ZSET: _decode_zset,
    TYPE_HASH: _decode_hash, TYPE_ZSET_2: _decode_zset, TYPE_MODULE_PRE_GA: _decode_module,
    TYPE_MODULE_2: _decode_module, TYPE_HASH_ZIPMAP: _decode_hash_packed, TYPE_LIST_ZIPLIST: _decode_list_ziplist,
    TYPE_SET_INTSET: _decode_set_intset, TYPE_ZSET_ZIPLIST: _decode_zset_packed,
    TYPE_HASH_ZIPLIST: _decode_hash_packed, TYPE_LIST_QUICKLIST: _decode_quicklist,
    TYPE_STREAM_LISTPACKS: _decode_stream, TYPE_HASH_LISTPACK: _decode_hash_packed,
    TYPE_ZSET_LISTPACK: _decode_zset_packed, TYPE_LIST_QUICKLIST_2: _decode_quicklist,
    TYPE_STREAM_LISTPACKS_2: _decode_stream, TYPE_SET_LISTPACK: _decode_set_listpack,
    TYPE_STREAM_LISTPACKS_3: _decode_stream, TYPE_HASH_METADATA_PRE_GA: _decode_hash_metadata,
    TYPE_HASH_LISTPACK_EX_PRE_GA: _decode_hash_listpack_ex, TYPE_HASH_METADATA: _decode_hash_metadata,
    TYPE_HASH_LISTPACK_EX: _decode_hash_listpack_ex,
}
