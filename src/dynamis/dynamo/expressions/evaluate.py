"""Evaluation of parsed expressions against items: conditions, updates, projections, key conditions.

`ExpressionContext` binds one request's ExpressionAttributeNames/Values: it checks that every placeholder
an expression uses is defined and, at the end, that every one defined was used — DynamoDB's rules.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from ..errors import DynamoError, invalid_param, validation
from ..values import (
    DECIMAL_CONTEXT,
    check_value,
    format_decimal,
    scalar_order_key,
    values_equal,
)
from .parser import Parsed, parse, path_text

_TYPE_NAMES = ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")
_LONG_TYPE = {"S": "STRING", "N": "NUMBER", "B": "BINARY", "BOOL": "BOOLEAN", "NULL": "NULL", "M": "MAP",
              "L": "LIST", "SS": "SET", "NS": "SET", "BS": "SET"}
_SETS = ("SS", "NS", "BS")


def _invalid_path() -> DynamoError:
    return validation("The document path provided in the update expression is invalid for update")


def _bad_operand_type() -> DynamoError:
    return validation("An operand in the update expression has an incorrect data type")


class ExpressionContext:
    """One request's placeholder bindings and the bookkeeping of which were used."""

    def __init__(self, names: Any, values: Any) -> None:
        if names is not None and not names:
            raise validation("ExpressionAttributeNames must not be empty")
        if values is not None and not values:
            raise validation("ExpressionAttributeValues must not be empty")
        self.names: dict[str, str] = names or {}
        self.values: dict[str, Any] = values or {}
        for key in self.names:
            if not key.startswith("#"):
                raise validation(f'ExpressionAttributeNames contains invalid key: Syntax error; key: "{key}"')
        for key in self.values:
            if not key.startswith(":"):
                raise validation(f'ExpressionAttributeValues contains invalid key: Syntax error; key: "{key}"')
        for key, value in self.values.items():
            try:
                check_value(value)
            except DynamoError as exc:
                raise validation(f"ExpressionAttributeValues contains invalid value: {exc.message} for key {key}"
                                 ) from None
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()
        self.any_expression = False

    def parse(self, text: Any, kind: str) -> Parsed:
        """Parse an expression parameter and check its placeholders against this request's bindings."""
        if not isinstance(text, str):
            raise DynamoError("SerializationException", "NUMBER_VALUE cannot be converted to String")
        parsed = parse(text, kind)
        self.any_expression = True
        for name in parsed.names:
            if name not in self.names:
                raise validation(f"Invalid {kind}: An expression attribute name used in the document path is "
                                 f"not defined; attribute name: {name}")
        for value in parsed.values:
            if value not in self.values:
                raise validation(f"Invalid {kind}: An expression attribute value used in expression is not "
                                 f"defined; attribute value: {value}")
        self.used_names |= parsed.names
        self.used_values |= parsed.values
        return parsed

    def finish(self) -> None:
        """Raise DynamoDB's errors for placeholders that were provided but never used."""
        if self.names and not self.any_expression:
            raise validation("ExpressionAttributeNames can only be specified when using expressions")
        if self.values and not self.any_expression:
            raise validation("ExpressionAttributeValues can only be specified when using expressions")
        unused = [k for k in self.names if k not in self.used_names]
        if unused:
            raise validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {"
                             + ", ".join(unused) + "}")
        unused = [k for k in self.values if k not in self.used_values]
        if unused:
            raise validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {"
                             + ", ".join(unused) + "}")

    def resolve(self, path: tuple) -> tuple:
        """A path with its #placeholders replaced: a tuple of attribute names (str) and list indexes (int)."""
        names = self.names
        return tuple(names[v] if k == "#" else v for k, v in path[1])


# -- reading --------------------------------------------------------------------------------------------
def get_path(item: dict[str, Any], path: tuple) -> Any:
    """The value at a resolved path, or None when absent."""
    value = item.get(path[0])
    for elem in path[1:]:
        if value is None:
            return None
        if isinstance(elem, int):
            inner = value.get("L")
            value = inner[elem] if inner is not None and elem < len(inner) else None
        else:
            inner = value.get("M")
            value = inner.get(elem) if inner is not None else None
    return value


def operand_value(node: tuple, item: dict[str, Any], ctx: ExpressionContext) -> Any:
    """Evaluate an operand to an attribute value, or None when it names a missing attribute."""
    kind = node[0]
    if kind == "path":
        return get_path(item, ctx.resolve(node))
    if kind == "val":
        return ctx.values[node[1]]
    if kind == "lit":
        return node[1]
    if kind == "size":
        value = operand_value(node[1], item, ctx)
        if value is None:
            return None
        ((t, inner),) = value.items()
        if t == "S":
            return {"N": str(len(inner.encode()))}
        if t == "B":
            return {"N": str(len(scalar_order_key(value)))}
        if t in ("M", "L", "SS", "NS", "BS"):
            return {"N": str(len(inner))}
        return None
    raise validation(f"Invalid operand: {kind}")  # pragma: no cover - parser never builds others here


def _ordered(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a.keys() == b.keys() and next(iter(a)) in ("S", "N", "B")


def _compare(op: str, a: Any, b: Any) -> bool:
    if op == "=":
        return a is not None and b is not None and values_equal(a, b)
    if op == "<>":
        return not (a is not None and b is not None and values_equal(a, b))
    if not _ordered(a, b):
        return False
    x, y = scalar_order_key(a), scalar_order_key(b)
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    return x >= y


def condition_holds(node: tuple, item: dict[str, Any], ctx: ExpressionContext, kind: str) -> bool:
    """Evaluate a condition AST against an item ({} when the item does not exist)."""
    tag = node[0]
    if tag == "and":
        return condition_holds(node[1], item, ctx, kind) and condition_holds(node[2], item, ctx, kind)
    if tag == "or":
        return condition_holds(node[1], item, ctx, kind) or condition_holds(node[2], item, ctx, kind)
    if tag == "not":
        return not condition_holds(node[1], item, ctx, kind)
    if tag == "cmp":
        return _compare(node[1], operand_value(node[2], item, ctx), operand_value(node[3], item, ctx))
    if tag == "between":
        value = operand_value(node[1], item, ctx)
        low, high = operand_value(node[2], item, ctx), operand_value(node[3], item, ctx)
        if _ordered(low, high) and scalar_order_key(low) > scalar_order_key(high):
            raise validation(
                f"Invalid {kind}: The BETWEEN operator requires upper bound to be greater than or equal to lower "
                f"bound; lower bound operand: AttributeValue: {_show(low)}, upper bound operand: AttributeValue: "
                f"{_show(high)}")
        return _compare(">=", value, low) and _compare("<=", value, high)
    if tag == "in":
        value = operand_value(node[1], item, ctx)
        return value is not None and any(_compare("=", value, operand_value(o, item, ctx)) for o in node[2])
    return _function(node[1], node[2], item, ctx, kind)


def _show(value: dict[str, Any]) -> str:
    ((t, inner),) = value.items()
    return "{" + f"{t}:{inner}" + "}"


def _function(name: str, args: tuple, item: dict[str, Any], ctx: ExpressionContext, kind: str) -> bool:
    if name == "attribute_exists":
        return operand_value(args[0], item, ctx) is not None
    if name == "attribute_not_exists":
        return operand_value(args[0], item, ctx) is None
    value = operand_value(args[0], item, ctx)
    other = operand_value(args[1], item, ctx)
    if name == "attribute_type":
        wanted = other.get("S") if other is not None else None
        if wanted not in _TYPE_NAMES:
            raise validation(f"Invalid {kind}: Invalid attribute type name found; type: "
                             f"{wanted if wanted is not None else next(iter(other))}, "
                             "valid types: { B,BOOL,BS,L,M,N,NS,NULL,S,SS }")
        return value is not None and wanted in value
    if name == "begins_with":
        if args[1][0] == "val" and next(iter(other)) not in ("S", "B"):
            raise validation(f"Invalid {kind}: Incorrect operand type for operator or function; operator or "
                             f"function: begins_with, operand type: {next(iter(other))}")
        if value is None or other is None or value.keys() != other.keys() or next(iter(value)) not in "SB":
            return False
        if "S" in value:
            return value["S"].startswith(other["S"])
        return scalar_order_key(value).startswith(scalar_order_key(other))
    # contains
    if value is None or other is None:
        return False
    ((t, inner),) = value.items()
    if t == "S":
        return "S" in other and other["S"] in inner
    if t == "B":
        return "B" in other and scalar_order_key(other) in scalar_order_key(value)
    if t in _SETS:
        member_type = t[0]
        if member_type not in other:
            return False
        if t == "NS":
            return Decimal(other["N"]) in {Decimal(n) for n in inner}
        return other[member_type] in inner
    if t == "L":
        return any(values_equal(v, other) for v in inner)
    return False


# -- projection -----------------------------------------------------------------------------------------
def check_overlaps(paths: list[tuple], kind: str) -> None:
    """DynamoDB rejects expressions naming a path and one of its ancestors (or itself) twice."""
    for i, one in enumerate(paths):
        for two in paths[i + 1:]:
            shorter = min(len(one), len(two))
            if one[:shorter] == two[:shorter]:
                raise validation(
                    f"Invalid {kind}: Two document paths overlap with each other; must remove or rewrite one of "
                    f"these paths; path one: {path_text(('path', _elems(one)))}, "
                    f"path two: {path_text(('path', _elems(two)))}")


def _elems(path: tuple) -> tuple:
    return tuple(("i", e) if isinstance(e, int) else ("n", e) for e in path)


def project(item: dict[str, Any], paths: list[tuple]) -> dict[str, Any]:
    """The parts of an item named by resolved paths, keeping map and list structure."""
    tree: dict[Any, Any] = {}
    for path in paths:
        if get_path(item, path) is None:
            continue
        node = tree
        for elem in path[:-1]:
            child = node.get(elem)
            if child is True:  # an ancestor is projected whole already
                break
            node = node.setdefault(elem, {})
        else:
            node[path[-1]] = True
    return {name: _render(item[name], sub) for name, sub in tree.items()}


def _render(value: dict[str, Any], sub: Any) -> dict[str, Any]:
    if sub is True:
        return value
    if "M" in value:
        return {"M": {k: _render(value["M"][k], s) for k, s in sub.items()}}
    return {"L": [_render(value["L"][i], sub[i]) for i in sorted(sub)]}


def projection_paths(parsed: Parsed, ctx: ExpressionContext) -> list[tuple]:
    """Resolved, overlap-checked paths of a ProjectionExpression."""
    paths = [ctx.resolve(p) for p in parsed.ast]
    check_overlaps(paths, "ProjectionExpression")
    return paths


# -- update ---------------------------------------------------------------------------------------------
def _update_operand(node: tuple, item: dict[str, Any], ctx: ExpressionContext) -> Any:
    kind = node[0]
    if kind in ("+", "-"):
        left = _update_operand(node[1], item, ctx)
        right = _update_operand(node[2], item, ctx)
        for side, operand in ((left, node[1]), (right, node[2])):
            if "N" not in side:
                if operand[0] == "val":
                    raise validation(f"Invalid UpdateExpression: Incorrect operand type for operator or function; "
                                     f"operator or function: {kind}, operand type: {next(iter(side))}")
                raise _bad_operand_type()
        x, y = Decimal(left["N"]), Decimal(right["N"])
        result = DECIMAL_CONTEXT.add(x, y) if kind == "+" else DECIMAL_CONTEXT.subtract(x, y)
        return {"N": format_decimal(result)}
    if kind == "if_not_exists":
        existing = get_path(item, ctx.resolve(node[1]))
        return copy.deepcopy(existing) if existing is not None else _update_operand(node[2], item, ctx)
    if kind == "list_append":
        left = _update_operand(node[1], item, ctx)
        right = _update_operand(node[2], item, ctx)
        for side, operand in ((left, node[1]), (right, node[2])):
            if "L" not in side:
                if operand[0] == "val":
                    raise validation("Invalid UpdateExpression: Incorrect operand type for operator or function; "
                                     f"operator or function: list_append, operand type: {next(iter(side))}")
                raise _bad_operand_type()
        return {"L": left["L"] + right["L"]}
    value = operand_value(node, item, ctx)
    if value is None:
        raise validation("The provided expression refers to an attribute that does not exist in the item")
    return copy.deepcopy(value) if kind == "path" else value


def _container(item: dict[str, Any], path: tuple) -> Any:
    """The map (dict) or list holding the last element of `path`, or raise DynamoDB's invalid-path error."""
    if len(path) == 1:
        return item
    parent = get_path(item, path[:-1])
    want = "L" if isinstance(path[-1], int) else "M"
    if parent is None or want not in parent:
        raise _invalid_path()
    return parent[want]


def _assign(item: dict[str, Any], path: tuple, value: Any) -> None:
    holder = _container(item, path)
    last = path[-1]
    if isinstance(last, int) and last >= len(holder):
        holder.append(value)
    else:
        holder[last] = value


def apply_update(
    parsed: Parsed, item: dict[str, Any], ctx: ExpressionContext, key_names: tuple[str, ...]
) -> list[tuple]:
    """Apply an UpdateExpression to `item` in place; return the resolved paths it touched."""
    clauses = parsed.ast
    sets = [(ctx.resolve(p), v) for p, v in clauses.get("SET", ())]
    removes = [ctx.resolve(p) for p in clauses.get("REMOVE", ())]
    adds = [(ctx.resolve(p), v) for p, v in clauses.get("ADD", ())]
    deletes = [(ctx.resolve(p), v) for p, v in clauses.get("DELETE", ())]
    touched = [p for p, _ in sets] + removes + [p for p, _ in adds] + [p for p, _ in deletes]
    for path in touched:
        if path[0] in key_names:
            raise invalid_param(f"Cannot update attribute {path[0]}. This attribute is part of the key")
    check_overlaps(touched, "UpdateExpression")
    for op, actions, allowed in (("ADD", adds, ("N",) + _SETS), ("DELETE", deletes, _SETS)):
        for _, node in actions:
            t = next(iter(operand_value(node, {}, ctx)))
            if t not in allowed:
                raise validation(f"Invalid UpdateExpression: Incorrect operand type for operator or function; "
                                 f"operator: {op}, operand type: {_LONG_TYPE[t]}")
    # Every SET operand reads the item as it was before this update.
    new_values = [(path, _update_operand(node, item, ctx)) for path, node in sets]
    for path, value in new_values:
        _assign(item, path, value)
    # Remove list elements from the highest index down so earlier indexes stay valid.
    for path in sorted(removes, key=lambda p: p[-1] if isinstance(p[-1], int) else -1, reverse=True):
        holder = _container(item, path)
        last = path[-1]
        if isinstance(last, int):
            if last < len(holder):
                del holder[last]
        else:
            holder.pop(last, None)
    for path, node in adds:
        value = operand_value(node, {}, ctx)
        holder = _container(item, path)
        last = path[-1]
        existing = holder[last] if (last < len(holder) if isinstance(last, int) else last in holder) else None
        if existing is None:
            _assign(item, path, copy.deepcopy(value))
        elif "N" in value:
            if "N" not in existing:
                raise _bad_operand_type()
            total = DECIMAL_CONTEXT.add(Decimal(existing["N"]), Decimal(value["N"]))
            _assign(item, path, {"N": format_decimal(total)})
        else:
            t = next(iter(value))
            if t not in existing:
                raise _bad_operand_type()
            merged = list(existing[t]) + [v for v in value[t] if not _in_set(t, v, existing[t])]
            _assign(item, path, {t: merged})
    for path, node in deletes:
        value = operand_value(node, {}, ctx)
        existing = get_path(item, path)
        if existing is None:
            _container(item, path)
            continue
        t = next(iter(value))
        if t not in existing:
            raise _bad_operand_type()
        remaining = [v for v in existing[t] if not _in_set(t, v, value[t])]
        holder = _container(item, path)
        if remaining:
            holder[path[-1]] = {t: remaining}
        else:  # DynamoDB has no empty sets: deleting the last member removes the attribute
            del holder[path[-1]]
    return touched


def _in_set(t: str, member: str, members: list[str]) -> bool:
    if t == "NS":
        number = Decimal(member)
        return any(Decimal(m) == number for m in members)
    return member in members


# -- key conditions -------------------------------------------------------------------------------------
class KeyCondition:
    """A Query's key condition reduced to the partition key value and an optional sort key range."""

    __slots__ = ("hash_value", "op", "args")

    def __init__(self, hash_value: dict[str, Any], op: str | None, args: tuple) -> None:
        self.hash_value = hash_value
        self.op = op
        self.args = args


def key_condition(node: tuple, ctx: ExpressionContext, hash_key: tuple[str, str],
                  range_key: tuple[str, str] | None) -> KeyCondition:
    """Check a KeyConditionExpression AST against the key schema and reduce it to a KeyCondition."""
    parts = [node]
    if node[0] == "and":
        parts = [node[1], node[2]]
    by_name: dict[str, tuple] = {}
    for part in parts:
        if part[0] == "cmp" and part[1] != "<>":
            target, value = part[2], part[3]
            op = part[1]
        elif part[0] == "between":
            target, value, op = part[1], part[2], "BETWEEN"
            if part[3][0] not in ("val", "lit"):
                raise validation("Invalid KeyConditionExpression: Query key condition not supported")
        elif part[0] == "fn" and part[1] == "begins_with":
            target, value, op = part[2][0], part[2][1], "begins_with"
        elif part[0] == "fn" or part[0] in ("or", "not", "in", "and"):
            if part[0] == "fn":
                raise validation(f"Invalid KeyConditionExpression: Invalid function name; function: {part[1]}")
            raise validation("Invalid KeyConditionExpression: Query key condition not supported")
        else:
            raise validation("Invalid KeyConditionExpression: Query key condition not supported")
        if target[0] != "path" or value[0] not in ("val", "lit"):
            raise validation("Invalid KeyConditionExpression: Query key condition not supported")
        name = ctx.resolve(target)
        if len(name) != 1:
            raise validation("Invalid KeyConditionExpression: Query key condition not supported")
        if name[0] in by_name:
            raise validation("KeyConditionExpressions must only contain one condition per key")
        args = (value,) if op != "BETWEEN" else (value, part[3])
        by_name[name[0]] = (op, tuple(operand_value(a, {}, ctx) for a in args))
    hash_name, hash_type = hash_key
    if hash_name not in by_name:
        raise validation(f"Query condition missed key schema element: {hash_name}")
    op, (hash_value,) = by_name.pop(hash_name)
    if op != "=":
        raise validation("Query key condition not supported")
    if hash_type not in hash_value:
        raise invalid_param("Condition parameter type does not match schema type")
    if not by_name:
        return KeyCondition(hash_value, None, ())
    ((name, (op, args)),) = by_name.items()
    if range_key is None or name != range_key[0]:
        raise validation("Query condition missed key schema element: "
                         + (range_key[0] if range_key else name))
    if op == "begins_with" and range_key[1] == "N":
        raise validation("Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
                         "operator or function: begins_with, operand type: N")
    for arg in args:
        if range_key[1] not in arg:
            raise invalid_param("Condition parameter type does not match schema type")
    if op == "BETWEEN" and scalar_order_key(args[0]) > scalar_order_key(args[1]):
        raise validation(
            "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or "
            f"equal to lower bound; lower bound operand: AttributeValue: {_show(args[0])}, upper bound "
            f"operand: AttributeValue: {_show(args[1])}")
    return KeyCondition(hash_value, op, args)

