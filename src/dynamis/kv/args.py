"""Argument parsing shared by all commands: Redis's strict integer and float rules and errors."""

from __future__ import annotations

import math
import re

from dynamis.kv.protocol import ReplyError

NOT_INTEGER = ReplyError("ERR value is not an integer or out of range")
NOT_FLOAT = ReplyError("ERR value is not a valid float")
SYNTAX = ReplyError("ERR syntax error")

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def parse_int64(text: bytes) -> int | None:
    """Redis's string2ll: no spaces, no '+', no leading zeros, within a signed 64-bit range."""
    # bytes.isdigit() is ASCII-only: checking the digits this way costs a third less than a regex
    digits = text[1:] if text[:1] == b"-" else text
    if not digits.isdigit() or (digits[0] == 48 and len(text) > 1) or len(digits) > 19:
        return None
    value = int(text)
    if len(digits) < 19:  # below 10**18, always in range
        return value
    return value if INT64_MIN <= value <= INT64_MAX else None


def int_arg(text: bytes, error: ReplyError = NOT_INTEGER) -> int:
    """An integer argument, or Redis's 'value is not an integer or out of range'."""
    value = parse_int64(text)
    if value is None:
        raise error
    return value


# what C's strtod accepts: leading spaces, decimal or hex (0x1.8p3) numbers, inf/infinity, nan(...)
_STRTOD_RE = re.compile(
    rb"[ \t\n\v\f\r]*([+-]?)(?:0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)"
    rb"|((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)|([iI][nN][fF](?:[iI][nN][iI][tT][yY])?)"
    rb"|([nN][aA][nN](?:\([0-9A-Za-z_]*\))?))")


def strtod(text: bytes) -> tuple[float, int, bool]:
    """C's strtod on `text`: (value, bytes consumed (0: no number), ERANGE overflow/underflow to 0)."""
    m = _STRTOD_RE.match(text)
    if m is None:
        return 0.0, 0, False
    sign, hexnum, decimal, inf, nan = m.groups()
    negative = sign == b"-"
    if inf is not None:
        return (-math.inf if negative else math.inf), m.end(), False
    if nan is not None:
        return math.nan, m.end(), False
    try:
        value = float.fromhex(hexnum.decode()) if hexnum is not None else float(decimal)
    except OverflowError:
        value = math.inf
    digits = hexnum.lower().split(b"p")[0] if hexnum is not None else decimal.lower().split(b"e")[0]
    erange = math.isinf(value) or (value == 0.0 and digits.strip(b"0.") != b"")
    return (-value if negative else value), m.end(), erange


def parse_double(text: bytes) -> float | None:
    """Redis's string2d (getDoubleFromObject): the whole text is a number, no leading space,
    no overflow, no underflow to zero, not nan."""
    digits = text[1:] if text[:1] == b"-" else text
    if digits.replace(b".", b"", 1).isdigit():
        # the usual case, a plain decimal (checked without a regex: 3.8k -> 2.6k instructions): float()
        # reads it as strtod does; overflow and underflow are errors
        value = float(text)
        if math.isinf(value) or (not value and text.strip(b"-0.")):
            return None
        return value
    if not text or text[0] in b" \t\n\v\f\r":
        return None
    value, used, erange = strtod(text)
    if used != len(text) or erange or value != value:
        return None
    return value


def float_arg(text: bytes, error: ReplyError = NOT_FLOAT) -> float:
    """A double argument as Redis's getDoubleFromObject reads it (inf allowed, nan refused)."""
    value = parse_double(text)
    if value is None:
        raise error
    return value


# -- *SCAN -----------------------------------------------------------------------------------

_CURSOR_RE = re.compile(rb"([+-]?)([0-9]+)\Z")
INVALID_CURSOR = ReplyError("ERR invalid cursor")


def parse_scan_cursor(arg: bytes) -> int:
    """Redis's parseScanCursorOrReply (strtoul: a sign is allowed, an empty string is 0)."""
    if not arg:
        return 0
    m = _CURSOR_RE.match(arg)
    if m is None or int(m.group(2)) >= 2**64:
        raise INVALID_CURSOR
    value = int(m.group(2))
    return (2**64 - value) % 2**64 if m.group(1) == b"-" else value


def scan_options(argv: list[bytes], start: int) -> tuple[int, bytes | None]:
    """SSCAN/ZSCAN's [MATCH pattern] [COUNT count]: (count, pattern or None for "*")."""
    count, pattern, _ = collection_scan_options(argv, start, novalues_ok=False)
    return count, pattern


def collection_scan_options(argv: list[bytes], start: int, novalues_ok: bool) -> tuple[int, bytes | None, bool]:
    """[MATCH pattern] [COUNT count] and, for HSCAN (`novalues_ok`), [NOVALUES] (Redis 7.4):
    (count, pattern or None for "*", novalues)."""
    count, pattern, novalues = 10, None, False
    i = start
    while i < len(argv):
        option = argv[i].lower()
        if option == b"count" and i + 1 < len(argv):
            count = int_arg(argv[i + 1])
            if count < 1:
                raise SYNTAX
        elif option == b"match" and i + 1 < len(argv):
            pattern = None if argv[i + 1] == b"*" else argv[i + 1]
        elif option == b"novalues":
            if not novalues_ok:
                raise ReplyError("ERR NOVALUES option can only be used in HSCAN")
            novalues = True
            i += 1
            continue
        else:
            raise SYNTAX
        i += 2
    return count, pattern, novalues
