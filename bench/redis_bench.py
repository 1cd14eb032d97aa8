"""dynamis vs real redis-server, side by side in one run, with redis-benchmark.

For each test and pipeline depth it prints ops/s, the server's CPU time per request (from
/proc/PID/stat before and after: at -P 1 redis-benchmark itself is often the bottleneck, so CPU per
request is the fairer figure) and the dynamis/redis ratios. Then memory per key after
`DEBUG POPULATE`. Run:  python bench/redis_bench.py [--requests 200000] [--tests set,get,incr,mset]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server on {port} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listening on {port}")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def redis_cli(port: int, *args: str) -> str:
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, check=True).stdout


def info_field(port: int, field: str) -> str:
    for line in redis_cli(port, "INFO", "memory").splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return ""


class Server:
    def __init__(self, name: str, cmd: list[str], port: int) -> None:
        self.name = name
        self.port = port
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port, self.proc)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def run_benchmark(server: Server, test: str, args: argparse.Namespace, pipeline: int) -> tuple[float, float]:
    """Return (ops/s, server CPU microseconds per request) for one redis-benchmark test."""
    redis_cli(server.port, "FLUSHALL")
    cpu0 = cpu_seconds(server.proc.pid)
    out = subprocess.run(
        ["redis-benchmark", "-p", str(server.port), "-c", str(args.clients), "-n", str(args.requests),
         "-r", str(args.keyspace), "-P", str(pipeline), "-t", test, "--csv", "-q"],
        capture_output=True, text=True, check=True, timeout=600,
    ).stdout
    cpu = cpu_seconds(server.proc.pid) - cpu0
    # LRANGE_* runs a preparatory "LPUSH (needed to benchmark LRANGE)" first: take the test's own row
    rows = [row for row in csv.reader(io.StringIO(out)) if row and row[0].lower().split(" ")[0] == test]
    rps = float(rows[0][1])
    return rps, cpu / args.requests * 1e6


def memory_per_key(server: Server, keys: int) -> tuple[float, float]:
    """(bytes per key by RSS growth, bytes per key by INFO used_memory growth) after DEBUG POPULATE."""
    redis_cli(server.port, "FLUSHALL")
    time.sleep(0.2)
    rss0 = rss_bytes(server.proc.pid)
    used0 = int(info_field(server.port, "used_memory") or 0)
    redis_cli(server.port, "DEBUG", "POPULATE", str(keys))
    time.sleep(0.2)
    rss = (rss_bytes(server.proc.pid) - rss0) / keys
    used = (int(info_field(server.port, "used_memory") or 0) - used0) / keys
    redis_cli(server.port, "FLUSHALL")
    return rss, used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--keyspace", type=int, default=100_000)
    parser.add_argument("--tests", default="set,get,incr,mset,lpush,rpop,sadd,hset,zadd,lrange_100,lrange_300")
    parser.add_argument("--pipelines", default="1,16")
    parser.add_argument("--rounds", type=int, default=1, help="repeat each measurement, report medians")
    parser.add_argument("--populate", type=int, default=1_000_000, help="keys for the memory test (0 = skip)")
    args = parser.parse_args()
    for tool in ("redis-server", "redis-benchmark", "redis-cli"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: apt-get install redis-server redis-tools")

    data = tempfile.mkdtemp(prefix="dynamis-bench-")
    rport, dport = free_port(), free_port()
    redis = Server("redis", ["redis-server", "--port", str(rport), "--save", "", "--appendonly", "no",
                             "--enable-debug-command", "yes", "--dir", data], rport)
    dynamis = Server("dynamis", [sys.executable, "-m", "dynamis", "serve", "--port", str(dport), "--dynamo-port", "0",
                                 "--save", "", "--dir", data], dport)
    try:
        print(f"redis-benchmark -c {args.clients} -n {args.requests} -r {args.keyspace}; "
              f"medians of {args.rounds} round(s)\n")
        header = (f"{'test':<12}{'P':>3} {'redis ops/s':>12} {'dynamis ops/s':>14} {'ratio':>6}   "
                  f"{'redis us/req':>12} {'dynamis us/req':>14} {'cpu x':>6}")
        print(header)
        print("-" * len(header))
        for pipeline in [int(p) for p in args.pipelines.split(",")]:
            for test in args.tests.split(","):
                results = {}
                for server in (redis, dynamis):
                    samples = [run_benchmark(server, test, args, pipeline) for _ in range(args.rounds)]
                    results[server.name] = (statistics.median(s[0] for s in samples),
                                            statistics.median(s[1] for s in samples))
                (r_ops, r_cpu), (d_ops, d_cpu) = results["redis"], results["dynamis"]
                print(f"{test:<12}{pipeline:>3} {r_ops:>12,.0f} {d_ops:>14,.0f} {d_ops / r_ops:>6.2f}   "
                      f"{r_cpu:>12.2f} {d_cpu:>14.2f} {d_cpu / r_cpu:>6.2f}", flush=True)
        if args.populate:
            print(f"\nmemory after DEBUG POPULATE {args.populate:,} (bytes per key)")
            r_rss, r_used = memory_per_key(redis, args.populate)
            d_rss, d_used = memory_per_key(dynamis, args.populate)
            print(f"  redis   used_memory {r_used:7.1f}   RSS {r_rss:7.1f}")
            print(f"  dynamis used_memory {d_used:7.1f}   RSS {d_rss:7.1f}")
            print(f"  ratio (dynamis RSS / redis used_memory): {d_rss / r_used:.2f}")
    finally:
        redis.stop()
        dynamis.stop()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
