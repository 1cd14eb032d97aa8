"""The wire: headers DynamoDB sends, protocol-level errors, and SigV4 verification with credentials."""

from __future__ import annotations

import json
import urllib.request
import zlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from dynamis.dynamo.server import DynamoOptions, DynamoServer, start_in_thread

from .conftest import error


def _post(endpoint: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_response_headers_and_crc(client: Any, endpoint: str) -> None:
    response = client.list_tables()
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert len(headers["x-amzn-requestid"]) == 52
    status, headers, body = _post(endpoint, b"{}", {
        "X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0",
        "Authorization": "AWS4-HMAC-SHA256 Credential=a/20240101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=abc", "X-Amz-Date": "20240101T000000Z"})
    assert status == 200 and headers["x-amz-crc32"] == str(zlib.crc32(body))
    assert headers["Content-Type"] == "application/x-amz-json-1.0"


def test_protocol_errors(endpoint: str) -> None:
    status, _, body = _post(endpoint, b"{}", {"X-Amz-Target": "DynamoDB_20120810.ListTables"})
    assert status == 400 and json.loads(body) == {
        "__type": "com.amazon.coral.service#MissingAuthenticationTokenException",
        "message": "Request is missing Authentication Token"}
    auth = {"Authorization": "AWS4-HMAC-SHA256 Credential=a/20240101/us-east-1/dynamodb/aws4_request, "
                             "SignedHeaders=host, Signature=abc", "X-Amz-Date": "20240101T000000Z"}
    status, _, body = _post(endpoint, b"{}", {"X-Amz-Target": "DynamoDB_20120810.Nope", **auth})
    assert status == 400 and json.loads(body)["__type"] == "com.amazon.coral.service#UnknownOperationException"
    status, _, body = _post(endpoint, b"{not json", {"X-Amz-Target": "DynamoDB_20120810.ListTables", **auth})
    assert status == 400 and json.loads(body)["__type"] == "com.amazon.coral.service#SerializationException"
    with urllib.request.urlopen(endpoint, timeout=10) as response:
        assert response.read().startswith(b"healthy: dynamodb.")


@pytest.fixture(scope="module")
def secured() -> Iterator[DynamoServer]:
    server, stop = start_in_thread(DynamoOptions(port=0, in_memory=True, credentials={"AKIDGOOD": "right-secret"}))
    yield server
    stop()


def _client(server: DynamoServer, key: str, secret: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{server.port}", region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))


def test_sigv4_is_verified_when_credentials_are_configured(secured: DynamoServer) -> None:
    good = _client(secured, "AKIDGOOD", "right-secret")
    assert good.list_tables()["TableNames"] == []
    good.create_table(TableName="secure", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                      AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    good.put_item(TableName="secure", Item={"k": {"S": "v" * 100}, "text": {"S": "spaces  and\ttabs"}})
    assert error(_client(secured, "AKIDGOOD", "wrong").list_tables) == (
        "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
    assert error(_client(secured, "AKIDBAD", "right-secret").list_tables) == (
        "UnrecognizedClientException", "The security token included in the request is invalid.")


def test_expired_signature(secured: DynamoServer) -> None:
    status, _, body = _post(f"http://127.0.0.1:{secured.port}", b"{}", {
        "X-Amz-Target": "DynamoDB_20120810.ListTables", "X-Amz-Date": "20200101T000000Z",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDGOOD/20200101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host;x-amz-date, Signature=abc"})
    reply = json.loads(body)
    assert status == 400 and reply["__type"] == "com.amazon.coral.service#InvalidSignatureException"
    assert reply["message"].startswith("Signature expired: 20200101T000000Z is now earlier than ")


def _raw(port: int, data: bytes, expect_responses: int) -> list[bytes]:
    """Send raw bytes on one connection; read until `expect_responses` responses or the server closes."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while received.count(b"HTTP/1.1 ") < expect_responses or not received.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    return [b"HTTP/1.1 " + part for part in received.split(b"HTTP/1.1 ")[1:]]


_AUTH = ("Authorization: AWS4-HMAC-SHA256 Credential=a/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, "
         "Signature=abc\r\nX-Amz-Date: 20240101T000000Z\r\n")


def _request(body: bytes, extra: str = "") -> bytes:
    return (f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n{_AUTH}"
            f"Content-Length: {len(body)}\r\n{extra}\r\n").encode() + body


def test_pipelined_requests_are_answered_in_order(dynamo_server: DynamoServer) -> None:
    bodies = [b'{"Limit": 1}', b'{"Limit": 0}', b"{}"]
    responses = _raw(dynamo_server.port, b"".join(_request(b) for b in bodies), 3)
    assert [r.split(b" ", 2)[1] for r in responses] == [b"200", b"400", b"200"]


def test_connection_close_and_bad_requests(dynamo_server: DynamoServer) -> None:
    (closed,) = _raw(dynamo_server.port, _request(b"{}", "Connection: close\r\n"), 1)
    assert closed.startswith(b"HTTP/1.1 200") and b"Connection: close" in closed
    (bad,) = _raw(dynamo_server.port, b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n", 1)
    assert bad.startswith(b"HTTP/1.1 400")
    (huge,) = _raw(dynamo_server.port, b"POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", 1)
    assert huge.startswith(b"HTTP/1.1 413")


async def test_aiohttp_client_with_botocore_signing(endpoint: str) -> None:
    """aiobotocore's transport: an aiohttp client session sending botocore-signed requests."""
    import aiohttp
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    async with aiohttp.ClientSession() as session:
        for operation, body in (("ListTables", {}), ("DescribeTable", {"TableName": "nosuchtable"})):
            request = AWSRequest(method="POST", url=endpoint + "/", data=json.dumps(body), headers={
                "X-Amz-Target": f"DynamoDB_20120810.{operation}", "Content-Type": "application/x-amz-json-1.0"})
            SigV4Auth(Credentials("a", "b"), "dynamodb", "us-east-1").add_auth(request)
            async with session.post(endpoint + "/", data=request.body, headers=dict(request.headers)) as response:
                payload = await response.read()
                assert response.headers["x-amz-crc32"] == str(zlib.crc32(payload))
                if operation == "ListTables":
                    assert response.status == 200 and "TableNames" in json.loads(payload)
                else:
                    assert response.status == 400
                    assert json.loads(payload)["__type"].endswith("#ResourceNotFoundException")


@pytest.mark.parametrize(("body", "message"), [
    ({"TableName": 5}, "NUMBER_VALUE cannot be converted to String"),
    ({"TableName": "tbl", "Limit": "5"}, "STRING_VALUE cannot be converted to Integer"),
    ({"TableName": {"a": 1}}, "Start of structure or map found where not expected."),
    ({"TableName": "tbl", "Key": "k"}, "Unexpected value type in payload"),
    ({"RequestItems": {"tbl": {"Keys": 7}}}, "Unexpected value type in payload"),
])
def test_wrong_json_shapes_are_serialization_errors(endpoint: str, body: dict, message: str) -> None:
    operation = "BatchGetItem" if "RequestItems" in body else "GetItem"
    status, _, reply = _post(endpoint, json.dumps(body).encode(), {
        "X-Amz-Target": f"DynamoDB_20120810.{operation}", "X-Amz-Date": "20240101T000000Z",
        "Authorization": "AWS4-HMAC-SHA256 Credential=a/20240101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=abc"})
    assert status == 400 and json.loads(reply) == {
        "__type": "com.amazon.coral.service#SerializationException", "message": message}


def test_expect_100_continue(dynamo_server: DynamoServer) -> None:
    import socket

    body = b"{}"
    head = _request(body, "Expect: 100-continue\r\n")[: -len(body)]
    with socket.create_connection(("127.0.0.1", dynamo_server.port), timeout=10) as sock:
        sock.sendall(head)
        assert sock.recv(1024) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        reply = b""
        while not reply.endswith(b"}"):
            reply += sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 200 OK")
