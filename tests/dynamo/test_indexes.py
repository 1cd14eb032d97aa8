"""Global and local secondary indexes: creation, maintenance on every write path, Query/Scan, errors."""

from __future__ import annotations

from typing import Any

import pytest
from boto3.dynamodb.conditions import Key

from .conftest import error, unique_name

DEFINITIONS = [{"AttributeName": n, "AttributeType": t} for n, t in
               (("pk", "S"), ("sk", "N"), ("email", "S"), ("score", "N"), ("made", "S"))]


@pytest.fixture
def indexed(client: Any) -> Any:
    name = unique_name("idx")
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST", AttributeDefinitions=DEFINITIONS,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {"IndexName": "by-email", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
            {"IndexName": "by-score", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                    {"AttributeName": "score", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["label"]}}],
        LocalSecondaryIndexes=[
            {"IndexName": "by-time", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                   {"AttributeName": "made", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}}])
    for i in range(6):
        item = {"pk": {"S": "p"}, "sk": {"N": str(i)}, "score": {"N": str(100 - i * 10)}, "label": {"S": f"l{i}"},
                "extra": {"S": "x"}, "made": {"S": f"2024-01-0{9 - i}"}}
        if i % 2 == 0:
            item["email"] = {"S": f"user{i}@example.com"}
        client.put_item(TableName=name, Item=item)
    yield name
    client.delete_table(TableName=name)


def test_describe_lists_indexes_with_counts(client: Any, indexed: str) -> None:
    table = client.describe_table(TableName=indexed)["Table"]
    gsis = {g["IndexName"]: g for g in table["GlobalSecondaryIndexes"]}
    assert gsis["by-email"]["IndexStatus"] == "ACTIVE" and gsis["by-email"]["ItemCount"] == 3  # sparse
    assert gsis["by-score"]["ItemCount"] == 6
    assert gsis["by-email"]["IndexArn"] == table["TableArn"] + "/index/by-email"
    assert table["LocalSecondaryIndexes"][0]["IndexName"] == "by-time"


def test_query_gsi_order_projection_and_paging(client: Any, indexed: str) -> None:
    got = client.query(TableName=indexed, IndexName="by-score", KeyConditionExpression="pk = :p AND score > :s",
                       ExpressionAttributeValues={":p": {"S": "p"}, ":s": {"N": "60"}})
    assert [i["score"]["N"] for i in got["Items"]] == ["70", "80", "90", "100"]
    assert set(got["Items"][0]) == {"pk", "sk", "score", "label"}  # INCLUDE projection, no "extra"
    first = client.query(TableName=indexed, IndexName="by-score", KeyConditionExpression="pk = :p", Limit=2,
                         ExpressionAttributeValues={":p": {"S": "p"}}, ScanIndexForward=False)
    assert first["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "1"}, "score": {"N": "90"}}
    rest = client.query(TableName=indexed, IndexName="by-score", KeyConditionExpression="pk = :p",
                        ExpressionAttributeValues={":p": {"S": "p"}}, ScanIndexForward=False,
                        ExclusiveStartKey=first["LastEvaluatedKey"])
    assert [i["score"]["N"] for i in rest["Items"]] == ["80", "70", "60", "50"]
    keys_only = client.query(TableName=indexed, IndexName="by-email", KeyConditionExpression="email = :e",
                             ExpressionAttributeValues={":e": {"S": "user2@example.com"}})
    assert keys_only["Items"] == [{"pk": {"S": "p"}, "sk": {"N": "2"}, "email": {"S": "user2@example.com"}}]


def test_lsi_returns_all_attributes(client: Any, indexed: str) -> None:
    got = client.query(TableName=indexed, IndexName="by-time", KeyConditionExpression="pk = :p AND begins_with(made, :d)",
                       ExpressionAttributeValues={":p": {"S": "p"}, ":d": {"S": "2024-01-0"}}, Limit=1,
                       ConsistentRead=True, Select="ALL_ATTRIBUTES")
    assert got["Items"][0]["made"] == {"S": "2024-01-04"} and got["Items"][0]["extra"] == {"S": "x"}


def test_index_follows_updates_and_deletes(client: Any, resource: Any, indexed: str) -> None:
    key = {"pk": {"S": "p"}, "sk": {"N": "0"}}
    client.update_item(TableName=indexed, Key=key, UpdateExpression="SET email = :e",
                       ExpressionAttributeValues={":e": {"S": "moved@example.com"}})
    old = client.query(TableName=indexed, IndexName="by-email", KeyConditionExpression="email = :e",
                       ExpressionAttributeValues={":e": {"S": "user0@example.com"}})
    assert old["Count"] == 0
    table = resource.Table(indexed)
    assert table.query(IndexName="by-email", KeyConditionExpression=Key("email").eq("moved@example.com"))["Count"] == 1
    client.update_item(TableName=indexed, Key=key, UpdateExpression="REMOVE email")
    client.delete_item(TableName=indexed, Key={"pk": {"S": "p"}, "sk": {"N": "2"}})
    client.batch_write_item(RequestItems={indexed: [{"DeleteRequest": {"Key": {"pk": {"S": "p"}, "sk": {"N": "4"}}}}]})
    assert client.scan(TableName=indexed, IndexName="by-email", Select="COUNT")["Count"] == 0
    gsis = client.describe_table(TableName=indexed)["Table"]["GlobalSecondaryIndexes"]
    assert {g["IndexName"]: g["ItemCount"] for g in gsis} == {"by-email": 0, "by-score": 4}


def test_index_errors(client: Any, indexed: str) -> None:
    assert error(client.query, TableName=indexed, IndexName="by-email", KeyConditionExpression="email = :e",
                 ExpressionAttributeValues={":e": {"S": "x"}}, ConsistentRead=True) == (
        "ValidationException", "Consistent reads are not supported on global secondary indexes")
    assert error(client.query, TableName=indexed, IndexName="by-email", KeyConditionExpression="email = :e",
                 ExpressionAttributeValues={":e": {"S": "x"}}, Select="ALL_ATTRIBUTES") == (
        "ValidationException", "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not "
        "supported for global secondary index by-email because its projection type is not ALL")
    assert error(client.put_item, TableName=indexed, Item={"pk": {"S": "p"}, "sk": {"N": "9"}, "email": {"N": "1"}}) == (
        "ValidationException", "One or more parameter values were invalid: Type mismatch for Index Key email Expected: "
        "S Actual: N IndexName: by-email")
    assert error(client.scan, TableName=indexed, IndexName="nope") == (
        "ValidationException", "The table does not have the specified index: nope")


def test_create_table_index_validation(client: Any) -> None:
    hash_only = [{"AttributeName": "pk", "KeyType": "HASH"}]
    lsi = [{"IndexName": "lsi", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "made", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}}]
    assert error(client.create_table, TableName=unique_name(), BillingMode="PAY_PER_REQUEST", KeySchema=hash_only,
                 AttributeDefinitions=[DEFINITIONS[0], DEFINITIONS[4]], LocalSecondaryIndexes=lsi) == (
        "ValidationException", "One or more parameter values were invalid: Table KeySchema does not have a range key, "
        "which is required when specifying a LocalSecondaryIndex")
    gsi = [{"IndexName": "gsi", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}]
    assert error(client.create_table, TableName=unique_name(), BillingMode="PAY_PER_REQUEST", KeySchema=hash_only,
                 AttributeDefinitions=[DEFINITIONS[0], DEFINITIONS[2], DEFINITIONS[3]], GlobalSecondaryIndexes=gsi) == (
        "ValidationException", "One or more parameter values were invalid: Some AttributeDefinitions are not used. "
        "AttributeDefinitions: [pk, email, score], keys used: [pk, email]")
    assert error(client.create_table, TableName=unique_name(), KeySchema=hash_only,
                 ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                 AttributeDefinitions=[DEFINITIONS[0], DEFINITIONS[2]], GlobalSecondaryIndexes=gsi) == (
        "ValidationException", "One or more parameter values were invalid: ProvisionedThroughput must be specified for "
        "index: gsi")
