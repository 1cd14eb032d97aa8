"""x87 80-bit `long double` arithmetic for INCRBYFLOAT and HINCRBYFLOAT, emulated exactly.

Redis parses both operands with strtold, adds them in long double and prints the sum with
`%.17Lf`, trimming trailing zeros (util.c ld2string, LD_STR_HUMAN). A Python float would print
`1.1` as `1.10000000000000009`, so values are kept as exact integers `mantissa * 2**exponent`
rounded (half to even) to a 64-bit significand with the x87 exponent range, subnormals included.
"""

from __future__ import annotations

import math
import re

from dynamis.kv.protocol import ReplyError

NOT_FLOAT = ReplyError("ERR value is not a valid float")
NAN_OR_INF = ReplyError("ERR increment would produce NaN or Infinity")

_MAX_CHARS = 5 * 1024  # MAX_LONG_DOUBLE_CHARS: string2ld refuses longer input
_EMIN = -16445  # exponent of the smallest subnormal, 2**-16445
_EMAX = 16383 - 63  # a 64-bit significand times 2**_EMAX is the largest finite value
_STRTOLD_RE = re.compile(
    rb"([+-]?)(?:0[xX](?:([0-9a-fA-F]+)\.?([0-9a-fA-F]*)|\.([0-9a-fA-F]+))(?:[pP]([+-]?[0-9]+))?"
    rb"|(?:([0-9]+)\.?([0-9]*)|\.([0-9]+))(?:[eE]([+-]?[0-9]+))?"
    rb"|([iI][nN][fF](?:[iI][nN][iI][tT][yY])?))\Z")
_CHUNK = 4000  # below Python's int <-> str digit limit

# (mantissa, exponent): the value mantissa * 2**exponent, or a float infinity
LongDouble = tuple[int, int] | float


def _digits_to_int(digits: bytes) -> int:
    if len(digits) <= _CHUNK:
        return int(digits or b"0")
    return _digits_to_int(digits[:-_CHUNK]) * 10**_CHUNK + int(digits[-_CHUNK:])


def _int_to_digits(n: int) -> str:
    if n < 10**_CHUNK:
        return str(n)
    high, low = divmod(n, 10**_CHUNK)
    return _int_to_digits(high) + str(low).zfill(_CHUNK)


def _round(num: int, den: int) -> LongDouble:
    """num/den (> 0) rounded half-to-even to a long double (inf on overflow)."""
    t = num.bit_length() - den.bit_length()
    floor_log2 = t if (num << max(-t, 0)) >= (den << max(t, 0)) else t - 1
    exp = max(floor_log2 - 63, _EMIN)
    if exp >= 0:
        q, r = divmod(num, den << exp)
        r2, d = r << 1, den << exp
    else:
        q, r = divmod(num << -exp, den)
        r2, d = r << 1, den
    if r2 > d or (r2 == d and q & 1):
        q += 1
        if q == 1 << 64:
            q, exp = 1 << 63, exp + 1
    if exp > _EMAX:
        return math.inf
    return q, exp


def _signed(negative: bool, value: LongDouble) -> LongDouble:
    if isinstance(value, float):
        return -value if negative else value
    return (-value[0], value[1]) if negative else value


def parse_long_double(text: bytes | bytearray) -> LongDouble | None:
    """Redis's string2ld: the whole text is a number strtold accepts, without leading space, not
    nan, not overflowing, not underflowing to zero. None when it is not."""
    if not text or len(text) >= _MAX_CHARS:
        return None
    m = _STRTOLD_RE.match(text)
    if m is None:
        return None
    sign, hint, hfrac, hfrac_only, pexp, dint, dfrac, dfrac_only, eexp, inf = m.groups()
    negative = sign == b"-"
    if inf is not None:
        return -math.inf if negative else math.inf
    if hint is not None or hfrac_only is not None:
        frac = hfrac if hint is not None else hfrac_only
        digits = (hint or b"") + frac
        mantissa = int(digits, 16)
        if not mantissa:
            return 0, 0
        exp2 = int(pexp or b"0") - 4 * len(frac)
        magnitude = exp2 + mantissa.bit_length()  # the value is in [2**(magnitude-1), 2**magnitude)
        if magnitude > 16385 or magnitude < _EMIN - 2:
            return None  # ERANGE: overflow, or an underflow to zero
        value = _round(mantissa << max(exp2, 0), 1 << max(-exp2, 0))
    else:
        frac = dfrac if dint is not None else dfrac_only
        digits = ((dint or b"") + frac).lstrip(b"0")
        if not digits:
            return 0, 0
        exp10 = int(eexp or b"0") - len(frac)
        magnitude = exp10 + len(digits) - 1  # the value is in [10**magnitude, 10**(magnitude+1))
        if magnitude >= 4933 or magnitude <= -4952:
            return None  # ERANGE: overflow, or an underflow to zero
        mantissa = _digits_to_int(digits)
        value = _round(mantissa * 10 ** max(exp10, 0), 10 ** max(-exp10, 0))
    if isinstance(value, float) or value[0] == 0:
        return None
    return _signed(negative, value)


def add(a: LongDouble, b: LongDouble) -> LongDouble:
    """a + b rounded to a long double; inf or nan come back as floats."""
    if isinstance(a, float) or isinstance(b, float):
        fa = a if isinstance(a, float) else 0.0
        fb = b if isinstance(b, float) else 0.0
        return fa + fb
    exp = min(a[1], b[1])
    total = (a[0] << (a[1] - exp)) + (b[0] << (b[1] - exp))
    if total == 0:
        return 0, 0
    value = _round(abs(total) << max(exp, 0), 1 << max(-exp, 0))
    return _signed(total < 0, value)


def format_human(value: tuple[int, int]) -> bytes:
    """`%.17Lf` with trailing zeros (and a trailing '.') removed, as ld2string's LD_STR_HUMAN."""
    mantissa, exp = value
    negative = mantissa < 0
    mantissa = abs(mantissa)
    if exp >= 0:
        text = _int_to_digits(mantissa << exp)
    else:
        q, r = divmod(mantissa * 10**17, 1 << -exp)
        if (r << 1) > (1 << -exp) or ((r << 1) == (1 << -exp) and q & 1):
            q += 1
        whole, frac = divmod(q, 10**17)
        text = f"{_int_to_digits(whole)}.{frac:017d}".rstrip("0").rstrip(".")
    if negative and text != "0":
        text = "-" + text
    return text.encode()


def incr_by_float(current: bytes | bytearray | None, increment: bytes,
                  not_float: ReplyError = NOT_FLOAT) -> bytes:
    """The new value of INCRBYFLOAT/HINCRBYFLOAT; `not_float` is the error for a bad current value."""
    base = parse_long_double(current) if current is not None else (0, 0)
    if base is None:
        raise not_float
    incr = parse_long_double(increment)
    if incr is None:
        raise NOT_FLOAT
    total = add(base, incr)
    if isinstance(total, float):
        raise NAN_OR_INF
    return format_human(total)
