"""Number normalization, limits, item sizes and the order-preserving key encodings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamis.dynamo.errors import DynamoError
from dynamis.dynamo.values import DECIMAL_CONTEXT, check_item, key_bytes, normalize_number, number_sort_key


def _in_range(d: Decimal) -> bool:
    if not d:
        return True
    sign, digits, exponent = d.normalize(DECIMAL_CONTEXT).as_tuple()
    magnitude = len(digits) + exponent - 1
    return len(digits) <= 38 and -130 <= magnitude <= 125


numbers = st.one_of(
    st.integers(-(10**38) + 1, 10**38 - 1).map(Decimal),  # the integer fast path, compared with the rest
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(_in_range),
    st.builds(lambda m, e: Decimal(m).scaleb(e), st.integers(-(10**38) + 1, 10**38 - 1), st.integers(-130, 88))
    .filter(_in_range),
    st.sampled_from([Decimal("1E-130"), Decimal("-1E-130"), Decimal("9.9999999999999999999999999999999999999E+125"),
                     Decimal("-9.9999999999999999999999999999999999999E+125"), Decimal(0), Decimal("0.1"),
                     Decimal("1"), Decimal("-1"), Decimal("-0.1"), Decimal("10"), Decimal("-10")]),
)


@settings(max_examples=400, deadline=None)
@given(numbers, numbers)
def test_number_encoding_orders_like_decimal(a: Decimal, b: Decimal) -> None:
    ka = number_sort_key(normalize_number(str(a)))
    kb = number_sort_key(normalize_number(str(b)))
    assert (ka < kb) == (a < b)
    assert (ka == kb) == (a == b)


@settings(max_examples=200, deadline=None)
@given(numbers)
def test_normalization_preserves_value(a: Decimal) -> None:
    text = normalize_number(str(a))
    assert Decimal(text) == a
    assert normalize_number(text) == text


@settings(max_examples=200, deadline=None)
@given(st.text(), st.text())
def test_string_keys_order_bytewise(a: str, b: str) -> None:
    try:
        ka, kb = key_bytes("S", {"S": a}), key_bytes("S", {"S": b})
    except UnicodeEncodeError:  # lone surrogates are not valid JSON strings either
        return
    assert (ka < kb) == (a.encode() < b.encode())


@pytest.mark.parametrize(("given_text", "normal"), [
    ("1.0", "1"), ("-0", "0"), ("0.000", "0"), ("1e2", "100"), ("0.10", "0.1"), ("+5", "5"), ("-1.50", "-1.5"),
    ("1E-130", "0." + "0" * 129 + "1"), ("123456789012345678901234567890123456780000", "1234567890123456789012345678901234567800" + "00"),
])
def test_normalize_number(given_text: str, normal: str) -> None:
    assert normalize_number(given_text) == normal


@pytest.mark.parametrize(("given_text", "message"), [
    ("abc", "The parameter cannot be converted to a numeric value: abc"),
    ("1" * 39, "Attempting to store more than 38 significant digits in a Number"),
    ("1E126", "Number overflow. Attempting to store a number with magnitude larger than supported range"),
    ("1E-131", "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
    ("NaN", "The parameter cannot be converted to a numeric value: NaN"),
])
def test_number_errors(given_text: str, message: str) -> None:
    with pytest.raises(DynamoError) as info:
        normalize_number(given_text)
    assert info.value.message == message


def test_item_sizes_follow_dynamodb_rules() -> None:
    assert check_item({"a": {"S": "hello"}}) == 1 + 5
    assert check_item({"ab": {"N": "123"}}) == 2 + 3  # 3 digits -> 2 bytes + 1
    assert check_item({"b": {"BOOL": True}, "n": {"NULL": True}}) == 2 + 2
    assert check_item({"m": {"M": {"x": {"S": "yy"}}}}) == 1 + 3 + (1 + 2 + 1)
    assert check_item({"l": {"L": [{"S": "a"}, {"S": "bc"}]}}) == 1 + 3 + (1 + 1) + (2 + 1)
    assert check_item({"s": {"SS": ["a", "bc"]}}) == 1 + 3
    assert check_item({"b": {"B": "AAEC"}}) == 1 + 3


def test_sets_must_be_non_empty_and_unique() -> None:
    with pytest.raises(DynamoError, match="An string set  may not be empty"):
        check_item({"s": {"SS": []}})
    with pytest.raises(DynamoError, match=r"Input collection \[a, a\] contains duplicates"):
        check_item({"s": {"SS": ["a", "a"]}})
    with pytest.raises(DynamoError, match="contains duplicates"):
        check_item({"s": {"NS": ["1", "1.0"]}})


def test_nesting_limit() -> None:
    value: dict = {"S": "x"}
    for _ in range(32):
        value = {"L": [value]}
    with pytest.raises(DynamoError, match="Nesting Levels have exceeded supported limits"):
        check_item({"deep": value})
