"""Shared fixtures: an embedded dynamis, redis-py clients on it, and real redis-server as the oracle."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from hypothesis import settings

from dynamis.embedded import EmbeddedServer
from tests.helpers import Differential, free_port, start_redis_server

# CI runs the suite once: generated tests draw the same examples every run (seeded per test), so a red run
# is reproducible and a green one stays green; `--hypothesis-profile=explore` draws new ones.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("ci")


@pytest.fixture(scope="session")
def server() -> Iterator[EmbeddedServer]:
    """One dynamis for the session; tests that change its configuration must restore it."""
    with EmbeddedServer() as embedded:
        yield embedded


@pytest.fixture
def r(server: EmbeddedServer) -> Iterator[redis.Redis]:
    """redis-py with its defaults (redis-py 8 negotiates RESP3) on a flushed dynamis."""
    client = server.client()
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def r2(server: EmbeddedServer) -> Iterator[redis.Redis]:
    """redis-py speaking RESP2."""
    client = server.client(protocol=2)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
async def ar(server: EmbeddedServer):
    """redis-py's asyncio client."""
    client = server.async_client()
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def redis_oracle_port() -> Iterator[int]:
    """Real redis-server (the reference) on a free port, no persistence."""
    port = free_port()
    proc = start_redis_server(port)
    yield port
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def diff(redis_oracle_port: int, server: EmbeddedServer) -> Iterator[Differential]:
    """Differential oracle in RESP2: `diff.check("SET", "k", "v")` asserts identical replies."""
    d = Differential(redis_oracle_port, server.port, resp=2)
    yield d
    d.close()


@pytest.fixture
def diff3(redis_oracle_port: int, server: EmbeddedServer) -> Iterator[Differential]:
    """Differential oracle in RESP3."""
    d = Differential(redis_oracle_port, server.port, resp=3)
    yield d
    d.close()
