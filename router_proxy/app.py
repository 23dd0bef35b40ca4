"""RouterApp: the ASGI entrypoint. The lifespan starts and stops the router's parts
(``router_proxy.lifespan``); an HTTP request goes through the router's own endpoints
(``/_strangler/``, ``router_proxy.endpoints``) to the dispatcher (``router_proxy.dispatch``).

Built once, whole, by the composition root (``router_proxy.asgi``): nothing is assigned
onto it afterwards. Its attributes name the parts a caller may read (the CLI prints the
flag source, tests read the counters).

Example:
    >>> from router_proxy.asgi import build_app
    >>> from router_proxy.config import Settings
    >>> app = build_app(Settings(legacy_app="tests.router_proxy.apps.flask_app:app"))
    >>> app.settings.mode
    'inprocess'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rollout.flags.base import FlagProvider
from router_proxy.config import Settings
from router_proxy.dispatch import Dispatch, Dispatcher
from router_proxy.fleet import FleetLink
from router_proxy.lifespan import Part, serve_lifespan
from router_proxy.merged_docs import MergedDocs
from router_proxy.routes import RouteTable
from router_proxy.served import CountingSampler
from router_proxy.stats import RouterStats
from router_proxy.types import ASGIApp, Receive, Scope, Send


@dataclass(frozen=True, slots=True)
class Composition:
    """One router, put together: what serves requests and what runs beside them."""

    dispatch: Dispatch
    front: ASGIApp  # /_strangler/ in front of the dispatcher
    dispatcher: Dispatcher
    lifespan: Sequence[Part]  # started in order, stopped in reverse
    websockets: ASGIApp  # WebSocket upgrades (router_proxy.websockets)
    fleet: FleetLink | None = None
    recorder: CountingSampler | None = None
    merged_docs: MergedDocs | None = None


class RouterApp:
    def __init__(self, composition: Composition) -> None:
        self.composition = composition
        dispatch = composition.dispatch
        self.table: RouteTable = dispatch.table
        self.provider: FlagProvider = dispatch.provider
        self.settings: Settings = dispatch.settings
        self.stats: RouterStats = dispatch.stats
        self.backends = dispatch.backends
        self.merged_docs = composition.merged_docs
        self.fleet = composition.fleet
        self.recorder = composition.recorder
        self.dispatcher = composition.dispatcher
        self._front = composition.front
        self._websockets = composition.websockets
        self._lifespan = tuple(composition.lifespan)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._front(scope, receive, send)
        elif scope["type"] == "lifespan":
            await serve_lifespan(self._lifespan, receive, send)
        elif scope["type"] == "websocket":
            await self._websockets(scope, receive, send)
