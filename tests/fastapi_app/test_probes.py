"""``/healthz`` and ``/readyz``: ready when ``SELECT 1`` answers within 2 s, else 503."""

from __future__ import annotations

import asyncio
import time

import httpx

from fastapi_app.settings import Settings
from tests.fastapi_app.conftest import running_port
from tests.fastapi_app.port_client import port_settings


def test_probes_answer_when_the_database_does(port):
    assert port.get("/healthz").json() == {"status": "ok"}
    ready = port.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


async def _ready_while_pool_exhausted(settings: Settings) -> tuple[httpx.Response, float]:
    async with running_port(settings) as (svc, client), svc.database.connection():
        # the pool's only connection is busy: SELECT 1 cannot run
        started = time.monotonic()
        response = await client.get("/readyz")
        return response, time.monotonic() - started


def test_readyz_is_503_after_two_seconds_without_an_answer(db, request):
    settings = port_settings(request.node.nodeid, REDIS_URL="", DB_POOL_MAX_SIZE="1")
    response, elapsed = asyncio.run(_ready_while_pool_exhausted(settings))
    assert (response.status_code, response.json()) == (503, {"status": "unavailable"})
    assert 1.9 <= elapsed < 4
