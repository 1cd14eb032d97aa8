"""Redis's compact in-memory encodings as they appear inside RDB payloads: listpack (listpack.c),
intset (intset.c), and, to load what older servers wrote, ziplist (ziplist.c) and zipmap (zipmap.c).

Builders make the bytes Redis would hold for the same elements; parsers check a blob as Redis's
*ValidateIntegrity functions do before trusting it (a RESTORE payload comes from a client) and raise
EncodingError on anything malformed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_INT_TEXT = re.compile(rb"-?[1-9][0-9]{0,19}\Z|0\Z")
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


class EncodingError(ValueError):
    pass


def as_int64(s: bytes) -> int | None:
    """Redis's string2ll / lpStringToInt64: the integer that `s` spells canonically, else None."""
    if len(s) > 20 or _INT_TEXT.match(s) is None:
        return None
    value = int(s)
    return value if INT64_MIN <= value <= INT64_MAX else None


# -- listpack ----------------------------------------------------------------------------------------

def _backlen(n: int) -> bytes:
    """An entry's length, written after it so the listpack can be walked backwards (lpEncodeBacklen)."""
    if n <= 127:
        return bytes((n,))
    if n < 16383:
        return bytes((n >> 7, (n & 127) | 128))
    if n < 2097151:
        return bytes((n >> 14, ((n >> 7) & 127) | 128, (n & 127) | 128))
    if n < 268435455:
        return bytes((n >> 21, ((n >> 14) & 127) | 128, ((n >> 7) & 127) | 128, (n & 127) | 128))
    return bytes((n >> 28, ((n >> 21) & 127) | 128, ((n >> 14) & 127) | 128, ((n >> 7) & 127) | 128,
                  (n & 127) | 128))


def lp_int(v: int) -> bytes:
    """A listpack integer entry (the smallest of its six integer encodings), backlen included."""
    if 0 <= v <= 127:
        return bytes((v, 1))
    if -4096 <= v <= 4095:
        v &= 0x1FFF
        return bytes((0xC0 | (v >> 8), v & 0xFF, 2))
    if -32768 <= v <= 32767:
        return b"\xf1" + (v & 0xFFFF).to_bytes(2, "little") + b"\x03"
    if -8388608 <= v <= 8388607:
        return b"\xf2" + (v & 0xFFFFFF).to_bytes(3, "little") + b"\x04"
    if -(1 << 31) <= v < (1 << 31):
        return b"\xf3" + (v & 0xFFFFFFFF).to_bytes(4, "little") + b"\x05"
    return b"\xf4" + (v & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little") + b"\x09"


def lp_entry(s: bytes) -> bytes:
    """A listpack entry for `s`: an integer encoding when `s` spells one, as lpInsert chooses."""
    v = as_int64(s)
    if v is not None:
        return lp_int(v)
    n = len(s)
    if n < 64:
        head = bytes((0x80 | n,))
    elif n < 4096:
        head = bytes((0xE0 | (n >> 8), n & 0xFF))
    else:
        head = b"\xf0" + n.to_bytes(4, "little")
    return head + s + _backlen(len(head) + n)


def listpack(entries: list[bytes], count: int) -> bytes:
    """A listpack of already encoded entries (lp_entry / lp_int): header, entries, terminator."""
    body = b"".join(entries)
    return (len(body) + 7).to_bytes(4, "little") + min(count, 65535).to_bytes(2, "little") + body + b"\xff"


def build_listpack(elements: Iterable[bytes]) -> bytes:
    entries = [lp_entry(e) for e in elements]
    return listpack(entries, len(entries))


def parse_listpack(blob: bytes, as_ints: bool = False) -> list[bytes | int]:
    """The elements of a listpack, each bytes (integers spelled in decimal, as lpGet returns them), or
    int for integer entries when `as_ints`; checked as lpValidateIntegrity(deep) does."""
    size = len(blob)
    if size < 7 or int.from_bytes(blob[0:4], "little") != size or blob[-1] != 0xFF:
        raise EncodingError("listpack header")
    declared = int.from_bytes(blob[4:6], "little")
    out: list[bytes | int] = []
    p = 6
    end = size - 1
    while p < end:
        b = blob[p]
        value: bytes | int
        if b < 0x80:
            value, head, n = b, 1, 0
        elif b < 0xC0:
            head, n = 1, b & 0x3F
            value = b""
        elif b < 0xE0:
            if p + 2 > end:
                raise EncodingError("listpack entry")
            v = ((b & 0x1F) << 8) | blob[p + 1]
            value, head, n = (v - 8192 if v >= 4096 else v), 2, 0
        elif b < 0xF0:
            if p + 2 > end:
                raise EncodingError("listpack entry")
            head, n = 2, ((b & 0x0F) << 8) | blob[p + 1]
            value = b""
        elif b == 0xF0:
            if p + 5 > end:
                raise EncodingError("listpack entry")
            head, n = 5, int.from_bytes(blob[p + 1:p + 5], "little")
            value = b""
        elif 0xF1 <= b <= 0xF4:
            width = (2, 3, 4, 8)[b - 0xF1]
            if p + 1 + width > end:
                raise EncodingError("listpack entry")
            value = int.from_bytes(blob[p + 1:p + 1 + width], "little", signed=True)
            head, n = 1 + width, 0
        else:
            raise EncodingError("listpack encoding")
        if n:
            if p + head + n > end:
                raise EncodingError("listpack string")
            value = blob[p + head:p + head + n]
        back = _backlen(head + n)
        q = p + head + n
        if blob[q:q + len(back)] != back:
            raise EncodingError("listpack backlen")
        p = q + len(back)
        out.append(value if as_ints or type(value) is bytes else b"%d" % value)
    if p != end or (declared != 65535 and declared != len(out)):
        raise EncodingError("listpack count")
    return out


# -- intset ------------------------------------------------------------------------------------------

def build_intset(values: Iterable[int]) -> bytes:
    """An intset of distinct integers: the narrowest width holding them all, sorted, little endian."""
    ordered = sorted(values)
    lo, hi = (ordered[0], ordered[-1]) if ordered else (0, 0)
    width = 2 if -32768 <= lo and hi <= 32767 else 4 if -(1 << 31) <= lo and hi < (1 << 31) else 8
    body = b"".join(v.to_bytes(width, "little", signed=True) for v in ordered)
    return width.to_bytes(4, "little") + len(ordered).to_bytes(4, "little") + body


def parse_intset(blob: bytes) -> list[int]:
    """The members of an intset, checked as intsetValidateIntegrity(deep): sizes, order, no duplicates."""
    if len(blob) < 8:
        raise EncodingError("intset header")
    width = int.from_bytes(blob[0:4], "little")
    count = int.from_bytes(blob[4:8], "little")
    if width not in (2, 4, 8) or count == 0 or 8 + count * width != len(blob):
        raise EncodingError("intset size")
    values = [int.from_bytes(blob[i:i + width], "little", signed=True) for i in range(8, len(blob), width)]
    if any(a >= b for a, b in zip(values, values[1:], strict=False)):
        raise EncodingError("intset order")
    return values


# -- ziplist (RDB 8 and older) ----------------------------------------------------------------------

_ZIP_INT_WIDTH = {0xC0: 2, 0xD0: 4, 0xE0: 8, 0xF0: 3, 0xFE: 1}


def parse_ziplist(blob: bytes) -> list[bytes]:
    """The elements of a ziplist as bytes, checked as ziplistValidateIntegrity(deep) does."""
    size = len(blob)
    if size < 11 or int.from_bytes(blob[0:4], "little") != size or blob[-1] != 0xFF:
        raise EncodingError("ziplist header")
    tail = int.from_bytes(blob[4:8], "little")
    declared = int.from_bytes(blob[8:10], "little")
    out: list[bytes] = []
    p, end, prev_len, last = 10, size - 1, 0, 10
    while p < end:
        start = p
        if blob[p] < 254:
            stored_prev, p = blob[p], p + 1
        else:
            if p + 5 > end:
                raise EncodingError("ziplist prevlen")
            stored_prev, p = int.from_bytes(blob[p + 1:p + 5], "little"), p + 5
        if stored_prev != prev_len or p >= end:
            raise EncodingError("ziplist prevlen")
        b = blob[p]
        kind = b >> 6
        if kind < 3:
            if kind == 0:
                n, p = b & 0x3F, p + 1
            elif kind == 1:
                n, p = ((b & 0x3F) << 8) | blob[p + 1], p + 2
            else:
                n, p = int.from_bytes(blob[p + 1:p + 5], "big"), p + 5
            if p + n > end:
                raise EncodingError("ziplist string")
            out.append(blob[p:p + n])
            p += n
        elif 0xF1 <= b <= 0xFD:
            out.append(b"%d" % ((b & 0x0F) - 1))
            p += 1
        elif b in _ZIP_INT_WIDTH:
            width = _ZIP_INT_WIDTH[b]
            if p + 1 + width > end:
                raise EncodingError("ziplist integer")
            out.append(b"%d" % int.from_bytes(blob[p + 1:p + 1 + width], "little", signed=True))
            p += 1 + width
        else:
            raise EncodingError("ziplist encoding")
        prev_len, last = p - start, start
    if p != end or (out and tail != last) or (declared != 65535 and declared != len(out)):
        raise EncodingError("ziplist count")
    return out


# -- zipmap (hashes of RDB 3 and older) ---------------------------------------------------------------

def parse_zipmap(blob: bytes) -> list[bytes]:
    """Field, value, field, value... of a zipmap, checked as zipmapValidateIntegrity does."""
    size = len(blob)
    if size < 2 or blob[-1] != 0xFF:
        raise EncodingError("zipmap header")
    out: list[bytes] = []
    p = 1
    while p < size - 1:
        for is_value in (False, True):
            if p >= size - 1:
                raise EncodingError("zipmap entry")
            if blob[p] < 254:
                n, p = blob[p], p + 1
            elif blob[p] == 254 and p + 5 <= size:
                n, p = int.from_bytes(blob[p + 1:p + 5], "little"), p + 5
            else:
                raise EncodingError("zipmap length")
            free = 0
            if is_value:
                free, p = blob[p], p + 1
            if p + n + free > size - 1:
                raise EncodingError("zipmap entry")
            out.append(blob[p:p + n])
            p += n + free
    if p != size - 1:
        raise EncodingError("zipmap end")
    return out
