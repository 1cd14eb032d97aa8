"""Runs the DynamoDB-compatible server: `serve()` for `dynamis serve`'s own process, `DynamoServer` and
`start_in_thread()` for tests and embedding."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .api import DynamoEngine
from .http import DynamoHttp
from .storage import Storage

log = logging.getLogger("dynamis.dynamo")


@dataclass
class DynamoOptions:
    """Settings of one DynamoDB server."""

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: str = "./data"  # tables live under f"{data_dir}/dynamo/"
    in_memory: bool = False
    credentials: dict[str, str] = field(default_factory=dict)  # access key id -> secret; empty: accept any
    region: str = "us-east-1"  # for requests that name none
    hosts: list[str] | None = None  # listen on several addresses (overrides host)


class DynamoServer:
    """The HTTP listener, engine and storage of one DynamoDB server on the running event loop."""

    def __init__(self, options: DynamoOptions) -> None:
        self.options = options
        self.port = options.port
        self.storage: Storage | None = None
        self.engine: DynamoEngine | None = None
        self._http: DynamoHttp | None = None
        self._servers: list[asyncio.base_events.Server] = []
        self._sweeper: asyncio.Task | None = None
        self.ttl_interval = 1.0  # seconds between sweeps for expired items

    async def start(self) -> None:
        """Open storage (off the loop), then listen; `port` holds the bound port afterwards."""
        options = self.options
        loop = asyncio.get_running_loop()
        data_dir = None if options.in_memory else os.path.join(options.data_dir, "dynamo")

        def open_engine() -> DynamoEngine:
            storage = Storage(data_dir)
            return DynamoEngine(storage, options.region)

        self.engine = await loop.run_in_executor(None, open_engine)
        self.storage = self.engine.storage
        self.storage.start(loop)
        self._http = DynamoHttp(self.engine, options.credentials)
        port = options.port
        for host in options.hosts or [options.host]:
            server = await loop.create_server(self._http, host, port, reuse_address=True)
            port = server.sockets[0].getsockname()[1]  # with port 0, bind every host to the first's port
            self._servers.append(server)
        self.port = port
        self._sweeper = asyncio.ensure_future(self._sweep())
        if not options.credentials:
            log.warning("no dynamo-credential configured: accepting any signed request")

    async def _sweep(self) -> None:
        """Delete items whose TTL has passed, while any table has TTL enabled."""
        engine = self.engine
        assert engine is not None
        while True:
            await asyncio.sleep(self.ttl_interval)
            if engine.expiring():
                try:
                    await engine.expire(time.time())
                except Exception:  # a failed sweep is retried at the next tick; it must not end the loop
                    log.exception("dynamo: TTL sweep failed")

    async def close(self) -> None:
        """Stop listening, finish in-flight requests and queued writes, close SQLite."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for server in self._servers:
            server.close()
        for server in self._servers:
            await server.wait_closed()
        if self._http is not None:
            await self._http.close()
        if self.storage is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.storage.close)
            self.storage = None


class _RedisStyleFormatter(logging.Formatter):
    """Redis's log line: `pid:role date time.ms level message`, role D for this process, level . - * #."""

    _LEVELS = {logging.DEBUG: ".", logging.INFO: "*", logging.WARNING: "#", logging.ERROR: "#",
               logging.CRITICAL: "#"}

    def format(self, record: logging.LogRecord) -> str:
        record.redis_level = self._LEVELS.get(record.levelno, "*")
        return super().format(record)


def _configure_logging() -> None:
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_RedisStyleFormatter(
            "%(process)d:D %(asctime)s.%(msecs)03d %(redis_level)s %(message)s", "%d %b %Y %H:%M:%S"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


def serve(options: DynamoOptions) -> None:
    """Blocking: run the DynamoDB server on its own (uvloop) event loop until SIGTERM/SIGINT."""
    _configure_logging()
    # The storage threads hand results back through the GIL; at the default 5 ms switch interval a busy
    # event loop holds it long enough to double write latency. This process is ours alone (dynamis serve
    # runs it apart from the Redis side), so the setting touches nothing else.
    sys.setswitchinterval(0.0005)

    async def main() -> None:
        server = DynamoServer(options)
        await server.start()
        where = "memory" if options.in_memory else os.path.join(options.data_dir, "dynamo")
        log.info("DynamoDB API ready on %s:%d (data: %s, region %s)",
                 ",".join(options.hosts or [options.host]), server.port, where, options.region)
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        await stopping.wait()
        log.info("DynamoDB API shutting down")
        await server.close()

    _run(main())


def _run(coro: object) -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a declared dependency
        asyncio.run(coro)  # type: ignore[arg-type]
    else:
        uvloop.run(coro)  # type: ignore[arg-type]


def start_in_thread(options: DynamoOptions) -> tuple[DynamoServer, Callable[[], None]]:
    """Start a server on a background thread with its own loop; return it and a function that stops it."""
    server = DynamoServer(options)
    ready = threading.Event()
    failure: list[BaseException] = []
    loop_box: list[asyncio.AbstractEventLoop] = []
    done = asyncio.Event()

    async def main() -> None:
        loop_box.append(asyncio.get_running_loop())
        try:
            await server.start()
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            return
        ready.set()
        await done.wait()
        await server.close()

    thread = threading.Thread(target=_run, args=(main(),), name="dynamo-server", daemon=True)
    thread.start()
    ready.wait()
    if failure:
        thread.join()
        raise failure[0]

    def stop() -> None:
        if thread.is_alive():
            loop_box[0].call_soon_threadsafe(done.set)
            thread.join()

    return server, stop
