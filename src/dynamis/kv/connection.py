"""One TCP connection: bytes in -> requests -> `RedisServer.execute` -> replies out.

This is the only place that touches sockets on the Redis side. Replies of one read are joined
into a single write, so a pipelined batch costs one syscall.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from typing import Any

from dynamis.kv.protocol import ProtocolError, Push, ReplyError, RequestParser, encode_reply
from dynamis.kv.server import RedisServer

log = logging.getLogger("dynamis")


class RespConnection(asyncio.Protocol):
    __slots__ = ("server", "transport", "client", "parser", "_execute", "_closed", "_stats")

    def __init__(self, server: RedisServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self._closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
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
        client.output_buffer_size = transport.get_write_buffer_size
        config = server.config
        self.parser = RequestParser(config["proto-max-bulk-len"], config["client-query-buffer-limit"])
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
        client = self.client
        self._stats["total_net_input_bytes"] += len(data)
        error = None
        try:
            requests = self.parser.feed(data)
        except ProtocolError as exc:
            requests = exc.requests
            error = exc
        out: list[bytes] = []
        execute = self._execute
        for argv in requests:
            reply = execute(client, argv)
            if client.reply_mode == "on":
                out.append(encode_reply(reply, client.resp == 3))
            elif client.reply_mode == "skip":
                client.reply_mode = "on"
            if client.close_after_reply or client.killed:
                break
        client.last_interaction = time.time()
        if error is not None:
            out.append(b"-ERR Protocol error: %s\r\n" % str(error).encode())
            log.info("Protocol error (%s) from client: %s", error, client.addr)
            client.close_after_reply = True
        if out:
            payload = out[0] if len(out) == 1 else b"".join(out)
            self._stats["total_net_output_bytes"] += len(payload)
            self.transport.write(payload)
        if client.close_after_reply or client.killed:
            self.close()
        elif not client.authenticated:
            self.parser.authenticated = False
        else:
            self.parser.authenticated = True

    def write_push(self, message: Any) -> None:
        """Deliver an out-of-band reply (pub/sub message, MONITOR line, invalidation)."""
        if self._closed:
            return
        if isinstance(message, str):
            payload = b"+%s\r\n" % message.encode()
        else:
            payload = encode_reply(message if isinstance(message, (Push, ReplyError)) else Push(message),
                                   self.client.resp == 3)
        self._stats["total_net_output_bytes"] += len(payload)
        self.transport.write(payload)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self.server.remove_client(self.client)


def _format_addr(addr: Any) -> str:
    if not addr:
        return ""
    if isinstance(addr, str):
        return addr
    host, port = addr[0], addr[1]
    return f"{host}:{port}"
