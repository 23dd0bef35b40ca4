"""Both apps in the router's own process: legacy WSGI through worker threads, new as ASGI.

Example:
    >>> from router_proxy.config import Settings
    >>> def wsgi_app(environ, start_response):
    ...     start_response("204 No Content", [])
    ...     return []
    >>> LegacyInProcess(wsgi_app, Settings()).name
    'legacy'
"""

from __future__ import annotations

import asyncio
from typing import Any

from router_proxy.backends.wsgi import WSGIApp, WSGIBridge
from router_proxy.body import RequestBody
from router_proxy.config import Settings
from router_proxy.errors import ConfigError
from router_proxy.types import ASGIApp, Message, Scope, Send


class LegacyInProcess:
    name = "legacy"

    def __init__(self, app: WSGIApp, settings: Settings) -> None:
        self.bridge = WSGIBridge(app, settings.wsgi_threads, settings.pool_wait_seconds)

    async def handle(self, scope: Scope, body: RequestBody, send: Send) -> None:
        await self.bridge(scope, body, send)

    async def startup(self) -> None:
        pass

    async def shutdown(self) -> None:
        self.bridge.shutdown()

    async def ready(self) -> bool:
        return not self.bridge.executor._shutdown


class NewInProcess:
    name = "new"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.lifespan = Lifespan(app)

    async def handle(self, scope: Scope, body: RequestBody, send: Send) -> None:
        if self.lifespan.state:
            # ASGI lifespan state: each request gets a shallow copy, as uvicorn does.
            scope["state"] = dict(self.lifespan.state)
        await self.app(scope, body.receive, send)

    async def startup(self) -> None:
        await self.lifespan.startup()

    async def shutdown(self) -> None:
        await self.lifespan.shutdown()

    async def ready(self) -> bool:
        return self.lifespan.started


class Lifespan:
    """Drive an ASGI app's lifespan from ours, as uvicorn's ``lifespan="auto"`` does:
    an app that does not speak lifespan is simply started."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.started = False
        self.state: dict[str, Any] = {}
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._unsupported = False

    async def startup(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}
        self._task = asyncio.get_running_loop().create_task(self._run(scope))
        await self._to_app.put({"type": "lifespan.startup"})
        answer = await self._from_app.get()
        if answer["type"] == "lifespan.startup.failed":
            raise ConfigError(f"the new app failed to start: {answer.get('message', '')}")
        self.started = True

    async def shutdown(self) -> None:
        if self._task is None or self._unsupported or self._task.done():
            return
        await self._to_app.put({"type": "lifespan.shutdown"})
        await self._from_app.get()
        await self._task

    async def _run(self, scope: Scope) -> None:
        try:
            await self.app(scope, self._to_app.get, self._from_app.put)
        except Exception:
            if self.started:
                raise
            # No lifespan support: behave as started.
            self._unsupported = True
            await self._from_app.put({"type": "lifespan.startup.complete"})
