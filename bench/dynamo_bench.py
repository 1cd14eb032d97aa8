"""DynamoDB benchmark: dynamis vs moto's server vs dynalite, side by side in one run.

    pip install 'moto[server]'                  # moto's server
    (cd bench && npm install dynalite)          # dynalite, run with node
    python bench/dynamo_bench.py [--duration 5] [--clients 32] [--procs 2] [--servers dynamis,moto,dynalite]

Operations run one after another, each on every server in turn, for --duration seconds (and at most
--requests requests) with --clients keep-alive connections spread over --procs load-generator processes. Requests are built and SigV4-signed before the
clock starts, so the generator only writes bytes and parses status lines. Every server is started here on a
loopback port and stopped by its PID. Reported: ops/s, p50/p99 latency, and the CPU used by the server and by
the load generator (in % of one core), so a saturated generator is visible; ops per server CPU-second is the
fairer comparison when other work on the machine takes CPU from the servers unevenly.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import hmac
import json
import multiprocessing as mp
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TABLE = "bench"
PAYLOAD_1K = "x" * 1000
GET_KEYS = 2000
QUERY_ITEMS = 100
COUNTERS = 100


# -- requests -------------------------------------------------------------------------------------------
def _signed(host: str, port: int, operation: str, body: dict[str, Any]) -> bytes:
    """One complete HTTP/1.1 request, signed with SigV4 as an SDK would sign it."""
    payload = json.dumps(body, separators=(",", ":")).encode()
    now = dt.datetime.now(dt.UTC)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    target = f"DynamoDB_20120810.{operation}"
    headers = {"content-type": "application/x-amz-json-1.0", "host": f"{host}:{port}", "x-amz-date": amz_date,
               "x-amz-target": target}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["POST", "/", "", "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)), signed,
                           hashlib.sha256(payload).hexdigest()])
    scope = f"{day}/us-east-1/dynamodb/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = b"AWS4bench-secret"
    for part in (day, "us-east-1", "dynamodb", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    head = (f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/x-amz-json-1.0\r\n"
            f"X-Amz-Date: {amz_date}\r\nX-Amz-Target: {target}\r\nContent-Length: {len(payload)}\r\n"
            f"Authorization: AWS4-HMAC-SHA256 Credential=AKIDBENCH/{scope}, SignedHeaders={signed}, "
            f"Signature={signature}\r\n\r\n")
    return head.encode() + payload


def _item(pk: str, sk: int, payload: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}, "data": {"S": payload}}


def build_requests(op: str, host: str, port: int, worker: int, count: int) -> list[bytes]:
    """`count` distinct requests of one operation for one load-generator process."""
    requests = []
    for i in range(count):
        if op == "PutItem":
            body: dict[str, Any] = {"TableName": TABLE, "Item": _item(f"put-{worker}-{i}", 0, PAYLOAD_1K)}
        elif op == "GetItem":
            body = {"TableName": TABLE, "Key": {"pk": {"S": f"get-{(i * 7919 + worker) % GET_KEYS}"},
                                                "sk": {"N": "0"}}}
        elif op == "Query":
            body = {"TableName": TABLE, "KeyConditionExpression": "pk = :p",
                    "ExpressionAttributeValues": {":p": {"S": "query"}}}
        elif op == "BatchWriteItem":
            body = {"RequestItems": {TABLE: [{"PutRequest": {"Item": _item(f"batch-{worker}-{i}", j, "y" * 100)}}
                                             for j in range(25)]}}
        elif op == "UpdateItem":
            body = {"TableName": TABLE, "Key": {"pk": {"S": f"counter-{(i + worker) % COUNTERS}"}, "sk": {"N": "0"}},
                    "UpdateExpression": "ADD hits :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}
        else:
            raise ValueError(op)
        requests.append(_signed(host, port, op, body))
    return requests


# -- load generator -------------------------------------------------------------------------------------
class _Connection(asyncio.Protocol):
    """A keep-alive HTTP/1.1 client connection that waits for one Content-Length response at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection closed"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line.startswith(b"content-length:"):
                length = int(line[15:])
        if len(self.buffer) < end + 4 + length:
            return
        status_ok = head[9:12] == b"200"
        close = b"connection: close" in head
        del self.buffer[:end + 4 + length]
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((status_ok, close))

    async def request(self, data: bytes) -> tuple[bool, bool]:
        self.waiter = asyncio.get_running_loop().create_future()
        assert self.transport is not None
        self.transport.write(data)
        return await self.waiter


async def _client_loop(host: str, port: int, requests: list[bytes], start: int, step: int, deadline: float,
                       latencies: list[float], errors: list[int]) -> None:
    loop = asyncio.get_running_loop()
    conn: _Connection | None = None
    for i in range(start, len(requests), step):
        if time.monotonic() >= deadline:
            return
        if conn is None or conn.closed:
            _, conn = await loop.create_connection(_Connection, host, port)
        began = time.perf_counter()
        try:
            ok, close = await conn.request(requests[i])
        except ConnectionError:
            errors[0] += 1
            conn = None
            continue
        latencies.append(time.perf_counter() - began)
        if not ok:
            errors[0] += 1
        if close:
            assert conn.transport is not None
            conn.transport.close()
            conn = None
    if conn is not None and conn.transport is not None:
        conn.transport.close()


def _worker(args: tuple) -> dict[str, Any]:
    host, port, op, worker, connections, count, start_at, duration = args
    requests = build_requests(op, host, port, worker, count)
    latencies: list[float] = []
    errors = [0]

    async def main() -> None:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        deadline = time.monotonic() + duration
        await asyncio.gather(*(_client_loop(host, port, requests, c, connections, deadline, latencies, errors)
                               for c in range(connections)))

    try:
        import uvloop
        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    began = time.time()
    runner(main())
    elapsed = time.time() - max(began, start_at)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {"latencies": latencies, "errors": errors[0], "cpu": cpu, "elapsed": elapsed}


# -- servers --------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its waited-for children, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    command: list[str]
    port: int
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited during start-up") from None
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def make_servers(names: list[str], data_dir: str) -> list[Server]:
    servers = []
    for name in names:
        port = _free_port()
        if name == "dynamis":
            code = ("from dynamis.dynamo.server import DynamoOptions, serve; "
                    f"serve(DynamoOptions(port={port}, data_dir={data_dir!r}))")
            servers.append(Server("dynamis", [sys.executable, "-c", code], port))
        elif name == "dynamis-mem":
            code = ("from dynamis.dynamo.server import DynamoOptions, serve; "
                    f"serve(DynamoOptions(port={port}, in_memory=True))")
            servers.append(Server("dynamis-mem", [sys.executable, "-c", code], port))
        elif name == "moto":
            servers.append(Server("moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                  port))
        elif name == "dynalite":
            cli = HERE / "node_modules" / "dynalite" / "cli.js"
            if not cli.exists() or not shutil.which("node"):
                print("skipping dynalite: run `npm install dynalite` in bench/", file=sys.stderr)
                continue
            servers.append(Server("dynalite", ["node", str(cli), "--port", str(port)], port))
    return servers


def prepare(server: Server) -> None:
    """Create the table and the items GetItem, Query and UpdateItem read."""
    import boto3
    from botocore.config import Config

    client = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{server.port}", region_name="us-east-1",
                          aws_access_key_id="AKIDBENCH", aws_secret_access_key="bench-secret",
                          config=Config(retries={"max_attempts": 10}))
    client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "N"}])
    client.get_waiter("table_exists").wait(TableName=TABLE, WaiterConfig={"Delay": 0.2})
    items = ([_item(f"get-{i}", 0, PAYLOAD_1K) for i in range(GET_KEYS)]
             + [_item("query", i, "q" * 100) for i in range(QUERY_ITEMS)])
    for start in range(0, len(items), 25):
        chunk = {TABLE: [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]}
        while chunk:
            chunk = client.batch_write_item(RequestItems=chunk).get("UnprocessedItems")


def run_op(pool: Any, server: Server, op: str, args: argparse.Namespace) -> dict[str, Any]:
    per_proc = [args.clients // args.procs + (1 if p < args.clients % args.procs else 0) for p in range(args.procs)]
    start_at = time.time() + 1.0 + args.requests / args.procs / 50000  # time to build the requests first
    assert server.proc is not None
    cpu_before = _cpu_seconds(server.proc.pid)
    jobs = [("127.0.0.1", server.port, op, p, per_proc[p], args.requests // args.procs, start_at, args.duration)
            for p in range(args.procs)]
    results = pool.map(_worker, jobs)
    cpu_after = _cpu_seconds(server.proc.pid)
    latencies = sorted(x for r in results for x in r["latencies"])
    elapsed = max(r["elapsed"] for r in results)
    done = len(latencies)
    return {
        "server": server.name, "op": op, "ops": done / elapsed if elapsed else 0.0,
        "p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99": latencies[min(done - 1, int(done * 0.99))] * 1000 if latencies else float("nan"),
        "server_cpu": (cpu_after - cpu_before) / elapsed * 100,
        "gen_cpu": sum(r["cpu"] for r in results) / elapsed * 100,
        "errors": sum(r["errors"] for r in results), "requests": done,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", default="dynamis,moto,dynalite")
    parser.add_argument("--ops", default="PutItem,GetItem,Query,BatchWriteItem,UpdateItem")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per operation and server")
    parser.add_argument("--requests", type=int, default=200000, help="at most this many requests per run")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--procs", type=int, default=2, help="load-generator processes")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="dynamo-bench-") as data_dir, \
            mp.get_context("spawn").Pool(args.procs) as pool:
        servers = make_servers(args.servers.split(","), data_dir)
        try:
            for server in servers:
                server.start()
                prepare(server)
            # Operations outermost: each server runs an operation right after the others, so that load
            # from elsewhere on the machine skews them alike.
            for op in args.ops.split(","):
                for server in servers:
                    row = run_op(pool, server, op, args)
                    rows.append(row)
                    print(f"{row['server']:<12} {op:<15} {row['ops']:>9.0f} ops/s  p50 {row['p50']:7.2f} ms  "
                          f"p99 {row['p99']:7.2f} ms  server CPU {row['server_cpu']:4.0f}%  "
                          f"loadgen CPU {row['gen_cpu']:4.0f}%  errors {row['errors']}", file=sys.stderr)
        finally:
            for server in servers:
                server.stop()
    print_table(rows)


def print_table(rows: list[dict[str, Any]]) -> None:
    print("| operation | server | ops/s | p50 ms | p99 ms | server CPU % | ops per server CPU-s | load-gen CPU % "
          "| errors |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for op in dict.fromkeys(r["op"] for r in rows):
        for r in (r for r in rows if r["op"] == op):
            efficiency = r["ops"] / (r["server_cpu"] / 100) if r["server_cpu"] else float("nan")
            print(f"| {op} | {r['server']} | {r['ops']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
                  f"{r['server_cpu']:.0f} | {efficiency:.0f} | {r['gen_cpu']:.0f} | {r['errors']} |")
    by = {(r["server"], r["op"]): r["ops"] for r in rows}
    for peer in ("moto", "dynalite"):
        ratios = [f"{op} {by[('dynamis', op)] / by[(peer, op)]:.1f}x" for op in dict.fromkeys(r["op"] for r in rows)
                  if ("dynamis", op) in by and by.get((peer, op))]
        if ratios:
            print(f"\ndynamis / {peer}: " + ", ".join(ratios))


if __name__ == "__main__":
    main()
