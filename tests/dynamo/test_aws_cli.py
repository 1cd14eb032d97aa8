"""The AWS CLI, unmodified, against the server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import pytest

from .conftest import unique_name

pytestmark = pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")


def _aws(endpoint: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "cli", "AWS_SECRET_ACCESS_KEY": "cli", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_PAGER": "", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    return subprocess.run(["aws", "dynamodb", *args, "--endpoint-url", endpoint, "--output", "json"],
                          capture_output=True, text=True, env=env, timeout=60)


def test_cli_round_trip(endpoint: str, client: Any) -> None:
    name = unique_name("cli")
    created = _aws(endpoint, "create-table", "--table-name", name,
                   "--attribute-definitions", "AttributeName=pk,AttributeType=S", "AttributeName=sk,AttributeType=N",
                   "--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE",
                   "--billing-mode", "PAY_PER_REQUEST")
    assert created.returncode == 0, created.stderr
    for sk in ("1", "2", "3"):
        put = _aws(endpoint, "put-item", "--table-name", name,
                   "--item", json.dumps({"pk": {"S": "cli"}, "sk": {"N": sk}, "v": {"S": f"value{sk}"}}))
        assert put.returncode == 0, put.stderr
    query = _aws(endpoint, "query", "--table-name", name, "--key-condition-expression", "pk = :p AND sk >= :s",
                 "--expression-attribute-values", json.dumps({":p": {"S": "cli"}, ":s": {"N": "2"}}))
    assert query.returncode == 0, query.stderr
    assert [i["v"]["S"] for i in json.loads(query.stdout)["Items"]] == ["value2", "value3"]
    missing = _aws(endpoint, "describe-table", "--table-name", name + "-missing")
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr
    client.delete_table(TableName=name)
