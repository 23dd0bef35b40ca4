"""WebSocket upgrades go to the side that owns the route: the new app's own WebSocket
routes (``@app.websocket(...)``), in process or over a WebSocket client to the remote
new server. No shadow: a WebSocket is a conversation, not an answer to compare.

A WebSocket route is a route only the new app has (Flask serves none): it goes to new,
as an HTTP route only new has does, kill switch or not. A path no app declares a
WebSocket for is refused before it is accepted (the client sees 403), as any ASGI server
does for an app that closes at connect.

Example:
    >>> from router_proxy.routes import RouteTable
    >>> WebSocketRouter(RouteTable([]), {}).table.routes
    {}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from rollout.types import Backend
from router_proxy.endpoints import app_path
from router_proxy.routes import RouteTable
from router_proxy.types import Receive, Scope, Send


class WebSocketBackend(Protocol):
    async def websocket(self, scope: Scope, receive: Receive, send: Send) -> None: ...


class WebSocketRouter:
    def __init__(self, table: RouteTable, backends: Mapping[Backend, Any]) -> None:
        self.table = table  # the new app's WebSocket routes, keyed "GET /path"
        self.backends = backends

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.table.match("GET", app_path(scope))
        serving = getattr(self.backends.get(Backend.NEW), "websocket", None)
        if route is None or serving is None:
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1000})
            return
        await serving(scope, receive, send)
