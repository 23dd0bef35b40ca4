"""OpenTelemetry: one server span per request, when the optional ``otel`` extra is
installed (``pip install 'strangler[otel]'``); without it ``traced(app)`` is ``app``.

The span carries the method, the route key (never the raw path's ids: the key is the
template), the status and the backend that answered (from ``X-Served-By``). Exporters
are the application's business: configure a TracerProvider as OpenTelemetry documents.

Example:
    app = traced(build_router(raw, os.environ, {}))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from router_proxy.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from router_proxy.dispatch import RouterApp

try:
    from opentelemetry import trace
except ImportError:  # the extra is not installed: no spans
    trace = None  # type: ignore[assignment]


def tracing_available() -> bool:
    return trace is not None


def traced(router: RouterApp) -> ASGIApp:
    return TracingMiddleware(router) if trace is not None else router


class TracingMiddleware:
    def __init__(self, router: RouterApp) -> None:
        assert trace is not None
        self.router = router
        self.tracer = trace.get_tracer("strangler.router")

    def __getattr__(self, name: str) -> Any:  # settings, provider, ... of the router
        return getattr(self.router, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_strangler/"):
            await self.router(scope, receive, send)
            return
        assert trace is not None
        route = self.router.route_for(scope)
        name = route.key if route else f"{scope['method']} (unmatched)"
        with self.tracer.start_as_current_span(name, kind=trace.SpanKind.SERVER) as span:
            span.set_attribute("http.request.method", scope["method"])
            if route is not None:
                span.set_attribute("http.route", route.key)

            async def traced_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    span.set_attribute("http.response.status_code", message["status"])
                    for header, value in message.get("headers", ()):
                        if header == b"x-served-by":
                            span.set_attribute("strangler.backend", value.decode())
                await send(message)

            await self.router(scope, receive, traced_send)
