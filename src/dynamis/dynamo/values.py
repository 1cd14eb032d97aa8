"""DynamoDB attribute values: validation, number normalization, sizes, ordering and key encodings.

Items stay in their wire shape ({"S": "x"}, {"N": "1"}, B as base64 text) from request to disk and back,
so a GetItem never converts them; only numbers are rewritten once, into DynamoDB's normalized form.
"""

from __future__ import annotations

import base64
import binascii
import re
from decimal import Context, Decimal
from typing import Any

from .errors import DynamoError, invalid_param, validation

MAX_NESTING = 32
MAX_HASH_KEY = 2048
MAX_RANGE_KEY = 1024
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# Wide enough that arithmetic on 38-digit operands is exact before we check the 38-digit limit.
DECIMAL_CONTEXT = Context(prec=80, Emin=-999999, Emax=999999)
_SET_NAMES = {"SS": "string", "NS": "number", "BS": "binary"}


def _plain_integer(text: str) -> bool:
    """True for integer text that is already in normal form (no sign but '-', no leading zeros, ≤ 38 digits),
    the common case that needs no Decimal work."""
    digits = text[1:] if text[:1] == "-" else text
    return digits.isdigit() and digits.isascii() and digits[0] != "0" and len(digits) <= 38


def utf8_len(text: str) -> int:
    """Length of a string in UTF-8 bytes, without encoding ASCII strings."""
    return len(text) if text.isascii() else len(text.encode())


def normalize_number(text: Any) -> str:
    """Return DynamoDB's canonical text for a number, raising its errors for bad or out-of-range ones."""
    if isinstance(text, str) and _plain_integer(text):
        return text
    if not isinstance(text, str) or not _NUMBER.fullmatch(text):
        raise validation(f"The parameter cannot be converted to a numeric value: {text}")
    return format_decimal(Decimal(text))


def format_decimal(value: Decimal) -> str:
    """Check a Decimal against DynamoDB's limits and render it the way DynamoDB returns numbers."""
    if not value:
        return "0"
    value = value.normalize(DECIMAL_CONTEXT)
    sign, digits, exponent = value.as_tuple()
    if len(digits) > 38:
        raise validation("Attempting to store more than 38 significant digits in a Number")
    magnitude = len(digits) + exponent - 1  # the exponent in d.ddd×10^e notation
    if magnitude > 125:
        raise validation("Number overflow. Attempting to store a number with magnitude larger than supported range")
    if magnitude < -130:
        raise validation(
            "Number underflow. Attempting to store a number with magnitude smaller than supported range")
    return format(value, "f")


_DIGIT_VALUES = bytes.maketrans(b"0123456789", bytes(range(10)))
_INVERTED_DIGITS = bytes.maketrans(b"0123456789", bytes(range(9, -1, -1)))


def number_sort_key(text: str) -> bytes:
    """An encoding of a normalized number whose bytewise order is numeric order."""
    if _plain_integer(text):
        negative = text[0] == "-"
        digits = text[1:] if negative else text
        magnitude = len(digits) - 1 + 1000
        significant = digits.rstrip("0").encode()
        if not negative:
            return b"\x02" + magnitude.to_bytes(2, "big") + significant.translate(_DIGIT_VALUES)
        return b"\x00" + (3000 - magnitude).to_bytes(2, "big") + significant.translate(_INVERTED_DIGITS) + b"\xff"
    value = Decimal(text)
    if not value:
        return b"\x01"
    sign, digits, exponent = value.as_tuple()
    magnitude = len(digits) + exponent - 1 + 1000  # positive, fits in 2 bytes
    if not sign:
        return b"\x02" + magnitude.to_bytes(2, "big") + bytes(digits)
    # Negative: larger magnitude sorts first, digits inverted, and a terminator above every inverted
    # digit so that -1.2 (shorter) sorts after -1.25.
    return b"\x00" + (3000 - magnitude).to_bytes(2, "big") + bytes(9 - d for d in digits) + b"\xff"


def decode_binary(text: Any) -> bytes:
    """The bytes of a B value (base64 on the wire)."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise DynamoError("SerializationException", "Base64 encoded length is expected a multiple of 4 bytes "
                          "but found: " + str(len(text) if isinstance(text, str) else 0)) from None


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").strip("0")
    return (len(digits) + 1) // 2 + 1


def check_value(value: Any, depth: int = 1) -> int:
    """Validate one attribute value (normalizing its numbers in place) and return its DynamoDB size."""
    if not isinstance(value, dict) or len(value) != 1:
        if isinstance(value, dict) and not value:
            raise validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        if isinstance(value, dict):
            raise validation(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the "
                "supported datatypes")
        raise DynamoError("SerializationException", "Unexpected value type in payload")
    if depth > MAX_NESTING:
        raise validation("Nesting Levels have exceeded supported limits")
    ((kind, inner),) = value.items()
    if kind == "S":
        if not isinstance(inner, str):
            raise DynamoError("SerializationException", "NUMBER_VALUE cannot be converted to String")
        return utf8_len(inner)
    if kind == "N":
        normal = normalize_number(inner)
        if normal is not inner:
            value["N"] = normal
        return _number_size(normal)
    if kind == "B":
        return len(decode_binary(inner))
    if kind == "BOOL":
        if not isinstance(inner, bool):
            raise DynamoError("SerializationException", "Unexpected value type in payload")
        return 1
    if kind == "NULL":
        if inner is not True:
            raise invalid_param("Null attribute value types must have the value of true")
        return 1
    if kind == "M":
        if not isinstance(inner, dict):
            raise DynamoError("SerializationException", "Unexpected value type in payload")
        return 3 + sum(len(k.encode()) + check_value(v, depth + 1) + 1 for k, v in inner.items())
    if kind == "L":
        if not isinstance(inner, list):
            raise DynamoError("SerializationException", "Unexpected value type in payload")
        return 3 + sum(check_value(v, depth + 1) + 1 for v in inner)
    if kind in _SET_NAMES:
        if not isinstance(inner, list):
            raise DynamoError("SerializationException", "Unexpected value type in payload")
        if not inner:
            raise invalid_param(f"An {_SET_NAMES[kind]} set  may not be empty")
        if kind == "SS":
            if not all(isinstance(s, str) for s in inner):
                raise DynamoError("SerializationException", "NUMBER_VALUE cannot be converted to String")
            members = inner
            size = sum(len(s.encode()) for s in inner)
        elif kind == "NS":
            members = [normalize_number(n) for n in inner]
            value["NS"] = members
            size = sum(_number_size(n) for n in members)
        else:
            members = [decode_binary(b) for b in inner]
            size = sum(len(b) for b in members)
        if len(set(members)) != len(members):
            shown = ", ".join(map(str, inner))
            raise invalid_param(f"Input collection [{shown}] contains duplicates.")
        return size
    raise DynamoError("SerializationException", f"Unknown attribute value type: {kind}")


def check_item(item: Any) -> int:
    """Validate a whole item; return its size as DynamoDB counts it (names plus values)."""
    if not isinstance(item, dict):
        raise DynamoError("SerializationException", "Unexpected value type in payload")
    size = 0
    for name, value in item.items():
        size += utf8_len(name)
        # Fast path for the most common attribute: a plain string.
        if type(value) is dict and len(value) == 1 and type(value.get("S")) is str:
            size += utf8_len(value["S"])
        else:
            size += check_value(value)
    return size


def item_size(item: dict[str, Any]) -> int:
    """Size of an already-validated item."""
    return sum(utf8_len(name) + value_size(value) for name, value in item.items())


def value_size(value: dict[str, Any]) -> int:
    """Size of an already-validated attribute value."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return utf8_len(inner)
    if kind == "N":
        return _number_size(inner)
    if kind == "B":
        return len(base64.b64decode(inner))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in inner)
    if kind == "SS":
        return sum(len(s.encode()) for s in inner)
    if kind == "NS":
        return sum(_number_size(n) for n in inner)
    return sum(len(base64.b64decode(b)) for b in inner)


def scalar_order_key(value: dict[str, Any]) -> Any:
    """A Python value ordering S, N or B values as DynamoDB does (S by code point = UTF-8 bytes)."""
    ((kind, inner),) = value.items()
    if kind == "N":
        return Decimal(inner)
    if kind == "B":
        return base64.b64decode(inner)
    return inner


def key_bytes(kind: str, value: dict[str, Any]) -> bytes:
    """Order-preserving bytes of a key attribute value of type `kind`."""
    inner = value[kind]
    if kind == "S":
        return inner.encode()
    if kind == "N":
        return number_sort_key(inner)
    return base64.b64decode(inner)


def values_equal(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """DynamoDB equality: same type and value; sets compare as sets, numbers numerically."""
    if a.keys() != b.keys():
        return False
    ((kind, x),) = a.items()
    y = b[kind]
    if kind == "N":
        return Decimal(x) == Decimal(y)
    if kind in ("SS", "BS"):
        return set(x) == set(y)
    if kind == "NS":
        return {Decimal(n) for n in x} == {Decimal(n) for n in y}
    if kind == "L":
        return len(x) == len(y) and all(values_equal(p, q) for p, q in zip(x, y, strict=True))
    if kind == "M":
        return x.keys() == y.keys() and all(values_equal(x[k], y[k]) for k in x)
    return x == y
