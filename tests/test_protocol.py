"""The wire: malformed input, inline commands, pipelining and limits, byte for byte against real Redis.

Every case opens a fresh raw socket to both servers, sends the same bytes (in the same chunks) and
compares everything that comes back until the server goes quiet or closes the connection.
"""

from __future__ import annotations

import socket
import time

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamis.kv.protocol import ProtocolLimits, RequestParser
from tests.helpers import RawConnection, encode_command


def exchange(port: int, chunks: list[bytes], quiet: float = 0.2) -> bytes:
    """Send `chunks` (a pause between them), then read until the server closes or is quiet for `quiet` s."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    out = b""
    try:
        for i, chunk in enumerate(chunks):
            if i:
                time.sleep(0.05)
            sock.sendall(chunk)
        sock.settimeout(quiet)
        while True:
            data = sock.recv(65536)
            if not data:
                return out + b"<closed>"
            out += data
    except TimeoutError:
        return out
    except (ConnectionResetError, BrokenPipeError):
        return out + b"<closed>"
    finally:
        sock.close()


def chunked(data: bytes, size: int = 16384) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


PING = b"*1\r\n$4\r\nPING\r\n"
CASES = {
    "unbalanced double quotes": [b'SET "a b\r\n'],
    "unbalanced single quotes": [b"SET 'a\r\n"],
    "closing quote not followed by space": [b'SET "a"b c\r\n'],
    "invalid multibulk length": [b"*abc\r\n"],
    "multibulk length with plus": [b"*+1\r\n$4\r\nPING\r\n"],
    "multibulk length with leading zero": [b"*01\r\n$4\r\nPING\r\n"],
    "multibulk length above INT_MAX": [b"*3000000000\r\n"],
    "empty multibulk length": [b"*\r\n"],
    "negative multibulk count is skipped": [b"*-5\r\n" + PING],
    "null multibulk is skipped": [b"*-1\r\n" + PING],
    "zero multibulk is skipped": [b"*0\r\nPING\r\n"],
    "expected $": [b"*1\r\n+foo\r\n"],
    "expected $ after good": [PING + b"*2\r\n$4\r\nECHO\r\n:1\r\n"],
    "invalid bulk length": [b"*1\r\n$abc\r\n"],
    "negative bulk length": [b"*1\r\n$-3\r\n"],
    "bulk length with plus": [b"*1\r\n$+4\r\nPING\r\n"],
    "bulk length with leading zero": [b"*1\r\n$04\r\nPING\r\n"],
    "bulk length above proto-max-bulk-len": [b"*1\r\n$600000000\r\n"],
    "bad frame after good pipelined ones": [PING + b"*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n*1\r\n$x\r\n"],
    "inline mixed with RESP": [b"PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nECHO  yo\r\n"],
    "inline then malformed": [b"PING\r\n" + PING + b"PING\r\n*1\r\n(1\r\n"],
    "empty inline lines": [b"\r\n\r\nPING\r\n"],
    "inline LF only": [b"PING\n"],
    "inline escapes": [b'ECHO "a\\n\\tb\\x41\\x00"\r\n'],
    "inline single quotes": [b"ECHO 'it\\'s'\r\n"],
    "oversized inline": [b"A" * 70000],
    "big inline line": [b"A" * 70000 + b"\r\n"],
    "mbulk count line too long": chunked(b"*" + b"1" * 70000),
    "mbulk count line too long in one write": [b"*" + b"1" * 200000],
    "bulk count line too long": chunked(b"*1\r\n$" + b"1" * 70000),
    "split inside a frame": [b"*1\r\n$4\r\nPI", b"NG\r\n"],
    "split after a header": [b"*2\r\n$4\r\nECHO\r\n", b"$2\r\nhi\r\n"],
    "split before a bad header": [b"*1\r\n", b"$x\r\n"],
    "bulk without CRLF is read by length": [b"*1\r\n$4\r\nPINGxx"],
    "value with newline plus": [b"*2\r\n$4\r\nECHO\r\n$3\r\n\n+a\r\n"],
    "unknown command inline": [b"NOSUCH a b\r\n"],
    "count at INT_MAX waits": [b"*2147483647\r\n"],
    "huge count split across reads": [b"*30000", b"00000\r\n"],
    "huge count then bad bulk": [b"*2000000\r\n$1\r\na\r\n$x\r\n"],
    "huge count in a payload is data": [b"*2\r\n$4\r\nECHO\r\n$13\r\n\r\n*2147483647\r\n"],
}


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_and_inline_differential(name, redis_oracle_port, server):
    chunks = CASES[name]
    expected = exchange(redis_oracle_port, chunks)
    actual = exchange(server.port, chunks)
    assert actual == expected, f"{name}:\n  redis:   {expected[:300]!r}\n  dynamis: {actual[:300]!r}"
    # the server and other clients go on
    _assert_alive(server.port)


def _assert_alive(port: int) -> None:
    conn = RawConnection(port)
    assert conn.call("PING") == b"+PONG\r\n"
    conn.close()


def test_unauthenticated_limits_differential(redis_oracle_port, server):
    cases = [[b"*11\r\n"], [b"*1\r\n$16385\r\n"], [b"*2\r\n$4\r\nAUTH\r\n$1\r\nx\r\n"]]
    for port in (redis_oracle_port, server.port):
        redis.Redis(port=port).config_set("requirepass", "pw")
    try:
        for chunks in cases:
            assert exchange(server.port, chunks) == exchange(redis_oracle_port, chunks)
    finally:
        for port in (redis_oracle_port, server.port):
            redis.Redis(port=port, password="pw").config_set("requirepass", "")


def test_pipeline_10k_commands(server):
    conn = RawConnection(server.port)
    payload = b"".join(encode_command(["SET", f"pipe:{i}", str(i)]) for i in range(10000))
    payload += b"".join(encode_command(["GET", f"pipe:{i}"]) for i in range(10000))
    conn.send(payload)
    expected = b"+OK\r\n" * 10000 + b"".join(b"$%d\r\n%d\r\n" % (len(str(i)), i) for i in range(10000))
    got = b""
    while len(got) < len(expected):
        chunk = conn.sock.recv(1 << 20)
        assert chunk
        got += chunk
    assert got == expected
    conn.send(encode_command(["DEL", *[f"pipe:{i}" for i in range(10000)]]))
    assert conn.read_reply()[1] == 10000
    conn.close()


def test_limits_set_at_run_time_reach_existing_connections(redis_oracle_port, server):
    existing = {port: RawConnection(port) for port in (redis_oracle_port, server.port)}
    for port in existing:
        redis.Redis(port=port).config_set("proto-max-bulk-len", "2mb")
    try:
        replies = {port: (conn.send(b"*2\r\n$4\r\nECHO\r\n$3000000\r\n"), conn.read_all(1.0))[1]
                   for port, conn in existing.items()}
        assert replies[server.port] == replies[redis_oracle_port] == (
            b"-ERR Protocol error: invalid bulk length\r\n<closed>")
        fresh = exchange(server.port, [b"*2\r\n$4\r\nECHO\r\n$2000000\r\n"])
        assert fresh == b""  # within the limit: waits for the data
    finally:
        for port in existing:
            redis.Redis(port=port).config_set("proto-max-bulk-len", "512mb")


def test_query_buffer_limit_closes_silently(redis_oracle_port, server):
    chunks = [b"*2\r\n$4\r\nECHO\r\n$2000000\r\n"] + [b"x" * 100000] * 15
    for port in (redis_oracle_port, server.port):
        redis.Redis(port=port).config_set("client-query-buffer-limit", "1mb")
    try:
        assert exchange(server.port, chunks) == exchange(redis_oracle_port, chunks) == b"<closed>"
    finally:
        for port in (redis_oracle_port, server.port):
            redis.Redis(port=port).config_set("client-query-buffer-limit", "1gb")
    _assert_alive(server.port)


def test_maxclients(server):
    admin = server.client()
    keep = [RawConnection(server.port)]
    try:
        connected = admin.info("clients")["connected_clients"]
        admin.config_set("maxclients", str(connected + 1))
        keep.append(RawConnection(server.port))
        assert keep[-1].call("PING") == b"+PONG\r\n"
        assert exchange(server.port, [PING]) == b"-ERR max number of clients reached\r\n<closed>"
        assert admin.info("stats")["rejected_connections"] >= 1
    finally:
        admin.config_set("maxclients", "10000")
        for conn in keep:
            conn.close()
    _assert_alive(server.port)


def test_resp3_hello_and_types(server):
    conn = RawConnection(server.port)
    hello = conn.call("HELLO", "3")
    assert hello.startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n")
    assert conn.call("DEBUG", "PROTOCOL", "double") == b",3.141\r\n"
    assert conn.call("DEBUG", "PROTOCOL", "null") == b"_\r\n"
    assert conn.call("DEBUG", "PROTOCOL", "true") == b"#t\r\n"
    conn.close()


def test_huge_count_frame_is_read_without_stalling(server):
    """A frame declaring a billion arguments must not make the server allocate for them (hiredis would)."""
    idle = RawConnection(server.port)
    idle.send(b"*2147483647\r\n$3\r\nDEL\r\n")
    started = time.monotonic()
    idle.close()
    _assert_alive(server.port)
    assert time.monotonic() - started < 2
    # a real frame of 1,000,001 arguments, followed by a small one in the same write
    conn = RawConnection(server.port)
    keys = b"".join(b"$%d\r\nbig:%d\r\n" % (len(b"big:%d" % i), i) for i in range(1_000_000))
    conn.send(b"*1000001\r\n$3\r\nDEL\r\n" + keys + PING)
    assert conn.read_reply()[0] == b":0\r\n"
    assert conn.read_reply()[0] == b"+PONG\r\n"
    conn.close()


# payloads full of CR/LF and frame-like bytes are where a parser loses its place
_TRICKY = st.lists(st.sampled_from([b"", b"\r\n", b"a", b"*1\r\n", b"$0\r\n\r\n", b"\n+", b"*2147483647\r\n"]),
                   max_size=4).map(b"".join)
_ARG = st.one_of(st.binary(min_size=0, max_size=40), _TRICKY)
_REQUEST = st.one_of(
    st.lists(_ARG, min_size=1, max_size=5).map(lambda args: ("resp", args)),
    st.sampled_from([("inline", [b"PING"]), ("inline", [b"ECHO", b"a b"]), ("empty", [])]),
)


def _wire(kind: str, args: list[bytes]) -> bytes:
    if kind == "resp":
        return encode_command(args)
    if kind == "empty":
        return b"\r\n"
    return b"ECHO \"a b\"\r\n" if args[0] == b"ECHO" else b"PING\r\n"


@settings(max_examples=300, deadline=None)
@given(st.lists(_REQUEST, min_size=1, max_size=12), st.lists(st.integers(1, 40), min_size=1, max_size=30))
def test_chunking_does_not_change_requests(requests, cuts):
    """However the bytes are split into reads, the parser yields the same requests (RESP and inline mixed)."""
    stream = b"".join(_wire(kind, args) for kind, args in requests)
    expected = [args for kind, args in requests if kind != "empty"]
    parser = RequestParser(ProtocolLimits(512 * 1024 * 1024, 1024**3))
    got: list[list[bytes]] = []
    pos = 0
    i = 0
    while pos < len(stream):
        size = cuts[i % len(cuts)]
        got += parser.feed(stream[pos : pos + size])
        pos += size
        i += 1
    assert got == expected
