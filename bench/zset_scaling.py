"""Sorted sets: cost per operation as one sorted set grows to 1M members, dynamis beside real
redis-server in one run.

Both servers get the same members and scores. At 10k, 100k and 1M members one connection sends
pre-encoded batches of each command, pipelined, and the time per command is reported (what the
server spends, the client only parses replies), with the server's CPU per command from /proc:

- ZADD: a new random score for an existing member (a remove + insert in the ordered index)
- ZRANK: the rank of a random member
- ZRANGEBYSCORE <random min> +inf LIMIT 0 10 (WITHSCORES): a seek plus ten members

Rank and range lookups are bisections of a sorted list in dynamis (a skiplist in Redis), so the
cost must stay nearly flat while the set grows 100-fold; a linear scan would grow 100x.

    python bench/zset_scaling.py
    python bench/zset_scaling.py --sizes 10000,100000 --ops 5000
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import sys
import tempfile
import time

import hiredis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from redis_bench import Server, cpu_seconds, free_port  # noqa: E402  (a sibling script, not a package)

KEY = b"zscale"


def encode(*args: bytes | str | int | float) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class Pipe:
    """One raw connection: send a batch of encoded commands, read exactly that many replies."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = hiredis.Reader()

    def run(self, batch: bytes, count: int) -> list[object]:
        self.sock.sendall(batch)
        replies: list[object] = []
        while len(replies) < count:
            reply = self.reader.gets()
            if reply is False:
                self.reader.feed(self.sock.recv(1 << 20))
                continue
            if isinstance(reply, hiredis.ReplyError):
                raise RuntimeError(reply)
            replies.append(reply)
        return replies

    def close(self) -> None:
        self.sock.close()


def member(i: int) -> bytes:
    return b"member:%08d" % i


def fill(pipe: Pipe, start: int, stop: int, scores: list[float]) -> None:
    """Add members start..stop-1 (1000 per ZADD, 20 ZADDs per round trip)."""
    commands = []
    for first in range(start, stop, 1000):
        args: list[bytes | float] = []
        for i in range(first, min(first + 1000, stop)):
            args += [repr(scores[i]).encode(), member(i)]
        commands.append(encode("ZADD", KEY, *args))
    for i in range(0, len(commands), 20):
        chunk = commands[i:i + 20]
        pipe.run(b"".join(chunk), len(chunk))


def timed(pipe: Pipe, server: Server, commands: list[bytes], batch: int) -> tuple[float, float]:
    """(microseconds per command through the wire, server CPU microseconds per command)."""
    batches = [b"".join(commands[i:i + batch]) for i in range(0, len(commands), batch)]
    sizes = [min(batch, len(commands) - i) for i in range(0, len(commands), batch)]
    cpu0 = cpu_seconds(server.proc.pid)
    start = time.perf_counter()
    for data, size in zip(batches, sizes, strict=True):
        pipe.run(data, size)
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds(server.proc.pid) - cpu0
    return elapsed / len(commands) * 1e6, cpu / len(commands) * 1e6


def workload(size: int, ops: int, rnd: random.Random, scores: list[float]) -> dict[str, list[bytes]]:
    return {
        "ZADD": [encode("ZADD", KEY, repr(rnd.uniform(0, 1e6)), member(rnd.randrange(size))) for _ in range(ops)],
        "ZRANK": [encode("ZRANK", KEY, member(rnd.randrange(size))) for _ in range(ops)],
        "ZRANGEBYSCORE LIMIT 10": [encode("ZRANGEBYSCORE", KEY, repr(rnd.uniform(0, 1e6)), "+inf", "WITHSCORES",
                                          "LIMIT", 0, 10) for _ in range(ops)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--ops", type=int, default=20_000, help="commands timed per operation and size")
    parser.add_argument("--batch", type=int, default=500, help="commands per pipelined round trip")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server not found: apt-get install redis-server")
    sizes = [int(s) for s in args.sizes.split(",")]
    rnd = random.Random(42)
    scores = [rnd.uniform(0, 1e6) for _ in range(max(sizes))]

    data = tempfile.mkdtemp(prefix="dynamis-bench-")
    rport, dport = free_port(), free_port()
    servers = [
        Server("redis", ["redis-server", "--port", str(rport), "--save", "", "--appendonly", "no", "--dir", data],
               rport),
        Server("dynamis", [sys.executable, "-m", "dynamis", "serve", "--port", str(dport), "--dynamo-port", "0",
                           "--save", "", "--dir", data], dport),
    ]
    pipes = {s.name: Pipe(s.port) for s in servers}
    results: dict[tuple[int, str, str], tuple[float, float]] = {}
    try:
        filled = 0
        for size in sizes:
            for server in servers:
                fill(pipes[server.name], filled, size, scores)
            filled = size
            commands = workload(size, args.ops, random.Random(size), scores)
            for op, batch in commands.items():
                for server in servers:
                    results[(size, op, server.name)] = timed(pipes[server.name], server, batch, args.batch)
    finally:
        for pipe in pipes.values():
            pipe.close()
        for server in servers:
            server.stop()
        shutil.rmtree(data, ignore_errors=True)

    print(f"sorted set scaling: {args.ops} pipelined commands per cell (batches of {args.batch}); "
          "wire = µs per command seen by the client, cpu = server CPU µs per command (/proc)")
    header = (f"{'operation':<24}{'members':>10}{'redis wire':>12}{'cpu':>7}{'dynamis wire':>14}{'cpu':>7}"
              f"{'cpu ratio':>11}{'dynamis cpu growth':>20}")
    print(header)
    print("-" * len(header))
    for op in commands:
        base = max(results[(sizes[0], op, "dynamis")][1], 1e-9)
        for size in sizes:
            r_wire, r_cpu = results[(size, op, "redis")]
            d_wire, d_cpu = results[(size, op, "dynamis")]
            ratio = f"{d_cpu / r_cpu:.1f}x" if r_cpu else "-"
            print(f"{op:<24}{size:>10,}{r_wire:>12.2f}{r_cpu:>7.2f}{d_wire:>14.2f}{d_cpu:>7.2f}{ratio:>11}"
                  f"{d_cpu / base:>19.2f}x")
    print(f"(members grow {sizes[-1] // sizes[0]}x from the first to the last row: a linear cost would grow as much)")

if __name__ == "__main__":
    main()
