"""EVALSHA of a small script: dynamis beside real redis-server, with redis-benchmark.

The script increments a key and reads it back (two redis.call), the usual shape of a small Lua
helper. Prints ops/s, server CPU microseconds per request and the ratios to redis, unpipelined and
with -P 16 (at -P 1 redis-benchmark itself is often the bottleneck, so CPU per request is the
fairer figure).  Run:  python bench/script_bench.py [--requests 100000] [--clients 50]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
SCRIPT = "redis.call('incr', KEYS[1]) return redis.call('get', KEYS[1])"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def redis_cli(port: int, *args: str) -> str:
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


class Server:
    def __init__(self, name: str, cmd: list[str], port: int) -> None:
        self.name, self.port = name, port
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise SystemExit(f"{name} did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def run(server: Server, sha: str, args: argparse.Namespace) -> tuple[float, float]:
    """(ops/s, server CPU microseconds per request) of EVALSHA over redis-benchmark."""
    before = cpu_seconds(server.proc.pid)
    out = subprocess.run(["redis-benchmark", "-p", str(server.port), "-c", str(args.clients), "-n",
                          str(args.requests), "-P", str(args.pipeline), "-r", "1000", "--csv",
                          "EVALSHA", sha, "1", "key:__rand_int__"],
                         capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(server.proc.pid) - before
    rows = list(csv.reader(io.StringIO(out)))
    ops = float(rows[-1][1])
    return ops, cpu / args.requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100000)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    for tool in ("redis-server", "redis-benchmark", "redis-cli"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed (apt-get install redis-server redis-tools)")
    servers = []
    port = free_port()
    servers.append(Server("redis-server", ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
                          port))
    port = free_port()
    servers.append(Server("dynamis", [sys.executable, "-m", "dynamis", "serve", "--port", str(port),
                                      "--dynamo-port", "0"], port))
    try:
        shas = [redis_cli(server.port, "SCRIPT", "LOAD", SCRIPT) for server in servers]
        print(f"EVALSHA <{SCRIPT}>  -c {args.clients} -n {args.requests}")
        print(f"{'server':14} {'-P':>3} {'ops/s':>10} {'cpu us/req':>11} {'ops ratio':>10} {'cpu ratio':>10}")
        for pipeline in (1, 16):
            options = argparse.Namespace(**{**vars(args), "pipeline": pipeline})
            warmup = argparse.Namespace(**{**vars(options), "requests": max(args.requests // 10, 1000)})
            results = []
            for server, sha in zip(servers, shas, strict=True):
                run(server, sha, warmup)
                results.append((server.name, *run(server, sha, options)))
            base_ops, base_cpu = results[0][1], results[0][2]
            for name, ops, cpu in results:
                print(f"{name:14} {pipeline:3} {ops:10.0f} {cpu:11.1f} {ops / base_ops:10.2f} {cpu / base_cpu:10.2f}")
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main()
