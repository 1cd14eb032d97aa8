"""Shared fixtures: one DynamoDB server (on disk, free port) for the session, boto3 clients, table factories."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from dynamis.dynamo.server import DynamoOptions, DynamoServer, start_in_thread

_names = itertools.count()
CREDENTIALS = {"aws_access_key_id": "AKIDTEST", "aws_secret_access_key": "secret", "region_name": "us-east-1"}
_CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30)


@pytest.fixture(scope="session")
def dynamo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DynamoServer]:
    server, stop = start_in_thread(DynamoOptions(port=0, data_dir=str(tmp_path_factory.mktemp("dynamo"))))
    yield server
    stop()


@pytest.fixture(scope="session")
def endpoint(dynamo_server: DynamoServer) -> str:
    return f"http://127.0.0.1:{dynamo_server.port}"


@pytest.fixture(scope="session")
def client(endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=endpoint, config=_CONFIG, **CREDENTIALS)


@pytest.fixture(scope="session")
def resource(endpoint: str) -> Any:
    return boto3.resource("dynamodb", endpoint_url=endpoint, config=_CONFIG, **CREDENTIALS)


def unique_name(prefix: str = "tbl") -> str:
    return f"{prefix}-{next(_names)}"


@pytest.fixture
def make_table(client: Any) -> Iterator[Callable[..., str]]:
    """Create tables with a given key schema; they are deleted after the test."""
    created: list[str] = []

    def make(hash_key: tuple[str, str] = ("pk", "S"), range_key: tuple[str, str] | None = None,
             **extra: Any) -> str:
        name = extra.pop("TableName", None) or unique_name()
        schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
        definitions = [{"AttributeName": hash_key[0], "AttributeType": hash_key[1]}]
        if range_key:
            schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
            definitions.append({"AttributeName": range_key[0], "AttributeType": range_key[1]})
        extra.setdefault("BillingMode", "PAY_PER_REQUEST")
        client.create_table(TableName=name, KeySchema=schema, AttributeDefinitions=definitions, **extra)
        created.append(name)
        return name

    yield make
    for name in created:
        try:
            client.delete_table(TableName=name)
        except ClientError:
            pass


@pytest.fixture
def table(make_table: Callable[..., str]) -> str:
    """A table keyed by pk (S) alone."""
    return make_table()


@pytest.fixture
def sorted_table(make_table: Callable[..., str]) -> str:
    """A table keyed by pk (S) and sk (N)."""
    return make_table(range_key=("sk", "N"))


def error(call: Callable[..., Any], **kwargs: Any) -> tuple[str, str]:
    """The (code, message) of the ClientError a call raises."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    err = info.value.response["Error"]
    return err["Code"], err["Message"]
