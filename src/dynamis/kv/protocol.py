"""RESP wire format: request parsing (hiredis + inline commands) and reply encoding (RESP2/RESP3).

Commands return plain Python values; this module alone decides how they look on the wire:

    bytes -> bulk string          str -> simple string (+OK)     int -> integer
    None -> null bulk / RESP3 null NULL_ARRAY -> *-1 / RESP3 null  float -> RESP3 double / RESP2 bulk
    list, tuple -> array          dict -> RESP3 map / flat array  set, frozenset -> RESP3 set / array
    ReplyError -> -ERR ...        Push -> RESP3 push / array       Replies -> several replies       Verbatim, BigNumber, Raw
"""

from __future__ import annotations

import math
import re

import hiredis


class ReplyError(Exception):
    """An error reply. The message includes the error code prefix (`ERR`, `WRONGTYPE`, ...)."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProtocolError(Exception):
    """Malformed request: reply `-ERR Protocol error: ...` and close the connection.

    `requests` holds the well-formed requests that came before the bad one: they still run.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.requests: list[list[bytes]] = []


class QueryBufferLimitError(ProtocolError):
    """The query buffer passed `client-query-buffer-limit`: Redis closes the connection without a reply."""


class Push(list):
    """An out-of-band message: RESP3 push frame, or a plain array in RESP2."""

    __slots__ = ()


class Replies(list):
    """Several consecutive replies to one command (SUBSCRIBE answers once per channel)."""

    __slots__ = ()


class SetReply(list):
    """A set reply in a fixed order: RESP3 set, RESP2 array (SMEMBERS of an intset is sorted, as Redis)."""

    __slots__ = ()


class Verbatim(str):
    """A RESP3 verbatim string (`=`), a bulk string in RESP2."""

    __slots__ = ()


class BigNumber(int):
    """A RESP3 big number (`(`), a bulk string in RESP2."""

    __slots__ = ()


class Raw(bytes):
    """A reply already encoded on the wire; the same bytes in RESP2 and RESP3."""

    __slots__ = ()


class _NullArray:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NULL_ARRAY"


NULL_ARRAY = _NullArray()
OK = "OK"


def format_double(value: float) -> bytes:
    """Redis 7.0's `%.17g` rendering of a double reply (ZSCORE, GEODIST, ...)."""
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    if math.isnan(value):
        return b"nan"
    if value.is_integer() and abs(value) < 1e17 and (value or math.copysign(1.0, value) > 0):
        return b"%d" % value
    return b"%.17g" % value  # also -0.0, which %.17g prints as "-0"


def _encode(r: object, out: list[bytes], resp3: bool) -> None:
    t = type(r)
    if t is bytes:
        out.append(b"$%d\r\n%s\r\n" % (len(r), r))
    elif t is str:
        out.append(b"+%s\r\n" % r.encode())
    elif t is int:
        out.append(b":%d\r\n" % r)
    elif r is None:
        out.append(b"_\r\n" if resp3 else b"$-1\r\n")
    elif t is list or t is tuple:
        out.append(b"*%d\r\n" % len(r))
        for item in r:
            _encode(item, out, resp3)
    elif t is Raw:
        out.append(r)
    elif isinstance(r, ReplyError):
        message = r.message
        if "\r" in message or "\n" in message:
            # addReplyErrorFormat: a newline inside an error (from user input) would end the frame early
            message = message.strip("\r\n").replace("\r", " ").replace("\n", " ")
        # surrogateescape: user bytes that are not UTF-8 go back out as the bytes they were
        out.append(b"-%s\r\n" % message.encode("utf-8", "surrogateescape"))
    elif t is float:
        text = format_double(r)
        out.append(b",%s\r\n" % text if resp3 else b"$%d\r\n%s\r\n" % (len(text), text))
    elif t is dict:
        if resp3:
            out.append(b"%%%d\r\n" % len(r))
        else:
            out.append(b"*%d\r\n" % (2 * len(r)))
        for k, v in r.items():
            _encode(k, out, resp3)
            _encode(v, out, resp3)
    elif t is set or t is frozenset:
        out.append(b"~%d\r\n" % len(r) if resp3 else b"*%d\r\n" % len(r))
        for item in r:
            _encode(item, out, resp3)
    elif r is NULL_ARRAY:
        out.append(b"_\r\n" if resp3 else b"*-1\r\n")
    elif t is Push:
        out.append(b">%d\r\n" % len(r) if resp3 else b"*%d\r\n" % len(r))
        for item in r:
            _encode(item, out, resp3)
    elif t is Replies:
        for item in r:
            _encode(item, out, resp3)
    elif t is SetReply:
        out.append(b"~%d\r\n" % len(r) if resp3 else b"*%d\r\n" % len(r))
        for item in r:
            _encode(item, out, resp3)
    elif t is Verbatim:
        data = r.encode()
        if resp3:
            out.append(b"=%d\r\ntxt:%s\r\n" % (len(data) + 4, data))
        else:
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    elif t is BigNumber:
        out.append(b"(%d\r\n" % r if resp3 else b"$%d\r\n%d\r\n" % (len(str(r)), r))
    elif t is bool:
        out.append((b"#t\r\n" if r else b"#f\r\n") if resp3 else (b":1\r\n" if r else b":0\r\n"))
    else:
        raise TypeError(f"cannot encode reply of type {t.__name__}")


_SIMPLE_STRINGS = {text: b"+%s\r\n" % text.encode() for text in ("OK", "QUEUED", "PONG")}


def encode_reply(reply: object, resp3: bool = False) -> bytes:
    """Encode one reply value as RESP2 (or RESP3 when `resp3`)."""
    t = type(reply)
    if t is bytes:
        return b"$%d\r\n%s\r\n" % (len(reply), reply)
    if t is int:
        return b":%d\r\n" % reply
    if t is str:
        return _SIMPLE_STRINGS.get(reply) or b"+%s\r\n" % reply.encode()
    if reply is None:
        return b"_\r\n" if resp3 else b"$-1\r\n"
    if t is Raw:
        return reply
    out: list[bytes] = []
    _encode(reply, out, resp3)
    return out[0] if len(out) == 1 else b"".join(out)


# Inline commands (a person typing into telnet) are split like Redis's sdssplitargs.
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("a"): 7}
_HEX = b"0123456789abcdefABCDEF"


def split_inline(line: bytes) -> list[bytes]:
    """Split an inline request into arguments with Redis's quoting rules."""
    args: list[bytes] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in b" \t\n\r\v\f":
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        in_dq = in_sq = False
        while True:
            if in_dq:
                if i >= n:
                    raise ProtocolError("unbalanced quotes in request")
                c = line[i]
                if c == 92 and i + 3 < n and line[i + 1] == ord("x") and line[i + 2] in _HEX and line[i + 3] in _HEX:
                    cur.append(int(line[i + 2 : i + 4], 16))
                    i += 3
                elif c == 92 and i + 1 < n:
                    i += 1
                    cur.append(_ESCAPES.get(line[i], line[i]))
                elif c == 34:
                    if i + 1 < n and line[i + 1] not in b" \t\n\r\v\f":
                        raise ProtocolError("unbalanced quotes in request")
                    in_dq = False
                    i += 1
                    break
                else:
                    cur.append(c)
            elif in_sq:
                if i >= n:
                    raise ProtocolError("unbalanced quotes in request")
                c = line[i]
                if c == 92 and i + 1 < n and line[i + 1] == 39:
                    i += 1
                    cur.append(39)
                elif c == 39:
                    if i + 1 < n and line[i + 1] not in b" \t\n\r\v\f":
                        raise ProtocolError("unbalanced quotes in request")
                    in_sq = False
                    i += 1
                    break
                else:
                    cur.append(c)
            else:
                if i >= n:
                    break
                c = line[i]
                if c in b" \t\n\r":  # not isspace(): \v and \f only separate before a token
                    break
                if c == 34:
                    in_dq = True
                elif c == 39:
                    in_sq = True
                else:
                    cur.append(c)
            i += 1
        args.append(bytes(cur))


MAX_INLINE_SIZE = 64 * 1024


class ProtocolLimits:
    """`proto-max-bulk-len` and `client-query-buffer-limit`, shared by every connection's parser so that
    CONFIG SET reaches existing connections too."""

    __slots__ = ("max_bulk_len", "max_query_buffer")

    def __init__(self, max_bulk_len: int, max_query_buffer: int) -> None:
        self.max_bulk_len = max_bulk_len
        self.max_query_buffer = max_query_buffer


class RequestParser:
    """Turns the bytes a client sends into argument vectors.

    RESP multibulk requests go through hiredis; a request that does not start with `*` is an
    inline command. When a read ends inside a frame, the frame's header is checked at once, so a
    declared oversized bulk is refused before it is buffered, as Redis does.
    """

    __slots__ = ("_reader", "_inline", "_partial", "_tail", "_hold", "_big", "_fed", "_fed_size", "limits",
                 "authenticated")

    def __init__(self, limits: ProtocolLimits) -> None:
        self._reader = hiredis.Reader()
        self._inline = b""
        self._partial = False  # hiredis holds the start of an incomplete frame
        self._tail: bytes | None = None  # that frame's bytes so far, while they are few enough to check
        self._hold = b""  # a short incomplete last line, kept back until its end arrives
        self._big: _BigFrame | None = None  # a frame with a huge count, read in Python
        # the reads given to hiredis since it was last between frames (at most about _FED_KEEP bytes): where a
        # frame began, when hiredis stops after it (see _frames_end)
        self._fed: list[bytes] = []
        self._fed_size = 0
        self.limits = limits
        self.authenticated = True

    def feed(self, data: bytes) -> list[list[bytes]]:
        """Return the complete requests in `data` (plus what was buffered). Raises ProtocolError."""
        requests: list[list[bytes]] = []
        if (data[-1:] == b"\n" and data[:1] == b"*" and not self._partial and not self._hold and self._big is None
                and self.authenticated and not (b"+" in data or b"=" in data or b"(" in data)
                and _BIG_COUNT.search(data) is None):
            # the usual read: whole frames, nothing hiredis would misread
            try:
                return self._feed_hiredis(data, requests, True, False)
            except ProtocolError as exc:
                exc.requests = requests
                raise
        if self._hold:
            data = self._hold + data
            self._hold = b""
        # A read ending inside what may be a `*<count>` header keeps it back for the next read: hiredis then
        # never sees half a header, so the huge-count check sees every header whole.
        line_end = data.rfind(b"\n") + 1
        tail = b""
        if data[line_end : line_end + 1] == b"*" and len(data) - line_end <= _HOLD_MAX:
            data, tail = data[:line_end], data[line_end:]
        try:
            if data:
                self._parse(data, requests)
        except ProtocolError as exc:
            exc.requests = requests
            raise
        if tail:
            self._hold += tail
        return requests

    def _parse(self, data: bytes, requests: list[list[bytes]], checked: bool = False) -> list[list[bytes]]:
        if self._big is not None:
            rest = self._feed_big(data, requests)
            if not rest:
                return requests
            data = rest  # the big frame is complete: a frame boundary
        at_boundary = not self._partial
        if self._inline or (at_boundary and data[:1] != b"*"):
            data = self._feed_inline(self._inline + data, requests)
            if not data:
                return requests
            at_boundary = True
            checked = False  # the frames after an inline request have not been looked at yet
        if at_boundary and not checked and (
                not self.authenticated
                or ((b"+" in data or b"=" in data or b"(" in data) and _LAX_ELEMENT.search(data) is not None)):
            # hiredis would take a `+`/`=`/`(` element as a bulk, and knows no auth limits: walk it as Redis does
            return self._parse_checked(data, requests)
        if _BIG_COUNT.search(data) is not None:
            return self._parse_around_big_counts(data, requests, at_boundary, checked)
        return self._feed_hiredis(data, requests, at_boundary, checked)

    def _feed_hiredis(self, data: bytes, requests: list[list[bytes]], at_boundary: bool,
                      checked: bool) -> list[list[bytes]]:
        reader = self._reader
        reader.feed(data)
        gets = reader.gets
        base = len(requests)
        bad = False
        while True:
            try:
                req = gets()
            except hiredis.ProtocolError:
                bad = True
                break
            if req is False:
                break
            if type(req) is list:
                for arg in req:
                    if type(arg) is not bytes:
                        bad = True
                        break
                if bad:
                    break
                if req:
                    requests.append(req)
                elif at_boundary:  # `*0`, or a RESP3 `~0` / `>0` that Redis reads as an inline command
                    bad = True
                    break
            elif req is not None or at_boundary:
                # not an array (`:1`), or None, which is `*-1` but also `$-1` or `_` (inline commands to
                # Redis): read this buffer as Redis does. A None inside a continued frame is `*-1`, skipped.
                bad = True
                break
            if not reader.has_data():
                # the buffer ended on a frame boundary: a following request may be inline
                self._partial = False
                self._tail = None
                if self._fed:
                    self._fed.clear()
                    self._fed_size = 0
                return requests
        if bad:
            if at_boundary and not checked:
                # hiredis refused (or misread) a frame: redo this read frame by frame, as Redis reads it
                del requests[base:]
                return self._parse_checked(data, requests)
            offset = 0 if at_boundary else _frames_end(b"".join(self._fed), data, requests[base:])
            if offset is None:
                raise ProtocolError("invalid bulk length")
            self._new_reader()
            rest = data[offset:]
            if rest[:1] != b"*":
                # an inline request follows a frame that began in an earlier read (redis-cli --pipe ends its
                # stream with an empty line before its ECHO): go on from there, as Redis does
                return self._parse(rest, requests)
            raise ProtocolError(_walk_frames(rest, self.limits.max_bulk_len, True)[1] or "invalid bulk length")
        self._partial = True
        fed = self._fed
        fed.append(data)
        self._fed_size += len(data)
        while self._fed_size > _FED_KEEP and len(fed) > 1:
            self._fed_size -= len(fed.pop(0))
        # Refuse the incomplete frame as soon as its declared sizes break a limit, as Redis does. Its
        # start is kept while it is small so that the next reads are checked too; past that (or for a
        # big read) the buffered-size checks below bound it instead of a walk in Python.
        if at_boundary and len(data) > MAX_INLINE_SIZE and data.find(b"\r\n", 0, MAX_INLINE_SIZE + 2) < 0:
            raise ProtocolError("too big mbulk count string")  # a big read of one endless header line
        tail = None
        if at_boundary and not checked and len(data) <= MAX_INLINE_SIZE:
            tail = data
        elif self._tail is not None and len(requests) == base and len(self._tail) + len(data) <= 2 * MAX_INLINE_SIZE:
            # the same incomplete frame goes on (a frame completed here would need a walk of the whole read)
            tail = self._tail + data
        self._tail = None
        if tail is not None:
            offset, error = _walk_frames(tail, self.limits.max_bulk_len, True)
            if error is not None:
                raise ProtocolError(error)
            if tail[offset : offset + 1] != b"*":
                # no frame follows the complete ones but an inline command (`$2`, `_x` ...): Redis runs it
                self._new_reader()
                return self._parse(tail[offset:], requests)
            self._tail = tail[offset:]
        buffered = reader.len()
        if buffered > self.limits.max_query_buffer:
            raise QueryBufferLimitError("query buffer limit")
        if buffered > self.limits.max_bulk_len + 65536:
            raise ProtocolError("invalid bulk length")
        return requests

    def _parse_around_big_counts(self, data: bytes, requests: list[list[bytes]], at_boundary: bool,
                                 checked: bool) -> list[list[bytes]]:
        """hiredis allocates a list of the declared size as soon as it reads a `*<count>` header, and
        freeing one of a billion slots takes the loop for a minute: feed it the bytes up to each
        `*<7+ digits>`, and when one starts a frame, read that frame in Python instead."""
        start = 0
        for match in _BIG_COUNT.finditer(data):
            at = match.start()
            if at < start:
                continue
            if at > start:
                self._feed_hiredis(data[start:at], requests, at_boundary, checked)
                at_boundary = not self._partial
                checked = checked and not at_boundary
            start = at
            if at_boundary:
                return self._parse_checked(data[at:], requests)
        if start < len(data):
            self._feed_hiredis(data[start:], requests, at_boundary, checked)
        return requests

    def _new_reader(self) -> None:
        """Start again between frames, with a fresh hiredis reader."""
        self._reader = hiredis.Reader()
        self._partial = False
        self._tail = None
        self._fed.clear()
        self._fed_size = 0

    def _parse_checked(self, data: bytes, requests: list[list[bytes]]) -> list[list[bytes]]:
        """Walk `data` (which starts on a frame boundary) frame by frame: the well-formed frames run,
        counts <= 0 are skipped, an inline request may follow, a malformed frame is the error."""
        offset, error = _walk_frames(data, self.limits.max_bulk_len, self.authenticated, requests)
        self._new_reader()
        if error is not None:
            raise ProtocolError(error)
        if offset < len(data):
            rest = data[offset:]
            line, after = _read_line(rest, 1)
            if line is None and rest[:1] == b"*":
                self._hold = rest  # the header line is not complete yet: wait for its end
                return requests
            count = _parse_len(line) if line is not None and rest[:1] == b"*" else None
            if count is not None and count >= _BIG:
                self._big = _BigFrame(count)
                rest = self._feed_big(rest[after:], requests)
                return self._parse(rest, requests) if rest else requests
            return self._parse(rest, requests, checked=True)
        return requests

    def _feed_big(self, data: bytes, requests: list[list[bytes]]) -> bytes | None:
        """Continue the frame with a huge count; None while it is incomplete, else the bytes after it."""
        big = self._big
        rest = big.feed(data, self.limits)
        if rest is None:
            if len(big.buf) > self.limits.max_query_buffer:
                raise QueryBufferLimitError("query buffer limit")
            return None
        self._big = None
        requests.append(big.args)
        return rest

    def _feed_inline(self, buf: bytes, requests: list[list[bytes]]) -> bytes:
        """Consume inline lines from `buf`; return the rest when a RESP frame starts."""
        while buf and buf[:1] != b"*":
            end = buf.find(b"\n")
            if end >= 0 and buf.find(b"\0", 0, end) >= 0:
                end = -1  # Redis finds the end with strchr(), which stops at a NUL: the line never ends
            if end < 0:
                if len(buf) > MAX_INLINE_SIZE:
                    raise ProtocolError("too big inline request")
                self._inline = buf
                return b""
            line, buf = buf[:end], buf[end + 1 :]
            if line.endswith(b"\r"):
                line = line[:-1]
            args = split_inline(line)
            if args:
                requests.append(args)
        self._inline = b""
        return buf


def _encode_request(args: list[bytes]) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def _frames_end(previous: bytes, data: bytes, completed: list[list[bytes]]) -> int | None:
    """Where in `data` the frames that hiredis completed from it end, the first of them having begun in
    `previous`, the reads before (hiredis does not say how far it read). None when that cannot be told."""
    if not completed:
        return None
    first = _encode_request(completed[0])
    after = b"".join(_encode_request(r) for r in completed[1:])
    if len(first) > 1 << 20:
        return None
    # the read starts inside `first`: a prefix of `data` ends it, the rest of it ends `previous`
    k = min(len(first), len(data))
    while k > 0:
        head = first[: len(first) - k]
        before = previous.endswith(head) if len(head) <= len(previous) else head.endswith(previous)
        if before and first.endswith(data[:k]) and data.startswith(after, k):
            return k + len(after)
        k = data.rfind(b"\n", 0, k - 1) + 1
    return None


def _read_line(buf: bytes, pos: int) -> tuple[bytes | None, int]:
    end = buf.find(b"\r\n", pos)
    if end < 0:
        return None, pos
    return buf[pos:end], end + 2


_LEN_RE = re.compile(rb"(?:-?[1-9][0-9]{0,18}|0)\Z")
_LAX_ELEMENT = re.compile(rb"\n[+=(]")
_BIG_COUNT = re.compile(rb"\*[0-9]{7}")
_BIG = 1_000_000
_FED_KEEP = 128 * 1024
_HOLD_MAX = 32


class _BigFrame:
    """The arguments of one frame with a huge count, parsed incrementally (Redis's own multibulk reader)."""

    __slots__ = ("remaining", "args", "buf", "size")

    def __init__(self, count: int) -> None:
        self.remaining = count
        self.args: list[bytes] = []
        self.buf = bytearray()
        self.size = -1  # the current bulk's declared size, -1 before its header

    def feed(self, data: bytes, limits: ProtocolLimits) -> bytes | None:
        buf = self.buf
        buf += data
        pos = 0
        while self.remaining:
            if self.size < 0:
                if pos >= len(buf):
                    break
                if buf[pos] != 36:
                    raise ProtocolError(f"expected '$', got '{chr(buf[pos])}'")
                end = buf.find(b"\r\n", pos)
                if end < 0:
                    if len(buf) - pos > MAX_INLINE_SIZE:
                        raise ProtocolError("too big bulk count string")
                    break
                size = _parse_len(bytes(buf[pos + 1 : end]))
                if size is None or size < 0 or size > limits.max_bulk_len:
                    raise ProtocolError("invalid bulk length")
                self.size = size
                pos = end + 2
            if len(buf) - pos < self.size + 2:
                break
            self.args.append(bytes(buf[pos : pos + self.size]))
            pos += self.size + 2
            self.size = -1
            self.remaining -= 1
        del buf[:pos]
        return None if self.remaining else bytes(buf)
_INT_MAX = 2**31 - 1


def _parse_len(line: bytes) -> int | None:
    """A count as Redis's string2ll reads it: no sign but '-', no leading zeros, no spaces."""
    return int(line) if _LEN_RE.match(line) is not None else None


def _walk_frames(buf: bytes, max_bulk_len: int, authenticated: bool,
                 requests: list[list[bytes]] | None = None) -> tuple[int, str | None]:
    """Read the complete well-formed multibulk frames at the start of `buf` into `requests` (a
    frame with a count <= 0 is skipped, as Redis does). Returns where they end and, when the frame
    there is malformed or its declared sizes break a limit, Redis's name for the fault; None when
    what follows is an incomplete frame, an inline request or nothing."""
    pos = 0
    n = len(buf)
    while pos < n:
        start = pos
        if buf[pos] != 42:
            return start, None
        line, pos = _read_line(buf, pos + 1)
        if line is None:
            return start, "too big mbulk count string" if n - start > MAX_INLINE_SIZE else None
        count = _parse_len(line)
        if count is None or count > _INT_MAX:
            return start, "invalid multibulk length"
        if count > 10 and not authenticated:
            return start, "unauthenticated multibulk length"
        args: list[bytes] = []
        for _ in range(count):
            if pos >= n:
                return start, None
            if buf[pos] != 36:
                return start, f"expected '$', got '{chr(buf[pos])}'"
            line, after = _read_line(buf, pos + 1)
            if line is None:
                return start, "too big bulk count string" if n - pos > MAX_INLINE_SIZE else None
            size = _parse_len(line)
            if size is None or size < 0 or size > max_bulk_len:
                return start, "invalid bulk length"
            if size > 16384 and not authenticated:
                return start, "unauthenticated bulk length"
            pos = after + size + 2
            if pos > n:
                return start, None
            if requests is not None:
                args.append(buf[after : after + size])
        if args:
            requests.append(args)
    return pos, None
