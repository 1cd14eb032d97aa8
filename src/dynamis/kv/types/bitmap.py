"""Bitmaps (bitops.c): SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO on string values.

A bitmap is a plain string. Commands that write turn the value into a `bytearray` (OBJECT
ENCODING `raw`, as Redis's unshared sds) and change it in place, so SETBIT and BITFIELD are O(1)
amortized; counting and searching run over whole byte ranges in C (`int.bit_count`, `lstrip`).
Bit 0 is the most significant bit of the first byte, as in Redis.
"""

from __future__ import annotations

from dynamis.kv.args import INT64_MAX, SYNTAX, int_arg, parse_int64
from dynamis.kv.client import Client
from dynamis.kv.commands import Index, KeySpec, Range, command
from dynamis.kv.keyspace import Database
from dynamis.kv.protocol import ReplyError
from dynamis.kv.types.string import string_value

BIT_OFFSET_ERROR = ReplyError("ERR bit offset is not an integer or out of range")
BIT_VALUE_ERROR = ReplyError("ERR bit is not an integer or out of range")
BITFIELD_TYPE_ERROR = ReplyError(
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")

_U64 = (1 << 64) - 1
_NOT_TABLE = bytes(255 - b for b in range(256))
_COUNT_CHUNK = 1 << 20  # popcount in slices so a 512 MB string never becomes one 512 MB int


# -- string access shared by the bit commands --------------------------------------------------

def writable_string(db: Database, key: bytes, min_len: int) -> tuple[bytearray, bool]:
    """The string at `key` as a bytearray stored in the keyspace, zero-padded to `min_len` bytes.

    Returns (buffer, grown): grown is True when the key was created or its length changed
    (Redis's lookupStringForBitCommand + dbUnshareStringValue). The TTL is kept.
    """
    value = string_value(db, key)
    if value is None:
        buf = bytearray(min_len)
        db.set(key, buf)
        return buf, True
    if type(value) is not bytearray:
        value = bytearray(value)
        db.data[key] = value  # same content: nothing for WATCH to see yet
    if len(value) < min_len:
        value.extend(bytes(min_len - len(value)))
        return value, True
    return value, False


def popcount(data: bytes | bytearray | memoryview) -> int:
    """Number of set bits in `data`."""
    if len(data) <= _COUNT_CHUNK:
        return int.from_bytes(data, "little").bit_count()
    view = memoryview(data)
    return sum(int.from_bytes(view[i : i + _COUNT_CHUNK], "little").bit_count()
               for i in range(0, len(view), _COUNT_CHUNK))


def _first_bit(data: bytes | bytearray, bit: int) -> int:
    """Redis's redisBitpos: position of the first `bit` in `data`.

    Looking for 1 in all-zero data gives -1; looking for 0 in all-one data gives the position
    just past the end (the string is taken as zero padded on the right).
    """
    skip = b"\x00" if bit else b"\xff"
    rest = data.lstrip(skip)
    if not rest:
        return -1 if bit else len(data) * 8
    byte = rest[0] if bit else rest[0] ^ 0xFF
    return (len(data) - len(rest)) * 8 + 8 - byte.bit_length()


def _bit_offset(client: Client, arg: bytes, bits: int = 0) -> int:
    """getBitOffsetFromArgument: a bit offset, `#N` meaning N*bits when `bits` is given."""
    usehash = bits > 0 and arg[:1] == b"#"
    offset = parse_int64(arg[1:] if usehash else arg)
    if offset is None:
        raise BIT_OFFSET_ERROR
    if usehash:
        offset = _wrap_int64(offset * bits)  # C multiplies in a long long
    if offset < 0 or (offset >> 3) >= client.server.config["proto-max-bulk-len"]:
        raise BIT_OFFSET_ERROR
    return offset


def _wrap_int64(value: int) -> int:
    value &= _U64
    return value - (1 << 64) if value > INT64_MAX else value


def _range_unit(arg: bytes) -> bool:
    """True for BIT, False for BYTE, else a syntax error."""
    unit = arg.lower()
    if unit == b"bit":
        return True
    if unit == b"byte":
        return False
    raise SYNTAX


# -- SETBIT / GETBIT -------------------------------------------------------------------------

@command("setbit", 4, "write denyoom", keys=(1, 1, 1), categories="@bitmap", group="bitmap", since="2.2.0",
         key_flags="RW access update",
         summary="Sets or clears the bit at offset in the string value stored at key",
         complexity="O(1)")
def setbit_command(client: Client, argv: list[bytes]) -> int:
    offset = _bit_offset(client, argv[2])
    on = parse_int64(argv[3])
    if on is None or on & ~1:
        raise BIT_VALUE_ERROR
    db = client.db
    buf, grown = writable_string(db, argv[1], (offset >> 3) + 1)
    byte = offset >> 3
    mask = 0x80 >> (offset & 7)
    old = 1 if buf[byte] & mask else 0
    if grown or old != on:
        buf[byte] = (buf[byte] | mask) if on else (buf[byte] & ~mask)
        keyspace = db.keyspace
        keyspace.key_modified(db, argv[1])
        keyspace.notify(db, "$", "setbit", argv[1])
        keyspace.dirty += 1
    return old


@command("getbit", 3, "readonly fast", keys=(1, 1, 1), categories="@bitmap", group="bitmap", since="2.2.0",
         summary="Returns the bit value at offset in the string value stored at key",
         complexity="O(1)")
def getbit_command(client: Client, argv: list[bytes]) -> int:
    offset = _bit_offset(client, argv[2])
    value = string_value(client.db, argv[1])
    byte = offset >> 3
    if value is None or byte >= len(value):
        return 0
    return 1 if value[byte] & (0x80 >> (offset & 7)) else 0


# -- BITCOUNT / BITPOS -----------------------------------------------------------------------

@command("bitcount", -2, "readonly", keys=(1, 1, 1), categories="@bitmap", group="bitmap", since="2.6.0",
         summary="Count set bits in a string",
         complexity="O(N)")
def bitcount_command(client: Client, argv: list[bytes]) -> int:
    value = string_value(client.db, argv[1])
    if value is None:
        return 0
    argc = len(argv)
    if argc == 2:
        return popcount(value)
    if argc not in (4, 5):
        raise SYNTAX
    start, end = int_arg(argv[2]), int_arg(argv[3])
    if start < 0 and end < 0 and start > end:
        return 0
    isbit = argc == 5 and _range_unit(argv[4])
    total = len(value) * 8 if isbit else len(value)
    start, end = _clamp_range(start, end, total)
    if start > end:
        return 0
    if not isbit:
        return popcount(memoryview(value)[start : end + 1])
    first, last = start >> 3, end >> 3
    count = popcount(memoryview(value)[first : last + 1])
    # drop the bits of the edge bytes that lie outside [start, end]
    count -= (value[first] >> (8 - (start & 7))).bit_count()
    count -= (value[last] & ((1 << (7 - (end & 7))) - 1)).bit_count()
    return count


def _clamp_range(start: int, end: int, total: int) -> tuple[int, int]:
    if start < 0:
        start = max(total + start, 0)
    if end < 0:
        end = max(total + end, 0)
    return start, min(end, total - 1)


@command("bitpos", -3, "readonly", keys=(1, 1, 1), categories="@bitmap", group="bitmap", since="2.8.7",
         summary="Find first bit set or clear in a string",
         complexity="O(N)")
def bitpos_command(client: Client, argv: list[bytes]) -> int:
    bit = int_arg(argv[2])
    if bit not in (0, 1):
        raise ReplyError("ERR The bit argument must be 1 or 0.")
    value = string_value(client.db, argv[1])
    if value is None:
        # a missing key is an infinite run of zeros
        return -1 if bit else 0
    argc = len(argv)
    if argc == 3:
        return _first_bit(value, bit) if value else -1
    if argc > 6:
        raise SYNTAX
    start = int_arg(argv[3])
    isbit = argc == 6 and _range_unit(argv[5])
    end_given = argc >= 5
    end = int_arg(argv[4]) if end_given else len(value) - 1
    total = len(value) * 8 if isbit else len(value)
    start, end = _clamp_range(start, end, total)
    if start > end:
        return -1
    if isbit:
        pos, nbytes, first = _bitpos_bits(value, start, end, bit)
    else:
        first, nbytes = start, end - start + 1
        pos = _first_bit(value[start : end + 1], bit)
    # with an explicit end, the bits right of the range are not zero padding
    if end_given and bit == 0 and pos == nbytes * 8:
        return -1
    return pos if pos == -1 else pos + first * 8


def _bitpos_bits(value: bytes | bytearray, start: int, end: int, bit: int) -> tuple[int, int, int]:
    """BITPOS over a BIT range, as Redis walks it: masked first byte, whole bytes, masked last byte.

    Returns (position relative to byte `first`, bytes left in the walk, first).
    """
    first_mask = ~((1 << (8 - (start & 7))) - 1) & 0xFF
    last_mask = (1 << (7 - (end & 7))) - 1
    first, last = start >> 3, end >> 3
    nbytes = last - first + 1
    pos = -1
    if first_mask:
        byte = value[first] & ~first_mask if bit else value[first] | first_mask
        if last_mask and nbytes == 1:
            byte = byte & ~last_mask if bit else byte | last_mask
        pos = _first_bit(bytes((byte,)), bit)
        if nbytes == 1 or (pos != -1 and pos != 8):
            return pos, nbytes, first
        first += 1
        nbytes -= 1
    whole = nbytes - (1 if last_mask else 0)
    if whole > 0:
        pos = _first_bit(value[first : first + whole], bit)
        if nbytes == whole or (pos != -1 and pos != whole * 8):
            return pos, nbytes, first
        first += whole
        nbytes -= whole
    byte = value[last] & ~last_mask if bit else value[last] | last_mask
    return _first_bit(bytes((byte,)), bit), nbytes, first


# -- BITOP -----------------------------------------------------------------------------------

@command("bitop", -4, "write denyoom", categories="@bitmap", group="bitmap", since="2.6.0",
         key_specs=(KeySpec("OW update", Index(2)), KeySpec("RO access", Index(3), Range(-1))),
         summary="Perform bitwise operations between strings",
         complexity="O(N)")
def bitop_command(client: Client, argv: list[bytes]) -> int:
    op = argv[1].lower()
    if op not in (b"and", b"or", b"xor", b"not"):
        raise SYNTAX
    if op == b"not" and len(argv) != 4:
        raise ReplyError("ERR BITOP NOT must be called with a single source key.")
    db = client.db
    sources = [string_value(db, key) or b"" for key in argv[3:]]
    maxlen = max(map(len, sources))
    target = argv[2]
    keyspace = db.keyspace
    if not maxlen:
        if db.discard(target):
            keyspace.notify(db, "g", "del", target)
            keyspace.dirty += 1
        return 0
    if op == b"not":
        result = bytearray(sources[0].translate(_NOT_TABLE))
    else:
        # strings shorter than the longest are zero padded on the right
        acc = int.from_bytes(sources[0].ljust(maxlen, b"\0"), "big")
        for src in sources[1:]:
            n = int.from_bytes(src.ljust(maxlen, b"\0"), "big")
            if op == b"and":
                acc &= n
            elif op == b"or":
                acc |= n
            else:
                acc ^= n
        result = bytearray(acc.to_bytes(maxlen, "big"))
    db.set(target, result)
    keyspace.notify(db, "$", "set", target)
    keyspace.dirty += 1
    return maxlen


# -- BITFIELD --------------------------------------------------------------------------------

_GET, _SET, _INCRBY = 0, 1, 2
_WRAP, _SAT, _FAIL = 0, 1, 2
_OVERFLOW_TYPES = {b"wrap": _WRAP, b"sat": _SAT, b"fail": _FAIL}


def _bitfield_type(arg: bytes) -> tuple[bool, int]:
    """(signed, bits) from i1..i64 / u1..u63."""
    signed = arg[:1] == b"i"
    if not signed and arg[:1] != b"u":
        raise BITFIELD_TYPE_ERROR
    bits = parse_int64(arg[1:].split(b"\0", 1)[0])  # C reads the width up to a NUL
    if bits is None or bits < 1 or bits > (64 if signed else 63):
        raise BITFIELD_TYPE_ERROR
    return signed, bits


def get_field(data: bytes | bytearray, offset: int, bits: int, signed: bool) -> int:
    """The `bits`-wide integer at bit `offset`; bytes beyond the end of `data` read as zero."""
    first = offset >> 3
    last = (offset + bits - 1) >> 3
    window = data[first : last + 1]
    n = last - first + 1
    raw = int.from_bytes(window, "big") << (8 * (n - len(window)))
    value = (raw >> (n * 8 - (offset & 7) - bits)) & ((1 << bits) - 1)
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


def set_field(buf: bytearray, offset: int, bits: int, value: int) -> None:
    """Store the low `bits` bits of `value` at bit `offset` (the buffer is long enough)."""
    first = offset >> 3
    last = (offset + bits - 1) >> 3
    n = last - first + 1
    shift = n * 8 - (offset & 7) - bits
    mask = ((1 << bits) - 1) << shift
    raw = int.from_bytes(buf[first : last + 1], "big")
    raw = (raw & ~mask) | ((value << shift) & mask)
    buf[first : last + 1] = raw.to_bytes(n, "big")


def _unsigned_overflow(value: int, incr: int, bits: int, owtype: int) -> tuple[int, int]:
    """checkUnsignedBitfieldOverflow with C's uint64/int64 arithmetic: (overflow, limit)."""
    maxval = (1 << bits) - 1
    maxincr = _wrap_int64(maxval - value)
    minincr = _wrap_int64(-value)
    if value > maxval or (incr > 0 and incr > maxincr):
        overflow, limit = 1, maxval
    elif incr < 0 and incr < minincr:
        overflow, limit = -1, 0
    else:
        return 0, 0
    if owtype == _WRAP:
        limit = (value + incr) & maxval
    return overflow, limit


def _signed_overflow(value: int, incr: int, bits: int, owtype: int) -> tuple[int, int]:
    """checkSignedBitfieldOverflow with C's int64 arithmetic: (overflow, limit)."""
    maxval = INT64_MAX if bits == 64 else (1 << (bits - 1)) - 1
    minval = -maxval - 1
    maxincr = _wrap_int64(maxval - value)
    minincr = _wrap_int64(minval - value)
    if (value > maxval or (bits != 64 and incr > maxincr)
            or (value >= 0 and incr > 0 and incr > maxincr)):
        overflow, limit = 1, maxval
    elif (value < minval or (bits != 64 and incr < minincr)
            or (value < 0 and incr < 0 and incr < minincr)):
        overflow, limit = -1, minval
    else:
        return 0, 0
    if owtype == _WRAP:
        wrapped = (value + incr) & ((1 << bits) - 1)
        limit = wrapped - (1 << bits) if wrapped >> (bits - 1) else wrapped
    return overflow, limit


def _bitfield(client: Client, argv: list[bytes], readonly_command: bool) -> list[int | None]:
    ops: list[tuple[int, int, int, bool, int, int]] = []  # (opcode, offset, bits, signed, arg, overflow)
    owtype = _WRAP
    readonly = True
    highest_write = 0
    j = 2
    argc = len(argv)
    while j < argc:
        remaining = argc - j - 1
        sub = argv[j].lower()
        if sub == b"get" and remaining >= 2:
            opcode = _GET
        elif sub == b"set" and remaining >= 3:
            opcode = _SET
        elif sub == b"incrby" and remaining >= 3:
            opcode = _INCRBY
        elif sub == b"overflow" and remaining >= 1:
            owtype = _OVERFLOW_TYPES.get(argv[j + 1].lower(), -1)
            if owtype < 0:
                raise ReplyError("ERR Invalid OVERFLOW type specified")
            j += 2
            continue
        else:
            raise SYNTAX
        signed, bits = _bitfield_type(argv[j + 1])
        offset = _bit_offset(client, argv[j + 2], bits)
        arg = 0
        if opcode != _GET:
            readonly = False
            highest_write = max(highest_write, offset + bits - 1)
            arg = int_arg(argv[j + 3])
        ops.append((opcode, offset, bits, signed, arg, owtype))
        j += 3 if opcode == _GET else 4
    db = client.db
    key = argv[1]
    if readonly:
        data: bytes | bytearray = string_value(db, key) or b""
        return [get_field(data, offset, bits, signed) for _, offset, bits, signed, _, _ in ops]
    if readonly_command:
        raise ReplyError("ERR BITFIELD_RO only supports the GET subcommand")
    buf, grown = writable_string(db, key, (highest_write >> 3) + 1)
    replies: list[int | None] = []
    changes = 0
    for opcode, offset, bits, signed, arg, ow in ops:
        if opcode == _GET:
            replies.append(get_field(buf, offset, bits, signed))
            continue
        old = get_field(buf, offset, bits, signed)
        check = _signed_overflow if signed else _unsigned_overflow
        if opcode == _INCRBY:
            overflow, limit = check(old, arg, bits, ow)
            new = limit if overflow else old + arg
            reply = new
        else:
            new = arg if signed else arg & _U64  # C stores the SET value in a uint64
            overflow, limit = check(new, 0, bits, ow)
            if overflow:
                new = limit
            reply = old
        if overflow and ow == _FAIL:
            replies.append(None)
            continue
        replies.append(reply)
        set_field(buf, offset, bits, new)
        if grown or old != new:
            changes += 1
    if changes:
        keyspace = db.keyspace
        keyspace.key_modified(db, key)
        keyspace.notify(db, "$", "setbit", key)
        keyspace.dirty += changes
    return replies


def _bitfield_keys(argv: list[bytes]) -> list[tuple[int, str]]:
    """bitfieldGetKeys: RO access when every operation is a GET (or OVERFLOW), else RW access update."""
    i, argc = 2, len(argv)
    while i < argc:
        op, remaining = argv[i].lower(), argc - i - 1
        if op == b"get" and remaining >= 2:
            i += 3
        elif op == b"overflow" and remaining >= 1:
            i += 2
        else:  # SET, INCRBY, or a syntax error: assume a write, as Redis
            return [(1, "RW access update")]
    return [(1, "RO access")]


@command("bitfield", -2, "write denyoom", categories="@bitmap", group="bitmap", since="3.2.0",
         key_spec=_bitfield_keys,
         key_specs=(KeySpec("RW access update variable_flags", Index(1),
                            notes="This command allows both access and modification of the key"),),
         summary="Perform arbitrary bitfield integer operations on strings",
         complexity="O(1) for each subcommand specified")
def bitfield_command(client: Client, argv: list[bytes]) -> list[int | None]:
    return _bitfield(client, argv, readonly_command=False)


@command("bitfield_ro", -2, "readonly fast", keys=(1, 1, 1), categories="@bitmap", group="bitmap", since="6.0.0",
         summary="Perform arbitrary bitfield integer operations on strings. Read-only variant"
                 " of BITFIELD",
         complexity="O(1) for each subcommand specified")
def bitfield_ro_command(client: Client, argv: list[bytes]) -> list[int | None]:
    return _bitfield(client, argv, readonly_command=True)

