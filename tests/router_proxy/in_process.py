"""Drive an ASGI app in-process as a server would: its lifespan started, ``scenario`` given
an httpx client on ``httpx.ASGITransport``, the lifespan shut down after (so what the app
does at shutdown, a recorder draining its queue, has happened when this returns)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from router_proxy.lifespan import AppLifespan

T = TypeVar("T")
Scenario = Callable[[httpx.AsyncClient], Awaitable[T]]


def run_in_process(app: Any, scenario: Scenario[T]) -> T:
    return asyncio.run(drive(app, scenario))


async def drive(app: Any, scenario: Scenario[T]) -> T:
    lifespan = AppLifespan(app)
    await lifespan.startup()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await scenario(client)
    finally:
        await lifespan.shutdown()
