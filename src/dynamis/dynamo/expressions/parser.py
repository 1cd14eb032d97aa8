"""Parser for DynamoDB's expression language: condition, key-condition, update and projection expressions.

An expression string parses once into a small tuple AST (cached by text), independent of the request's
ExpressionAttributeNames/Values; placeholders stay symbolic and are bound at evaluation time.

AST shapes:
  operands:   ("path", elems)  elems: tuple of ("n", name) | ("#", "#ph") | ("i", index)
              ("val", ":ph")   ("lit", attribute_value)   ("size", path)
              ("+" | "-", a, b)   ("if_not_exists", path, operand)   ("list_append", a, b)
  conditions: ("cmp", op, a, b)  ("between", a, lo, hi)  ("in", a, (ops...))
              ("and", x, y)  ("or", x, y)  ("not", x)  ("fn", name, (args...))
  update:     {"SET": [(path, operand)], "REMOVE": [path], "ADD": [(path, val)], "DELETE": [(path, val)]}
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..errors import DynamoError, validation
from .reserved import RESERVED_WORDS

MAX_EXPRESSION_BYTES = 4096
_TOKEN = re.compile(
    r"(?P<ws>\s+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<hash>#[A-Za-z0-9_]+)|(?P<colon>:[A-Za-z0-9_]+)"
    r"|(?P<num>\d+)|(?P<op><>|<=|>=|[=<>(),.\[\]+\-])|(?P<bad>.)",
    re.S,
)
COMPARATORS = frozenset({"=", "<>", "<", "<=", ">", ">="})
CONDITION_FUNCTIONS = frozenset({"attribute_exists", "attribute_not_exists", "attribute_type", "begins_with",
                                 "contains"})
UPDATE_FUNCTIONS = frozenset({"if_not_exists", "list_append"})
ALL_FUNCTIONS = CONDITION_FUNCTIONS | UPDATE_FUNCTIONS | {"size"}
_FUNCTION_ARITY = {"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2, "begins_with": 2,
                   "contains": 2, "size": 1, "if_not_exists": 2, "list_append": 2}
UPDATE_CLAUSES = ("SET", "REMOVE", "ADD", "DELETE")


class Parsed:
    """A parsed expression plus the placeholders it uses."""

    __slots__ = ("ast", "names", "values")

    def __init__(self, ast: Any, names: frozenset[str], values: frozenset[str]) -> None:
        self.ast = ast
        self.names = names
        self.values = values


class _Parser:
    def __init__(self, text: str, kind: str) -> None:
        self.kind = kind  # "ConditionExpression", "UpdateExpression", ... for error messages
        self.text = text
        self.tokens: list[tuple[str, str, int, int]] = []
        for m in _TOKEN.finditer(text):
            group = m.lastgroup
            if group == "ws":
                continue
            if group == "bad":
                raise self.error(f'Invalid token: "{m.group()}"')
            self.tokens.append((group, m.group(), m.start(), m.end()))
        self.pos = 0
        self.names: set[str] = set()
        self.values: set[str] = set()

    # -- helpers -------------------------------------------------------------------------------------
    def error(self, detail: str) -> DynamoError:
        return validation(f"Invalid {self.kind}: {detail}")

    def syntax_error(self) -> DynamoError:
        if self.pos >= len(self.tokens):
            token = "<EOF>"
            start = self.tokens[-1][2] if self.tokens else 0
            near = self.text[start:].strip()
        else:
            _, token, start, end = self.tokens[self.pos]
            begin = self.tokens[self.pos - 1][2] if self.pos > 0 else start
            stop = self.tokens[self.pos + 1][3] if self.pos + 1 < len(self.tokens) else end
            near = self.text[begin:stop]
        return self.error(f'Syntax error; token: "{token}", near: "{near}"')

    def peek(self) -> tuple[str, str]:
        if self.pos < len(self.tokens):
            kind, text, _, _ = self.tokens[self.pos]
            return kind, text
        return "eof", ""

    def peek_word(self) -> str:
        kind, text = self.peek()
        return text.upper() if kind == "name" else ""

    def take(self, text: str) -> None:
        if self.peek()[1] != text:
            raise self.syntax_error()
        self.pos += 1

    def done(self) -> None:
        if self.pos != len(self.tokens):
            raise self.syntax_error()

    # -- operands ------------------------------------------------------------------------------------
    def path(self) -> tuple:
        elems: list[tuple] = [self.path_name()]
        while True:
            kind, text = self.peek()
            if text == ".":
                self.pos += 1
                elems.append(self.path_name())
            elif text == "[":
                self.pos += 1
                kind, text = self.peek()
                if kind != "num":
                    raise self.syntax_error()
                self.pos += 1
                self.take("]")
                elems.append(("i", int(text)))
            else:
                return ("path", tuple(elems))

    def path_name(self) -> tuple:
        kind, text = self.peek()
        if kind == "hash":
            self.pos += 1
            self.names.add(text)
            return ("#", text)
        if kind == "name":
            if text.upper() in RESERVED_WORDS:
                raise self.error(f"Attribute name is a reserved keyword; reserved keyword: {text}")
            self.pos += 1
            return ("n", text)
        raise self.syntax_error()

    def operand(self, update: bool = False) -> tuple:
        kind, text = self.peek()
        if kind == "colon":
            self.pos += 1
            self.values.add(text)
            return ("val", text)
        if kind == "name" and self.pos + 1 < len(self.tokens) and self.tokens[self.pos + 1][1] == "(":
            return self.function(update, as_operand=True)
        if kind in ("name", "hash"):
            return self.path()
        raise self.syntax_error()

    def function(self, update: bool, as_operand: bool) -> tuple:
        _, name = self.peek()
        if name not in ALL_FUNCTIONS:
            raise self.error(f"Invalid function name; function: {name}")
        if as_operand and name in CONDITION_FUNCTIONS:
            raise self.error(f"The function is not allowed to be used this way in an expression; function: {name}")
        if update and name not in UPDATE_FUNCTIONS:
            raise self.error(f"The function is not allowed in an update expression; function: {name}")
        if not update and name in UPDATE_FUNCTIONS:
            raise self.error(f"The function is not allowed in a condition expression; function: {name}")
        if not as_operand and name == "size":
            raise self.error(f"The function is not allowed to be used this way in an expression; function: {name}")
        self.pos += 1
        self.take("(")
        args = [self.operand(update)]
        while self.peek()[1] == ",":
            self.pos += 1
            args.append(self.operand(update))
        self.take(")")
        if len(args) != _FUNCTION_ARITY[name]:
            raise self.error(f"Incorrect number of operands for operator or function; operator or function: "
                             f"{name}, number of operands: {len(args)}")
        if name in ("attribute_exists", "attribute_not_exists", "attribute_type", "size", "if_not_exists"):
            if args[0][0] != "path":
                raise self.error(f"Operator or function requires a document path; operator or function: {name}")
        if name == "size":
            return ("size", args[0])
        if name in UPDATE_FUNCTIONS:
            return (name, args[0], args[1])
        return ("fn", name, tuple(args))

    # -- conditions ----------------------------------------------------------------------------------
    def condition(self) -> tuple:
        left = self.conjunction()
        while self.peek_word() == "OR":
            self.pos += 1
            left = ("or", left, self.conjunction())
        return left

    def conjunction(self) -> tuple:
        left = self.negation()
        while self.peek_word() == "AND":
            self.pos += 1
            left = ("and", left, self.negation())
        return left

    def negation(self) -> tuple:
        if self.peek_word() == "NOT":
            self.pos += 1
            return ("not", self.negation())
        return self.primary()

    def primary(self) -> tuple:
        kind, text = self.peek()
        if text == "(":
            self.pos += 1
            inner = self.condition()
            self.take(")")
            return inner
        if (kind == "name" and text in CONDITION_FUNCTIONS and self.pos + 1 < len(self.tokens)
                and self.tokens[self.pos + 1][1] == "("):
            return self.function(update=False, as_operand=False)
        left = self.operand()
        kind, text = self.peek()
        if text in COMPARATORS:
            self.pos += 1
            return ("cmp", text, left, self.operand())
        word = self.peek_word()
        if word == "BETWEEN":
            self.pos += 1
            low = self.operand()
            if self.peek_word() != "AND":
                raise self.syntax_error()
            self.pos += 1
            return ("between", left, low, self.operand())
        if word == "IN":
            self.pos += 1
            self.take("(")
            options = [self.operand()]
            while self.peek()[1] == ",":
                self.pos += 1
                options.append(self.operand())
            self.take(")")
            if len(options) > 100:
                raise self.error("The IN operator is provided with too many operands; number of operands: "
                                 f"{len(options)}")
            return ("in", left, tuple(options))
        raise self.syntax_error()

    # -- update --------------------------------------------------------------------------------------
    def update(self) -> dict[str, list]:
        clauses: dict[str, list] = {}
        if not self.tokens:
            raise self.syntax_error()
        while self.pos < len(self.tokens):
            word = self.peek_word()
            if word not in UPDATE_CLAUSES:
                raise self.syntax_error()
            if word in clauses:
                raise self.error(f'The "{word}" section can only be used once in an update expression;')
            self.pos += 1
            actions = clauses[word] = [self.update_action(word)]
            while self.peek()[1] == ",":
                self.pos += 1
                actions.append(self.update_action(word))
        return clauses

    def update_action(self, clause: str) -> Any:
        target = self.path()
        if clause == "REMOVE":
            return target
        if clause == "SET":
            self.take("=")
            value = self.operand(update=True)
            if self.peek()[1] in ("+", "-"):
                op = self.peek()[1]
                self.pos += 1
                value = (op, value, self.operand(update=True))
            return (target, value)
        kind, text = self.peek()
        if kind != "colon":
            raise self.syntax_error()
        self.pos += 1
        self.values.add(text)
        return (target, ("val", text))

    def projection(self) -> list[tuple]:
        paths = [self.path()]
        while self.peek()[1] == ",":
            self.pos += 1
            paths.append(self.path())
        return paths

    def finish(self, ast: Any) -> Parsed:
        self.done()
        return Parsed(ast, frozenset(self.names), frozenset(self.values))


@lru_cache(maxsize=4096)
def parse(text: str, kind: str) -> Parsed:
    """Parse `text` as the expression parameter named `kind` (e.g. "ConditionExpression")."""
    if len(text.encode()) > MAX_EXPRESSION_BYTES:
        raise validation(f"Invalid {kind}: Expression size has exceeded the maximum allowed size; "
                         f"expression size: {len(text.encode())}")
    if not text.strip():
        raise validation(f"Invalid {kind}: The expression can not be empty;")
    parser = _Parser(text, kind)
    if kind == "UpdateExpression":
        return parser.finish(parser.update())
    if kind == "ProjectionExpression":
        return parser.finish(parser.projection())
    return parser.finish(parser.condition())


def path_text(path: tuple) -> str:
    """A path as DynamoDB prints it in overlap errors: [a, b, [2]]."""
    return "[" + ", ".join(f"[{v}]" if k == "i" else v for k, v in path[1]) + "]"
