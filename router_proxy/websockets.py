"""WebSocket upgrades go to the side that owns the route, under the route's flag: the
WebSocket routes each app declares (Flask's ``Rule(websocket=True)``, as flask-sock adds
them; FastAPI's ``@app.websocket``) make a table of their own, and ``rollout.decide``
picks the side as for HTTP (legacy or new; a shadow is never made: a WebSocket is a
conversation, not an answer to compare).

The chosen side serves it if it can: the new app in process, or either side remote,
relayed over a WebSocket client. Legacy in process is a WSGI app, which cannot hold a
WebSocket, so there the upgrade is refused; so is a path nobody declares. A refusal comes
before the upgrade is accepted: the client sees 403, as from any ASGI server.

Example:
    >>> from router_proxy.routes import RouteTable
    >>> WebSocketRouter(RouteTable([]), None, {}, None).table.routes
    {}
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from rollout.decide import decide
from rollout.flags.base import FlagProvider
from rollout.types import Backend
from router_proxy.context import CallerReader
from router_proxy.endpoints import app_path
from router_proxy.routes import RouteTable
from router_proxy.types import Receive, Scope, Send


class WebSocketRouter:
    def __init__(
        self,
        table: RouteTable,
        provider: FlagProvider | None,
        backends: Mapping[Backend, Any],
        callers: CallerReader | None,
    ) -> None:
        self.table = table  # both apps' WebSocket routes, keyed "GET /path"
        self.provider = provider
        self.backends = backends
        self.callers = callers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.table.match("GET", app_path(scope))
        serving = None
        if route is not None and self.provider is not None and self.callers is not None:
            headers = dict(scope.get("headers", ()))
            client = scope.get("client")
            ctx = self.callers.context(
                headers.get(b"authorization", b""),
                headers.get(b"cookie", b""),
                client[0] if client else None,
                random.random() * 100,
            )
            decision = decide(route, ctx, self.provider.snapshot())
            serving = getattr(self.backends.get(decision.primary), "websocket", None)
        if serving is None:
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1000})
            return
        await serving(scope, receive, send)
