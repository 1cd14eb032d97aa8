"""UpdateItem: every UpdateExpression action, document paths, return values and DynamoDB's errors."""

from __future__ import annotations

from typing import Any

from .conftest import error

KEY = {"pk": {"S": "u"}}


def _update(client: Any, table: str, expression: str, values: dict | None = None, names: dict | None = None,
            returns: str = "ALL_NEW") -> dict:
    kwargs: dict[str, Any] = {"TableName": table, "Key": KEY, "UpdateExpression": expression, "ReturnValues": returns}
    if values:
        kwargs["ExpressionAttributeValues"] = values
    if names:
        kwargs["ExpressionAttributeNames"] = names
    return client.update_item(**kwargs).get("Attributes", {})


def test_set_arithmetic_and_functions(client: Any, table: str) -> None:
    item = _update(client, table, "SET n = :one, l = :l, m = :m", {":one": {"N": "1"}, ":l": {"L": [{"S": "a"}]},
                                                                   ":m": {"M": {"x": {"N": "1"}}}})
    assert item["pk"] == {"S": "u"} and item["n"] == {"N": "1"}
    item = _update(client, table, "SET n = n + :two, o = if_not_exists(o, :two), l = list_append(:l, l)",
                   {":two": {"N": "2"}, ":l": {"L": [{"S": "z"}]}})
    assert item["n"] == {"N": "3"} and item["o"] == {"N": "2"} and item["l"] == {"L": [{"S": "z"}, {"S": "a"}]}
    item = _update(client, table, "SET n = n - :ten, m.y = m.x, l[5] = :s", {":ten": {"N": "10.5"}, ":s": {"S": "end"}})
    assert item["n"] == {"N": "-7.5"} and item["m"] == {"M": {"x": {"N": "1"}, "y": {"N": "1"}}}
    assert item["l"]["L"][-1] == {"S": "end"} and len(item["l"]["L"]) == 3


def test_remove_add_delete(client: Any, table: str) -> None:
    _update(client, table, "SET l = :l, a = :a, s = :s", {":l": {"L": [{"N": str(i)} for i in range(5)]},
                                                          ":a": {"N": "1"}, ":s": {"SS": ["x", "y", "z"]}})
    item = _update(client, table, "REMOVE l[1], l[3], a")
    assert item["l"] == {"L": [{"N": "0"}, {"N": "2"}, {"N": "4"}]} and "a" not in item
    _update(client, table, "ADD c :five, s :more", {":five": {"N": "5"}, ":more": {"SS": ["w"]}})
    item = _update(client, table, "DELETE s :gone", {":gone": {"SS": ["x", "q"]}})
    assert item["c"] == {"N": "5"} and sorted(item["s"]["SS"]) == ["w", "y", "z"]
    item = _update(client, table, "ADD c :five DELETE s :all", {":five": {"N": "5"}, ":all": {"SS": ["w", "y", "z"]}})
    assert item["c"] == {"N": "10"} and "s" not in item


def test_updated_old_and_new(client: Any, table: str) -> None:
    _update(client, table, "SET a = :one, b = :one", {":one": {"N": "1"}})
    assert _update(client, table, "SET a = :two", {":two": {"N": "2"}}, returns="UPDATED_OLD") == {"a": {"N": "1"}}
    assert _update(client, table, "SET a = :three", {":three": {"N": "3"}}, returns="UPDATED_NEW") == {"a": {"N": "3"}}
    assert _update(client, table, "SET b = :two", {":two": {"N": "2"}}, returns="ALL_OLD")["b"] == {"N": "1"}
    assert _update(client, table, "SET b = :two", {":two": {"N": "2"}}, returns="NONE") == {}


def test_update_creates_item_and_checks_condition(client: Any, table: str) -> None:
    code, _ = error(client.update_item, TableName=table, Key=KEY, UpdateExpression="SET a = :a",
                    ConditionExpression="attribute_exists(pk)", ExpressionAttributeValues={":a": {"N": "1"}})
    assert code == "ConditionalCheckFailedException"
    client.update_item(TableName=table, Key=KEY, UpdateExpression="SET a = :a",
                       ConditionExpression="attribute_not_exists(pk)", ExpressionAttributeValues={":a": {"N": "1"}})
    assert client.get_item(TableName=table, Key=KEY)["Item"] == {**KEY, "a": {"N": "1"}}


def test_legacy_attribute_updates(client: Any, table: str) -> None:
    client.update_item(TableName=table, Key=KEY, AttributeUpdates={
        "a": {"Action": "PUT", "Value": {"S": "x"}}, "n": {"Action": "ADD", "Value": {"N": "2"}}})
    client.update_item(TableName=table, Key=KEY, AttributeUpdates={"a": {"Action": "DELETE"},
                                                                   "n": {"Action": "ADD", "Value": {"N": "3"}}})
    assert client.get_item(TableName=table, Key=KEY)["Item"] == {**KEY, "n": {"N": "5"}}


def test_update_errors(client: Any, table: str) -> None:
    def fails(expression: str, values: dict | None = None, names: dict | None = None) -> str:
        kwargs: dict[str, Any] = {"TableName": table, "Key": KEY, "UpdateExpression": expression}
        if values:
            kwargs["ExpressionAttributeValues"] = values
        if names:
            kwargs["ExpressionAttributeNames"] = names
        code, message = error(client.update_item, **kwargs)
        assert code == "ValidationException"
        return message

    _update(client, table, "SET s = :s, m = :m", {":s": {"S": "str"}, ":m": {"M": {}}})
    assert fails("SET pk = :v", {":v": {"S": "x"}}) == (
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key")
    assert fails("ADD s :v DELETE s :v", {":v": {"SS": ["x"]}}) == (
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these "
        "paths; path one: [s], path two: [s]")
    assert fails("SET a = :v REMOVE a.b", {":v": {"S": "x"}}) == (
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these "
        "paths; path one: [a], path two: [a, b]")
    assert fails("ADD s :one", {":one": {"N": "1"}}) == "An operand in the update expression has an incorrect data type"
    assert fails("ADD x :s", {":s": {"S": "a"}}) == (
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: "
        "STRING")
    assert fails("SET a = nothere + :one", {":one": {"N": "1"}}) == (
        "The provided expression refers to an attribute that does not exist in the item")
    assert fails("SET nope.deeper = :one", {":one": {"N": "1"}}) == (
        "The document path provided in the update expression is invalid for update")
    assert fails("SET a = :one SET b = :one", {":one": {"N": "1"}}) == (
        'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;')
    assert fails("SET name = :one", {":one": {"N": "1"}}) == (
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name")
    assert fails("SET a = list_append(:one, s)", {":one": {"N": "1"}}) == (
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: "
        "list_append, operand type: N")
    assert fails("SET a = :v", {":v": {"S": "x"}, ":unused": {"S": "y"}}) == (
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}")
    assert fails("SET #a = :v", {":v": {"S": "x"}}, {"#b": "b", "#a": "a"}) == (
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}")
    assert fails("SET a = :v") == (
        "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute "
        "value: :v")
    assert fails("SET #a = :v", {":v": {"S": "x"}}) == (
        "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; "
        "attribute name: #a")
    assert fails("SET a = :v,", {":v": {"S": "x"}}) == (
        'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","')
    assert fails("SET a = = :v", {":v": {"S": "x"}}) == 'Invalid UpdateExpression: Syntax error; token: "=", near: "= = :v"'
    big = {":v": {"S": "x" * (400 * 1024)}}
    assert fails("SET a = :v", big) == "Item size to update has exceeded the maximum allowed size"


def test_resource_update_add(resource: Any, table: str) -> None:
    t = resource.Table(table)
    for _ in range(3):
        t.update_item(Key={"pk": "counter"}, UpdateExpression="ADD hits :one", ExpressionAttributeValues={":one": 1})
    assert t.get_item(Key={"pk": "counter"})["Item"]["hits"] == 3


def test_concurrent_conditional_updates_are_atomic(endpoint: str, table: str) -> None:
    """Read-check-write runs on the writer thread one request at a time: no lost updates, one winner."""
    from concurrent.futures import ThreadPoolExecutor

    import boto3
    from botocore.config import Config

    from .conftest import CREDENTIALS

    def worker(n: int) -> int:
        c = boto3.client("dynamodb", endpoint_url=endpoint, config=Config(retries={"max_attempts": 1}), **CREDENTIALS)
        won = 0
        for _ in range(25):
            c.update_item(TableName=table, Key={"pk": {"S": "atomic"}}, UpdateExpression="ADD n :one",
                          ExpressionAttributeValues={":one": {"N": "1"}})
        try:
            c.put_item(TableName=table, Item={"pk": {"S": "lock"}, "owner": {"N": str(n)}},
                       ConditionExpression="attribute_not_exists(pk)")
            won = 1
        except c.exceptions.ConditionalCheckFailedException:
            pass
        return won

    with ThreadPoolExecutor(8) as pool:
        winners = sum(pool.map(worker, range(8)))
    client = boto3.client("dynamodb", endpoint_url=endpoint, **CREDENTIALS)
    assert client.get_item(TableName=table, Key={"pk": {"S": "atomic"}})["Item"]["n"] == {"N": "200"}
    assert winners == 1
