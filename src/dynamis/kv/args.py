"""Argument parsing shared by all commands: Redis's strict integer and float rules and errors."""

from __future__ import annotations

import math
import re
from fractions import Fraction

from dynamis.kv.protocol import ReplyError

NOT_INTEGER = ReplyError("ERR value is not an integer or out of range")
NOT_FLOAT = ReplyError("ERR value is not a valid float")
SYNTAX = ReplyError("ERR syntax error")

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
_INT_RE = re.compile(rb"(?:-?[1-9][0-9]{0,19}|0)\Z")


def parse_int64(text: bytes) -> int | None:
    """Redis's string2ll: no spaces, no '+', no leading zeros, within a signed 64-bit range."""
    if _INT_RE.match(text) is None:
        return None
    value = int(text)
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


# -- long doubles (INCRBYFLOAT, HINCRBYFLOAT, blocking timeouts) -------------------------------
# Redis computes these in x87 80-bit long doubles (64-bit significand): values are kept as exact
# Fractions rounded to that precision, so sums and their "%.17Lf" rendering match to the digit.

LD_MANTISSA_BITS = 64
_LD_MAX_EXP = 16384  # values >= 2**16384 overflow
_LD_MIN_EXP = -16382 - 63  # below the smallest subnormal's unit precision is lost
_LD_DECIMAL_LIMIT = 4960  # beyond 10**±4960 strtold overflows / underflows for sure


def round_long_double(x: Fraction) -> Fraction | float:
    """Round an exact value to the nearest long double (ties to even); ±inf on overflow."""
    if x == 0:
        return Fraction(0)
    n, d = abs(x.numerator), x.denominator
    e = n.bit_length() - d.bit_length()
    if (n << max(-e, 0)) < (d << max(e, 0)):
        e -= 1  # now 2**e <= |x| < 2**(e+1)
    if e >= _LD_MAX_EXP:
        return math.inf if x > 0 else -math.inf
    shift = min(LD_MANTISSA_BITS - 1 - e, -_LD_MIN_EXP)
    num, den = (n << shift, d) if shift >= 0 else (n, d << -shift)
    q, r = divmod(num, den)
    if 2 * r > den or (2 * r == den and q & 1):
        q += 1
    if q.bit_length() - shift > _LD_MAX_EXP:
        return math.inf if x > 0 else -math.inf
    value = Fraction(q, 1 << shift) if shift >= 0 else Fraction(q << -shift)
    return value if x > 0 else -value


def parse_long_double(text: bytes) -> Fraction | float | None:
    """Redis's string2ld: the whole text is a number (strtold syntax), no leading space, not nan,
    no overflow or underflow to zero. Finite values come back as exact Fractions, infinities as floats."""
    if not text or len(text) >= 5 * 1024 or text[0] in b" \t\n\v\f\r":
        return None
    m = _STRTOD_RE.match(text)
    if m is None or m.end() != len(text):
        return None
    sign, hexnum, decimal, inf, _nan = m.groups()
    if inf is not None:
        return -math.inf if sign == b"-" else math.inf
    if hexnum is not None:
        mantissa, _, exp = hexnum.lower().partition(b"p")
        whole, _, frac = mantissa.partition(b".")
        digits = (whole + frac).lstrip(b"0")
        exponent = int(exp or b"0") - 4 * len(frac)
        if digits and abs(exponent + 4 * len(digits)) > 4 * _LD_DECIMAL_LIMIT:
            return None
        value = Fraction(int(digits or b"0", 16)) * Fraction(2) ** exponent
    elif decimal is not None:
        mantissa, _, exp = decimal.lower().partition(b"e")
        whole, _, frac = mantissa.partition(b".")
        digits = (whole + frac).lstrip(b"0")
        exponent = int(exp or b"0") - len(frac)
        if digits and abs(exponent + len(digits)) > _LD_DECIMAL_LIMIT:
            return None
        value = Fraction(int(digits or b"0")) * Fraction(10) ** exponent
    else:
        return None  # nan
    rounded = round_long_double(value)
    if isinstance(rounded, float) or (rounded == 0 and value != 0):
        return None  # ERANGE
    return -rounded if sign == b"-" else rounded


def format_long_double(value: Fraction | float) -> bytes:
    """Redis's ld2string(LD_STR_HUMAN): "%.17Lf" with the trailing zeros (and dot) removed."""
    if isinstance(value, float):
        return b"inf" if value > 0 else b"-inf"
    scaled = value * 10**17
    q, r = divmod(scaled.numerator, scaled.denominator)
    if 2 * r > scaled.denominator or (2 * r == scaled.denominator and q & 1):
        q += 1
    negative = q < 0 or (q == 0 and value < 0)
    digits = _decimal_digits(abs(q)).rjust(18, b"0")
    text = (digits[:-17] + b"." + digits[-17:]).rstrip(b"0").rstrip(b".")
    return b"0" if negative and text == b"0" else (b"-" + text if negative else text)


def _decimal_digits(n: int) -> bytes:
    """str(n) for ints of any size (Python refuses more than 4300 digits at once)."""
    if n < 10**4000:
        return b"%d" % n
    high, low = divmod(n, 10**4000)
    return _decimal_digits(high) + (b"%d" % low).rjust(4000, b"0")


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
    """HSCAN/SSCAN/ZSCAN's [MATCH pattern] [COUNT count]: (count, pattern or None for "*")."""
    count, pattern = 10, None
    i = start
    while i < len(argv):
        option = argv[i].lower()
        if option == b"count" and i + 1 < len(argv):
            count = int_arg(argv[i + 1])
            if count < 1:
                raise SYNTAX
        elif option == b"match" and i + 1 < len(argv):
            pattern = None if argv[i + 1] == b"*" else argv[i + 1]
        else:
            raise SYNTAX
        i += 2
    return count, pattern
