"""UpdateTimeToLive / DescribeTimeToLive and the sweep that deletes expired items."""

from __future__ import annotations

import time
from typing import Any

from dynamis.dynamo.server import DynamoServer

from .conftest import error


def test_ttl_setting_and_expiry(client: Any, dynamo_server: DynamoServer, table: str) -> None:
    assert client.describe_time_to_live(TableName=table)["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    now = int(time.time())
    client.put_item(TableName=table, Item={"pk": {"S": "old-before"}, "exp": {"N": str(now - 100)}})
    spec = {"Enabled": True, "AttributeName": "exp"}
    assert client.update_time_to_live(TableName=table, TimeToLiveSpecification=spec)["TimeToLiveSpecification"] == spec
    assert client.describe_time_to_live(TableName=table)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    assert error(client.update_time_to_live, TableName=table, TimeToLiveSpecification=spec) == (
        "ValidationException", "TimeToLive is already enabled")
    client.put_item(TableName=table, Item={"pk": {"S": "old-after"}, "exp": {"N": str(now - 5)}})
    client.put_item(TableName=table, Item={"pk": {"S": "renewed"}, "exp": {"N": str(now - 5)}})
    client.update_item(TableName=table, Key={"pk": {"S": "renewed"}}, UpdateExpression="SET exp = :later",
                       ExpressionAttributeValues={":later": {"N": str(now + 3600)}})
    client.put_item(TableName=table, Item={"pk": {"S": "future"}, "exp": {"N": str(now + 3600)}})
    client.put_item(TableName=table, Item={"pk": {"S": "text"}, "exp": {"S": "not a number"}})
    deadline = time.monotonic() + 10
    remaining: set[str] = set()
    while time.monotonic() < deadline:
        remaining = {i["pk"]["S"] for i in client.scan(TableName=table)["Items"]}
        if remaining == {"renewed", "future", "text"}:
            break
        time.sleep(dynamo_server.ttl_interval / 2)
    assert remaining == {"renewed", "future", "text"}
    assert client.describe_table(TableName=table)["Table"]["ItemCount"] == 3
    client.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"})
    assert error(client.update_time_to_live, TableName=table,
                 TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"}) == (
        "ValidationException", "TimeToLive is already disabled")
