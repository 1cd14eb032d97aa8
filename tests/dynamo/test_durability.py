"""The real `serve()` in a subprocess: data survives SIGTERM and SIGKILL restarts; group commit; in-memory mode."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from dynamis.dynamo.api import DynamoEngine
from dynamis.dynamo.server import DynamoOptions, start_in_thread
from dynamis.dynamo.storage import Storage


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServeProcess:
    """`serve()` running in its own interpreter, as `dynamis serve` runs it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> Any:
        code = ("from dynamis.dynamo.server import DynamoOptions, serve; "
                f"serve(DynamoOptions(port={self.port}, data_dir={str(self.data_dir)!r}))")
        self.proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
        assert self.proc.stderr is not None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if "DynamoDB API ready" in line:
                break
            if not line and self.proc.poll() is not None:
                raise RuntimeError("serve() exited during start-up")
        else:
            raise RuntimeError("serve() did not start")
        return boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{self.port}", region_name="us-east-1",
                            aws_access_key_id="a", aws_secret_access_key="b", config=Config(retries={"max_attempts": 2}))

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=20)
        self.proc = None
        return code


@pytest.fixture
def serve_process(tmp_path: Path) -> Iterator[ServeProcess]:
    process = ServeProcess(tmp_path)
    yield process
    if process.proc is not None:
        process.proc.kill()
        process.proc.wait()


def test_data_survives_restart_and_kill(serve_process: ServeProcess) -> None:
    client = serve_process.start()
    client.create_table(TableName="durable", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"},
                                              {"AttributeName": "g", "AttributeType": "S"}],
                        GlobalSecondaryIndexes=[{"IndexName": "by-g", "Projection": {"ProjectionType": "ALL"},
                                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}],
                        BillingMode="PAY_PER_REQUEST")
    for i in range(20):
        client.put_item(TableName="durable", Item={"k": {"S": f"item{i}"}, "n": {"N": str(i)}, "g": {"S": str(i % 2)}})
    assert serve_process.stop(signal.SIGTERM) == 0
    assert (serve_process.data_dir / "dynamo").is_dir()

    client = serve_process.start()
    table = client.describe_table(TableName="durable")["Table"]
    assert table["ItemCount"] == 20
    assert client.get_item(TableName="durable", Key={"k": {"S": "item7"}})["Item"]["n"] == {"N": "7"}
    # An acknowledged write is committed: a SIGKILL right after it loses nothing.
    client.update_item(TableName="durable", Key={"k": {"S": "item7"}}, UpdateExpression="ADD n :one",
                       ExpressionAttributeValues={":one": {"N": "100"}})
    client.delete_item(TableName="durable", Key={"k": {"S": "item0"}})
    serve_process.stop(signal.SIGKILL)

    client = serve_process.start()
    assert client.get_item(TableName="durable", Key={"k": {"S": "item7"}})["Item"]["n"] == {"N": "107"}
    assert "Item" not in client.get_item(TableName="durable", Key={"k": {"S": "item0"}})
    assert client.scan(TableName="durable", Select="COUNT")["Count"] == 19
    table = client.describe_table(TableName="durable")["Table"]
    assert table["ItemCount"] == 19 and table["GlobalSecondaryIndexes"][0]["ItemCount"] == 19
    odd = client.query(TableName="durable", IndexName="by-g", KeyConditionExpression="g = :g",
                       ExpressionAttributeValues={":g": {"S": "1"}})
    assert odd["Count"] == 10 and {"k": {"S": "item7"}, "n": {"N": "107"}, "g": {"S": "1"}} in odd["Items"]
    assert serve_process.stop(signal.SIGINT) == 0


async def test_concurrent_writes_share_commits(tmp_path: Path) -> None:
    storage = Storage(str(tmp_path))
    engine = DynamoEngine(storage)
    storage.start(asyncio.get_running_loop())
    try:
        await engine.call("CreateTable", {"TableName": "grouped", "BillingMode": "PAY_PER_REQUEST",
                                          "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
                                          "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}]})
        before = storage.commits
        await asyncio.gather(*(engine.call("PutItem", {"TableName": "grouped", "Item": {"k": {"S": str(i)}}})
                               for i in range(200)))
        assert storage.commits - before <= 100  # 200 acknowledged writes, at most half as many commits
        counted = await engine.call("Scan", {"TableName": "grouped", "Select": "COUNT"})
        assert counted["Count"] == 200
    finally:
        storage.close()


def test_in_memory_mode_keeps_nothing(tmp_path: Path) -> None:
    options = DynamoOptions(port=0, in_memory=True, data_dir=str(tmp_path))
    for _ in range(2):
        server, stop = start_in_thread(options)
        client = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{server.port}", region_name="us-east-1",
                              aws_access_key_id="a", aws_secret_access_key="b")
        assert client.list_tables()["TableNames"] == []
        client.create_table(TableName="temp", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
        stop()
    assert not os.path.exists(tmp_path / "dynamo")


async def test_wal_stays_bounded_under_mixed_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checkpoints run off the write path, and the writer rewinds an overgrown WAL without failing writes."""
    from dynamis.dynamo import storage as storage_module

    monkeypatch.setattr(storage_module, "_WAL_PAGES_LIMIT", 200)
    monkeypatch.setattr(storage_module._Checkpointer.__init__, "__defaults__", (0.05,))
    storage = Storage(str(tmp_path))
    engine = DynamoEngine(storage)
    storage.start(asyncio.get_running_loop())
    try:
        await engine.call("CreateTable", {"TableName": "walled", "BillingMode": "PAY_PER_REQUEST",
                                          "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
                                          "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}]})
        for round_ in range(8):
            await asyncio.gather(*(engine.call("PutItem", {"TableName": "walled", "Item": {
                "k": {"S": f"{round_}-{i}"}, "v": {"S": "x" * 2000}}}) for i in range(300)),
                *(engine.call("GetItem", {"TableName": "walled", "Key": {"k": {"S": f"0-{i}"}}}) for i in range(100)))
            await asyncio.sleep(0.1)
        wal = os.path.getsize(tmp_path / "dynamo.sqlite3-wal")
        assert wal < 8 * 1024 * 1024  # without checkpoints it would hold all ~5 MB written, and keep growing
        assert (await engine.call("DescribeTable", {"TableName": "walled"}))["Table"]["ItemCount"] == 2400
    finally:
        storage.close()
