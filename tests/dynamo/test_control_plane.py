"""CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable, tags, limits, waiters, regions."""

from __future__ import annotations

from typing import Any

import boto3

from .conftest import _CONFIG, CREDENTIALS, error, unique_name


def test_create_describe_delete_with_waiters(client: Any) -> None:
    name = unique_name()
    created = client.create_table(
        TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7},
        SSESpecification={"Enabled": True}, TableClass="STANDARD_INFREQUENT_ACCESS", DeletionProtectionEnabled=False,
        Tags=[{"Key": "team", "Value": "core"}])["TableDescription"]
    assert created["TableStatus"] == "CREATING"
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1})
    table = client.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE" and table["ItemCount"] == 0 and table["TableSizeBytes"] == 0
    assert table["TableArn"] == f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert table["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert client.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"] == [{"Key": "team", "Value": "core"}]
    client.put_item(TableName=name, Item={"id": {"S": "abc"}, "v": {"S": "12345"}})
    table = client.describe_table(TableName=name)["Table"]
    assert table["ItemCount"] == 1 and table["TableSizeBytes"] == len("id") + 3 + len("v") + 5
    assert client.delete_table(TableName=name)["TableDescription"]["TableStatus"] == "DELETING"
    client.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1})
    assert error(client.describe_table, TableName=name) == (
        "ResourceNotFoundException", f"Requested resource not found: Table: {name} not found")


def test_create_table_errors(client: Any, make_table: Any) -> None:
    name = make_table()
    assert error(client.create_table, TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                 BillingMode="PAY_PER_REQUEST") == ("ResourceInUseException", f"Table already exists: {name}")
    def fails(**kwargs: Any) -> str:
        kwargs.setdefault("TableName", unique_name())
        code, message = error(client.create_table, **kwargs)
        assert code == "ValidationException"
        return message

    hash_only = [{"AttributeName": "a", "KeyType": "HASH"}]
    assert fails(KeySchema=hash_only, AttributeDefinitions=[{"AttributeName": "b", "AttributeType": "S"}],
                 BillingMode="PAY_PER_REQUEST") == (
        "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. "
        "Keys: [a], AttributeDefinitions: [b]")
    assert fails(KeySchema=hash_only, AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"},
                                                            {"AttributeName": "b", "AttributeType": "S"}],
                 BillingMode="PAY_PER_REQUEST") == (
        "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number "
        "of attributes defined in AttributeDefinitions")
    assert fails(KeySchema=[{"AttributeName": "a", "KeyType": "RANGE"}, {"AttributeName": "b", "KeyType": "HASH"}],
                 AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"},
                                       {"AttributeName": "b", "AttributeType": "S"}],
                 BillingMode="PAY_PER_REQUEST") == "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"
    assert fails(KeySchema=hash_only, AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}]) == (
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified "
        "when BillingMode is PROVISIONED")
    assert fails(TableName="ab", KeySchema=hash_only, AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
                 BillingMode="PAY_PER_REQUEST") == (
        "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length "
        "greater than or equal to 3")
    assert fails(TableName="a!", KeySchema=hash_only, AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
                 BillingMode="PAY_PER_REQUEST") == (
        "2 validation errors detected: Value 'a!' at 'tableName' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: [a-zA-Z0-9_.-]+; Value 'a!' at 'tableName' failed to satisfy constraint: Member "
        "must have length greater than or equal to 3")


def test_key_attribute_names_are_limited_to_255_bytes(client: Any) -> None:
    long_name = "k" * 256
    code, message = error(client.create_table, TableName=unique_name(), BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": long_name, "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": long_name, "AttributeType": "S"}])
    assert code == "ValidationException" and message.startswith("2 validation errors detected: ")
    assert f"Value '{long_name}' at 'keySchema.1.member.attributeName' failed to satisfy constraint: Member must " \
           "have length less than or equal to 255" in message


def test_list_tables_pagination(client: Any, make_table: Any) -> None:
    names = sorted(make_table(TableName=f"lst-{i:02d}") for i in range(5))
    first = client.list_tables(ExclusiveStartTableName="lst-", Limit=2)
    assert first["TableNames"] == names[:2] and first["LastEvaluatedTableName"] == names[1]
    listed = [n for page in client.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2})
              for n in page["TableNames"]]
    assert all(n in listed for n in names)


def test_update_table(client: Any, make_table: Any) -> None:
    name = make_table(BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    updated = client.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4})
    assert updated["TableDescription"]["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert error(client.update_table, TableName=name,
                 ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4})[1].startswith(
        "The provisioned throughput for the table will not change.")
    client.update_table(TableName=name, BillingMode="PAY_PER_REQUEST", DeletionProtectionEnabled=True)
    table = client.describe_table(TableName=name)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST" and table["DeletionProtectionEnabled"]
    assert error(client.delete_table, TableName=name) == (
        "ResourceInUseException", "Resource cannot be deleted as it is currently protected against deletion. Disable "
        "deletion protection first")
    client.update_table(TableName=name, DeletionProtectionEnabled=False)


def test_tags(client: Any, make_table: Any) -> None:
    arn = client.describe_table(TableName=make_table())["Table"]["TableArn"]
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    client.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert client.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    missing = arn + "-gone"
    assert error(client.list_tags_of_resource, ResourceArn=missing) == (
        "ResourceNotFoundException", f"Requested resource not found: ResourcArn: {missing} not found")


def test_limits_and_endpoints(client: Any) -> None:
    assert client.describe_limits()["TableMaxReadCapacityUnits"] == 40000
    assert client.describe_endpoints()["Endpoints"][0]["Address"] == "dynamodb.us-east-1.amazonaws.com"


def test_regions_are_separate(endpoint: str, make_table: Any) -> None:
    name = make_table()
    elsewhere = boto3.client("dynamodb", endpoint_url=endpoint, config=_CONFIG,
                             **{**CREDENTIALS, "region_name": "eu-west-1"})
    assert name not in elsewhere.list_tables()["TableNames"]
    assert error(elsewhere.describe_table, TableName=name)[0] == "ResourceNotFoundException"
