"""Test helpers: free ports, raw RESP connections, and the differential oracle against real Redis."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from typing import Any

import hiredis

_STARTED: list[subprocess.Popen] = []


@atexit.register
def _reap_servers() -> None:
    """Servers a failed test left running die with the test session, never outlive it."""
    for proc in _STARTED:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _started(proc: subprocess.Popen, port: int) -> subprocess.Popen:
    """Track `proc` and wait for it to listen on `port`; kill it if it never does."""
    _STARTED.append(proc)
    try:
        wait_for_port(port, proc=proc)
    except BaseException:
        proc.kill()
        proc.wait(10)
        raise
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port}")


def encode_command(args: Sequence[Any]) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, (int, float)):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def resp_frame_end(buf: bytes, pos: int = 0) -> int | None:
    """Where the RESP2/RESP3 frame starting at `pos` ends, or None if `buf` holds only part of it."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        return None
    kind, header, after = buf[pos : pos + 1], buf[pos + 1 : end], end + 2
    if kind in b"$=!" and kind:
        size = int(header)
        if size < 0:
            return after
        return after + size + 2 if len(buf) >= after + size + 2 else None
    if kind in (b"*", b"~", b">", b"%", b"|"):
        count = int(header)
        if kind in (b"%", b"|"):
            count *= 2
        for _ in range(max(count, 0)):
            after = resp_frame_end(buf, after)
            if after is None:
                return None
        return after
    return after  # + - : , ( # _ are one line


class RawConnection:
    """A RESP connection that returns each reply's exact bytes (and hiredis's parse of them)."""

    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_reply(self) -> tuple[bytes, Any]:
        """The next reply: (its exact bytes, hiredis's parse of them)."""
        while True:
            end = resp_frame_end(self.buffer) if self.buffer else None
            if end is not None:
                raw, self.buffer = self.buffer[:end], self.buffer[end:]
                reader = hiredis.Reader()
                reader.feed(raw)
                return raw, reader.gets()
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buffer += chunk

    def call(self, *args: Any) -> bytes:
        """Send one command and return the raw bytes of its reply (one command in flight at a time)."""
        self.send(encode_command(args))
        raw, _ = self.read_reply()
        return raw

    def read_all(self, wait: float = 0.3) -> bytes:
        """Everything the server sends until it is quiet (or closes): for protocol-error tests."""
        self.sock.settimeout(wait)
        out, self.buffer = self.buffer, b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return out + b"<closed>"
                out += chunk
        except TimeoutError:
            return out

    def close(self) -> None:
        self.sock.close()


def wait_blocked(conn: RawConnection, n: int = 1, timeout: float = 15.0) -> None:
    """Wait until INFO on `conn`'s server counts `n` blocked clients (a waiter's command was really read)."""
    deadline = time.monotonic() + timeout
    while True:
        info = conn.call("INFO", "clients")
        if f"blocked_clients:{n}\r\n".encode() in info:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{n} blocked clients expected:\n{info.decode()}")
        time.sleep(0.005)


def start_redis_server(port: int) -> subprocess.Popen:
    """The oracle: Debian's redis-server 7.0 with no persistence, on its own port."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server): the differential tests need it")
    # its own scratch dir: a test that turns on AOF or saves must not write into the working tree
    scratch = tempfile.mkdtemp(prefix="redis-oracle-")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", scratch,
                             "--daemonize", "no", "--protected-mode", "no", "--enable-debug-command", "yes"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return _started(proc, port)


def start_dynamis(port: int, *args: str, data_dir: str | None = None, env: dict[str, str] | None = None,
                  **popen: Any) -> subprocess.Popen:
    """`dynamis serve` in a subprocess (for CLI, signal and crash tests)."""
    cmd = [sys.executable, "-m", "dynamis", "serve", "--port", str(port), "--dynamo-port", "0"]
    if data_dir is not None:
        cmd += ["--dir", data_dir]
    cmd += list(args)
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, **popen)
    return _started(proc, port)


class Differential:
    """Sends the same commands to real Redis and to dynamis and compares the replies byte for byte."""

    def __init__(self, redis_port: int, dynamis_port: int, resp: int = 2) -> None:
        self.redis = RawConnection(redis_port)
        self.dynamis = RawConnection(dynamis_port)
        if resp == 3:
            self.redis.call("HELLO", "3")
            self.dynamis.call("HELLO", "3")
        for conn in (self.redis, self.dynamis):
            conn.call("FLUSHALL")

    def both(self, *args: Any) -> tuple[bytes, bytes]:
        return self.redis.call(*args), self.dynamis.call(*args)

    def check(self, *args: Any) -> bytes:
        """Run one command on both; assert identical replies; return the reply."""
        expected, actual = self.both(*args)
        assert actual == expected, f"{args!r}:\n  redis:   {expected!r}\n  dynamis: {actual!r}"
        return actual

    def check_all(self, commands: Iterable[Sequence[Any]]) -> None:
        for args in commands:
            self.check(*args)

    def close(self) -> None:
        self.redis.close()
        self.dynamis.close()


def with_rdb_version(payload: bytes, version: int) -> bytes:
    """A DUMP-format payload's object bytes with another RDB version in the trailer and the CRC-64 that goes
    with it: dynamis writes Redis 7.4's version (12), the 7.0 oracle reads only up to 10."""
    from dynamis.kv.persistence.crc64 import crc64

    body = payload[:-10] + version.to_bytes(2, "little")
    return body + crc64(body).to_bytes(8, "little")
