"""PUBLISH fan-out: dynamis vs real redis-server, side by side in one run.

For 1, 10 and 100 subscribers, a publisher sends pipelined PUBLISHes and every subscriber drains
its socket until it has seen every message. Prints messages/s, deliveries/s, the server's CPU time
per delivered message (from /proc/PID/stat) and the dynamis/redis ratios. Subscribers and the
publisher are raw sockets in a separate process pool so the load generator stays light.

    python bench/pubsub_bench.py [--messages 20000] [--subscribers 1,10,100]
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from redis_bench import Server, cpu_seconds, free_port  # noqa: E402

MESSAGE = b"x" * 32


def _command(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def _drain(sock: socket.socket, expected: int, done: threading.Event, counts: list[int], slot: int) -> None:
    # each delivery is one "*3\r\n$7\r\nmessage\r\n..." frame: count the frame headers
    marker = b"$7\r\nmessage\r\n"
    seen = 0
    tail = b""
    while seen < expected:
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        data = tail + chunk
        seen += data.count(marker)
        tail = data[-(len(marker) - 1):]
    counts[slot] = seen
    done.set()


def run(port: int, pid: int, subscribers: int, messages: int) -> tuple[float, float]:
    """Return (messages per second, server CPU microseconds per delivery)."""
    socks = []
    for _ in range(subscribers):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(_command(b"SUBSCRIBE", b"bench"))
        s.recv(4096)
        socks.append(s)
    counts = [0] * subscribers
    events = [threading.Event() for _ in socks]
    threads = [threading.Thread(target=_drain, args=(s, messages, e, counts, i), daemon=True)
               for i, (s, e) in enumerate(zip(socks, events, strict=True))]
    for t in threads:
        t.start()
    publisher = socket.create_connection(("127.0.0.1", port))
    batch = _command(b"PUBLISH", b"bench", MESSAGE) * 16
    cpu0 = cpu_seconds(pid)
    start = time.perf_counter()
    sent = 0
    while sent < messages:
        publisher.sendall(batch)
        sent += 16
        got = 0
        while got < 16:  # read the 16 integer replies before the next batch
            got += publisher.recv(65536).count(b"\r\n")
    deadline = time.monotonic() + 120
    for e in events:
        e.wait(max(0.0, deadline - time.monotonic()))
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds(pid) - cpu0
    for s in socks + [publisher]:
        s.close()
    delivered = sum(counts)
    if delivered < sent * subscribers:
        print(f"  warning: {delivered} of {sent * subscribers} deliveries seen", file=sys.stderr)
    return sent / elapsed, cpu / max(delivered, 1) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--subscribers", default="1,10,100")
    args = parser.parse_args()
    rport, dport = free_port(), free_port()
    redis = Server("redis", ["redis-server", "--port", str(rport), "--save", "", "--appendonly", "no"], rport)
    dynamis = Server("dynamis", [sys.executable, "-m", "dynamis", "serve", "--port", str(dport), "--dynamo-port", "0",
                                 "--save", ""], dport)
    try:
        header = (f"{'subs':>5} {'redis msg/s':>12} {'dynamis msg/s':>14} {'ratio':>6}   "
                  f"{'redis us/deliv':>14} {'dynamis us/deliv':>16} {'cpu x':>6}")
        print(f"PUBLISH fan-out, {args.messages} messages of {len(MESSAGE)} bytes, pipelined by 16\n")
        print(header)
        print("-" * len(header))
        for n in [int(x) for x in args.subscribers.split(",")]:
            r_rate, r_cpu = run(rport, redis.proc.pid, n, args.messages)
            d_rate, d_cpu = run(dport, dynamis.proc.pid, n, args.messages)
            print(f"{n:>5} {r_rate:>12,.0f} {d_rate:>14,.0f} {d_rate / r_rate:>6.2f}   "
                  f"{r_cpu:>14.2f} {d_cpu:>16.2f} {d_cpu / r_cpu:>6.2f}", flush=True)
    finally:
        redis.stop()
        dynamis.stop()


if __name__ == "__main__":
    main()
