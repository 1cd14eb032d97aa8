"""An in-process dynamis for tests: a Redis-compatible server on a free port in a background thread.

    with EmbeddedServer() as server:
        r = server.client()          # a redis.Redis connected to it
        r.set("k", "v")

It is a real server on a real socket, so redis-py, redis-cli or any other client can connect to
`server.port`; `dynamis.pytest_plugin` wraps it as fixtures that can replace fakeredis.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from dynamis.config import Config
from dynamis.kv.server import RedisServer


class EmbeddedServer:
    """A dynamis Redis-compatible server running on its own event loop in a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **directives: Any) -> None:
        self.config = Config()
        self.config.apply("bind", [host])
        self.config.apply("port", [str(port)])
        for name, value in directives.items():
            self.config.apply(name.replace("_", "-"), [str(value)])
        self.host = host
        self.port = port
        self.server: RedisServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> EmbeddedServer:
        from dynamis.server import run_redis

        started = threading.Event()
        failure: list[BaseException] = []

        def ready(_: object) -> None:
            self.port = self.server.ports[0]
            started.set()

        def run() -> None:
            import uvloop

            self._loop = uvloop.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self.server = RedisServer(self.config)
            try:
                self._loop.run_until_complete(run_redis(self.server, ready, handle_signals=False))
            except BaseException as exc:  # surfaced to the caller of start()
                failure.append(exc)
                started.set()
            finally:
                self._loop.close()

        self._thread = threading.Thread(target=run, name="dynamis-embedded", daemon=True)
        self._thread.start()
        started.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self.server is not None and self._thread is not None:
            future = self.server.shutdown_requested
            if future is not None:
                self._loop.call_soon_threadsafe(lambda: future.done() or future.set_result(True))
            self._thread.join(10)
            self._thread = None

    def client(self, **kwargs: Any) -> Any:
        """A redis-py client for this server (decode_responses and the rest pass through)."""
        import redis

        return redis.Redis(host=self.host, port=self.port, **kwargs)

    def async_client(self, **kwargs: Any) -> Any:
        import redis.asyncio

        return redis.asyncio.Redis(host=self.host, port=self.port, **kwargs)

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
