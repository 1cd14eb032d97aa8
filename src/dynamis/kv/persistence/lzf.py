"""LZF, the compression of strings in RDB payloads (Redis's lzf_c.c / lzf_d.c, liblzf 3.x).

`compress` makes the same choices as Redis's build of lzf_compress (liblzf 3.6, HLOG 16, VERY_FAST),
so a value DUMPed here has the bytes real Redis writes. The one
thing not reproduced is Redis's uninitialised hash table: a stale slot there can, rarely, find a
match that a clean table does not.

Compressed format: `000LLLLL` + L+1 literal bytes; `LLLooooo oooooooo` a back reference of L+2 bytes
at distance o+1; `111ooooo LLLLLLLL oooooooo` the same with L+9 bytes.
"""

from __future__ import annotations

_MAX_LIT = 1 << 5
_MAX_OFF = 1 << 13
_MAX_REF = (1 << 8) + (1 << 3)
# the largest expansion of a valid stream: a 3-byte back reference yields up to 264 bytes
MAX_RATIO = 88


class LZFError(ValueError):
    pass


def compress(data: bytes, out_len: int) -> bytes | None:
    """`data` compressed, or None when that does not fit in `out_len` bytes (Redis passes len - 4:
    a string that does not shrink by at least 4 bytes is stored as it is)."""
    n = len(data)
    if not n or not out_len:
        return None
    data = bytes(data)
    out = bytearray(n + n // _MAX_LIT + 8)
    htab: dict[int, int] = {}
    lookup = htab.get
    # `op` is where lzf_c.c's output pointer would be: the bytes of a literal run are copied in one slice
    # when the run closes, its length byte at op - lit - 1
    op = 1
    lit = 0
    ip = 0
    hval = (data[0] << 8) | data[1] if n > 1 else 0
    end = n - 2
    while ip < end:
        hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFF
        slot = ((hval >> 8) - hval * 5) & 0xFFFF
        ref = lookup(slot, -1)
        htab[slot] = ip
        off = ip - ref - 1
        if (ref > 0 and off < _MAX_OFF and data[ref] == data[ip]
                and data[ref + 1] == data[ip + 1] and data[ref + 2] == data[ip + 2]):
            maxlen = min(n - ip - 2, _MAX_REF)
            if op - (not lit) + 4 >= out_len:
                return None
            if lit:
                out[op - lit - 1] = lit - 1  # close the literal run
                out[op - lit:op] = data[ip - lit:ip]
            else:
                op -= 1  # an empty run takes no byte
            length = 3
            if maxlen > 16:
                # lzf_c.c compares 16 bytes unrolled before its bounded loop: the match can run past maxlen
                while length <= 18 and data[ref + length] == data[ip + length]:
                    length += 1
            if length == 19 or maxlen <= 16:
                while length < maxlen and data[ref + length] == data[ip + length]:
                    length += 1
            length -= 2
            ip += 1
            if length < 7:
                out[op] = (off >> 8) + (length << 5)
                op += 1
            else:
                out[op] = (off >> 8) + (7 << 5)
                out[op + 1] = length - 7
                op += 2
            out[op] = off & 0xFF
            op += 2  # and a new literal run starts
            lit = 0
            ip += length + 1
            if ip >= end:
                break
            # VERY_FAST: hash the last two positions of the match
            ip -= 2
            hval = (data[ip] << 8) | data[ip + 1]
            hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFF
            htab[((hval >> 8) - hval * 5) & 0xFFFF] = ip
            ip += 1
            hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFF
            htab[((hval >> 8) - hval * 5) & 0xFFFF] = ip
            ip += 1
        else:
            if op >= out_len:
                return None
            op += 1
            ip += 1
            lit += 1
            if lit == _MAX_LIT:
                out[op - _MAX_LIT - 1] = _MAX_LIT - 1
                out[op - _MAX_LIT:op] = data[ip - _MAX_LIT:ip]
                lit = 0
                op += 1
    if op + 3 > out_len:
        return None
    while ip < n:  # the last bytes are literals
        step = min(n - ip, _MAX_LIT - lit)
        op += step
        ip += step
        lit += step
        if lit == _MAX_LIT:
            out[op - _MAX_LIT - 1] = _MAX_LIT - 1
            out[op - _MAX_LIT:op] = data[ip - _MAX_LIT:ip]
            lit = 0
            op += 1
    if lit:
        out[op - lit - 1] = lit - 1
        out[op - lit:op] = data[ip - lit:ip]
    else:
        op -= 1
    return bytes(out[:op])


def decompress(data: bytes | memoryview, out_len: int) -> bytes:
    """The `out_len` bytes that `data` expands to; LZFError when it is corrupt or expands to another size."""
    if out_len > len(data) * MAX_RATIO:
        raise LZFError("expansion beyond what LZF can produce")
    out = bytearray()
    n = len(data)
    ip = 0
    while ip < n:
        ctrl = data[ip]
        ip += 1
        if ctrl < _MAX_LIT:
            ctrl += 1
            if ip + ctrl > n or len(out) + ctrl > out_len:
                raise LZFError("literal run past the end")
            out += data[ip:ip + ctrl]
            ip += ctrl
            continue
        length = ctrl >> 5
        if length == 7:
            if ip >= n:
                raise LZFError("truncated back reference")
            length += data[ip]
            ip += 1
        if ip >= n:
            raise LZFError("truncated back reference")
        ref = len(out) - ((ctrl & 0x1F) << 8) - data[ip] - 1
        ip += 1
        length += 2
        if ref < 0 or len(out) + length > out_len:
            raise LZFError("back reference out of range")
        if ref + length <= len(out):
            out += out[ref:ref + length]
        else:  # overlapping: the bytes repeat with the reference's period
            period = out[ref:]
            out += (period * (length // len(period) + 1))[:length]
    if len(out) != out_len:
        raise LZFError("decompressed size mismatch")
    return bytes(out)
