"""`dynamis serve`: start the listeners, run until SIGTERM/SIGINT or SHUTDOWN, stop cleanly.

The Redis-compatible server runs on this process's event loop (uvloop); the DynamoDB-compatible
server runs in a child process of its own, so that a heavy load on one does not slow the other.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable

from dynamis import REDIS_VERSION, __version__
from dynamis.config import Config
from dynamis.kv.connection import RespConnection
from dynamis.kv.server import RedisServer

log = logging.getLogger("dynamis")


def setup_logging(config: Config) -> None:
    """Redis-style log lines: `pid:M 25 Nov 2026 21:50:00.123 * message`."""
    handler: logging.Handler
    handler = logging.FileHandler(config["logfile"]) if config["logfile"] else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{os.getpid()}:M %(asctime)s.%(msecs)03d * %(message)s",
                                           datefmt="%d %b %Y %H:%M:%S"))
    log.handlers[:] = [handler]
    level = {"debug": logging.DEBUG, "verbose": logging.INFO, "notice": logging.INFO,
             "warning": logging.WARNING, "nothing": logging.CRITICAL + 1}[config["loglevel"]]
    log.setLevel(level)
    log.propagate = False


async def start_redis_listeners(server: RedisServer, hosts: list[str], port: int) -> list[asyncio.Server]:
    """Listen on every address of `bind`; an address this host does not have is skipped (Redis does the same
    for `-::*`-style optional binds)."""
    loop = asyncio.get_running_loop()
    listeners = []
    backlog = server.config["tcp-backlog"]
    for host in hosts:
        optional = host.startswith("-")
        host = host.lstrip("-")
        host = None if host == "*" else host
        try:
            listener = await loop.create_server(lambda: RespConnection(server), host, port, backlog=backlog,
                                                reuse_address=True)
        except OSError as exc:
            if optional or (len(hosts) > 1 and listeners):
                log.warning("Could not bind %s:%s: %s", host, port, exc)
                continue
            raise
        listeners.append(listener)
        if port == 0:
            port = listener.sockets[0].getsockname()[1]
    server.ports = sorted({s.getsockname()[1] for lst in listeners for s in lst.sockets})
    server.listen_sockets = [s for lst in listeners for s in lst.sockets]  # a busy script accepts on them
    return listeners


async def run_redis(server: RedisServer, ready: Callable[[list[asyncio.Server]], None] | None = None,
                    handle_signals: bool = True) -> None:
    """Serve until a signal or SHUTDOWN; `ready` is called once the listeners are up."""
    loop = asyncio.get_running_loop()
    server.shutdown_requested = loop.create_future()
    listeners = []
    if server.config["port"] or ready is not None:
        listeners = await start_redis_listeners(server, server.config["bind"], server.config["port"])
    if handle_signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, _request_shutdown, server, sig)
    cron = loop.create_task(server.cron())
    if ready is not None:
        ready(listeners)
    try:
        await server.shutdown_requested
    finally:
        cron.cancel()
        for listener in listeners:
            listener.close()
        for client in list(server.clients.values()):
            client.close()
        for listener in listeners:
            await listener.wait_closed()


def _request_shutdown(server: RedisServer, sig: int) -> None:
    log.info("Received %s scheduling shutdown...", signal.Signals(sig).name)
    if server.shutdown_requested is not None and not server.shutdown_requested.done():
        server.shutdown_requested.set_result(True)


def _start_dynamo(config: Config) -> multiprocessing.Process | None:
    if not config["dynamo-port"]:
        return None
    from dynamis.dynamo.server import DynamoOptions, serve

    hosts = [h.lstrip("-") for h in config["bind"]]
    options = DynamoOptions(host=hosts[0], port=config["dynamo-port"], data_dir=config["dir"],
                            in_memory=config["in-memory"], credentials=dict(config.dynamo_credentials),
                            region=config["dynamo-region"])
    process = multiprocessing.get_context("spawn").Process(target=serve, args=(options,), name="dynamis-dynamo",
                                                            daemon=False)
    process.start()
    return process


def serve(config: Config) -> int:
    """Run `dynamis serve` in the foreground; returns the exit status."""
    import uvloop

    setup_logging(config)
    os.makedirs(config["dir"], exist_ok=True)
    if config["pidfile"]:
        with open(config["pidfile"], "w") as f:
            f.write(f"{os.getpid()}\n")
    dynamo = _start_dynamo(config)
    server = RedisServer(config)

    def ready(_: list[asyncio.Server]) -> None:
        redis_port = ",".join(map(str, server.ports)) or "off"
        log.info("dynamis %s (redis %s) ready: redis port %s, dynamo port %s, pid %d, dir %s",
                 __version__, REDIS_VERSION, redis_port, config["dynamo-port"] or "off", os.getpid(),
                 os.path.abspath(config["dir"]))

    try:
        uvloop.run(run_redis(server, ready if config["port"] else None))
        if not config["port"]:
            ready([])
    finally:
        if dynamo is not None:
            dynamo.terminate()
            dynamo.join(10)
        if config["pidfile"]:
            try:
                os.unlink(config["pidfile"])
            except OSError:
                pass
        log.info("dynamis is now ready to exit, bye bye...")
    return 0
