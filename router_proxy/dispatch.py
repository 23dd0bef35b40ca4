"""The dispatcher: clean the request, find its route key, ask ``decide``, serve it from the
primary backend, and hand what was served to the shadow hook and the traffic sampler
afterwards (``router_proxy.served``).

Per-request state lives in one ``_Exchange`` object; the dispatcher only holds what is
shared, all of it given at construction by the composition root (``router_proxy.asgi``).
It answers HTTP only: the lifespan and ``/_strangler/`` are the entrypoint's
(``router_proxy.app``).

Example:
    >>> from rollout.types import Backend, Decision
    >>> UNKNOWN_ROUTE.primary is Backend.LEGACY
    True
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from rollout.decide import decide
from rollout.flags.base import FlagProvider
from rollout.types import Backend, Decision, RouteInfo
from router_proxy.backends.base import Backend as BackendImpl
from router_proxy.body import RequestBody
from router_proxy.capture import ResponseRecorder, buffer_request_body, replay_body
from router_proxy.config import Settings
from router_proxy.context import CallerReader
from router_proxy.crashes import crash_page
from router_proxy.endpoints import app_path
from router_proxy.errors import (
    AmbiguousPath,
    BackendError,
    BodyTooLarge,
    RequestRejected,
    error_body,
    send_answer,
    send_json,
)
from router_proxy.fallback import FALLBACK_HEADER, FallbackRules, FellBack, may_fall_back, try_new
from router_proxy.headers import Inbound, clean_request
from router_proxy.identity import (
    IdentityResolver,
    anonymous_cookie,
    needs_anonymous_id,
    needs_identity,
    resolve,
)
from router_proxy.logs import AccessLog, access_log
from router_proxy.paths import canonical, is_canonical
from router_proxy.routes import RouteTable
from router_proxy.served import Served, ShadowHook, TrafficSampler
from router_proxy.stats import RouterStats
from router_proxy.tracing import RequestTracer
from router_proxy.types import Message, Receive, Scope, Send

UNKNOWN_ROUTE = Decision(Backend.LEGACY, reason="unknown route")
BACKEND_NAMES = frozenset(backend.value for backend in Backend)
SERVED_BY = b"x-served-by"


@dataclass(frozen=True, slots=True)
class Dispatch:
    """Everything the dispatcher reads, built once by the composition root."""

    table: RouteTable
    provider: FlagProvider
    backends: Mapping[Backend, BackendImpl]
    settings: Settings
    stats: RouterStats
    callers: CallerReader
    fallback: FallbackRules = field(default_factory=FallbackRules)
    shadow_hook: ShadowHook | None = None
    resolver: IdentityResolver | None = None  # [identity] resolver
    sampler: TrafficSampler | None = None
    tracer: RequestTracer | None = None


class Dispatcher:
    def __init__(self, parts: Dispatch) -> None:
        self.parts = parts
        self.access = AccessLog(parts.settings.access_log)
        self.inflight = 0  # client requests being served now (the shadow's admission reads it)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _Exchange(self, scope, receive, send).run()

    def route_for(self, scope: Scope) -> RouteInfo | None:
        return self.parts.table.match(scope["method"], app_path(scope))

    def selects_another_route(self, scope: Scope, route: RouteInfo | None) -> bool:
        """A22: the path, normalised as a backend may take it, selects another route."""
        path = app_path(scope)
        if is_canonical(path):
            return False
        other = self.parts.table.match(scope["method"], canonical(path))
        return (other.key if other else None) != (route.key if route else None)

    async def decide(self, route: RouteInfo | None, inbound: Inbound) -> Decision:
        decision, _ = await self.decide_for(route, inbound)
        return decision

    async def decide_for(
        self, route: RouteInfo | None, inbound: Inbound
    ) -> tuple[Decision, bytes | None]:
        """The decision, and a Set-Cookie value when an anonymous caller got a new id."""
        if route is None:
            return UNKNOWN_ROUTE, None
        parts = self.parts
        snapshot = parts.provider.snapshot()
        resolved = None
        if parts.resolver is not None and needs_identity(route, snapshot):
            resolved = await resolve(parts.resolver, inbound.authorization, inbound.cookie)
        ctx = parts.callers.context(
            inbound.authorization,
            inbound.cookie,
            inbound.scope["headers"],
            inbound.client_host,
            random.random() * 100,
            resolved,
        )
        minted = None
        name = parts.callers.identity.anonymous_cookie
        if name and ctx.user_id is None and needs_anonymous_id(route, snapshot):
            value, minted = anonymous_cookie(name, inbound.scope["scheme"])
            # A write needs an identity the caller already holds: a fresh id is not yet
            # stable (the client may not keep cookies), so it only names the next request.
            if not route.is_write:
                anonymous = f"anon:{value}"
                ctx = replace(ctx, user_id=anonymous, session_id=ctx.session_id or anonymous)
        return decide(route, ctx, snapshot), minted


class _Exchange:
    """One request on its way through the router."""

    def __init__(self, router: Dispatcher, scope: Scope, receive: Receive, send: Send) -> None:
        self.router = router
        self.parts = router.parts
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
        self.recording = False  # the traffic sampler chose this request
        self.shadowed = False  # a copy goes to the shadow hook once the client has its answer
        self.set_cookie: bytes | None = None  # a new anonymous caller's id, kept by its browser

    async def run(self) -> None:
        tracer = self.parts.tracer
        route = self.router.route_for(self.scope)  # matched once: the span names it too
        if tracer is None or not tracer.live():
            served = await self._run(route)
        else:
            with tracer.span(self.scope, route) as span:
                served = await self._run(route)
                span.answered(self.status, self.served_by.decode())
        if served is not None:
            await self._hand_on(served)

    async def _run(self, route: RouteInfo | None) -> Served | None:
        began = time.perf_counter()
        decision = UNKNOWN_ROUTE
        inbound: Inbound | None = None
        parts = self.parts
        self.router.inflight += 1
        try:
            inbound = clean_request(self.scope, parts.settings)
            self.request_id = inbound.request_id.encode()
            if self.router.selects_another_route(self.scope, route):
                raise AmbiguousPath()
            decision, self.set_cookie = await self.router.decide_for(route, inbound)
            self.recording = parts.sampler is not None and parts.sampler.wants(route)
            await self._serve(inbound, decision, route)
        except (RequestRejected, BackendError) as answer:
            await self._answer_error(answer)
        finally:
            self.router.inflight -= 1
            seconds = time.perf_counter() - began
            backend = self.served_by.decode()
            if self.router.access.wanted(self.status, failed=self.fell_back is not None):
                minted = inbound is not None and inbound.minted_id
                self._log(route, decision, backend, seconds, minted)
            if route is not None:
                parts.stats.served(route.key, backend, self.status, seconds)
        self.shadowed = (
            parts.shadow_hook is not None and decision.shadow is not None and self.fell_back is None
        )
        if inbound is None or not (self.shadowed or self.recording):
            return None
        return Served(
            inbound.request_id,
            route,
            decision,
            inbound.scope,
            self.status,
            self.shadow_body,
            self.recorder.captured if self.recorder else None,
            self.router.inflight,
        )

    async def _hand_on(self, served: Served) -> None:
        parts = self.parts
        if self.recording and parts.sampler is not None:
            parts.sampler.offer(served, self.served_by.decode())
        if self.shadowed and parts.shadow_hook is not None:
            await parts.shadow_hook(served)

    async def _serve(self, inbound: Inbound, decision: Decision, route: RouteInfo | None) -> None:
        settings = self.parts.settings
        length = inbound.content_length
        limit = settings.max_body_bytes  # 0: none of the router's own
        if limit and length is not None and length > limit:
            raise BodyTooLarge()
        has_body = inbound.chunked or bool(length)
        body = RequestBody(self.receive, limit, has_body=has_body)
        try:
            if inbound.chunked and limit:
                await body.prefetch()  # 413 before any handler
            self.served_by = decision.primary.value.encode()
            send: Send = self._send
            shadowed = decision.shadow is not None and self.parts.shadow_hook is not None
            if shadowed or self.recording:
                send = await self._capture(inbound, body)
            if decision.primary is Backend.NEW and route is not None and self._may_fall_back(route):
                await self._serve_new_or_legacy(inbound, route, body, send)
            else:
                await self.parts.backends[decision.primary].handle(inbound.scope, body, send)
        except (RequestRejected, BackendError):
            raise
        except Exception as exc:
            # The traceback, through the redaction every log line gets (logsafe).
            access_log.error(
                "backend_failed",
                request_id=inbound.request_id,
                backend=self.served_by.decode(),
                error=type(exc).__name__,
                exc_info=exc,
            )
            if self.started:
                raise  # mid-response: dropping the connection is the only honest answer
            await self._answer_crash()
        finally:
            body.close()

    def _may_fall_back(self, route: RouteInfo) -> bool:
        scope = self.scope
        return may_fall_back(route, scope["method"], scope["headers"], self.parts.fallback)

    async def _serve_new_or_legacy(
        self, inbound: Inbound, route: RouteInfo, body: RequestBody, send: Send
    ) -> None:
        """The new side first; legacy, with the same request, if it fails before answering."""
        parts = self.parts
        began = time.perf_counter()
        new, legacy = parts.backends[Backend.NEW], parts.backends[Backend.LEGACY]
        # Kept whole (up to the copies' cap) so that legacy can be given it too; a larger
        # body streams to the new side, which then answers without a fallback.
        limit = parts.settings.shadow_max_body_bytes
        data = await buffer_request_body(body, inbound.content_length, limit)
        if data is None:
            await new.handle(inbound.scope, body, send)
            return
        # The new app may add its own keys to the scope it is given; legacy gets the original.
        timeout = parts.settings.fallback_timeout
        fell = await try_new(new, dict(inbound.scope), body, send, timeout)
        if fell is None:
            return
        self.fell_back = fell
        # The guard reads this as a failed request of the new side (status 0: no answer).
        parts.stats.served(route.key, Backend.NEW.value, fell.status, time.perf_counter() - began)
        parts.stats.fell_back(route.key, fell.reason)
        self.served_by = Backend.LEGACY.value.encode()
        replayed = data or b""
        await legacy.handle(inbound.scope, replay_body(replayed, max(len(replayed), 1)), send)

    async def _capture(self, inbound: Inbound, body: RequestBody) -> Send:
        """Keep the body and the primary's response for the shadow's comparison (and the
        traffic sampler)."""
        limit = self.parts.settings.shadow_max_body_bytes
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
            if self.set_cookie is not None:
                headers.append((b"set-cookie", self.set_cookie))
            message = {**message, "headers": headers}
        await self.client_send(message)

    async def _answer_error(self, answer: RequestRejected | BackendError) -> None:
        self.parts.stats.rejected(type(answer).__name__)
        if self.started:
            raise answer
        self.status = answer.status
        extra = [(SERVED_BY, self.served_by)]
        if self.request_id:
            extra.append((b"x-request-id", self.request_id))
        await send_answer(self.client_send, answer, extra)

    async def _answer_crash(self) -> None:
        """The app raised before answering: what its own server would answer."""
        self.status = 500
        extra = [(SERVED_BY, self.served_by), (b"x-request-id", self.request_id)]
        served_by = self.served_by.decode()
        if served_by in BACKEND_NAMES:
            await crash_page(Backend(served_by)).send(self.client_send, extra)
        else:  # the router itself failed before a backend was chosen
            body = error_body("internal_error", "Internal server error.")
            await send_json(self.client_send, 500, body, extra)

    def _log(
        self,
        route: RouteInfo | None,
        decision: Decision,
        backend: str,
        seconds: float,
        minted_id: bool,
    ) -> None:
        self.router.access.request(
            {
                "request_id": self.request_id.decode(),
                "method": self.scope["method"],
                "path": self.scope["path"],
                "route_key": route.key if route else None,
                "backend": backend,
                "mode": decision.mode,
                "status": self.status,
                "reason": decision.reason,
                "duration_ms": round(seconds * 1000, 2),
                **({"fallback": self.fell_back.reason} if self.fell_back else {}),
            },
            minted_id,
        )
