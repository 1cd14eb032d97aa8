"""Streams: per-operation cost as a stream grows to 1M entries, and XADD / XREADGROUP throughput,
dynamis beside real redis-server in one run.

1. Scaling: both servers are filled to 10k, 100k and 1M entries; at each size one client times
   single round trips of XADD and of XRANGE <random id> + COUNT 10 (no pipelining). The cost
   must not grow with the length of the stream (Redis: O(1) append, O(log n) seek).
2. Throughput: redis-benchmark (50 clients) runs XADD, then XREADGROUP COUNT 1 (each call
   delivers one new entry and records it in the PEL), at -P 1 and -P 16.

    python bench/stream_bench.py
    python bench/stream_bench.py --sizes 10000,100000 --probes 1000
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from redis_bench import Server, free_port  # noqa: E402  (a sibling script, not a package)


def fill(client: redis.Redis, key: str, start: int, stop: int, batch: int = 2000) -> None:
    """Append entries with IDs start-0 .. stop-1-0 (explicit, so both servers hold the same IDs)."""
    for first in range(start, stop, batch):
        pipe = client.pipeline(transaction=False)
        for i in range(first, min(first + batch, stop)):
            pipe.execute_command("XADD", key, f"{i}-0", "field", "value", "n", i)
        pipe.execute()


def probe(client: redis.Redis, key: str, top: int, next_id: int, probes: int,
          rnd: random.Random) -> tuple[float, float]:
    """Microseconds per XADD and per XRANGE <random id below `top`> COUNT 10, one round trip at a time:
    the median over 10 batches, so that a burst of load on a shared machine does not decide it."""
    batch = max(probes // 10, 1)
    xadd, xrange = [], []
    for first in range(0, probes, batch):
        start = time.perf_counter()
        for i in range(first, first + batch):
            client.execute_command("XADD", key, f"{next_id + i}-0", "field", "value")
        xadd.append((time.perf_counter() - start) / batch * 1e6)
        starts = [f"{rnd.randrange(1, top)}-0" for _ in range(batch)]
        start = time.perf_counter()
        for begin in starts:
            client.execute_command("XRANGE", key, begin, "+", "COUNT", "10")
        xrange.append((time.perf_counter() - start) / batch * 1e6)
    return statistics.median(xadd), statistics.median(xrange)


def benchmark(port: int, command: list[str], requests: int, pipeline: int) -> float:
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-c", "50", "-n", str(requests), "-P", str(pipeline),
                          "--csv", "-q", *command], capture_output=True, text=True, check=True, timeout=900).stdout
    rows = [row for row in csv.reader(io.StringIO(out)) if row and row[0] != "test"]
    return float(rows[0][1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--probes", type=int, default=2000, help="round trips timed per operation and size")
    parser.add_argument("--requests", type=int, default=200_000, help="redis-benchmark requests per test")
    args = parser.parse_args()
    for tool in ("redis-server", "redis-benchmark"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: apt-get install redis-server redis-tools")

    data = tempfile.mkdtemp(prefix="dynamis-bench-")
    rport, dport = free_port(), free_port()
    servers = [
        Server("redis", ["redis-server", "--port", str(rport), "--save", "", "--appendonly", "no", "--dir", data],
               rport),
        Server("dynamis", [sys.executable, "-m", "dynamis", "serve", "--port", str(dport), "--dynamo-port", "0",
                           "--save", "", "--dir", data], dport),
    ]
    try:
        clients = {s.name: redis.Redis(port=s.port, protocol=2) for s in servers}
        sizes = [int(n) for n in args.sizes.split(",")]
        print(f"per-operation cost, one round trip at a time ({args.probes} probes per cell, median of 10 batches), "
              "microseconds\n")
        header = (f"{'entries':>10} {'XADD redis':>11} {'XADD dynamis':>13} {'ratio':>6}   "
                  f"{'XRANGE10 redis':>15} {'XRANGE10 dynamis':>17} {'ratio':>6}")
        print(header)
        print("-" * len(header))
        length, next_id = 0, 1
        for size in sizes:
            row = {}
            count = size - length
            for name, client in clients.items():
                fill(client, "scale", next_id, next_id + count)
                row[name] = probe(client, "scale", next_id + count, next_id + count, args.probes,
                                  random.Random(size))
            length = size + args.probes
            next_id += count + args.probes
            (rx, rr), (dx, dr) = row["redis"], row["dynamis"]
            print(f"{size:>10,} {rx:>11.1f} {dx:>13.1f} {rx / dx:>6.2f}   {rr:>15.1f} {dr:>17.1f} {rr / dr:>6.2f}",
                  flush=True)
        print("  (ratio = redis cost / dynamis cost: 1.0 is parity, higher is better for dynamis)\n")

        print(f"throughput, redis-benchmark -c 50 -n {args.requests}, ops/s\n")
        header = f"{'test':<34}{'P':>3} {'redis':>10} {'dynamis':>10} {'ratio':>6}"
        print(header)
        print("-" * len(header))
        for pipeline in (1, 16):
            results: dict[str, dict[str, float]] = {"XADD": {}, "XREADGROUP COUNT 1 >": {}}
            for server in servers:
                client = clients[server.name]
                client.delete("tput")
                results["XADD"][server.name] = benchmark(server.port, ["XADD", "tput", "*", "f", "v"],
                                                         args.requests, pipeline)
                client.xgroup_create("tput", "g", "0")
                results["XREADGROUP COUNT 1 >"][server.name] = benchmark(
                    server.port, ["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "tput", ">"],
                    args.requests, pipeline)
            for test, by_server in results.items():
                r_ops, d_ops = by_server["redis"], by_server["dynamis"]
                print(f"{test:<34}{pipeline:>3} {r_ops:>10,.0f} {d_ops:>10,.0f} {d_ops / r_ops:>6.2f}", flush=True)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
