"""BatchGetItem and BatchWriteItem, including boto3's batch_writer and their limits."""

from __future__ import annotations

from typing import Any

from .conftest import error


def test_batch_write_then_get(client: Any, table: str, make_table: Any) -> None:
    other = make_table()
    puts = [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "v": {"N": str(i)}}}} for i in range(20)]
    response = client.batch_write_item(RequestItems={table: puts, other: [{"PutRequest": {"Item": {"pk": {"S": "o"}}}}]},
                                       ReturnConsumedCapacity="TOTAL")
    assert response["UnprocessedItems"] == {}
    assert {c["TableName"]: c["CapacityUnits"] for c in response["ConsumedCapacity"]} == {table: 20.0, other: 1.0}
    got = client.batch_get_item(RequestItems={
        table: {"Keys": [{"pk": {"S": f"k{i}"}} for i in range(0, 20, 2)] + [{"pk": {"S": "missing"}}],
                "ProjectionExpression": "v"},
        other: {"Keys": [{"pk": {"S": "o"}}], "ConsistentRead": True}})
    assert sorted(int(i["v"]["N"]) for i in got["Responses"][table]) == list(range(0, 20, 2))
    assert got["Responses"][other] == [{"pk": {"S": "o"}}]
    assert got["UnprocessedKeys"] == {}
    client.batch_write_item(RequestItems={table: [{"DeleteRequest": {"Key": {"pk": {"S": f"k{i}"}}}} for i in range(10)]})
    assert client.scan(TableName=table, Select="COUNT")["Count"] == 10


def test_batch_writer_and_resource_batch_get(resource: Any, table: str) -> None:
    t = resource.Table(table)
    with t.batch_writer(overwrite_by_pkeys=["pk"]) as batch:
        for i in range(120):
            batch.put_item(Item={"pk": f"w{i % 100}", "n": i})
    assert t.scan(Select="COUNT")["Count"] == 100
    got = resource.batch_get_item(RequestItems={table: {"Keys": [{"pk": "w1"}, {"pk": "w99"}]}})
    assert sorted(int(i["n"]) for i in got["Responses"][table]) == [99, 101]


def test_batch_limits_and_duplicates(client: Any, table: str) -> None:
    too_many = [{"PutRequest": {"Item": {"pk": {"S": str(i)}}}} for i in range(26)]
    assert error(client.batch_write_item, RequestItems={table: too_many}) == (
        "ValidationException", "Too many items requested for the BatchWriteItem call")
    dupes = [{"PutRequest": {"Item": {"pk": {"S": "d"}}}}, {"DeleteRequest": {"Key": {"pk": {"S": "d"}}}}]
    assert error(client.batch_write_item, RequestItems={table: dupes}) == (
        "ValidationException", "Provided list of item keys contains duplicates")
    assert error(client.batch_get_item, RequestItems={table: {"Keys": [{"pk": {"S": str(i)}} for i in range(101)]}}) == (
        "ValidationException", "Too many items requested for the BatchGetItem call")
    assert error(client.batch_get_item, RequestItems={table: {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "a"}}]}}) == (
        "ValidationException", "Provided list of item keys contains duplicates")
    assert error(client.batch_get_item, RequestItems={"missingtable": {"Keys": [{"pk": {"S": "a"}}]}}) == (
        "ResourceNotFoundException", "Requested resource not found")
