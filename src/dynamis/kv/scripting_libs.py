"""The Lua libraries Redis ships to scripts — cjson, cmsgpack, bit, struct — and its math.random.

Redis links C libraries into its Lua; here they are Python functions that `scripting.LuaEngine`
exposes to Lua through thin wrappers. Each Python function returns `(True, results...)` or
`(False, message)`; the Lua wrapper raises the message at the script's line, as luaL_error would.
Encodings, number formats and error texts follow the C libraries Redis 7.0 embeds.
"""

from __future__ import annotations

import functools
import math
import struct as pystruct
import sys
from collections.abc import Callable
from typing import Any

from lupa.lua51 import LuaRuntime, lua_type

from dynamis.kv.args import strtod

# cjson nests to 1000 levels, cmsgpack and script replies as deep as Lua lets them: the recursive walkers
# of nested values get this many frames beyond Python's limit while they run (only they: raising the
# limit around every script run cost ~1.5% of a small EVALSHA)
DEEP_RECURSION = 10000


def call_deep(fn: Callable[..., Any], *args: Any) -> Any:
    """fn(*args) with DEEP_RECURSION more frames allowed."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit + DEEP_RECURSION)
    try:
        return fn(*args)
    finally:
        sys.setrecursionlimit(limit)


def deep(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A library function that walks nested values: run through call_deep."""
    return functools.wraps(fn)(lambda *args: call_deep(fn, *args))


class LibError(Exception):
    """Raised inside a library function; becomes a Lua error at the caller's line."""


class LibRuntimeError(LibError):
    """A Lua runtime error raised by the VM inside a C library function (luaG_runerror): no position."""


def _fmt14(n: float | int) -> str:
    """Lua 5.1's number to string (`%.14g`), as cjson and tostring print numbers."""
    if isinstance(n, float):
        if math.isinf(n):
            return "inf" if n > 0 else "-inf"
        if math.isnan(n):
            return "nan" if math.copysign(1, n) > 0 else "-nan"
    return f"{n:.14g}"


def _number(value: Any, argn: int, fname: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, bytes):
            try:
                return float(value) if not value.strip().lstrip(b"-").isdigit() else int(value)
            except ValueError:
                pass
        raise LibError(f"bad argument #{argn} to '{fname}' (number expected, got {_lua_type_name(value)})")
    return value


def _lua_number(value: int | float) -> int | float:
    """Lua numbers are doubles: an integer beyond int64 goes to Lua as a float (lupa refuses it)."""
    return float(value) if isinstance(value, int) and not -(2**63) <= value < 2**63 else value


def _lua_type_name(value: Any) -> str:
    if value is None:
        return "no value"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, bytes):
        return "string"
    return lua_type(value) or "userdata"


# -- bit (LuaBitOp) ----------------------------------------------------------------------------------


def _tobit(value: Any, argn: int, fname: str) -> int:
    n = _number(value, argn, fname)
    if isinstance(n, float):
        if math.isinf(n) or math.isnan(n):
            return 0
        n = round(n)  # LuaBitOp adds 2^52+2^51: round half to even, as Python's round()
    n &= 0xFFFFFFFF
    return n - 0x100000000 if n & 0x80000000 else n


def _bit_functions() -> dict[str, Callable[..., Any]]:
    def variadic(name: str, op: Callable[[int, int], int]) -> Callable[..., Any]:
        def fn(*args: Any) -> int:
            result = _tobit(args[0] if args else None, 1, name)
            for i, a in enumerate(args[1:], 2):
                result = op(result, _tobit(a, i, name))
            return _tobit(result, 1, name)
        return fn

    def shift(name: str, op: Callable[[int, int], int]) -> Callable[..., Any]:
        def fn(x: Any = None, n: Any = None) -> int:
            return _tobit(op(_tobit(x, 1, name) & 0xFFFFFFFF, _tobit(n, 2, name) & 31), 1, name)
        return fn

    def arshift(x: Any = None, n: Any = None) -> int:
        return _tobit(_tobit(x, 1, "arshift") >> (_tobit(n, 2, "arshift") & 31), 1, "arshift")

    def rol(x: Any = None, n: Any = None) -> int:
        v, s = _tobit(x, 1, "rol") & 0xFFFFFFFF, _tobit(n, 2, "rol") & 31
        return _tobit((v << s) | (v >> (32 - s)), 1, "rol")

    def ror(x: Any = None, n: Any = None) -> int:
        v, s = _tobit(x, 1, "ror") & 0xFFFFFFFF, _tobit(n, 2, "ror") & 31
        return _tobit((v >> s) | (v << (32 - s)), 1, "ror")

    def bswap(x: Any = None) -> int:
        v = _tobit(x, 1, "bswap") & 0xFFFFFFFF
        return _tobit(int.from_bytes(v.to_bytes(4, "little"), "big"), 1, "bswap")

    def tohex(x: Any = None, n: Any = None) -> bytes:
        v = _tobit(x, 1, "tohex") & 0xFFFFFFFF
        digits = 8 if n is None else _tobit(n, 2, "tohex")
        upper = digits < 0
        digits = min(abs(digits), 8)
        text = f"{v & ((1 << (4 * digits)) - 1):0{digits}x}" if digits else ""
        return (text.upper() if upper else text).encode()

    return {
        "tobit": lambda x=None: _tobit(x, 1, "tobit"),
        "bnot": lambda x=None: _tobit(~_tobit(x, 1, "bnot"), 1, "bnot"),
        "band": variadic("band", lambda a, b: a & b),
        "bor": variadic("bor", lambda a, b: a | b),
        "bxor": variadic("bxor", lambda a, b: a ^ b),
        "lshift": shift("lshift", lambda a, s: a << s),
        "rshift": shift("rshift", lambda a, s: a >> s),
        "arshift": arshift, "rol": rol, "ror": ror, "bswap": bswap, "tohex": tohex,
    }


# -- struct (Roberto Ierusalimschy's struct library) ------------------------------------------------

_MAXINTSIZE = 32
_NATIVE_SIZES = {"b": 1, "B": 1, "h": 2, "H": 2, "l": 8, "L": 8, "T": 8, "f": 4, "d": 8, "x": 1}


class _StructFormat:
    """Walks a struct format string the way struct.c's getoption/controloptions do."""

    def __init__(self, fmt: bytes, fname: str) -> None:
        self.fmt = fmt.decode("latin-1")
        self.fname = fname
        self.pos = 0
        self.little = True
        self.maxalign = 1

    def _number(self, default: int) -> int:
        start = self.pos
        while self.pos < len(self.fmt) and self.fmt[self.pos].isdigit():
            self.pos += 1
        return int(self.fmt[start:self.pos]) if self.pos > start else default

    def options(self):  # yields (option, size)
        while self.pos < len(self.fmt):
            opt = self.fmt[self.pos]
            self.pos += 1
            if opt in _NATIVE_SIZES:
                yield opt, _NATIVE_SIZES[opt]
            elif opt in "iI":
                size = self._number(4)
                if size > _MAXINTSIZE:
                    raise LibError(f"integral size {size} is larger than limit of {_MAXINTSIZE}")
                yield opt, size
            elif opt == "c":
                yield opt, self._number(1)
            elif opt == "s":
                yield opt, 0
            elif opt == " ":
                continue
            elif opt == ">":
                self.little = False
            elif opt == "<":
                self.little = True
            elif opt == "!":
                align = self._number(8)
                if align & (align - 1):
                    raise LibError(f"alignment {align} is not a power of 2")
                self.maxalign = align
            else:
                raise LibError(f"bad argument #1 to '{self.fname}' (invalid format option '{opt}')")

    def gap(self, size: int, total: int, opt: str) -> int:
        """struct.c's gettoalign (sizes that are not powers of 2 included, as it computes them)."""
        if size == 0 or opt in "cs":
            return 0
        size = min(size, self.maxalign)
        return (size - (total & (size - 1))) & (size - 1)


def _struct_pack(fmt: Any = None, *args: Any) -> bytes:
    if not isinstance(fmt, bytes):
        raise LibError(f"bad argument #1 to 'pack' (string expected, got {_lua_type_name(fmt)})")
    f = _StructFormat(fmt, "pack")
    out = bytearray()
    argi = 0

    def next_arg() -> Any:
        nonlocal argi
        value = args[argi] if argi < len(args) else None
        argi += 1
        return value

    for opt, size in f.options():
        out += b"\0" * f.gap(size, len(out), opt)
        if opt == "x":
            out += b"\0"
        elif opt in "bBhHlLTiI":
            n = _number(next_arg(), argi + 1, "pack")
            value = int(n) if not isinstance(n, float) or math.isfinite(n) else 0
            out += (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little" if f.little else "big")
        elif opt in "fd":
            n = float(_number(next_arg(), argi + 1, "pack"))
            code = ("<" if f.little else ">") + opt
            out += pystruct.pack(code, n) if opt == "d" or not math.isfinite(n) or abs(n) < 3.5e38 else \
                pystruct.pack(code, math.copysign(math.inf, n))
        elif opt == "c":
            s = next_arg()
            if not isinstance(s, bytes):
                raise LibError(f"bad argument #{argi + 1} to 'pack' (string expected, got {_lua_type_name(s)})")
            length = size or len(s)
            if len(s) < length:
                raise LibError(f"bad argument #{argi + 1} to 'pack' (string too short)")
            out += s[:length]
        elif opt == "s":
            s = next_arg()
            if not isinstance(s, bytes):
                raise LibError(f"bad argument #{argi + 1} to 'pack' (string expected, got {_lua_type_name(s)})")
            if b"\0" in s:
                raise LibError(f"bad argument #{argi + 1} to 'pack' (string contains zeros)")
            out += s + b"\0"
    return bytes(out)


def _struct_unpack(fmt: Any = None, data: Any = None, init: Any = None) -> tuple[Any, ...]:
    if not isinstance(fmt, bytes):
        raise LibError(f"bad argument #1 to 'unpack' (string expected, got {_lua_type_name(fmt)})")
    if not isinstance(data, bytes):
        raise LibError(f"bad argument #2 to 'unpack' (string expected, got {_lua_type_name(data)})")
    pos = int(_number(init, 3, "unpack")) - 1 if init is not None else 0
    if pos < 0:
        raise LibError("bad argument #3 to 'unpack' (offset must be 1 or greater)")
    f = _StructFormat(fmt, "unpack")
    results: list[Any] = []
    for opt, size in f.options():
        pos += f.gap(size, pos, opt)
        if opt not in "cs" and pos + size > len(data):
            raise LibError("bad argument #2 to 'unpack' (data string too short)")
        if opt == "x":
            pos += 1
        elif opt in "bBhHlLTiI":
            value = int.from_bytes(data[pos:pos + size], "little" if f.little else "big", signed=opt in "bhliT" and
                                   opt != "T")
            results.append(_lua_number(value))
            pos += size
        elif opt in "fd":
            results.append(pystruct.unpack(("<" if f.little else ">") + opt, data[pos:pos + size])[0])
            pos += size
        elif opt == "c":
            if size == 0:
                if not results or not isinstance(results[-1], (int, float)):
                    raise LibError("bad argument #2 to 'unpack' (format 'c0' needs a previous size)")
                size = int(results.pop())
            if pos + size > len(data):
                raise LibError("bad argument #2 to 'unpack' (data string too short)")
            results.append(data[pos:pos + size])
            pos += size
        elif opt == "s":
            end = data.find(b"\0", pos)
            if end < 0:
                raise LibError("bad argument #2 to 'unpack' (unfinished string in data)")
            results.append(data[pos:end])
            pos = end + 1
    results.append(pos + 1)
    return tuple(results)


def _struct_size(fmt: Any = None) -> int:
    if not isinstance(fmt, bytes):
        raise LibError(f"bad argument #1 to 'size' (string expected, got {_lua_type_name(fmt)})")
    f = _StructFormat(fmt, "size")
    total = 0
    for opt, size in f.options():
        if opt == "s" or (opt == "c" and size == 0):
            raise LibError(f"bad argument #1 to 'size' (option '{'s' if opt == 's' else 'c0'}' has no fixed size)")
        total += f.gap(size, total, opt) + size
    return total


# -- cmsgpack ------------------------------------------------------------------------------------


def _is_lua_table(value: Any) -> bool:
    return not isinstance(value, (bytes, int, float, bool)) and value is not None and lua_type(value) == "table"


def _table_array_length(table: Any) -> int:
    """lua_cmsgpack's table_is_an_array: keys 1..n with no holes, else -1."""
    count = 0
    maxkey = 0
    for key in table.keys():
        if isinstance(key, bool) or not isinstance(key, (int, float)) or key <= 0 or key != int(key):
            return -1
        count += 1
        maxkey = max(maxkey, int(key))
    return maxkey if maxkey == count else -1


def _msgpack_encode(value: Any, out: bytearray, depth: int) -> None:
    if value is None:
        out += b"\xc0"
    elif value is True:
        out += b"\xc3"
    elif value is False:
        out += b"\xc2"
    elif isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 2**64):
        n = int(value)
        if isinstance(value, float) or not -(2**63) <= n < 2**64:
            _msgpack_float(float(value), out)
        elif n >= 0:
            if n < 128:
                out.append(n)
            elif n < 256:
                out += b"\xcc" + bytes([n])
            elif n < 65536:
                out += b"\xcd" + n.to_bytes(2, "big")
            elif n < 2**32:
                out += b"\xce" + n.to_bytes(4, "big")
            else:
                out += b"\xcf" + n.to_bytes(8, "big")
        elif n >= -32:
            out.append(n & 0xFF)
        elif n >= -128:
            out += b"\xd0" + n.to_bytes(1, "big", signed=True)
        elif n >= -32768:
            out += b"\xd1" + n.to_bytes(2, "big", signed=True)
        elif n >= -(2**31):
            out += b"\xd2" + n.to_bytes(4, "big", signed=True)
        else:
            out += b"\xd3" + n.to_bytes(8, "big", signed=True)
    elif isinstance(value, float):
        _msgpack_float(value, out)
    elif isinstance(value, bytes):
        n = len(value)
        if n < 32:
            out.append(0xA0 | n)
        elif n <= 0xFF:
            out += b"\xd9" + bytes([n])
        elif n <= 0xFFFF:
            out += b"\xda" + n.to_bytes(2, "big")
        else:
            out += b"\xdb" + n.to_bytes(4, "big")
        out += value
    elif _is_lua_table(value) and depth < 16:
        length = _table_array_length(value)
        if length >= 0:
            _msgpack_header(length, 0x90, b"\xdc", b"\xdd", out)
            for i in range(1, length + 1):
                _msgpack_encode(value[i], out, depth + 1)
        else:
            items = list(value.items())
            _msgpack_header(len(items), 0x80, b"\xde", b"\xdf", out)
            for k, v in items:
                _msgpack_encode(k, out, depth + 1)
                _msgpack_encode(v, out, depth + 1)
    else:
        out += b"\xc0"  # functions, userdata and over-deep tables pack as nil, like lua_cmsgpack


def _msgpack_float(value: float, out: bytearray) -> None:
    try:
        as32 = pystruct.pack(">f", value)
    except OverflowError:
        as32 = None
    if as32 is not None and (pystruct.unpack(">f", as32)[0] == value or math.isnan(value)):
        out += b"\xca" + as32
    else:
        out += b"\xcb" + pystruct.pack(">d", value)


def _msgpack_header(n: int, fix: int, h16: bytes, h32: bytes, out: bytearray) -> None:
    if n < 16:
        out.append(fix | n)
    elif n <= 0xFFFF:
        out += h16 + n.to_bytes(2, "big")
    else:
        out += h32 + n.to_bytes(4, "big")


class _MsgpackTruncated(Exception):
    pass


def _msgpack_decode(data: bytes, pos: int, to_table: Callable[[Any], Any]) -> tuple[Any, int]:
    def need(n: int) -> None:
        if pos + n > len(data):
            raise _MsgpackTruncated

    need(1)
    c = data[pos]
    pos += 1
    if c < 0x80:
        return c, pos
    if c >= 0xE0:
        return c - 256, pos
    if 0xA0 <= c <= 0xBF or c in (0xD9, 0xDA, 0xDB):  # no bin or ext types in lua_cmsgpack
        if c <= 0xBF:
            n = c & 0x1F
        else:
            width = {0xD9: 1, 0xDA: 2, 0xDB: 4}[c]
            need(width)
            n = int.from_bytes(data[pos:pos + width], "big")
            pos += width
        need(n)
        return data[pos:pos + n], pos + n
    if 0x90 <= c <= 0x9F or c in (0xDC, 0xDD):
        n, pos = _msgpack_count(data, pos, c, 0x90, 0xDC)
        items = []
        for _ in range(n):
            item, pos = _msgpack_decode(data, pos, to_table)
            items.append(item)
        return to_table(items), pos
    if 0x80 <= c <= 0x8F or c in (0xDE, 0xDF):
        n, pos = _msgpack_count(data, pos, c, 0x80, 0xDE)
        mapping = {}
        for _ in range(n):
            k, pos = _msgpack_decode(data, pos, to_table)
            v, pos = _msgpack_decode(data, pos, to_table)
            # lua_settable's own errors, as lua_cmsgpack sets each pair as soon as it is decoded
            if k is None:
                raise LibRuntimeError("table index is nil")
            if k != k:
                raise LibRuntimeError("table index is NaN")
            mapping[k] = v
        return to_table(mapping), pos
    simple = {0xC0: None, 0xC2: False, 0xC3: True}
    if c in simple:
        return simple[c], pos
    # uint64 is read as int64, as lua_cmsgpack does
    fixed = {0xCA: ">f", 0xCB: ">d", 0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">q",
             0xD0: ">b", 0xD1: ">h", 0xD2: ">i", 0xD3: ">q"}
    if c in fixed:
        size = pystruct.calcsize(fixed[c])
        need(size)
        return _lua_number(pystruct.unpack(fixed[c], data[pos:pos + size])[0]), pos + size
    raise LibError("Bad data format in input.")


def _msgpack_count(data: bytes, pos: int, c: int, fix: int, h16: int) -> tuple[int, int]:
    if c < fix + 16 and c >= fix:
        return c & 0x0F, pos
    width = 2 if c == h16 else 4
    if pos + width > len(data):
        raise _MsgpackTruncated
    return int.from_bytes(data[pos:pos + width], "big"), pos + width


# -- cjson ---------------------------------------------------------------------------------------

_JSON_ESCAPES = {i: f"\\u{i:04x}" for i in range(32)}
_JSON_ESCAPES.update({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r", 34: '\\"', 92: "\\\\", 47: "\\/",
                      127: "\\u007f"})
_JSON_MAX_DEPTH = 1000


def _json_string(s: bytes) -> str:
    return '"' + s.decode("latin-1").translate(_JSON_ESCAPES) + '"'


def _json_number(n: float | int) -> str:
    if isinstance(n, float) and (math.isinf(n) or math.isnan(n)):
        raise LibError("Cannot serialise number: must not be NaN or Inf")
    return _fmt14(n)


def _json_encode(value: Any, null: Callable[[Any], bool], depth: int, out: list[str]) -> None:
    if isinstance(value, bytes):
        out.append(_json_string(value))
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, (int, float)):
        out.append(_json_number(value))
    elif value is None or null(value):
        out.append("null")
    elif lua_type(value) == "table":
        depth += 1
        if depth > _JSON_MAX_DEPTH:
            raise LibError(f"Cannot serialise, excessive nesting ({depth})")
        length = _json_array_length(value)
        if length > 0:
            out.append("[")
            for i in range(1, length + 1):
                if i > 1:
                    out.append(",")
                _json_encode(value[i], null, depth, out)
            out.append("]")
        else:
            out.append("{")
            first = True
            for k, v in value.items():
                if not first:
                    out.append(",")
                first = False
                if isinstance(k, bytes):
                    out.append(_json_string(k))
                elif isinstance(k, (int, float)) and not isinstance(k, bool):
                    out.append('"' + _json_number(k) + '"')
                else:
                    raise LibError(f"Cannot serialise {_lua_type_name(k)}: table key must be a number or string")
                out.append(":")
                _json_encode(v, null, depth, out)
            out.append("}")
    else:
        kind = lua_type(value) or "userdata"
        raise LibError(f"Cannot serialise {kind}: type not supported")


def _json_array_length(table: Any) -> int:
    """cjson's lua_array_length: -1 for an object, else the array length (sparse arrays checked)."""
    maxkey = 0
    items = 0
    for key in table.keys():
        if isinstance(key, bool) or not isinstance(key, (int, float)) or key < 1 or key != int(key):
            return -1
        maxkey = max(maxkey, int(key))
        items += 1
    if maxkey > 10 and maxkey > items * 2:
        raise LibError("Cannot serialise table: excessively sparse array")
    return maxkey


class _JsonDecoder:
    """cjson's tokenizer-driven parser, with its error texts."""

    _WS = b" \t\n\r"

    def __init__(self, data: bytes, null: Any, to_table: Callable[[Any], Any]) -> None:
        self.data = data
        self.pos = 0
        self.null = null
        self.to_table = to_table
        self.depth = 0

    def token(self) -> tuple[str, Any, int]:
        data = self.data
        while self.pos < len(data) and data[self.pos] in self._WS:
            self.pos += 1
        start = self.pos
        if start >= len(data):
            return "T_END", None, start
        c = data[start]
        single = {ord("{"): "T_OBJ_BEGIN", ord("}"): "T_OBJ_END", ord("["): "T_ARR_BEGIN",
                  ord("]"): "T_ARR_END", ord(":"): "T_COLON", ord(","): "T_COMMA"}
        if c in single:
            self.pos += 1
            return single[c], None, start
        if c == ord('"'):
            value = self.string()
            if isinstance(value, _JsonTokenError):  # reported where the string went wrong
                return "T_ERROR", value, value.index
            return "T_STRING", value, start
        if c == ord("-") or 48 <= c <= 57:
            return self.number_token(start)
        for word, kind, value in ((b"true", "T_BOOLEAN", True), (b"false", "T_BOOLEAN", False),
                                  (b"null", "T_NULL", None)):
            if data.startswith(word, start):
                self.pos += len(word)
                return kind, value, start
        if c == ord("+") or data[start:start + 3].lower() in (b"inf", b"nan"):  # invalid JSON numbers, accepted
            return self.number_token(start)
        return "T_ERROR", _JsonTokenError("invalid token", start), start

    def number_token(self, start: int) -> tuple[str, Any, int]:
        value = self.number()
        return ("T_ERROR" if isinstance(value, _JsonTokenError) else "T_NUMBER"), value, start

    def string(self) -> Any:
        data = self.data
        self.pos += 1
        out = bytearray()
        while True:
            if self.pos >= len(data) or data[self.pos] == 0:  # a C string ends at NUL
                return _JsonTokenError("unexpected end of string", self.pos)
            c = data[self.pos]
            if c == 34:
                self.pos += 1
                return bytes(out)
            if c == 92:
                esc = data[self.pos + 1:self.pos + 2]
                simple = {b'"': b'"', b"\\": b"\\", b"/": b"/", b"b": b"\b", b"f": b"\f", b"n": b"\n",
                          b"r": b"\r", b"t": b"\t"}
                if esc in simple:
                    out += simple[esc]
                    self.pos += 2
                elif esc == b"u":
                    code, used = self.unicode_escape(self.pos)
                    if code is None:
                        return _JsonTokenError("invalid unicode escape code", self.pos)
                    out += chr(code).encode("utf-8", "surrogatepass")
                    self.pos += used
                else:
                    return _JsonTokenError("invalid escape code", self.pos)
            else:
                out.append(c)
                self.pos += 1

    def unicode_escape(self, pos: int) -> tuple[int | None, int]:
        def hex4(p: int) -> int | None:
            chunk = self.data[p:p + 4]
            if len(chunk) != 4 or any(ch not in b"0123456789abcdefABCDEF" for ch in chunk):
                return None
            return int(chunk, 16)

        code = hex4(pos + 2)
        if code is None:
            return None, 0
        if 0xD800 <= code <= 0xDBFF:
            if self.data[pos + 6:pos + 8] != b"\\u":
                return None, 0
            low = hex4(pos + 8)
            if low is None or not 0xDC00 <= low <= 0xDFFF:
                return None, 0
            return 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00), 12
        if 0xDC00 <= code <= 0xDFFF:
            return None, 0
        return code, 6

    def number(self) -> Any:
        """fpconv_strtod: C's strtod, so hex, inf and nan are numbers too (decode_invalid_numbers)."""
        value, used, _ = strtod(self.data[self.pos:])
        if not used:
            return _JsonTokenError("invalid number", self.pos)
        self.pos += used
        if value.is_integer() and abs(value) < 2**53 and (value or math.copysign(1.0, value) > 0):
            return int(value)
        return value

    def fail(self, expected: str, token: tuple[str, Any, int]) -> LibError:
        kind, value, index = token
        found = value.message if isinstance(value, _JsonTokenError) else kind
        return LibError(f"Expected {expected} but found {found} at character {index + 1}")

    def value(self, token: tuple[str, Any, int]) -> Any:
        kind, value, _ = token
        if kind in ("T_STRING", "T_NUMBER", "T_BOOLEAN"):
            return value
        if kind == "T_NULL":
            return self.null
        if kind == "T_OBJ_BEGIN":
            return self.container(token, True)
        if kind == "T_ARR_BEGIN":
            return self.container(token, False)
        raise self.fail("value", token)

    def container(self, token: tuple[str, Any, int], is_object: bool) -> Any:
        self.depth += 1
        if self.depth > _JSON_MAX_DEPTH:
            raise LibError(f"Found too many nested data structures ({self.depth}) at character {token[2] + 1}")
        items: Any = {} if is_object else []
        end_kind = "T_OBJ_END" if is_object else "T_ARR_END"
        tok = self.token()
        if tok[0] == end_kind:
            self.depth -= 1
            return self.to_table(items)
        while True:
            if is_object:
                if tok[0] != "T_STRING" or isinstance(tok[1], _JsonTokenError):
                    raise self.fail("object key string", tok)
                key = tok[1]
                tok = self.token()
                if tok[0] != "T_COLON":
                    raise self.fail("colon", tok)
                items[key] = self.value(self.token())
            else:
                items.append(self.value(tok))
            tok = self.token()
            if tok[0] == end_kind:
                self.depth -= 1
                return self.to_table(items)
            if tok[0] != "T_COMMA":
                raise self.fail("comma or object end" if is_object else "comma or array end", tok)
            tok = self.token()

    def decode(self) -> Any:
        result = self.value(self.token())
        tok = self.token()
        if tok[0] != "T_END":
            raise self.fail("the end", tok)
        return result


class _JsonTokenError:
    def __init__(self, message: str, index: int) -> None:
        self.message = message
        self.index = index


# -- math.random (Redis's rand.c: a 48-bit LCG, same sequence on every platform) ---------------------


class RedisRand48:
    """redisLrand48/redisSrand48; the state starts unseeded as in Redis."""

    MAX = 2**31 - 1

    def __init__(self) -> None:
        self.x = 0x1234ABCD330E

    def seed(self, value: int) -> None:
        self.x = ((value & 0xFFFFFFFF) << 16) | 0x330E

    def next(self) -> int:
        self.x = (0x5DEECE66D * self.x + 0xB) & 0xFFFFFFFFFFFF
        return self.x >> 17

    def random(self, *args: Any) -> float | int:
        r = (self.next() % self.MAX) / self.MAX
        if not args:
            return r
        if len(args) == 1:
            u = _checkint(args[0], 1, "random")
            if u < 1:
                raise LibError("bad argument #1 to 'random' (interval is empty)")
            return math.floor(r * u) + 1
        if len(args) == 2:
            lo, hi = _checkint(args[0], 1, "random"), _checkint(args[1], 2, "random")
            if lo > hi:
                raise LibError("bad argument #2 to 'random' (interval is empty)")
            return math.floor(r * (hi - lo + 1)) + lo
        raise LibError("wrong number of arguments")

    def randomseed(self, value: Any = None) -> None:
        self.seed(_checkint(value, 1, "randomseed"))


def _checkint(value: Any, argn: int, fname: str) -> int:
    n = _number(value, argn, fname)
    if isinstance(n, float):
        n = int(n) if math.isfinite(n) else 0
    n &= 0xFFFFFFFF
    return n - 2**32 if n & 0x80000000 else n


# -- registration ---------------------------------------------------------------------------------


def library_functions(lua: LuaRuntime, null: Any, rand: RedisRand48) -> dict[str, dict[str, Callable[..., Any]]]:
    """Python implementations of each library's functions; `null` is the value of cjson.null."""
    is_null = lua.eval("function(null) return function(v) return rawequal(v, null) end end")(null)

    def to_table(value: Any) -> Any:
        return lua.table_from(value)

    @deep
    def msgpack_pack(*args: Any) -> bytes:
        if not args:
            raise LibError("bad argument #0 to 'pack' (MessagePack pack needs input.)")
        out = bytearray()
        for value in args:
            _msgpack_encode(value, out, 0)
        return bytes(out)

    @deep
    def msgpack_unpack(data: Any = None, limit: int = 0, offset: int = 0, one: bool = False,
                       fname: str = "unpack") -> tuple[Any, ...]:
        if not isinstance(data, bytes):
            raise LibError(f"bad argument #1 to '{fname}' (string expected, got {_lua_type_name(data)})")
        pos = offset
        values: list[Any] = []
        try:
            while pos < len(data) and (not limit or len(values) < limit):
                value, pos = _msgpack_decode(data, pos, to_table)
                values.append(value)
        except _MsgpackTruncated:
            raise LibError("Missing bytes in input.") from None
        if one or limit:
            return (pos if pos < len(data) else -1, *values)
        return tuple(values)

    def unpack_one(data: Any = None, offset: Any = 0) -> tuple[Any, ...]:
        return msgpack_unpack(data, 1, int(offset or 0), True, "unpack_one")

    def unpack_limit(data: Any = None, limit: Any = 0, offset: Any = 0) -> tuple[Any, ...]:
        return msgpack_unpack(data, int(limit or 0), int(offset or 0), True, "unpack_limit")

    @deep
    def json_encode(*args: Any) -> bytes:
        if len(args) != 1:
            raise LibError("bad argument #1 to 'encode' (expected 1 argument)")
        out: list[str] = []
        _json_encode(args[0], is_null, 0, out)
        return "".join(out).encode("latin-1")

    @deep
    def json_decode(*args: Any) -> Any:
        if len(args) != 1:
            raise LibError("bad argument #1 to 'decode' (expected 1 argument)")
        data = args[0]
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            data = _fmt14(data).encode()
        if not isinstance(data, bytes):
            raise LibError(f"bad argument #1 to 'decode' (string expected, got {_lua_type_name(data)})")
        return _JsonDecoder(data, null, to_table).decode()

    return {
        "bit": _bit_functions(),
        "struct": {"pack": _struct_pack, "unpack": _struct_unpack, "size": _struct_size},
        "cmsgpack": {"pack": msgpack_pack, "unpack": msgpack_unpack, "unpack_one": unpack_one,
                     "unpack_limit": unpack_limit},
        "cjson": {"encode": json_encode, "decode": json_decode},
        "math": {"random": rand.random, "randomseed": rand.randomseed},
    }
