"""The DynamoDB JSON protocol over HTTP/1.1: a lean keep-alive HTTP server, SigV4 check, dispatch, CRC32.

`POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>`; every response carries `x-amzn-RequestId` and
`x-amz-crc32` (the SDKs verify it), errors `{"__type": ..., "message": ...}` with DynamoDB's status codes.

The HTTP layer is an asyncio.Protocol rather than aiohttp's server: the SDKs speak a narrow slice of HTTP/1.1
(POST, Content-Length bodies, keep-alive), and aiohttp's general request/response machinery cost ~45 µs of
CPU per request here against ~8 µs for this parser — more than the DynamoDB operation itself for a GetItem.
Requests on one connection are answered in order, one at a time (pipelined requests wait in the buffer).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import itertools
import logging
import os
import re
import time
import zlib
from email.utils import formatdate
from typing import Any

import orjson

from .api import DynamoEngine
from .errors import DynamoError

log = logging.getLogger("dynamis.dynamo")

MAX_REQUEST_BYTES = 16 * 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
_TARGET_PREFIX = "DynamoDB_20120810."
_CONTENT_TYPE = "application/x-amz-json-1.0"
_SKEW = dt.timedelta(minutes=15)
_AUTH_PARAM = re.compile(r"(\w+)=([^,\s]*)")
_SPACES = re.compile(r"\s+")
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 411: "Length Required", 413: "Payload Too Large",
            431: "Request Header Fields Too Large", 500: "Internal Server Error"}


class HttpRequest:
    """One parsed HTTP request: header names lower-cased, repeated headers joined with commas."""

    __slots__ = ("method", "path", "query", "headers", "body")

    def __init__(self, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.path, _, self.query = target.partition("?")
        self.headers = headers
        self.body = body


class SigV4:
    """AWS Signature Version 4 verification against configured access keys (none: accept any signature)."""

    def __init__(self, credentials: dict[str, str]) -> None:
        self.credentials = credentials
        self._signing_keys: dict[tuple[str, str, str, str], bytes] = {}

    def region(self, request: HttpRequest) -> str | None:
        """Check the request's signature (when credentials are configured); return its credential region."""
        headers = request.headers
        auth = headers.get("authorization", "")
        if not auth.strip().startswith("AWS4-"):
            raise DynamoError("MissingAuthenticationTokenException", "Request is missing Authentication Token")
        params = dict(_AUTH_PARAM.findall(auth.split(" ", 1)[1] if " " in auth else ""))
        date = headers.get("x-amz-date") or headers.get("date")
        missing = "".join(f"Authorization header requires '{p}' parameter. "
                          for p in ("Credential", "Signature", "SignedHeaders") if not params.get(p))
        if not date:
            missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        if missing:
            raise DynamoError("IncompleteSignatureException", missing + "Authorization=" + auth)
        scope = params["Credential"].split("/")
        if len(scope) != 5:
            raise DynamoError("IncompleteSignatureException", "Credential must have exactly 5 slash-delimited "
                              "elements, e.g. keyid/date/region/service/term, got '" + params["Credential"] + "'")
        access_key, day, region, service, _ = scope
        if not self.credentials:
            return region
        secret = self.credentials.get(access_key)
        self._check_date(date)
        if secret is None:
            raise DynamoError("UnrecognizedClientException", "The security token included in the request is invalid.")
        signed = params["SignedHeaders"].split(";")
        canonical_headers = "".join(
            f"{name}:{','.join(_SPACES.sub(' ', v.strip()) for v in headers.get(name, '').split(','))}\n"
            for name in signed)
        query = "&".join(sorted(request.query.split("&"))) if request.query else ""
        canonical = "\n".join((request.method, request.path or "/", query, canonical_headers,
                               params["SignedHeaders"], hashlib.sha256(request.body).hexdigest()))
        to_sign = "\n".join(("AWS4-HMAC-SHA256", date, "/".join(scope[1:]),
                             hashlib.sha256(canonical.encode()).hexdigest()))
        key = self._signing_key(secret, day, region, service)
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, params["Signature"]):
            raise DynamoError("InvalidSignatureException", "The request signature we calculated does not match the "
                              "signature you provided. Check your AWS Secret Access Key and signing method. Consult "
                              "the service documentation for details.")
        return region

    @staticmethod
    def _check_date(date: str) -> None:
        try:
            when = dt.datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        except ValueError:
            raise DynamoError("IncompleteSignatureException", f"Date must be in ISO-8601 'basic format'. Got "
                              f"'{date}'. See http://en.wikipedia.org/wiki/ISO_8601") from None
        now = dt.datetime.now(dt.UTC)
        fmt = "%Y%m%dT%H%M%SZ"
        if when < now - _SKEW:
            raise DynamoError("InvalidSignatureException", f"Signature expired: {date} is now earlier than "
                              f"{(now - _SKEW).strftime(fmt)} ({now.strftime(fmt)} - 15 min.)")
        if when > now + _SKEW:
            raise DynamoError("InvalidSignatureException", f"Signature not yet current: {date} is still later than "
                              f"{(now + _SKEW).strftime(fmt)} ({now.strftime(fmt)} + 15 min.)")

    def _signing_key(self, secret: str, day: str, region: str, service: str) -> bytes:
        cache_key = (secret, day, region, service)
        key = self._signing_keys.get(cache_key)
        if key is None:
            key = ("AWS4" + secret).encode()
            for part in (day, region, service, "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._signing_keys[cache_key] = key
        return key


class _Clock:
    """The HTTP Date header, formatted once per second rather than per response."""

    def __init__(self) -> None:
        self._second = -1
        self._value = b""

    def date(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._value = formatdate(now, usegmt=True).encode()
        return self._value


class DynamoHttp:
    """Protocol factory and request handler shared by every connection of one server."""

    def __init__(self, engine: DynamoEngine, credentials: dict[str, str]) -> None:
        self.engine = engine
        self.auth = SigV4(credentials)
        self.connections: set[DynamoProtocol] = set()
        self._clock = _Clock()
        # Request ids: unique per process start, without a syscall per request.
        self._ids = (f"{os.urandom(13).hex().upper()}{n:026X}".encode() for n in itertools.count())

    def __call__(self) -> DynamoProtocol:
        return DynamoProtocol(self)

    async def handle(self, request: HttpRequest) -> tuple[int, bytes]:
        """Answer one request: (HTTP status, JSON body)."""
        try:
            target = request.headers.get("x-amz-target", "")
            if not target.startswith(_TARGET_PREFIX):
                raise DynamoError("UnknownOperationException", "")
            region = self.auth.region(request)
            try:
                payload: Any = orjson.loads(request.body) if request.body else None
            except orjson.JSONDecodeError:
                raise DynamoError("SerializationException", "Start of structure or map found where not expected."
                                  ) from None
            result = await self.engine.call(target[len(_TARGET_PREFIX):], payload, region)
        except DynamoError as exc:
            return exc.status, orjson.dumps(exc.to_wire())
        except Exception:
            log.exception("dynamo: internal error")
            error = DynamoError("InternalServerError", "Internal server error", status=500)
            return 500, orjson.dumps(error.to_wire())
        return 200, orjson.dumps(result)

    def response(self, status: int, body: bytes, content_type: str = _CONTENT_TYPE, close: bool = False) -> bytes:
        """A complete HTTP/1.1 response with DynamoDB's headers."""
        return b"".join((
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nx-amz-crc32: {zlib.crc32(body)}\r\n".encode(),
            b"x-amzn-RequestId: ", next(self._ids), b"\r\nDate: ", self._clock.date(),
            b"\r\nConnection: close\r\n\r\n" if close else b"\r\n\r\n", body))

    async def close(self, timeout: float = 5.0) -> None:
        """Close idle connections now and busy ones after their current response."""
        for conn in list(self.connections):
            conn.shutdown()
        deadline = time.monotonic() + timeout
        while self.connections and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        for conn in list(self.connections):
            conn.abort()


class DynamoProtocol(asyncio.Protocol):
    """One client connection: parses requests from the byte stream and answers them in order."""

    def __init__(self, http: DynamoHttp) -> None:
        self.http = http
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.busy = False  # a request is being answered; later ones wait in the buffer
        self.closing = False
        self.writing_paused = False  # the client reads slower than we answer
        self.reading_paused = False
        self.continued = False  # "100 Continue" already sent for the request being received
        self.task: asyncio.Future | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.http.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.http.connections.discard(self)
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > MAX_REQUEST_BYTES + MAX_HEADER_BYTES and self.transport is not None:
            # More than a whole request is waiting: stop reading until it is answered.
            self.transport.pause_reading()
            self.reading_paused = True
        self._next()

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        self._next()

    def shutdown(self) -> None:
        self.closing = True
        if not self.busy and self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def _fail(self, status: int, message: bytes = b"") -> None:
        assert self.transport is not None
        self.transport.write(self.http.response(status, message, "text/plain", close=True))
        self.transport.close()
        self.transport = None
        self.buffer.clear()

    def _next(self) -> None:
        """Answer the complete requests in the buffer in order, until one has to wait for storage."""
        while (self.transport is not None and not self.closing and not self.busy and not self.writing_paused
               and self.buffer):
            request = self._parse()
            if request is None:
                break
            request, keep_alive = request
            if request.method == "POST":
                self.busy = True
                # Kept referenced: the loop holds tasks only weakly.
                self.task = asyncio.ensure_future(self._answer(request, keep_alive))
            elif request.method == "GET" and request.path == "/":
                text = f"healthy: dynamodb.{self.http.engine.default_region}.amazonaws.com "
                self._send(200, text.encode(), keep_alive, "text/plain")
            else:
                self._send(404, b"<UnknownOperationException/>\n", keep_alive, "text/plain")
        if self.reading_paused and self.transport is not None and len(self.buffer) <= MAX_REQUEST_BYTES:
            self.transport.resume_reading()
            self.reading_paused = False

    def _parse(self) -> tuple[HttpRequest, bool] | None:
        """Take one complete request off the buffer (None: incomplete, or the connection failed)."""
        buffer = self.buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > MAX_HEADER_BYTES:
                self._fail(431)
            return None
        try:
            lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
            method, target, version = lines[0].split(" ")
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                value = value.strip()
                headers[name] = f"{headers[name]},{value}" if name in headers else value
            length = int(headers.get("content-length", "0"))
        except ValueError:
            self._fail(400, b"Malformed HTTP request")
            return None
        if "chunked" in headers.get("transfer-encoding", ""):
            self._fail(411)
            return None
        if length > MAX_REQUEST_BYTES or length < 0:
            self._fail(413)
            return None
        if len(buffer) < end + 4 + length:
            if not self.continued and headers.get("expect", "").lower() == "100-continue":
                assert self.transport is not None
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                self.continued = True
            return None
        self.continued = False
        body = bytes(buffer[end + 4:end + 4 + length])
        del buffer[:end + 4 + length]
        connection = headers.get("connection", "").lower()
        keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        return HttpRequest(method, target, headers, body), keep_alive

    async def _answer(self, request: HttpRequest, keep_alive: bool) -> None:
        status, body = await self.http.handle(request)
        self.busy = False
        self._send(status, body, keep_alive)
        self._next()

    def _send(self, status: int, body: bytes, keep_alive: bool, content_type: str = _CONTENT_TYPE) -> None:
        if self.transport is None:
            return
        close = not keep_alive or self.closing
        self.transport.write(self.http.response(status, body, content_type, close))
        if close:
            self.transport.close()
            self.transport = None
