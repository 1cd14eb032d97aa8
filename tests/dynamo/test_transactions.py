"""TransactWriteItems and TransactGetItems: all-or-nothing writes, cancellation reasons, snapshot reads."""

from __future__ import annotations

from typing import Any

from .conftest import error


def _key(k: str) -> dict[str, Any]:
    return {"pk": {"S": k}}


def test_transaction_commits_all_or_nothing(client: Any, table: str, make_table: Any) -> None:
    other = make_table()
    client.put_item(TableName=table, Item={**_key("acct-a"), "balance": {"N": "100"}})
    client.put_item(TableName=table, Item={**_key("acct-b"), "balance": {"N": "0"}})
    move = [
        {"Update": {"TableName": table, "Key": _key("acct-a"), "UpdateExpression": "SET balance = balance - :v",
                    "ConditionExpression": "balance >= :v", "ExpressionAttributeValues": {":v": {"N": "60"}}}},
        {"Update": {"TableName": table, "Key": _key("acct-b"), "UpdateExpression": "SET balance = balance + :v",
                    "ExpressionAttributeValues": {":v": {"N": "60"}}}},
        {"Put": {"TableName": other, "Item": {**_key("log-1"), "amount": {"N": "60"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
    ]
    client.transact_write_items(TransactItems=move)
    got = client.transact_get_items(TransactItems=[
        {"Get": {"TableName": table, "Key": _key("acct-a")}}, {"Get": {"TableName": table, "Key": _key("acct-b")}},
        {"Get": {"TableName": other, "Key": _key("missing"), "ProjectionExpression": "pk"}}])
    assert [r.get("Item", {}).get("balance") for r in got["Responses"]] == [{"N": "40"}, {"N": "60"}, None]
    assert got["Responses"][2] == {}

    try:
        client.transact_write_items(TransactItems=move[:2] + [
            {"ConditionCheck": {"TableName": other, "Key": _key("log-1"), "ConditionExpression": "amount = :v",
                                "ExpressionAttributeValues": {":v": {"N": "60"}}}}])
    except client.exceptions.TransactionCanceledException as exc:
        assert exc.response["Error"]["Message"] == ("Transaction cancelled, please refer cancellation reasons for "
                                                    "specific reasons [ConditionalCheckFailed, None, None]")
        assert [r["Code"] for r in exc.response["CancellationReasons"]] == ["ConditionalCheckFailed", "None", "None"]
    else:
        raise AssertionError("the transfer should be cancelled: balance 40 < 60")
    balances = [client.get_item(TableName=table, Key=_key(k))["Item"]["balance"]["N"] for k in ("acct-a", "acct-b")]
    assert balances == ["40", "60"]  # nothing of the cancelled transaction was applied


def test_transaction_validation(client: Any, table: str) -> None:
    same = [{"Put": {"TableName": table, "Item": _key("x")}}, {"Delete": {"TableName": table, "Key": _key("x")}}]
    assert error(client.transact_write_items, TransactItems=same) == (
        "ValidationException", "Transaction request cannot include multiple operations on one item")
    code, message = error(client.transact_write_items, TransactItems=[
        {"Put": {"TableName": table, "Item": _key("y")}, "Delete": {"TableName": table, "Key": _key("y")}}])
    assert (code, message) == ("ValidationException", "TransactItems can only contain one of Check, Put, Update or Delete")


def test_resource_style_transaction_with_failure_item(client: Any, table: str) -> None:
    client.put_item(TableName=table, Item={**_key("locked"), "owner": {"S": "me"}})
    try:
        client.transact_write_items(TransactItems=[{"Put": {
            "TableName": table, "Item": {**_key("locked"), "owner": {"S": "you"}},
            "ConditionExpression": "attribute_not_exists(pk)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}])
    except client.exceptions.TransactionCanceledException as exc:
        assert exc.response["CancellationReasons"][0]["Item"] == {**_key("locked"), "owner": {"S": "me"}}
    else:
        raise AssertionError("condition should fail")
