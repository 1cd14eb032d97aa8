"""DynamoDB error types: every failure an operation raises reaches the wire as `__type` + `message`."""

from __future__ import annotations

from typing import Any

_PREFIX = "com.amazonaws.dynamodb.v20120810#"
# DynamoDB's front end (coral) answers these itself, under its own namespaces.
_CORAL_PREFIX = {
    "ValidationException": "com.amazon.coral.validate#",
    "UnrecognizedClientException": "com.amazon.coral.service#",
    "InvalidSignatureException": "com.amazon.coral.service#",
    "MissingAuthenticationTokenException": "com.amazon.coral.service#",
    "IncompleteSignatureException": "com.amazon.coral.service#",
    "SerializationException": "com.amazon.coral.service#",
    "UnknownOperationException": "com.amazon.coral.service#",
}


class DynamoError(Exception):
    """An error DynamoDB would return; `code` is the short `__type` name."""

    status = 400

    def __init__(self, code: str, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra

    def to_wire(self) -> dict[str, Any]:
        """The JSON body DynamoDB sends for this error."""
        prefix = _CORAL_PREFIX.get(self.code, _PREFIX)
        body: dict[str, Any] = {"__type": prefix + self.code, "message": self.message}
        body.update(self.extra)
        return body


def constraint_errors(errors: list[str]) -> DynamoError:
    """The ValidationException listing failed member constraints: 'N validation error(s) detected: ...'."""
    count = len(errors)
    return validation(f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(errors))


def validation(message: str) -> DynamoError:
    """A ValidationException with DynamoDB's message text."""
    return DynamoError("ValidationException", message)


def invalid_param(message: str) -> DynamoError:
    """The common 'One or more parameter values were invalid: ...' validation error."""
    return DynamoError("ValidationException", "One or more parameter values were invalid: " + message)


def not_found(message: str = "Requested resource not found") -> DynamoError:
    """ResourceNotFoundException."""
    return DynamoError("ResourceNotFoundException", message)


def in_use(message: str) -> DynamoError:
    """ResourceInUseException."""
    return DynamoError("ResourceInUseException", message)


def condition_failed(item: dict | None = None) -> DynamoError:
    """ConditionalCheckFailedException, carrying the item when ReturnValuesOnConditionCheckFailure asks."""
    extra = {"Item": item} if item is not None else {}
    return DynamoError("ConditionalCheckFailedException", "The conditional request failed", **extra)
