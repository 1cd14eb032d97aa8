"""Query and Scan: key conditions on every key type, order, paging, filters, Select, segments, errors."""

from __future__ import annotations

from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr, Key

from .conftest import error


@pytest.fixture
def numbers(client: Any, sorted_table: str) -> str:
    """A table with partition 'p' holding sk = -10..10 and partition 'q' holding one item."""
    for i in range(-10, 11):
        client.put_item(TableName=sorted_table, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "odd": {"BOOL": i % 2 == 1}})
    client.put_item(TableName=sorted_table, Item={"pk": {"S": "q"}, "sk": {"N": "0"}})
    return sorted_table


def _sks(response: dict) -> list[int]:
    return [int(item["sk"]["N"]) for item in response["Items"]]


@pytest.mark.parametrize(("condition", "values", "expected"), [
    ("sk = :a", {":a": "3"}, [3]),
    ("sk < :a", {":a": "-8"}, [-10, -9]),
    ("sk <= :a", {":a": "-8"}, [-10, -9, -8]),
    ("sk > :a", {":a": "8.5"}, [9, 10]),
    ("sk >= :a", {":a": "9"}, [9, 10]),
    ("sk BETWEEN :a AND :b", {":a": "-1", ":b": "1.5"}, [-1, 0, 1]),
])
def test_sort_key_conditions_on_numbers(client: Any, numbers: str, condition: str, values: dict,
                                        expected: list[int]) -> None:
    attr_values = {k: {"N": v} for k, v in values.items()} | {":p": {"S": "p"}}
    response = client.query(TableName=numbers, KeyConditionExpression=f"pk = :p AND {condition}",
                            ExpressionAttributeValues=attr_values)
    assert _sks(response) == expected
    assert response["Count"] == response["ScannedCount"] == len(expected)


def test_order_limit_and_paging(client: Any, numbers: str) -> None:
    backwards = client.query(TableName=numbers, KeyConditionExpression="pk = :p", ScanIndexForward=False,
                             ExpressionAttributeValues={":p": {"S": "p"}}, Limit=3)
    assert _sks(backwards) == [10, 9, 8]
    assert backwards["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "8"}}
    nxt = client.query(TableName=numbers, KeyConditionExpression="pk = :p", ScanIndexForward=False, Limit=3,
                       ExpressionAttributeValues={":p": {"S": "p"}}, ExclusiveStartKey=backwards["LastEvaluatedKey"])
    assert _sks(nxt) == [7, 6, 5]
    pages = client.get_paginator("query").paginate(
        TableName=numbers, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
        PaginationConfig={"PageSize": 4})
    assert [sk for page in pages for sk in _sks(page)] == list(range(-10, 11))


def test_filter_select_and_projection(client: Any, numbers: str) -> None:
    filtered = client.query(TableName=numbers, KeyConditionExpression="pk = :p", FilterExpression="odd = :t",
                            ExpressionAttributeValues={":p": {"S": "p"}, ":t": {"BOOL": True}}, Limit=10)
    assert _sks(filtered) == [-9, -7, -5, -3, -1]
    assert filtered["Count"] == 5 and filtered["ScannedCount"] == 10
    counted = client.query(TableName=numbers, KeyConditionExpression="pk = :p", Select="COUNT",
                           ExpressionAttributeValues={":p": {"S": "p"}})
    assert counted["Count"] == 21 and "Items" not in counted
    projected = client.query(TableName=numbers, KeyConditionExpression="pk = :p AND sk = :z",
                             ProjectionExpression="odd", ExpressionAttributeValues={":p": {"S": "p"}, ":z": {"N": "0"}})
    assert projected["Items"] == [{"odd": {"BOOL": False}}]
    assert error(client.query, TableName=numbers, KeyConditionExpression="pk = :p", FilterExpression="sk > :z",
                 ExpressionAttributeValues={":p": {"S": "p"}, ":z": {"N": "0"}}) == (
        "ValidationException", "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk")


def test_legacy_key_conditions_and_query_filter(client: Any, numbers: str) -> None:
    response = client.query(TableName=numbers, KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
        "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "0"}, {"N": "4"}]}},
        QueryFilter={"odd": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": True}]}})
    assert _sks(response) == [1, 3]


def test_string_and_binary_sort_keys(client: Any, make_table: Any) -> None:
    strings = make_table(range_key=("sk", "S"))
    for s in ["a", "ab", "abc", "b", "B", "é", "a\u00ff", "ac"]:
        client.put_item(TableName=strings, Item={"pk": {"S": "s"}, "sk": {"S": s}})
    everything = client.query(TableName=strings, KeyConditionExpression="pk = :p",
                              ExpressionAttributeValues={":p": {"S": "s"}})
    assert [i["sk"]["S"] for i in everything["Items"]] == sorted(["a", "ab", "abc", "b", "B", "é", "a\u00ff", "ac"],
                                                                key=str.encode)
    prefixed = client.query(TableName=strings, KeyConditionExpression="pk = :p AND begins_with(sk, :a)",
                            ExpressionAttributeValues={":p": {"S": "s"}, ":a": {"S": "a"}})
    assert [i["sk"]["S"] for i in prefixed["Items"]] == ["a", "ab", "abc", "ac", "a\u00ff"]
    binary = make_table(range_key=("sk", "B"))
    for b in [b"\x00", b"\x01\xff", b"\x01\xff\xff", b"\x02", b"\xff"]:
        client.put_item(TableName=binary, Item={"pk": {"S": "b"}, "sk": {"B": b}})
    got = client.query(TableName=binary, KeyConditionExpression="pk = :p AND begins_with(sk, :x)",
                       ExpressionAttributeValues={":p": {"S": "b"}, ":x": {"B": b"\x01\xff"}})
    assert [i["sk"]["B"] for i in got["Items"]] == [b"\x01\xff", b"\x01\xff\xff"]


def test_resource_query_with_conditions(resource: Any, make_table: Any) -> None:
    t = resource.Table(make_table(range_key=("sk", "N")))
    with t.batch_writer() as batch:
        for i in range(30):
            batch.put_item(Item={"pk": "r", "sk": i, "even": i % 2 == 0})
    got = t.query(KeyConditionExpression=Key("pk").eq("r") & Key("sk").between(10, 19),
                  FilterExpression=Attr("even").eq(True))
    assert [int(i["sk"]) for i in got["Items"]] == [10, 12, 14, 16, 18]


def test_one_megabyte_pages(client: Any, sorted_table: str) -> None:
    blob = "x" * (100 * 1024)
    for i in range(15):
        client.put_item(TableName=sorted_table, Item={"pk": {"S": "big"}, "sk": {"N": str(i)}, "v": {"S": blob}})
    first = client.query(TableName=sorted_table, KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": {"S": "big"}})
    assert 9 <= first["Count"] <= 11 and "LastEvaluatedKey" in first
    rest = client.query(TableName=sorted_table, KeyConditionExpression="pk = :p",
                        ExpressionAttributeValues={":p": {"S": "big"}}, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert first["Count"] + rest["Count"] == 15


def test_query_errors(client: Any, numbers: str) -> None:
    def fails(**kwargs: Any) -> str:
        code, message = error(client.query, TableName=numbers, **kwargs)
        assert code == "ValidationException"
        return message

    assert fails() == ("Either the KeyConditions or KeyConditionExpression parameter must be specified in the "
                       "request.")
    assert fails(KeyConditionExpression="sk = :z", ExpressionAttributeValues={":z": {"N": "1"}}) == (
        "Query condition missed key schema element: pk")
    assert fails(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"N": "1"}}) == (
        "One or more parameter values were invalid: Condition parameter type does not match schema type")
    assert fails(KeyConditionExpression="pk = :p OR sk = :p", ExpressionAttributeValues={":p": {"S": "p"}}) == (
        "Invalid KeyConditionExpression: Query key condition not supported")
    assert fails(KeyConditionExpression="pk = :p AND sk BETWEEN :b AND :a",
                 ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "1"}, ":b": {"N": "5"}}) == (
        "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to "
        "lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}")
    assert fails(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}}, Select="COUNT",
                 ProjectionExpression="odd") == "Cannot specify the ProjectionExpression when choosing to get only the Count"
    assert fails(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}}, IndexName="nope") == (
        "The table does not have the specified index: nope")
    assert fails(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                 ExclusiveStartKey={"pk": {"S": "p"}}) == (
        "The provided starting key is invalid: The provided key element does not match the schema")


def test_scan_filters_paging_and_segments(client: Any, numbers: str) -> None:
    everything = client.scan(TableName=numbers)
    assert everything["Count"] == 22
    filtered = client.scan(TableName=numbers, FilterExpression="sk > :a", ExpressionAttributeValues={":a": {"N": "8"}})
    assert sorted(_sks(filtered)) == [9, 10]
    legacy = client.scan(TableName=numbers, ScanFilter={"sk": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "8"}]}})
    assert sorted(_sks(legacy)) == [9, 10]
    paged = [i for page in client.get_paginator("scan").paginate(TableName=numbers, PaginationConfig={"PageSize": 5})
             for i in page["Items"]]
    assert len(paged) == 22
    segments = []
    for segment in range(4):
        segments += client.scan(TableName=numbers, Segment=segment, TotalSegments=4)["Items"]
    assert sorted((i["pk"]["S"], int(i["sk"]["N"])) for i in segments) == sorted(
        (i["pk"]["S"], int(i["sk"]["N"])) for i in everything["Items"])
    assert error(client.scan, TableName=numbers, Segment=4, TotalSegments=4) == (
        "ValidationException", "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
        "Segment: 4 is not less than TotalSegments: 4")
