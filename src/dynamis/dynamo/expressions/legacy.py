"""DynamoDB's pre-expression parameters (Expected, KeyConditions, QueryFilter, ScanFilter, AttributeUpdates,
AttributesToGet) translated into the same ASTs the expression parser builds, with literal operands."""

from __future__ import annotations

from typing import Any

from ..errors import validation
from ..values import check_value
from .parser import Parsed

_ARITY = {"EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1, "NOT_NULL": 0, "NULL": 0, "CONTAINS": 1,
          "NOT_CONTAINS": 1, "BEGINS_WITH": 1, "BETWEEN": 2}
_CMP = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}


def _path(name: str) -> tuple:
    return ("path", (("n", name),))


def _condition(name: str, spec: dict[str, Any]) -> tuple:
    op = spec.get("ComparisonOperator")
    values = spec.get("AttributeValueList") or []
    for value in values:
        check_value(value)
    args = tuple(("lit", v) for v in values)
    if op == "IN":
        if not values:
            raise validation("One or more parameter values were invalid: Invalid number of argument(s) for the "
                             "IN ComparisonOperator")
        return ("in", _path(name), args)
    if op not in _ARITY:
        raise validation(f"1 validation error detected: Value '{op}' at 'comparisonOperator' failed to satisfy "
                         "constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, "
                         "EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]")
    if len(values) != _ARITY[op]:
        raise validation(f"One or more parameter values were invalid: Invalid number of argument(s) for the {op} "
                         "ComparisonOperator")
    if op in _CMP:
        return ("cmp", _CMP[op], _path(name), args[0])
    if op == "NOT_NULL":
        return ("fn", "attribute_exists", (_path(name),))
    if op == "NULL":
        return ("fn", "attribute_not_exists", (_path(name),))
    if op == "CONTAINS":
        return ("fn", "contains", (_path(name), args[0]))
    if op == "NOT_CONTAINS":
        return ("not", ("fn", "contains", (_path(name), args[0])))
    if op == "BEGINS_WITH":
        return ("fn", "begins_with", (_path(name), args[0]))
    return ("between", _path(name), args[0], args[1])


def _expected_condition(name: str, spec: dict[str, Any]) -> tuple:
    if "ComparisonOperator" in spec:
        return _condition(name, spec)
    exists = spec.get("Exists", True)
    if "Value" in spec:
        if exists is False:
            raise validation("One or more parameter values were invalid: Value cannot be used when Exists is "
                             "false for Attribute: " + name)
        check_value(spec["Value"])
        return ("cmp", "=", _path(name), ("lit", spec["Value"]))
    if exists is not False:
        raise validation("One or more parameter values were invalid: Value must be provided when Exists is "
                         "true for Attribute: " + name)
    return ("fn", "attribute_not_exists", (_path(name),))


def conditions(specs: dict[str, Any], operator: Any, expected: bool = False) -> Parsed | None:
    """A condition AST from Expected (expected=True), QueryFilter or ScanFilter and ConditionalOperator."""
    if not specs:
        return None
    build = _expected_condition if expected else _condition
    parts = [build(name, spec) for name, spec in specs.items()]
    node = parts[0]
    for part in parts[1:]:
        node = ("or" if operator == "OR" else "and", node, part)
    return Parsed(node, frozenset(), frozenset())


def key_conditions(specs: dict[str, Any]) -> Parsed:
    """A key-condition AST from the legacy KeyConditions map."""
    parsed = conditions(specs, "AND")
    assert parsed is not None
    return parsed


def attribute_updates(updates: dict[str, Any]) -> Parsed:
    """An update AST from the legacy AttributeUpdates map."""
    clauses: dict[str, list] = {}
    for name, spec in updates.items():
        action = spec.get("Action", "PUT")
        value = spec.get("Value")
        if value is not None:
            check_value(value)
        if action == "PUT":
            if value is None:
                raise validation("One or more parameter values were invalid: Only DELETE action is allowed when "
                                 "no attribute value is specified")
            clauses.setdefault("SET", []).append((_path(name), ("lit", value)))
        elif action == "DELETE" and value is None:
            clauses.setdefault("REMOVE", []).append(_path(name))
        elif action in ("ADD", "DELETE"):
            if value is None:
                raise validation("One or more parameter values were invalid: Only DELETE action is allowed when "
                                 "no attribute value is specified")
            clauses.setdefault(action, []).append((_path(name), ("lit", value)))
    return Parsed(clauses, frozenset(), frozenset())


def projection(names: list[str]) -> list[tuple]:
    """Resolved projection paths from AttributesToGet."""
    if len(set(names)) != len(names):
        raise validation("One or more parameter values were invalid: Duplicate value in attribute name: "
                         + next(n for n in names if names.count(n) > 1))
    return [(name,) for name in names]
