"""HyperLogLog (hyperloglog.c): PFADD PFCOUNT PFMERGE PFDEBUG, byte for byte Redis's format.

An HLL is a string value: a 16-byte header ("HYLL", encoding, 3 unused bytes, the cached
cardinality little endian with bit 7 of its last byte meaning "stale"), then either the dense
16384 six-bit registers (12288 bytes) or the sparse run-length opcodes ZERO (00xxxxxx),
XZERO (01xxxxxx yyyyyyyy) and VAL (1vvvvvxx). Values move between real Redis and dynamis with
GET/SET unchanged, and every write here produces the bytes Redis would (same opcode splits and
merges, same promotion to dense at `hll-sparse-max-bytes`).

Speed in Python: a sparse HLL is tokenized (a regex in C) into opcodes with their first register
indexes and kept, with its register histogram, while the value's bytes stay the same, so each
element costs a bisect and a small list splice and PFCOUNT after PFADD reads the histogram;
dense registers are updated in place in a bytearray; counting and merging decode the dense
registers with `bytes.translate` and big-int bit operations rather than a loop per register.
"""

from __future__ import annotations

import math
import operator
import re
import struct
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable
from itertools import accumulate

from dynamis.kv.client import Client
from dynamis.kv.commands import Index, KeySpec, Range, command
from dynamis.kv.keyspace import Database
from dynamis.kv.protocol import OK, ReplyError
from dynamis.kv.types.string import string_value

INVALID_HLL = ReplyError("INVALIDOBJ Corrupted HLL object detected")
NOT_HLL = ReplyError("WRONGTYPE Key is not a valid HyperLogLog string value.")

HLL_P = 14
HLL_Q = 64 - HLL_P
REGISTERS = 1 << HLL_P
HEADER_SIZE = 16
DENSE_SIZE = HEADER_SIZE + REGISTERS * 6 // 8
DENSE, SPARSE = 0, 1
_SEED = 0xADC83B19
_M64 = (1 << 64) - 1
_MURMUR_M = 0xC6A4A7935BD1E995
_ALPHA_INF = 0.721347520444481703680  # 0.5 / ln(2)
_VAL_MAX_VALUE = 32
_VAL_MAX_LEN = 4
_ZERO_MAX_LEN = 64

# -- opcodes ---------------------------------------------------------------------------------

_OPCODE_RE = re.compile(rb"[\x40-\x7f][\x00-\xff]|[\x00-\xff]", re.S)


def _zero_op(length: int) -> bytes:
    return bytes((length - 1,))


def _xzero_op(length: int) -> bytes:
    return bytes((0x40 | (length - 1) >> 8, (length - 1) & 0xFF))


def _val_op(value: int, length: int) -> bytes:
    return bytes((0x80 | (value - 1) << 2 | (length - 1),))


def _opcode_tables() -> tuple[dict[bytes, int], dict[bytes, bytes]]:
    """For every possible opcode: how many registers it covers, and their value as one byte."""
    spans: dict[bytes, int] = {}
    values: dict[bytes, bytes] = {}
    for b in range(256):
        op = bytes((b,))
        if b < 0x40:
            spans[op], values[op] = b + 1, b"\0"
        elif b < 0x80:
            # an XZERO cut short by the end of the string reads the NUL after it, as in C
            spans[op], values[op] = ((b & 0x3F) << 8) + 1, b"\0"
        else:
            spans[op], values[op] = (b & 3) + 1, bytes((((b >> 2) & 0x1F) + 1,))
    for length in range(1, REGISTERS + 1):
        op = _xzero_op(length)
        spans[op], values[op] = length, b"\0"
    return spans, values


_SPAN, _VALUE = _opcode_tables()
_EMPTY_SPARSE = b"HYLL\x01\x00\x00\x00" + bytes(8) + _xzero_op(REGISTERS)


# -- hashing ---------------------------------------------------------------------------------

def murmurhash64a(key: bytes, seed: int = _SEED) -> int:
    """MurmurHash64A as Redis uses it (endian neutral), 64-bit result."""
    m = _MURMUR_M
    n = len(key)
    h = (seed ^ (n * m)) & _M64
    blocks = n >> 3
    if blocks:
        for k in struct.unpack_from(f"<{blocks}Q", key):
            k = (k * m) & _M64
            k ^= k >> 47
            h ^= (k * m) & _M64
            h = (h * m) & _M64
    if n & 7:
        h ^= int.from_bytes(key[blocks << 3 :], "little")
        h = (h * m) & _M64
    h ^= h >> 47
    h = (h * m) & _M64
    return h ^ (h >> 47)


def pattern_of(element: bytes) -> tuple[int, int]:
    """(register index, length of the 000..1 run) for an element (hllPatLen)."""
    h = murmurhash64a(element)
    run = (h >> HLL_P) | (1 << HLL_Q)
    return h & (REGISTERS - 1), (run & -run).bit_length()


# -- dense registers -------------------------------------------------------------------------

def _table(fn: Callable[[int], int]) -> bytes:
    """A bytes.translate table applying `fn` to every byte value."""
    return bytes(fn(b) & 0xFF for b in range(256))


_LOW6 = _table(lambda b: b & 63)
_SHR6 = _table(lambda b: b >> 6)
_SHR4 = _table(lambda b: b >> 4)
_SHR2 = _table(lambda b: b >> 2)
_LOW4_SHL2 = _table(lambda b: (b & 15) << 2)
_LOW2_SHL4 = _table(lambda b: (b & 3) << 4)
_SHL6 = _table(lambda b: b << 6)
_SHL4 = _table(lambda b: b << 4)
_SHL2 = _table(lambda b: b << 2)
_LANE_HIGH = int.from_bytes(b"\x80" * REGISTERS, "little")
_LANE_ALL = (1 << (8 * REGISTERS)) - 1


def _or_bytes(a: bytes, b: bytes) -> bytes:
    """Bytewise OR of two equal-length strings (their bits never overlap here)."""
    return (int.from_bytes(a, "little") | int.from_bytes(b, "little")).to_bytes(len(a), "little")


def _dense_lanes(value: bytes | bytearray) -> tuple[bytes, bytes, bytes, bytes]:
    """The registers of a dense HLL as four strings: registers 4k, 4k+1, 4k+2, 4k+3."""
    data = bytes(value[HEADER_SIZE:DENSE_SIZE])
    b0, b1, b2 = data[0::3], data[1::3], data[2::3]
    return (b0.translate(_LOW6),
            _or_bytes(b0.translate(_SHR6), b1.translate(_LOW4_SHL2)),
            _or_bytes(b1.translate(_SHR4), b2.translate(_LOW2_SHL4)),
            b2.translate(_SHR2))


def dense_registers(value: bytes | bytearray) -> bytearray:
    """All 16384 registers of a dense HLL, one byte each."""
    regs = bytearray(REGISTERS)
    for lane, part in enumerate(_dense_lanes(value)):
        regs[lane::4] = part
    return regs


def dense_bytes(regs: bytes | bytearray) -> bytes:
    """The 12288-byte dense encoding of 16384 one-byte registers (each < 64)."""
    r0, r1, r2, r3 = (bytes(regs[i::4]) for i in range(4))
    data = bytearray(DENSE_SIZE - HEADER_SIZE)
    data[0::3] = _or_bytes(r0, r1.translate(_SHL6))
    data[1::3] = _or_bytes(r1.translate(_SHR2), r2.translate(_SHL4))
    data[2::3] = _or_bytes(r2.translate(_SHR4), r3.translate(_SHL2))
    return bytes(data)


def _dense_set(buf: bytearray, index: int, count: int) -> bool:
    """hllDenseSet on the value itself: raise register `index` to `count`; True if it changed."""
    bit = index * 6
    pos = HEADER_SIZE + (bit >> 3)
    fb = bit & 7
    if fb <= 2:
        old = (buf[pos] >> fb) & 63
    else:
        old = ((buf[pos] >> fb) | (buf[pos + 1] << (8 - fb))) & 63
    if count <= old:
        return False
    buf[pos] = (buf[pos] & ~(63 << fb) & 0xFF) | ((count << fb) & 0xFF)
    if fb > 2:
        buf[pos + 1] = (buf[pos + 1] & ~(63 >> (8 - fb))) | (count >> (8 - fb))
    return True


def max_registers(a: bytes | bytearray, b: bytes | bytearray) -> bytes:
    """Bytewise max of two register arrays (values < 128), as one SWAR big-int computation."""
    x = int.from_bytes(a, "little")
    y = int.from_bytes(b, "little")
    # each lane holds 128 + x - y >= 1: bit 7 is set exactly where x >= y, and nothing borrows
    ge = (((x | _LANE_HIGH) - y) & _LANE_HIGH) >> 7
    mask = ge * 0xFF
    return ((x & mask) | (y & (mask ^ _LANE_ALL))).to_bytes(REGISTERS, "little")


# -- sparse registers ------------------------------------------------------------------------

class _Promote(Exception):
    """The sparse representation cannot take this update: convert to dense."""


class SparseEditor:
    """The opcodes of a sparse HLL, edited as Redis's hllSparseSet edits the string.

    `ops[k]` is opcode k's bytes and `starts[k]` the first register it covers (`starts` has one
    more entry: the total). Splitting an opcode leaves the following starts unchanged, so an
    update is a bisect plus a splice of at most three opcodes.
    """

    __slots__ = ("ops", "starts", "size", "max_bytes", "hist")

    def __init__(self, body: bytes | bytearray, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._parse(body)

    def _parse(self, body: bytes | bytearray) -> None:
        self.ops: list[bytes] = _OPCODE_RE.findall(bytes(body))
        self.starts = list(accumulate(map(_SPAN.__getitem__, self.ops), initial=0))
        self.size = HEADER_SIZE + len(body)
        self.hist: list[int] | None = None  # register histogram, kept up to date once computed

    def body(self) -> bytes:
        return b"".join(self.ops)[: self.size - HEADER_SIZE]

    def registers(self) -> bytes | None:
        """One byte per register, or None if the opcodes do not cover exactly 16384 registers."""
        starts = self.starts
        if starts[-1] != REGISTERS:
            return None
        spans = map(operator.sub, starts[1:], starts[:-1])
        return b"".join(map(operator.mul, map(_VALUE.__getitem__, self.ops), spans))

    def histogram(self) -> list[int] | None:
        """Counts of each register value, or None if the HLL is corrupt."""
        if self.hist is None:
            regs = self.registers()
            if regs is None:
                return None
            self.hist = histogram(regs)
        return self.hist

    def _counted(self, old: int, new: int) -> None:
        if self.hist is not None:
            self.hist[old] -= 1
            self.hist[new] += 1

    def set(self, index: int, count: int) -> int:
        """Raise register `index` to `count`: 1 if changed, 0 if not, -1 if the HLL is corrupt.

        Raises _Promote when Redis would convert to dense (value too big for VAL, or the string
        would grow past hll-sparse-max-bytes).
        """
        if count > _VAL_MAX_VALUE:
            raise _Promote
        ops, starts = self.ops, self.starts
        k = bisect_right(starts, index) - 1
        if k >= len(ops):
            return -1
        op = ops[k][0]
        first = starts[k]
        runlen = starts[k + 1] - first
        if op & 0x80:
            current = ((op >> 2) & 0x1F) + 1
            if current >= count:
                return 0
            if runlen == 1:
                ops[k] = _val_op(count, 1)
                self._counted(current, count)
                self._merge(k)
                return 1
        elif op < 0x40 and runlen == 1:
            ops[k] = _val_op(count, 1)
            self._counted(0, count)
            self._merge(k)
            return 1
        # general case: split the opcode around the register
        last = first + runlen - 1
        seq: list[bytes] = []
        seq_starts: list[int] = []
        if op & 0x80:
            if index != first:
                seq.append(_val_op(current, index - first))
                seq_starts.append(first)
            seq.append(_val_op(count, 1))
            seq_starts.append(index)
            if index != last:
                seq.append(_val_op(current, last - index))
                seq_starts.append(index + 1)
        else:
            if index != first:
                gap = index - first
                seq.append(_xzero_op(gap) if gap > _ZERO_MAX_LEN else _zero_op(gap))
                seq_starts.append(first)
            seq.append(_val_op(count, 1))
            seq_starts.append(index)
            if index != last:
                gap = last - index
                seq.append(_xzero_op(gap) if gap > _ZERO_MAX_LEN else _zero_op(gap))
                seq_starts.append(index + 1)
        # Redis counts an XZERO as 2 bytes even when the string ends after its first byte
        truncated = 0x40 <= op < 0x80 and len(ops[k]) == 1
        delta = sum(map(len, seq)) - (2 if 0x40 <= op < 0x80 else 1)
        if delta > 0 and self.size + delta > self.max_bytes:
            raise _Promote
        ops[k : k + 1] = seq
        starts[k : k + 1] = seq_starts
        self.size += delta
        self._counted(current if op & 0x80 else 0, count)
        if truncated:
            # ...so the new opcodes lose their last byte, as the C string's length says
            self._parse(self.body())
        self._merge(k)
        return 1

    def _merge(self, k: int) -> None:
        """Merge adjacent VAL opcodes of equal value, scanning 5 opcodes from the one before `k`."""
        ops, starts = self.ops, self.starts
        p = k - 1 if k > 0 else 0
        budget = 5
        while p < len(ops) and budget:
            budget -= 1
            op = ops[p][0]
            if op & 0x80 and p + 1 < len(ops):
                nxt = ops[p + 1][0]
                if nxt & 0x80 and (op >> 2) & 0x1F == (nxt >> 2) & 0x1F:
                    length = (op & 3) + (nxt & 3) + 2
                    if length <= _VAL_MAX_LEN:
                        ops[p : p + 2] = [_val_op(((op >> 2) & 0x1F) + 1, length)]
                        del starts[p + 1]
                        self.size -= 1
                        continue
            p += 1


# -- the value -------------------------------------------------------------------------------

def is_hll(value: bytes | bytearray) -> bool:
    """Redis's isHLLObjectOrReply checks: magic, a known encoding, the exact dense size."""
    if len(value) < HEADER_SIZE or value[:4] != b"HYLL":
        return False
    encoding = value[4]
    return encoding == SPARSE or (encoding == DENSE and len(value) == DENSE_SIZE)


def _lookup_hll(db: Database, key: bytes) -> bytes | bytearray | None:
    value = string_value(db, key)
    if value is not None and not is_hll(value):
        raise NOT_HLL
    return value


def _own(db: Database, key: bytes, value: bytes | bytearray) -> bytearray:
    """The value as a bytearray stored under `key` (dbUnshareStringValue), TTL kept."""
    if type(value) is bytearray:
        return value
    buf = bytearray(value)
    db.data[key] = buf
    return buf


# Sparse HLLs parsed lately, by value object: a PFADD/PFCOUNT loop on one key parses it once.
# An entry is reused only while the value still holds the same bytes (a memcmp of <= 3 KB).
_EDITORS: OrderedDict[int, tuple[bytes | bytearray, bytes, SparseEditor]] = OrderedDict()
_EDITORS_KEPT = 32


def _editor(value: bytes | bytearray, max_bytes: int = 0) -> SparseEditor:
    """The parsed opcodes of a sparse HLL value (from the cache when it is unchanged)."""
    entry = _EDITORS.get(id(value))
    if entry is not None and entry[0] is value and entry[1] == value[HEADER_SIZE:]:
        _EDITORS.move_to_end(id(value))
        editor = entry[2]
        editor.max_bytes = max_bytes
        return editor
    editor = SparseEditor(value[HEADER_SIZE:], max_bytes)
    _remember(value, editor)
    return editor


def _remember(value: bytes | bytearray, editor: SparseEditor) -> None:
    _EDITORS[id(value)] = (value, bytes(value[HEADER_SIZE:]), editor)
    _EDITORS.move_to_end(id(value))
    while len(_EDITORS) > _EDITORS_KEPT:
        _EDITORS.popitem(last=False)


def _forget(value: bytes | bytearray) -> None:
    """Drop the parse of a value that is being replaced (promoted to dense)."""
    _EDITORS.pop(id(value), None)


def _registers(value: bytes | bytearray) -> bytes | bytearray:
    """One byte per register of a valid HLL value; INVALIDOBJ for a corrupt sparse one."""
    if value[4] == DENSE:
        return dense_registers(value)
    regs = _editor(value).registers()
    if regs is None:
        raise INVALID_HLL
    return regs


def _sparse_to_dense(value: bytes | bytearray) -> bytearray:
    """hllSparseToDense: the dense value with the same header (cached cardinality included)."""
    return _dense_value(value, _registers(value))


def _dense_value(header: bytes | bytearray, regs: bytes | bytearray) -> bytearray:
    out = bytearray(header[:HEADER_SIZE])
    out[4] = DENSE
    out += dense_bytes(regs)
    return out


# -- the estimator ---------------------------------------------------------------------------

def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        z_prev = z
        z += x * y
        y += y
        if z_prev == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        z_prev = z
        y *= 0.5
        z -= (1 - x) ** 2 * y
        if z_prev == z:
            return z / 3


def estimate(hist: list[int]) -> int:
    """hllCount's estimator (Ertl, arXiv:1702.01284) over the register histogram."""
    m = float(REGISTERS)
    z = m * _tau((m - hist[HLL_Q + 1]) / m)
    for j in range(HLL_Q, 0, -1):
        z += hist[j]
        z *= 0.5
    z += m * _sigma(hist[0] / m)
    e = _ALPHA_INF * m * m / z
    whole = math.floor(e)
    return int(whole) + (1 if e - whole >= 0.5 else 0)  # llroundl


def histogram(regs: bytes | bytearray) -> list[int]:
    """Counts of each register value (0..63)."""
    hist = [0] * 64
    left = len(regs)
    for v in range(64):
        n = regs.count(v)
        hist[v] = n
        left -= n
        if not left:
            break
    return hist


def cardinality(value: bytes | bytearray) -> int:
    """The estimate for a valid HLL value (ignoring its cache); INVALIDOBJ if corrupt."""
    if value[4] == DENSE:
        return estimate(histogram(b"".join(_dense_lanes(value))))
    hist = _editor(value).histogram()
    if hist is None:
        raise INVALID_HLL
    return estimate(hist)


# -- commands --------------------------------------------------------------------------------

def _add(editor: SparseEditor | None, buf: bytearray, elements: list[bytes]) -> tuple[int, bytearray]:
    """Add elements to the HLL in `buf` (sparse through `editor`, or dense in place).

    Returns (number of elements that changed a register, the value to store: `buf`, or a new
    dense value after a promotion). On a corrupt HLL the sparse changes made so far are kept in
    `buf`, as Redis keeps them in its string, and INVALIDOBJ is raised.
    """
    updated = 0
    try:
        for element in elements:
            index, count = pattern_of(element)
            if editor is None:
                updated += _dense_set(buf, index, count)
                continue
            try:
                result = editor.set(index, count)
            except _Promote:
                regs = editor.registers()
                if regs is None:
                    raise INVALID_HLL from None
                _forget(buf)
                buf = _dense_value(buf, regs)
                editor = None
                _dense_set(buf, index, count)
                result = 1
            if result < 0:
                raise INVALID_HLL
            updated += result
    finally:
        if editor is not None and updated:
            buf[HEADER_SIZE:] = editor.body()
            buf[15] |= 0x80
            _remember(buf, editor)
    return updated, buf


@command("pfadd", -2, "write denyoom fast", keys=(1, 1, 1), categories="@hyperloglog", group="hyperloglog",
         since="2.8.9", key_flags="RW insert",
         summary="Adds the specified elements to the specified HyperLogLog.",
         complexity="O(1) to add every element.")
def pfadd_command(client: Client, argv: list[bytes]) -> int:
    db = client.db
    key = argv[1]
    value = _lookup_hll(db, key)
    if value is None:
        buf = bytearray(_EMPTY_SPARSE)
        db.set(key, buf)
        updated = 1
    else:
        buf = _own(db, key, value)
        updated = 0
    editor = _editor(buf, client.server.config["hll-sparse-max-bytes"]) if buf[4] == SPARSE else None
    changed, buf = _add(editor, buf, argv[2:])
    updated += changed
    if updated:
        db.data[key] = buf
        buf[15] |= 0x80
        keyspace = db.keyspace
        keyspace.key_modified(db, key)
        keyspace.notify(db, "$", "pfadd", key)
        keyspace.dirty += updated
    return 1 if updated else 0


@command("pfcount", -2, "readonly", categories="@hyperloglog", group="hyperloglog",
         since="2.8.9",
         key_specs=(KeySpec("RW access", Index(1), Range(-1), notes="RW because it may change the internal representation of the key, "
                                  "and propagate to replicas"),),
         summary="Return the approximated cardinality of the set(s) observed by the "
                 "HyperLogLog at key(s).",
         complexity="O(1) with a very small average constant time when called with a single "
                    "key. O(N) with N being the number of keys, and much bigger constant "
                    "times, when called with multiple keys.")
def pfcount_command(client: Client, argv: list[bytes]) -> int:
    db = client.db
    if len(argv) > 2:
        merged: bytes | bytearray | None = None
        for key in argv[1:]:
            value = _lookup_hll(db, key)
            if value is None:
                continue
            regs = _registers(value)
            merged = regs if merged is None else max_registers(merged, regs)
        return estimate(histogram(merged)) if merged is not None else 0
    key = argv[1]
    value = _lookup_hll(db, key)
    if value is None:
        return 0
    buf = _own(db, key, value)  # Redis unshares it (an embstr becomes raw) even to read the cache
    if not buf[15] & 0x80:
        return int.from_bytes(buf[8:16], "little")
    card = cardinality(buf)
    # the cache lives in the value: PFCOUNT writes it back (and Redis propagates that)
    buf[8:16] = card.to_bytes(8, "little")
    db.keyspace.key_modified(db, key)
    db.keyspace.dirty += 1
    return card


@command("pfmerge", -2, "write denyoom", categories="@hyperloglog", group="hyperloglog",
         since="2.8.9",
         key_specs=(KeySpec("RW access insert", Index(1)), KeySpec("RO access", Index(2), Range(-1))),
         summary="Merge N different HyperLogLogs into a single one.",
         complexity="O(N) to merge N HyperLogLogs, but with high constant times.")
def pfmerge_command(client: Client, argv: list[bytes]) -> str:
    db = client.db
    merged: bytes | bytearray = bytes(REGISTERS)
    use_dense = False
    for key in argv[1:]:  # the destination is one of the sources
        value = _lookup_hll(db, key)
        if value is not None:
            use_dense = use_dense or value[4] == DENSE
            merged = max_registers(merged, _registers(value))
    dest = argv[1]
    value = db.lookup(dest)
    if value is None:
        buf = bytearray(_EMPTY_SPARSE)
        db.set(dest, buf)
    else:
        buf = _own(db, dest, value)
    if buf[4] == SPARSE and use_dense:
        buf = _sparse_to_dense(buf)
    if buf[4] == DENSE:
        # the destination was a source, so every register ends at the merged maximum
        buf[HEADER_SIZE:] = dense_bytes(merged)
    else:
        buf = _merge_into_sparse(buf, merged, client.server.config["hll-sparse-max-bytes"])
    buf[15] |= 0x80
    db.data[dest] = buf
    keyspace = db.keyspace
    keyspace.key_modified(db, dest)
    keyspace.notify(db, "$", "pfadd", dest)
    keyspace.dirty += 1
    return OK


def _merge_into_sparse(buf: bytearray, merged: bytes | bytearray, max_bytes: int) -> bytearray:
    """Set each non-zero register in order, as Redis does, promoting to dense when it would."""
    editor = _editor(buf, max_bytes)
    for index, count in enumerate(merged):
        if count:
            try:
                editor.set(index, count)
            except _Promote:
                # every later dense set lands on the merged maximum as well
                _forget(buf)
                return _dense_value(buf, merged)
    buf[HEADER_SIZE:] = editor.body()
    _remember(buf, editor)
    return buf


@command("pfdebug", 3, "write denyoom admin", keys=(2, 2, 1), categories="@hyperloglog", group="hyperloglog",
         since="2.8.9", key_flags="RW access",
         summary="Internal commands for debugging HyperLogLog values",
         complexity="N/A")
def pfdebug_command(client: Client, argv: list[bytes]) -> object:
    db = client.db
    key = argv[2]
    value = _lookup_hll(db, key)
    if value is None:
        raise ReplyError("ERR The specified key does not exist")
    buf = _own(db, key, value)
    sub = argv[1].lower()
    if sub == b"getreg":
        if buf[4] == SPARSE:
            buf = _sparse_to_dense(buf)
            db.data[key] = buf
            db.keyspace.dirty += 1
        return list(dense_registers(buf))
    if sub == b"decode":
        if buf[4] != SPARSE:
            raise ReplyError("ERR HLL encoding is not sparse")
        return _decode(buf[HEADER_SIZE:])
    if sub == b"encoding":
        return "sparse" if buf[4] == SPARSE else "dense"
    if sub == b"todense":
        if buf[4] != SPARSE:
            return 0
        db.data[key] = _sparse_to_dense(buf)
        db.keyspace.dirty += 1
        return 1
    raise ReplyError(f"ERR Unknown PFDEBUG subcommand '{argv[1].decode('utf-8', 'replace')}'")


def _decode(body: bytes | bytearray) -> bytes:
    """PFDEBUG DECODE: the opcodes as text (z:len Z:len v:value,len)."""
    parts = []
    i = 0
    n = len(body)
    while i < n:
        op = body[i]
        if op < 0x40:
            parts.append(b"z:%d" % ((op & 0x3F) + 1))
            i += 1
        elif op < 0x80:
            parts.append(b"Z:%d" % (((op & 0x3F) << 8 | (body[i + 1] if i + 1 < n else 0)) + 1))
            i += 2
        else:
            parts.append(b"v:%d,%d" % (((op >> 2) & 0x1F) + 1, (op & 3) + 1))
            i += 1
    return b" ".join(parts)
