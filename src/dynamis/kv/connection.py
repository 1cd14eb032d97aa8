"""One TCP connection: bytes in -> requests -> `RedisServer.execute` -> replies out.

This is the only place that touches sockets on the Redis side. Replies of one read are joined
into a single write, so a pipelined batch costs one syscall.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from typing import Any

from dynamis.kv.blocking import BlockedRequest, block_client, timeout_client
from dynamis.kv.client import Client
from dynamis.kv.protocol import (
    ProtocolError,
    Push,
    QueryBufferLimitError,
    ReplyError,
    RequestParser,
    encode_reply,
)
from dynamis.kv.server import POSTPONED, RedisServer

log = logging.getLogger("dynamis")


class RespConnection(asyncio.Protocol):
    __slots__ = ("server", "transport", "client", "parser", "_execute", "_closed", "_stats", "_soft_limit_since",
                 "_held", "_block_timer", "_out", "_pushes", "_loop")

    def __init__(self, server: RedisServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self._closed = False
        self._soft_limit_since: float | None = None
        self._held: list[Any] | None = None  # [requests, protocol error] waiting for CLIENT PAUSE to end
        self._block_timer: asyncio.TimerHandle | None = None  # timeout of a blocked BLPOP, XREAD BLOCK...
        self._out: list[bytes] | None = None  # replies of the batch being processed (pushes join them in order)
        self._pushes: list[bytes] | None = None  # pushes waiting for the end of this loop iteration

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        # kept: asyncio.get_running_loop() makes a getpid() system call each time on Python 3.11
        self._loop = asyncio.get_running_loop()
        server = self.server
        sock = transport.get_extra_info("socket")
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client = client = server.new_client(_format_addr(peer), _format_addr(local),
                                                  sock.fileno() if sock is not None else -1)
        client.write_push = self.write_push
        client.close = self.close
        client.on_unblocked = self._unblocked
        client.poll_input = self.poll_input  # read from inside a busy script (kv/scripting.py)
        client.output_buffer_size = transport.get_write_buffer_size
        config = server.config
        self.parser = RequestParser(server.proto_limits)
        self.parser.authenticated = client.authenticated
        self._execute = server.execute
        self._stats = server.stats
        if len(server.clients) > config["maxclients"]:
            server.stats["rejected_connections"] += 1
            transport.write(b"-ERR max number of clients reached\r\n")
            self.close()

    def data_received(self, data: bytes) -> None:
        if self._closed:
            return
        self._stats["total_net_input_bytes"] += len(data)
        error = None
        try:
            requests = self.parser.feed(data)
        except ProtocolError as exc:
            requests = exc.requests
            error = exc
        if self._held is not None:  # paused: keep the order, run them all when the pause ends
            self._held[0].extend(requests)
            self._held[1] = self._held[1] or error
            return
        self._process(requests, error)

    def poll_input(self) -> None:
        """Read and process what the socket holds now, from inside a long command: a script past
        busy-reply-threshold answers the other clients while it runs (Redis's processEventsWhileBlocked)."""
        if self._closed:
            return
        try:
            data = os.read(self.client.fd, 65536)
        except OSError:  # nothing there (EAGAIN) or a dead socket: the event loop sees to it later
            return
        if data:
            self.data_received(data)

    def _resume(self) -> None:
        """The pause ended: run the requests held back, then read again."""
        if self._closed or self._held is None:
            return
        requests, error = self._held
        self._held = None
        self._process(requests, error)
        if self._held is None and not self._closed:
            self.transport.resume_reading()

    def _process(self, requests: list[list[bytes]], error: ProtocolError | None) -> None:
        client = self.client
        # pushes queued earlier come first; pushes made while this batch runs go between its replies
        out: list[bytes] = self._pushes or []
        self._pushes = None
        self._out = out
        try:
            error = self._run_batch(client, requests, error, out)
        finally:
            self._out = None
        client.last_interaction = time.time()
        if isinstance(error, QueryBufferLimitError):
            # Redis closes such a client without a reply
            log.warning("Closing client that reached max query buffer length: %s", client.addr)
            client.close_after_reply = True
        elif error is not None:
            out.append(b"-ERR Protocol error: %s\r\n" % str(error).encode())
            log.info("Protocol error (%s) from client: %s", error, client.addr)
            client.close_after_reply = True
        if out:
            self._write(out)
        if client.close_after_reply or client.killed:
            self.close()
        elif not client.authenticated:
            self.parser.authenticated = False
        else:
            self.parser.authenticated = True

    def _run_batch(self, client: Client, requests: list[list[bytes]], error: ProtocolError | None,
                   out: list[bytes]) -> ProtocolError | None:
        """Execute the requests, appending encoded replies to `out`; stops early when the client blocks,
        is paused or is closing (the rest is held back). Returns the protocol error still to report."""
        execute = self._execute
        for argv in requests:
            reply = execute(client, argv)
            if reply is POSTPONED:
                # CLIENT PAUSE: this request and the ones after it wait (delayed, not refused)
                i = next(j for j, a in enumerate(requests) if a is argv)
                self._held = [requests[i:], error]
                error = None
                self.transport.pause_reading()
                self.server.postpone(self._resume)
                break
            if type(reply) is BlockedRequest:
                # the client waits (BLPOP...): its later pipelined requests wait with it, in order
                i = next(j for j, a in enumerate(requests) if a is argv)
                self._held = [requests[i + 1 :], error]
                error = None
                block_client(client, reply)
                if reply.timeout is not None:
                    self._block_timer = self._loop.call_later(reply.timeout, timeout_client, client)
                break
            mode = client.reply_mode
            if mode == "on":
                out.append(encode_reply(reply, client.resp == 3))
            elif mode == "skip":
                client.reply_mode = "on"
            elif mode == "skip-next":  # CLIENT REPLY SKIP itself has no reply; neither has the next command
                client.reply_mode = "skip"
            if client.deferred_pushes:
                out.extend(encode_reply(push, client.resp == 3) for push in client.deferred_pushes)
                client.deferred_pushes.clear()
            if client.close_after_reply or client.killed:
                break
        return error

    def _unblocked(self, reply: Any) -> None:
        """The blocked command got its reply (served, timed out, CLIENT UNBLOCK): send it, then run
        the requests that arrived meanwhile (soon, not from inside the command that served it)."""
        if self._block_timer is not None:
            self._block_timer.cancel()
            self._block_timer = None
        if self._closed:
            return
        client = self.client
        mode = client.reply_mode
        if mode == "on":
            out = self._pushes or []
            self._pushes = None
            out.append(encode_reply(reply, client.resp == 3))
            self._write(out)
        elif mode == "skip":
            client.reply_mode = "on"
        elif mode == "skip-next":
            client.reply_mode = "skip"
        client.last_interaction = time.time()
        self._loop.call_soon(self._resume)

    def write_push(self, message: Any) -> None:
        """Deliver an out-of-band reply (pub/sub message, MONITOR line, invalidation). `bytes` come
        encoded for this client already (a published message, encoded once for all its subscribers)."""
        if self._closed:
            return
        if type(message) is bytes:
            payload = message
        elif isinstance(message, str):
            payload = b"+%s\r\n" % message.encode()
        else:
            payload = encode_reply(message if isinstance(message, (Push, ReplyError)) else Push(message),
                                   self.client.resp == 3)
        if self._out is not None:  # this connection's own batch is running: keep the order of its output
            self._out.append(payload)
        elif self._pushes is not None:
            self._pushes.append(payload)
        else:
            # one write per connection and loop iteration, as Redis writes in beforeSleep: a PUBLISH
            # pipeline to 100 subscribers costs 100 syscalls, not 100 per message
            self._pushes = [payload]
            self._loop.call_soon(self._flush_pushes)

    def _flush_pushes(self) -> None:
        if self._pushes and not self._closed:
            pushes = self._pushes
            self._pushes = None
            self._write(pushes)

    def _write(self, chunks: list[bytes]) -> None:
        payload = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self._stats["total_net_output_bytes"] += len(payload)
        self.transport.write(payload)
        if self.client.subscriptions:
            self._enforce_output_limit("pubsub")

    def _enforce_output_limit(self, kind: str) -> None:
        """client-output-buffer-limit: a reader that cannot keep up is disconnected, not buffered forever."""
        hard, soft, soft_seconds = self.server.config["client-output-buffer-limit"][kind]
        pending = self.transport.get_write_buffer_size()
        now = time.monotonic()
        over = bool(hard and pending > hard)
        if soft and pending > soft:
            if self._soft_limit_since is None:
                self._soft_limit_since = now
            elif now - self._soft_limit_since >= soft_seconds:
                over = True
        else:
            self._soft_limit_since = None
        if over:
            log.warning("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.",
                        self.client.addr)
            self.transport.abort()
            self._closed = True

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        if self._block_timer is not None:
            self._block_timer.cancel()
        self.server.remove_client(self.client)


def _format_addr(addr: Any) -> str:
    if not addr:
        return ""
    if isinstance(addr, str):
        return addr
    host, port = addr[0], addr[1]
    return f"{host}:{port}"
