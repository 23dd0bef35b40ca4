"""RouterApp: clean the request, find its route key, ask ``decide``, serve it from the
primary backend, and hand the decision to the shadow hook (if any) afterwards.

Per-request state lives in one ``_Exchange`` object; the app itself only holds what is
shared (route table, provider, backends).

Example:
    >>> from rollout.types import Backend, Decision
    >>> UNKNOWN_ROUTE.primary is Backend.LEGACY
    True
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from rollout.decide import decide
from rollout.providers.base import FlagProvider
from rollout.types import Backend, Decision, RouteInfo
from router_proxy.backends.base import Backend as BackendImpl
from router_proxy.body import RequestBody
from router_proxy.capture import Captured, ResponseRecorder, buffer_request_body, replay_body
from router_proxy.config import Settings
from router_proxy.context import CallerReader
from router_proxy.endpoints import own_endpoint
from router_proxy.errors import (
    BodyTooLarge,
    RequestRejected,
    error_body,
    send_json,
    send_rejection,
)
from router_proxy.fallback import FALLBACK_HEADER, FallbackRules, FellBack, may_fall_back, try_new
from router_proxy.fleet import FleetLink
from router_proxy.headers import Inbound, clean_request
from router_proxy.logs import AccessLog, access_log
from router_proxy.merged_docs import MergedDocs
from router_proxy.new_docs import NewAppDocs
from router_proxy.owners import OwnerDirectory, needs_owner
from router_proxy.recorder import TrafficRecorder
from router_proxy.routes import RouteTable
from router_proxy.stats import RouterStats
from router_proxy.types import ASGIApp, Message, Receive, Scope, Send

UNKNOWN_ROUTE = Decision(Backend.LEGACY, reason="unknown route")
SERVED_BY = b"x-served-by"


@dataclass(frozen=True, slots=True)
class Served:
    """What the shadow hook (and the comparator, later) learns about a finished request."""

    request_id: str
    route: RouteInfo | None
    decision: Decision
    scope: Scope
    status: int
    body: bytes | None = None  # the request body, when it fit the shadow's limit
    response: Captured | None = None  # the primary's response as the client got it
    inflight: int = 0  # the router's other client requests in flight at hand-off


ShadowHook = Callable[[Served], Awaitable[None]]


class RouterApp:
    def __init__(
        self,
        table: RouteTable,
        provider: FlagProvider,
        legacy: BackendImpl,
        new: BackendImpl,
        settings: Settings,
        shadow_hook: ShadowHook | None = None,
        owners: OwnerDirectory | None = None,
        stats: RouterStats | None = None,
        fallback: FallbackRules | None = None,
    ) -> None:
        self.table = table
        self.provider = provider
        self.backends = {Backend.LEGACY: legacy, Backend.NEW: new}
        self.settings = settings
        self.callers = CallerReader(settings.secret_key, settings.session_cookie)
        self.shadow_hook = shadow_hook
        self.owners = owners
        self.stats = stats or RouterStats()
        self.fallback = fallback or FallbackRules()  # [fallback]: who may fail over to legacy
        self.access = AccessLog(settings.access_log)
        self.starters: list[Callable[[], Awaitable[None]]] = []  # run at lifespan startup
        self.closers: list[Callable[[], Awaitable[None]]] = []  # run at lifespan shutdown
        self.dashboard: ASGIApp | None = None  # the rest of /_strangler/ (rollout.dashboard)
        self.new_docs: NewAppDocs | None = None  # /_strangler/new/docs and the like
        self.merged_docs: MergedDocs | None = None  # /_strangler/openapi.json and docs
        self.fleet: FleetLink | None = None  # fleet-wide counters (router_proxy.fleet)
        self.traffic_recorder: TrafficRecorder | None = None  # router_proxy.recorder
        self.inflight = 0  # client requests being served now (the shadow's admission reads it)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["path"].startswith("/_strangler/"):
                await own_endpoint(self, scope, receive, send)
            else:
                await _Exchange(self, scope, receive, send).run()
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    def route_for(self, scope: Scope) -> RouteInfo | None:
        return self.table.match(scope["method"], _app_path(scope))

    async def decide(self, route: RouteInfo | None, inbound: Inbound) -> Decision:
        if route is None:
            return UNKNOWN_ROUTE
        snapshot = self.provider.snapshot()
        owner = None
        if self.owners is not None and inbound.authorization and needs_owner(route, snapshot):
            owner = await self.owners.owner_for(inbound.authorization)
        ctx = self.callers.context(
            inbound.authorization,
            inbound.cookie,
            inbound.client_host,
            random.random() * 100,
            owner,
        )
        return decide(route, ctx, snapshot)

    async def ready(self) -> dict[str, bool]:
        return {backend.value: await impl.ready() for backend, impl in self.backends.items()}

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        try:
            # Blocking at most one fetch or connect, off the loop.
            await asyncio.to_thread(self.provider.start)
            for impl in self.backends.values():
                await impl.startup()
            for start in self.starters:
                await start()
        except Exception as exc:
            await send({"type": "lifespan.startup.failed", "message": str(exc)})
            return
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        for impl in reversed(list(self.backends.values())):
            await impl.shutdown()
        for close in self.closers:
            await close()
        await asyncio.to_thread(self.provider.stop)
        await send({"type": "lifespan.shutdown.complete"})


class _Exchange:
    """One request on its way through the router."""

    def __init__(self, router: RouterApp, scope: Scope, receive: Receive, send: Send) -> None:
        self.router = router
        self.scope = scope
        self.receive = receive
        self.client_send = send
        self.served_by = b"router"
        self.request_id = b""
        self.status = 0
        self.started = False
        self.shadow_body: bytes | None = None
        self.recorder: ResponseRecorder | None = None
        self.fell_back: FellBack | None = None  # the new side failed; legacy answered
        self.recording = False  # the traffic recorder sampled this request

    async def run(self) -> None:
        began = time.perf_counter()
        route: RouteInfo | None = None
        decision = UNKNOWN_ROUTE
        inbound: Inbound | None = None
        self.router.inflight += 1
        try:
            inbound = clean_request(self.scope, self.router.settings)
            self.request_id = inbound.request_id.encode()
            route = self.router.route_for(self.scope)
            decision = await self.router.decide(route, inbound)
            traffic = self.router.traffic_recorder
            self.recording = traffic is not None and traffic.wants(route)
            await self._serve(inbound, decision, route)
        except RequestRejected as rejected:
            await self._reject(rejected)
        finally:
            self.router.inflight -= 1
            seconds = time.perf_counter() - began
            backend = self.served_by.decode()
            if self.router.access.wanted(self.status, failed=self.fell_back is not None):
                self._log(route, decision, backend, seconds)
            if route is not None:
                self.router.stats.served(route.key, backend, self.status, seconds)
        hook = self.router.shadow_hook
        shadowed = hook is not None and decision.shadow is not None and self.fell_back is None
        if inbound is None or not (shadowed or self.recording):
            return
        response = self.recorder.captured if self.recorder else None
        served = Served(
            inbound.request_id,
            route,
            decision,
            inbound.scope,
            self.status,
            self.shadow_body,
            response,
            self.router.inflight,
        )
        if self.recording and self.router.traffic_recorder is not None:
            self.router.traffic_recorder.offer(served, self.served_by.decode())
        if shadowed and hook is not None:
            await hook(served)

    async def _serve(self, inbound: Inbound, decision: Decision, route: RouteInfo | None) -> None:
        settings = self.router.settings
        length = inbound.content_length
        if length is not None and length > settings.max_body_bytes:
            raise BodyTooLarge()
        has_body = inbound.chunked or bool(length)
        body = RequestBody(self.receive, settings.max_body_bytes, has_body=has_body)
        try:
            if inbound.chunked:
                await body.prefetch()
            self.served_by = decision.primary.value.encode()
            send: Send = self._send
            shadowed = decision.shadow is not None and self.router.shadow_hook is not None
            if shadowed or self.recording:
                send = await self._capture(inbound, body)
            if decision.primary is Backend.NEW and route is not None and self._may_fall_back(route):
                await self._serve_new_or_legacy(inbound, route, body, send)
            else:
                await self.router.backends[decision.primary].handle(inbound.scope, body, send)
        except RequestRejected:
            raise
        except Exception as exc:
            access_log.error(
                "backend_failed", request_id=inbound.request_id, error=type(exc).__name__
            )
            if self.started:
                raise  # mid-response: dropping the connection is the only honest answer
            await self._reject_internal()
        finally:
            body.close()

    def _may_fall_back(self, route: RouteInfo) -> bool:
        scope = self.scope
        return may_fall_back(route, scope["method"], scope["headers"], self.router.fallback)

    async def _serve_new_or_legacy(
        self, inbound: Inbound, route: RouteInfo, body: RequestBody, send: Send
    ) -> None:
        """The new side first; legacy, with the same request, if it fails before answering."""
        settings = self.router.settings
        began = time.perf_counter()
        # Read whole now (it is within max_body_bytes) so that legacy can be given it too.
        data = await buffer_request_body(body, inbound.content_length, settings.max_body_bytes)
        new, legacy = self.router.backends[Backend.NEW], self.router.backends[Backend.LEGACY]
        # The new app may add its own keys to the scope it is given; legacy gets the original.
        fell = await try_new(new, dict(inbound.scope), body, send, settings.fallback_timeout)
        if fell is None:
            return
        self.fell_back = fell
        stats = self.router.stats
        # The guard reads this as a failed request of the new side (status 0: no answer).
        stats.served(route.key, Backend.NEW.value, fell.status, time.perf_counter() - began)
        stats.fell_back(route.key, fell.reason)
        self.served_by = Backend.LEGACY.value.encode()
        replayed = data or b""
        await legacy.handle(inbound.scope, replay_body(replayed, max(len(replayed), 1)), send)

    async def _capture(self, inbound: Inbound, body: RequestBody) -> Send:
        """Keep the body and the primary's response for the shadow's comparison (and the
        traffic recorder)."""
        limit = self.router.settings.shadow_max_body_bytes
        self.shadow_body = await buffer_request_body(body, inbound.content_length, limit)
        self.recorder = ResponseRecorder(self._send, limit)
        return self.recorder.send

    async def _send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            self.status = message["status"]
            headers = list(message.get("headers", ()))
            headers.append((SERVED_BY, self.served_by))
            if self.fell_back is not None:
                headers.append((FALLBACK_HEADER, self.fell_back.reason.encode()))
            if not any(name.lower() == b"x-request-id" for name, _ in headers):
                headers.append((b"x-request-id", self.request_id))
            message = {**message, "headers": headers}
        await self.client_send(message)

    async def _reject(self, rejected: RequestRejected) -> None:
        self.router.stats.rejected(type(rejected).__name__)
        if self.started:
            raise rejected
        self.status = rejected.status
        extra = [(SERVED_BY, self.served_by)]
        if self.request_id:
            extra.append((b"x-request-id", self.request_id))
        await send_rejection(self.client_send, rejected, extra)

    async def _reject_internal(self) -> None:
        self.status = 500
        body = error_body("internal_error", "Internal server error.")
        extra = [(SERVED_BY, self.served_by), (b"x-request-id", self.request_id)]
        await send_json(self.client_send, 500, body, extra)

    def _log(
        self, route: RouteInfo | None, decision: Decision, backend: str, seconds: float
    ) -> None:
        mode = self.router.provider.snapshot().flag_for(route.key).mode if route else None
        self.router.access.request(
            {
                "request_id": self.request_id.decode(),
                "method": self.scope["method"],
                "path": self.scope["path"],
                "route_key": route.key if route else None,
                "backend": backend,
                "mode": mode,
                "status": self.status,
                "reason": decision.reason,
                "duration_ms": round(seconds * 1000, 2),
                **({"fallback": self.fell_back.reason} if self.fell_back else {}),
            }
        )


def _app_path(scope: Scope) -> str:
    path: str = scope["path"]
    root = scope.get("root_path", "")
    return path[len(root) :] or "/" if root and path.startswith(root) else path
