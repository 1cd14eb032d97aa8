"""The real CLI in a subprocess: `dynamis --version`, `dynamis serve` with redis.conf and `--name value`
options, signals, SHUTDOWN, requirepass, and redis-cli (including `--pipe` mass insertion)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from dynamis import REDIS_VERSION, __version__
from tests.helpers import RawConnection, free_port, start_dynamis

REDIS_CLI = shutil.which("redis-cli")
needs_redis_cli = pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli is not installed (apt-get install redis-tools)")


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> tuple[int, str]:
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=15)
    return proc.returncode, err.decode()


_SERVED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def _no_server_outlives_its_test():
    """A test that fails before stopping its `dynamis serve` does not leave it running."""
    yield
    while _SERVED:
        proc = _SERVED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=15)


def _serve(tmp_path, *args: str, port: int | None = None) -> tuple[subprocess.Popen, int]:
    port = port or free_port()
    proc = start_dynamis(port, *args, data_dir=str(tmp_path / "data"), stderr=subprocess.PIPE)
    _SERVED.append(proc)
    return proc, port


def test_version():
    for cmd in ([sys.executable, "-m", "dynamis", "--version"], [shutil.which("dynamis") or "dynamis", "--version"]):
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        assert out.returncode == 0
        assert out.stdout.strip() == f"dynamis {__version__} (redis {REDIS_VERSION})"


def test_serve_startup_line_and_sigterm(tmp_path):
    proc, port = _serve(tmp_path, "--save", "", "--appendonly", "no")
    client = redis.Redis(port=port)
    assert client.ping() is True
    assert client.config_get("save") in ({b"save": b""}, {"save": ""})
    assert client.info("server")["tcp_port"] == port
    code, err = _stop(proc, signal.SIGTERM)
    assert code == 0
    ready = [line for line in err.splitlines() if " ready: " in line]
    assert len(ready) == 1
    assert f"dynamis {__version__} (redis {REDIS_VERSION})" in ready[0]
    assert f"redis port {port}" in ready[0] and "dynamo port off" in ready[0] and f"pid {proc.pid}" in ready[0]
    assert "Received SIGTERM scheduling shutdown..." in err
    assert err.rstrip().endswith("ready to exit, bye bye...")
    assert os.path.isdir(tmp_path / "data")


def test_sigint_shuts_down_cleanly(tmp_path):
    proc, port = _serve(tmp_path)
    assert redis.Redis(port=port).set("k", "v") is True
    code, err = _stop(proc, signal.SIGINT)
    assert code == 0 and "Received SIGINT scheduling shutdown..." in err and "Traceback" not in err


def test_config_file_and_overrides(tmp_path):
    conf = tmp_path / "redis.conf"
    conf.write_text('# a comment\nmaxmemory 10mb\ntimeout 30\nsave ""\nhash-max-ziplist-entries 64\n'
                    'notify-keyspace-events "Ex"\n')
    proc, port = _serve(tmp_path, "--config", str(conf), "--timeout", "40", "--slowlog-max-len", "7")
    try:
        client = redis.Redis(port=port, decode_responses=True)
        got = client.config_get("*")
        assert got["maxmemory"] == "10485760" and got["timeout"] == "40" and got["slowlog-max-len"] == "7"
        assert got["hash-max-listpack-entries"] == "64" and got["save"] == "" and got["notify-keyspace-events"] == "xE"
        assert client.info("server")["config_file"] == str(conf)
        client.config_set("maxmemory", "20mb")
        assert client.config_rewrite() in (True, "OK")
        text = conf.read_text()
        assert text.startswith("# a comment\nmaxmemory 20971520\n") and "timeout 40" in text
    finally:
        assert _stop(proc)[0] == 0


def test_bad_config_is_fatal(tmp_path):
    out = subprocess.run([sys.executable, "-m", "dynamis", "serve", "--port", str(free_port()), "--dynamo-port", "0",
                          "--maxmemory", "lots"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "FATAL CONFIG FILE ERROR" in out.stderr and "memory value" in out.stderr


def test_shutdown_command(tmp_path):
    proc, port = _serve(tmp_path)
    conn = RawConnection(port)
    assert conn.call("SHUTDOWN", "ABORT") == b"-ERR No shutdown in progress.\r\n"
    conn.send(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
    assert conn.read_all(5) == b"<closed>"
    assert proc.wait(15) == 0
    err = proc.stderr.read().decode()
    assert "User requested shutdown..." in err and "bye bye" in err


def test_shutdown_refuses_when_a_save_is_due(tmp_path):
    proc, port = _serve(tmp_path, "--save", "3600 1")
    try:
        conn = RawConnection(port)
        assert conn.call("SHUTDOWN") == b"-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
        assert conn.call("PING") == b"+PONG\r\n"
        conn.send(b"*2\r\n$8\r\nSHUTDOWN\r\n$5\r\nFORCE\r\n")
        assert conn.read_all(5) == b"<closed>"
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            _stop(proc)


def test_requirepass(tmp_path):
    proc, port = _serve(tmp_path, "--requirepass", "pw")
    try:
        conn = RawConnection(port)
        assert conn.call("GET", "k") == b"-NOAUTH Authentication required.\r\n"
        assert conn.call("AUTH", "nope") == b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        assert conn.call("AUTH", "pw") == b"+OK\r\n"
        assert conn.call("GET", "k") == b"$-1\r\n"
        assert redis.Redis(port=port, password="pw", protocol=3).ping() is True  # HELLO 3 AUTH default pw
        with pytest.raises(redis.AuthenticationError):  # at once: redis-py would retry for ~3 s
            redis.Redis(port=port, password="bad", retry=Retry(NoBackoff(), 0)).ping()
    finally:
        assert _stop(proc)[0] == 0


@needs_redis_cli
def test_redis_cli_ping_and_info(tmp_path):
    proc, port = _serve(tmp_path)
    try:
        out = subprocess.run([REDIS_CLI, "-p", str(port), "ping"], capture_output=True, text=True, timeout=30)
        assert out.stdout == "PONG\n"
        out = subprocess.run([REDIS_CLI, "-p", str(port), "info", "server"], capture_output=True, text=True, timeout=30)
        assert f"redis_version:{REDIS_VERSION}" in out.stdout
        out = subprocess.run([REDIS_CLI, "-p", str(port), "--no-raw", "set", "a", "b"], capture_output=True, text=True,
                             timeout=30)
        assert out.stdout == "OK\n"
    finally:
        assert _stop(proc)[0] == 0


@needs_redis_cli
def test_redis_cli_pipe_mass_insertion(tmp_path):
    proc, port = _serve(tmp_path)
    data = tmp_path / "mass.txt"
    with open(data, "wb") as f:
        for i in range(100_000):
            key, value = b"key:%d" % i, b"value:%d" % i
            f.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value))
    try:
        with open(data, "rb") as stdin:
            out = subprocess.run([REDIS_CLI, "-p", str(port), "--pipe"], stdin=stdin, capture_output=True, text=True,
                                 timeout=120)
        assert out.returncode == 0, out.stderr
        assert "errors: 0, replies: 100000" in out.stdout
        client = redis.Redis(port=port)
        assert client.dbsize() == 100_000 and client.get("key:99999") == b"value:99999"
    finally:
        assert _stop(proc)[0] == 0
