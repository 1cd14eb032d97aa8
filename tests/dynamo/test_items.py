"""PutItem, GetItem, DeleteItem through boto3: types, return values, conditions, projections, key errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr

from .conftest import error

ALL_TYPES = {
    "pk": {"S": "all"},
    "s": {"S": "héllo"},
    "empty": {"S": ""},
    "n": {"N": "-12.5"},
    "b": {"B": b"\x00\x01\xff"},
    "emptyb": {"B": b""},
    "t": {"BOOL": True},
    "nul": {"NULL": True},
    "m": {"M": {"inner": {"L": [{"N": "1"}, {"S": "x"}]}}},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"x", b"y"]},
}


def test_every_type_round_trips(client: Any, table: str) -> None:
    client.put_item(TableName=table, Item=ALL_TYPES)
    item = client.get_item(TableName=table, Key={"pk": {"S": "all"}})["Item"]
    assert item["s"] == {"S": "héllo"} and item["empty"] == {"S": ""}
    assert item["b"] == {"B": b"\x00\x01\xff"} and item["emptyb"] == {"B": b""}
    assert item["m"] == ALL_TYPES["m"] and item["nul"] == {"NULL": True} and item["t"] == {"BOOL": True}
    assert sorted(item["ns"]["NS"]) == ["1", "2.5"] and sorted(item["bs"]["BS"]) == [b"x", b"y"]


def test_numbers_are_normalized(client: Any, table: str) -> None:
    client.put_item(TableName=table, Item={"pk": {"S": "n"}, "a": {"N": "1.500"}, "b": {"N": "-0"},
                                           "c": {"N": "1e3"}, "d": {"NS": ["01", "2.0"]}})
    item = client.get_item(TableName=table, Key={"pk": {"S": "n"}})["Item"]
    assert item["a"] == {"N": "1.5"} and item["b"] == {"N": "0"} and item["c"] == {"N": "1000"}
    assert sorted(item["d"]["NS"]) == ["1", "2"]


def test_resource_api_with_decimals(resource: Any, table: str) -> None:
    t = resource.Table(table)
    t.put_item(Item={"pk": "r", "price": Decimal("9.99"), "tags": {"a", "b"}, "doc": {"x": [1, 2]}})
    item = t.get_item(Key={"pk": "r"})["Item"]
    assert item == {"pk": "r", "price": Decimal("9.99"), "tags": {"a", "b"}, "doc": {"x": [Decimal(1), Decimal(2)]}}
    t.delete_item(Key={"pk": "r"})
    assert "Item" not in t.get_item(Key={"pk": "r"})


def test_return_values_all_old(client: Any, table: str) -> None:
    key = {"pk": {"S": "rv"}}
    first = client.put_item(TableName=table, Item={**key, "v": {"N": "1"}}, ReturnValues="ALL_OLD")
    assert "Attributes" not in first
    second = client.put_item(TableName=table, Item={**key, "v": {"N": "2"}}, ReturnValues="ALL_OLD")
    assert second["Attributes"] == {**key, "v": {"N": "1"}}
    deleted = client.delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD")
    assert deleted["Attributes"] == {**key, "v": {"N": "2"}}
    assert error(client.put_item, TableName=table, Item=key, ReturnValues="ALL_NEW") == (
        "ValidationException", "Return values set to invalid value")


def test_condition_expressions(client: Any, table: str) -> None:
    key = {"pk": {"S": "c"}}
    client.put_item(TableName=table, Item={**key, "n": {"N": "5"}, "s": {"S": "hello"}, "l": {"L": [{"S": "a"}]},
                                           "ss": {"SS": ["x", "y"]}, "m": {"M": {"deep": {"N": "1"}}}})
    passing = [
        ("n = :five", {":five": {"N": "5.0"}}),
        ("n BETWEEN :a AND :b", {":a": {"N": "1"}, ":b": {"N": "5"}}),
        ("n IN (:a, :b)", {":a": {"N": "1"}, ":b": {"N": "5"}}),
        ("begins_with(s, :p) AND contains(s, :q)", {":p": {"S": "he"}, ":q": {"S": "ll"}}),
        ("contains(ss, :x) AND contains(l, :a)", {":x": {"S": "x"}, ":a": {"S": "a"}}),
        ("size(s) = :five AND size(l) < :two", {":five": {"N": "5"}, ":two": {"N": "2"}}),
        ("attribute_type(m, :m) AND m.deep = :one", {":m": {"S": "M"}, ":one": {"N": "1"}}),
        ("NOT (n < :a OR attribute_not_exists(s)) AND nope <> :a", {":a": {"N": "1"}}),
        ("l[0] = :a", {":a": {"S": "a"}}),
    ]
    for expression, values in passing:
        client.put_item(TableName=table, Item={**key, "n": {"N": "5"}, "s": {"S": "hello"}, "l": {"L": [{"S": "a"}]},
                                               "ss": {"SS": ["x", "y"]}, "m": {"M": {"deep": {"N": "1"}}}},
                        ConditionExpression=expression, ExpressionAttributeValues=values)
    code, message = error(client.delete_item, TableName=table, Key=key, ConditionExpression="n > :n",
                          ExpressionAttributeValues={":n": {"N": "5"}})
    assert (code, message) == ("ConditionalCheckFailedException", "The conditional request failed")


def test_condition_failure_returns_item_when_asked(client: Any, table: str) -> None:
    item = {"pk": {"S": "cf"}, "v": {"N": "1"}}
    client.put_item(TableName=table, Item=item)
    try:
        client.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(pk)",
                        ReturnValuesOnConditionCheckFailure="ALL_OLD")
    except client.exceptions.ConditionalCheckFailedException as exc:
        assert exc.response["Item"] == item
    else:
        raise AssertionError("condition should fail")


def test_resource_conditions(resource: Any, table: str) -> None:
    t = resource.Table(table)
    t.put_item(Item={"pk": "rc", "v": 1})
    t.put_item(Item={"pk": "rc", "v": 2}, ConditionExpression=Attr("v").eq(1) & Attr("w").not_exists())
    assert t.get_item(Key={"pk": "rc"})["Item"]["v"] == 2


def test_legacy_expected_and_attributes_to_get(client: Any, table: str) -> None:
    key = {"pk": {"S": "leg"}}
    client.put_item(TableName=table, Item={**key, "a": {"S": "1"}, "b": {"S": "2"}},
                    Expected={"pk": {"Exists": False}})
    code, _ = error(client.put_item, TableName=table, Item=key, Expected={"a": {"Value": {"S": "nope"}}})
    assert code == "ConditionalCheckFailedException"
    client.put_item(TableName=table, Item={**key, "a": {"S": "1"}},
                    Expected={"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "1"}]}})
    got = client.get_item(TableName=table, Key=key, AttributesToGet=["a"])
    assert got["Item"] == {"a": {"S": "1"}}


def test_projection_expression(client: Any, table: str) -> None:
    key = {"pk": {"S": "proj"}}
    client.put_item(TableName=table, Item={**key, "a": {"M": {"b": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}]},
                                                              "c": {"S": "c"}}}, "name": {"S": "n"}})
    got = client.get_item(TableName=table, Key=key, ProjectionExpression="a.b[2], a.b[0], #n",
                          ExpressionAttributeNames={"#n": "name"})
    assert got["Item"] == {"a": {"M": {"b": {"L": [{"N": "0"}, {"N": "2"}]}}}, "name": {"S": "n"}}
    code, message = error(client.get_item, TableName=table, Key=key, ProjectionExpression="a, a.b")
    assert message == ("Invalid ProjectionExpression: Two document paths overlap with each other; must remove or "
                       "rewrite one of these paths; path one: [a], path two: [a, b]")


def test_key_validation_errors(client: Any, make_table: Any) -> None:
    name = make_table(range_key=("sk", "N"))
    assert error(client.put_item, TableName=name, Item={"pk": {"S": "a"}}) == (
        "ValidationException", "One or more parameter values were invalid: Missing the key sk in the item")
    assert error(client.put_item, TableName=name, Item={"pk": {"N": "1"}, "sk": {"N": "1"}}) == (
        "ValidationException",
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N")
    assert error(client.put_item, TableName=name, Item={"pk": {"S": ""}, "sk": {"N": "1"}}) == (
        "ValidationException", "One or more parameter values are not valid. The AttributeValue for a key attribute "
        "cannot contain an empty string value. Key: pk")
    assert error(client.get_item, TableName=name, Key={"pk": {"S": "a"}}) == (
        "ValidationException", "The provided key element does not match the schema")
    assert error(client.get_item, TableName=name, Key={"pk": {"S": "a"}, "sk": {"S": "1"}}) == (
        "ValidationException", "The provided key element does not match the schema")
    assert error(client.put_item, TableName=name, Item={"pk": {"S": "x" * 2049}, "sk": {"N": "1"}}) == (
        "ValidationException", "One or more parameter values were invalid: Size of hashkey has exceeded the "
        "maximum size limit of2048 bytes")
    str_range = make_table(range_key=("sk", "S"))
    assert error(client.put_item, TableName=str_range, Item={"pk": {"S": "a"}, "sk": {"S": "x" * 1025}}) == (
        "ValidationException", "One or more parameter values were invalid: Aggregated size of all range keys has "
        "exceeded the size limit of 1024 bytes")


def test_item_size_limit(client: Any, table: str) -> None:
    just_fits = {"pk": {"S": "big"}, "v": {"S": "x" * (400 * 1024 - len("pk") - len("big") - len("v"))}}
    client.put_item(TableName=table, Item=just_fits)
    too_big = {"pk": {"S": "big"}, "v": {"S": "x" * (400 * 1024 - 5)}}
    assert error(client.put_item, TableName=table, Item=too_big) == (
        "ValidationException", "Item size has exceeded the maximum allowed size")


def test_bad_values(client: Any, table: str) -> None:
    assert error(client.put_item, TableName=table, Item={"pk": {"S": "a"}, "n": {"N": "1e200"}}) == (
        "ValidationException",
        "Number overflow. Attempting to store a number with magnitude larger than supported range")
    assert error(client.put_item, TableName=table, Item={"pk": {"S": "a"}, "s": {"SS": []}}) == (
        "ValidationException", "One or more parameter values were invalid: An string set  may not be empty")
    assert error(client.put_item, TableName=table, Item={"pk": {"S": "a"}, "s": {"SS": ["x", "x"]}}) == (
        "ValidationException", "One or more parameter values were invalid: Input collection [x, x] contains "
        "duplicates.")


def test_missing_table(client: Any) -> None:
    assert error(client.get_item, TableName="nosuchtable", Key={"pk": {"S": "a"}}) == (
        "ResourceNotFoundException", "Requested resource not found")


def test_binary_keys(client: Any, make_table: Any) -> None:
    name = make_table(hash_key=("pk", "B"))
    client.put_item(TableName=name, Item={"pk": {"B": b"\x00\xff"}, "v": {"S": "bin"}})
    assert client.get_item(TableName=name, Key={"pk": {"B": b"\x00\xff"}})["Item"]["v"] == {"S": "bin"}
