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

from router_proxy.backends.wsgi import WSGIApp, WSGIBridge
from router_proxy.body import RequestBody
from router_proxy.config import Settings
from router_proxy.lifespan import AppLifespan
from router_proxy.types import ASGIApp, Receive, Scope, Send


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
        return not self.bridge.closed


class NewInProcess:
    name = "new"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.lifespan = AppLifespan(app)

    async def handle(self, scope: Scope, body: RequestBody, send: Send) -> None:
        if self.lifespan.state:
            # ASGI lifespan state: each request gets a shallow copy, as uvicorn does.
            scope["state"] = dict(self.lifespan.state)
        await self.app(scope, body.receive, send)

    async def websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.lifespan.state:
            scope["state"] = dict(self.lifespan.state)
        await self.app(scope, receive, send)

    async def startup(self) -> None:
        await self.lifespan.startup()

    async def shutdown(self) -> None:
        await self.lifespan.shutdown()

    async def ready(self) -> bool:
        return self.lifespan.started
