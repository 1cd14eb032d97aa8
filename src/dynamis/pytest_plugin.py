"""pytest fixtures for users' own suites, in place of fakeredis (installed as a pytest11 plugin).

    def test_cache(dynamis_redis):
        dynamis_redis.set("k", "v")

`dynamis_server` is one embedded server per test session; `dynamis_redis` is a redis-py client on
it whose databases are flushed before each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dynamis.embedded import EmbeddedServer


@pytest.fixture(scope="session")
def dynamis_server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer() as server:
        yield server


@pytest.fixture
def dynamis_redis(dynamis_server: EmbeddedServer) -> Iterator[Any]:
    client = dynamis_server.client()
    client.flushall()
    yield client
    client.close()
