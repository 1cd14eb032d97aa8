"""Expression-language errors, with DynamoDB's exact messages."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import error


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"ConditionExpression": "a = "},
     'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "="'),
    ({"ConditionExpression": "   "}, "Invalid ConditionExpression: The expression can not be empty;"),
    ({"ConditionExpression": "size = :v", "ExpressionAttributeValues": {":v": {"N": "1"}}},
     "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: size"),
    ({"ConditionExpression": "nofunc(a)"}, "Invalid ConditionExpression: Invalid function name; function: nofunc"),
    ({"ConditionExpression": "attribute_exists(:v)", "ExpressionAttributeValues": {":v": {"N": "1"}}},
     "Invalid ConditionExpression: Operator or function requires a document path; operator or function: "
     "attribute_exists"),
    ({"ConditionExpression": "a = if_not_exists(a, :v)", "ExpressionAttributeValues": {":v": {"N": "1"}}},
     "Invalid ConditionExpression: The function is not allowed in a condition expression; function: if_not_exists"),
    ({"ConditionExpression": "attribute_type(a, :t)", "ExpressionAttributeValues": {":t": {"S": "X"}}},
     "Invalid ConditionExpression: Invalid attribute type name found; type: X, valid types: "
     "{ B,BOOL,BS,L,M,N,NS,NULL,S,SS }"),
    ({"ConditionExpression": "a BETWEEN :hi AND :lo",
      "ExpressionAttributeValues": {":hi": {"N": "9"}, ":lo": {"N": "1"}}},
     "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower "
     "bound; lower bound operand: AttributeValue: {N:9}, upper bound operand: AttributeValue: {N:1}"),
    ({"ConditionExpression": "a = :v", "ExpressionAttributeValues": {"v": {"N": "1"}}},
     'ExpressionAttributeValues contains invalid key: Syntax error; key: "v"'),
    ({"ConditionExpression": "a = :v", "ExpressionAttributeValues": {":v": {"N": "x"}}},
     "ExpressionAttributeValues contains invalid value: The parameter cannot be converted to a numeric value: x "
     "for key :v"),
    ({"ConditionExpression": "a = :v", "ExpressionAttributeValues": {}},
     "ExpressionAttributeValues must not be empty"),
    ({"ConditionExpression": "a = " + "a" * 5000},
     "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 5004"),
    ({"Expected": {"a": {"Exists": False}}, "ConditionExpression": "attribute_not_exists(a)"},
     "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: "
     "{Expected} Expression parameters: {ConditionExpression}"),
    ({"ExpressionAttributeNames": {"#a": "a"}},
     "ExpressionAttributeNames can only be specified when using expressions"),
])
def test_condition_expression_errors(client: Any, table: str, kwargs: dict, message: str) -> None:
    assert error(client.put_item, TableName=table, Item={"pk": {"S": "e"}}, **kwargs) == ("ValidationException", message)


def test_in_and_nested_parentheses(client: Any, table: str) -> None:
    client.put_item(TableName=table, Item={"pk": {"S": "p"}, "a": {"N": "3"}, "b": {"S": "x"}})
    client.put_item(TableName=table, Item={"pk": {"S": "p"}, "a": {"N": "3"}, "b": {"S": "x"}},
                    ConditionExpression="((a IN (:one, :three)) and (NOT b = :y)) or a > :three",
                    ExpressionAttributeValues={":one": {"N": "1"}, ":three": {"N": "3"}, ":y": {"S": "y"}})
