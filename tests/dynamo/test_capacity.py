"""ReturnConsumedCapacity with DynamoDB's arithmetic: 1 KB write units, 4 KB read units, halved when eventual."""

from __future__ import annotations

from typing import Any


def test_write_and_read_units(client: Any, sorted_table: str) -> None:
    big = {"pk": {"S": "cap"}, "sk": {"N": "1"}, "v": {"S": "x" * 5000}}  # 5000 + 9 bytes: 5 KB
    put = client.put_item(TableName=sorted_table, Item=big, ReturnConsumedCapacity="TOTAL")
    assert put["ConsumedCapacity"] == {"TableName": sorted_table, "CapacityUnits": 5.0}
    key = {"pk": {"S": "cap"}, "sk": {"N": "1"}}
    strong = client.get_item(TableName=sorted_table, Key=key, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert strong["ConsumedCapacity"]["CapacityUnits"] == 2.0
    eventual = client.get_item(TableName=sorted_table, Key=key, ReturnConsumedCapacity="INDEXES")
    assert eventual["ConsumedCapacity"] == {"TableName": sorted_table, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}
    missing = client.get_item(TableName=sorted_table, Key={"pk": {"S": "no"}, "sk": {"N": "1"}},
                              ReturnConsumedCapacity="TOTAL")
    assert missing["ConsumedCapacity"]["CapacityUnits"] == 0.5
    update = client.update_item(TableName=sorted_table, Key=key, UpdateExpression="REMOVE v",
                                ReturnConsumedCapacity="TOTAL")
    assert update["ConsumedCapacity"]["CapacityUnits"] == 5.0  # the larger of the old and new sizes
    deleted = client.delete_item(TableName=sorted_table, Key=key, ReturnConsumedCapacity="TOTAL")
    assert deleted["ConsumedCapacity"]["CapacityUnits"] == 1.0
    query = client.query(TableName=sorted_table, KeyConditionExpression="pk = :p", ReturnConsumedCapacity="TOTAL",
                         ExpressionAttributeValues={":p": {"S": "cap"}})
    assert query["ConsumedCapacity"]["CapacityUnits"] == 0.5
    none = client.put_item(TableName=sorted_table, Item=big, ReturnConsumedCapacity="NONE")
    assert "ConsumedCapacity" not in none
