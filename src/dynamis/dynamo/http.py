"""The DynamoDB JSON protocol over HTTP/1.1 (aiohttp's low-level server): SigV4 check, dispatch, CRC32.

`POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>`; every response carries `x-amzn-RequestId` and
`x-amz-crc32` (the SDKs verify it), errors `{"__type": ..., "message": ...}` with DynamoDB's status codes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import re
import zlib
from typing import Any

import orjson
from aiohttp import web

from .api import DynamoEngine
from .errors import DynamoError

log = logging.getLogger("dynamis.dynamo")

MAX_REQUEST_BYTES = 16 * 1024 * 1024
_TARGET_PREFIX = "DynamoDB_20120810."
_CONTENT_TYPE = "application/x-amz-json-1.0"
_SKEW = dt.timedelta(minutes=15)
_AUTH_PARAM = re.compile(r"(\w+)=([^,\s]*)")
_SPACES = re.compile(r"\s+")


def _auth_error(code: str, message: str) -> DynamoError:
    return DynamoError(code, message)


class SigV4:
    """AWS Signature Version 4 verification against configured access keys (none: accept any signature)."""

    def __init__(self, credentials: dict[str, str]) -> None:
        self.credentials = credentials
        self._signing_keys: dict[tuple[str, str, str, str], bytes] = {}

    def region(self, request: web.BaseRequest, body: bytes) -> str | None:
        """Check the request's signature (when credentials are configured); return its credential region."""
        auth = request.headers.get("Authorization", "")
        if not auth.strip().startswith("AWS4-"):
            raise _auth_error("MissingAuthenticationTokenException", "Request is missing Authentication Token")
        params = dict(_AUTH_PARAM.findall(auth.split(" ", 1)[1] if " " in auth else ""))
        date = request.headers.get("X-Amz-Date") or request.headers.get("Date")
        missing = "".join(f"Authorization header requires '{p}' parameter. "
                          for p in ("Credential", "Signature", "SignedHeaders") if not params.get(p))
        if not date:
            missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        if missing:
            raise _auth_error("IncompleteSignatureException", missing + "Authorization=" + auth)
        scope = params["Credential"].split("/")
        if len(scope) != 5:
            raise _auth_error("IncompleteSignatureException", "Credential must have exactly 5 slash-delimited "
                              "elements, e.g. keyid/date/region/service/term, got '" + params["Credential"] + "'")
        access_key, day, region, service, _ = scope
        if not self.credentials:
            return region
        secret = self.credentials.get(access_key)
        self._check_date(date)
        if secret is None:
            raise _auth_error("UnrecognizedClientException", "The security token included in the request is invalid.")
        signed = params["SignedHeaders"].split(";")
        canonical_headers = "".join(
            f"{name}:{','.join(_SPACES.sub(' ', v.strip()) for v in request.headers.getall(name, []))}\n"
            for name in signed)
        query = "&".join(sorted(request.query_string.split("&"))) if request.query_string else ""
        canonical = "\n".join((request.method, request.raw_path.split("?")[0] or "/", query, canonical_headers,
                               params["SignedHeaders"], hashlib.sha256(body).hexdigest()))
        to_sign = "\n".join(("AWS4-HMAC-SHA256", date, "/".join(scope[1:]),
                             hashlib.sha256(canonical.encode()).hexdigest()))
        key = self._signing_key(secret, day, region, service)
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, params["Signature"]):
            raise _auth_error("InvalidSignatureException", "The request signature we calculated does not match the "
                              "signature you provided. Check your AWS Secret Access Key and signing method. Consult "
                              "the service documentation for details.")
        return region

    @staticmethod
    def _check_date(date: str) -> None:
        try:
            when = dt.datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        except ValueError:
            raise _auth_error("IncompleteSignatureException", f"Date must be in ISO-8601 'basic format'. Got "
                              f"'{date}'. See http://en.wikipedia.org/wiki/ISO_8601") from None
        now = dt.datetime.now(dt.UTC)
        fmt = "%Y%m%dT%H%M%SZ"
        if when < now - _SKEW:
            raise _auth_error("InvalidSignatureException", f"Signature expired: {date} is now earlier than "
                              f"{(now - _SKEW).strftime(fmt)} ({now.strftime(fmt)} - 15 min.)")
        if when > now + _SKEW:
            raise _auth_error("InvalidSignatureException", f"Signature not yet current: {date} is still later than "
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


def _response(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, headers={
        "Content-Type": _CONTENT_TYPE,
        "x-amzn-RequestId": os.urandom(26).hex().upper(),
        "x-amz-crc32": str(zlib.crc32(body)),
    })


def _error(exc: DynamoError) -> web.Response:
    return _response(orjson.dumps(exc.to_wire()), exc.status)


class DynamoHandler:
    """The aiohttp request handler: one instance per server."""

    def __init__(self, engine: DynamoEngine, credentials: dict[str, str]) -> None:
        self.engine = engine
        self.auth = SigV4(credentials)

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.method != "POST":
            if request.method == "GET" and request.path == "/":
                return web.Response(text=f"healthy: dynamodb.{self.engine.default_region}.amazonaws.com ")
            return web.Response(status=404, body=b"<UnknownOperationException/>\n")
        if (request.content_length or 0) > MAX_REQUEST_BYTES:
            return web.Response(status=413)
        body = await request.read()
        try:
            target = request.headers.get("X-Amz-Target", "")
            if not target.startswith(_TARGET_PREFIX):
                raise DynamoError("UnknownOperationException", "")
            region = self.auth.region(request, body)
            try:
                payload: Any = orjson.loads(body) if body else None
            except orjson.JSONDecodeError:
                raise DynamoError("SerializationException", "Start of structure or map found where not expected."
                                  ) from None
            result = await self.engine.call(target[len(_TARGET_PREFIX):], payload, region)
        except DynamoError as exc:
            return _error(exc)
        except Exception:
            log.exception("dynamo: internal error")
            return _error(DynamoError("InternalServerError", "Internal server error", status=500))
        return _response(orjson.dumps(result))
