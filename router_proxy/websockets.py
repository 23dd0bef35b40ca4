"""WebSocket upgrades go to the side that owns the route, under the route's flag: the
WebSocket routes each app declares (Flask's ``Rule(websocket=True)``, as flask-sock adds
them; FastAPI's ``@app.websocket``) make a table of their own, and the dispatcher's
``decide`` picks the side as for HTTP, from the same cleaned request (trusted-proxy
client, caller identity). A shadow is never made: a WebSocket is a conversation, not an
answer to compare.

The chosen side serves it if it can: the new app in process, or either side remote,
relayed over a WebSocket client. Legacy in process is a WSGI app, which cannot hold a
WebSocket, so there the upgrade is refused; so is a path nobody declares, and a request
the door refuses (A1-A5). A refusal comes before the upgrade is accepted: the client sees
403, as from any ASGI server.

Example:
    router = WebSocketRouter(RouteTable(starlette_websocket_specs(new_app)), dispatcher)
"""

from __future__ import annotations

from router_proxy.dispatch import Dispatcher
from router_proxy.endpoints import app_path
from router_proxy.errors import RequestRejected
from router_proxy.headers import clean_request
from router_proxy.routes import RouteTable
from router_proxy.types import Receive, Scope, Send


class WebSocketRouter:
    def __init__(self, table: RouteTable, dispatcher: Dispatcher) -> None:
        self.table = table  # both apps' WebSocket routes, keyed "GET /path"
        self.dispatcher = dispatcher

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.table.match("GET", app_path(scope))
        serving = None
        if route is not None:
            try:
                inbound = clean_request(scope, self.dispatcher.parts.settings)
            except RequestRejected:
                inbound = None
            if inbound is not None:
                decision = await self.dispatcher.decide(route, inbound)
                backend = self.dispatcher.parts.backends.get(decision.primary)
                serving = getattr(backend, "websocket", None)
                scope = inbound.scope
        if serving is None:
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1000})
            return
        await serving(scope, receive, send)
