"""Fixtures of the port's own tests: a running port (TestClient, lifespan on), with or
without Redis, and an asyncio variant for tests that need real concurrency in one worker.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest

from fastapi_app.main import create_app
from fastapi_app.services import Services
from fastapi_app.settings import Settings
from strangler import devenv
from tests.conftest import Owner
from tests.fastapi_app.port_client import BASE_URL, PortClient, port_settings


@pytest.fixture(scope="session")
def local_redis_url() -> str:
    """REDIS_URL, else a Redis answering on 127.0.0.1:6379 (as ``make test`` finds it)."""
    url = devenv.redis_url("test", os.environ)
    if not url:
        pytest.skip("needs Redis: REDIS_URL is not set and nothing answers on 127.0.0.1:6379")
    return url


@pytest.fixture
def settings(database_url: str, request: pytest.FixtureRequest) -> Settings:
    return port_settings(request.node.nodeid, REDIS_URL="")


@pytest.fixture
def cached_settings(
    database_url: str, local_redis_url: str, request: pytest.FixtureRequest
) -> Settings:
    return port_settings(request.node.nodeid, REDIS_URL=local_redis_url)


@pytest.fixture
def port(db, settings: Settings) -> Iterator[PortClient]:
    client = PortClient(create_app(settings))
    yield client
    client.close()


@pytest.fixture
def cached_port(db, cached_settings: Settings) -> Iterator[PortClient]:
    client = PortClient(create_app(cached_settings))
    yield client
    client.close()


def services(client: PortClient) -> Services:
    found: Services = client.app.state.services  # type: ignore[attr-defined]
    return found


@asynccontextmanager
async def running_port(settings: Settings) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    """The port with its lifespan running in this event loop, and an in-process client."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield app.state.services, client


def write_headers(owner: Owner, key: str | None = None, **extra: str) -> dict[str, str]:
    return {**owner.headers, "Idempotency-Key": key or f"key_{secrets.token_hex(8)}", **extra}
