"""Argument parsing shared by all commands: Redis's strict integer and float rules and errors."""

from __future__ import annotations

import re

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


def float_arg(text: bytes, error: ReplyError = NOT_FLOAT) -> float:
    """A double argument as strtod reads it (inf allowed, nan refused)."""
    try:
        value = float(text)
    except ValueError:
        raise error from None
    if value != value or text[:1].isspace() or text[-1:].isspace():
        raise error
    return value
