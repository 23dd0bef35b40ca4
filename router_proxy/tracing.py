"""OpenTelemetry: one server span per routed request, when the optional ``otel`` extra is
installed (``pip install 'strangler[otel]'``); without it ``request_tracer()`` is None and
the dispatcher opens no span, and none either until the application sets a TracerProvider
(the API alone comes with other packages, and its no-op spans cost as much as real ones).

The span carries the method, the route key (never the raw path's ids: the key is the
template, matched once by the dispatcher for both the decision and the span), the status
and the backend that answered. Exporters are the application's business: configure a
TracerProvider as OpenTelemetry documents.

Example:
    >>> tracer = request_tracer()
    >>> tracer is None or hasattr(tracer, "span")
    True
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any, Protocol

from rollout.types import RouteInfo
from router_proxy.types import Scope

try:
    from opentelemetry import trace
except ImportError:  # the extra is not installed: no spans
    trace = None  # type: ignore[assignment]

LIVE_RECHECK_SECONDS = 1.0


class OpenSpan(Protocol):
    def answered(self, status: int, backend: str) -> None: ...


class RequestTracer(Protocol):
    def live(self) -> bool: ...

    def span(
        self, scope: Scope, route: RouteInfo | None
    ) -> contextlib.AbstractContextManager[OpenSpan]: ...


def request_tracer() -> RequestTracer | None:
    return OtelTracer() if trace is not None else None


class _Span:
    def __init__(self, span: Any) -> None:
        self._span = span

    def answered(self, status: int, backend: str) -> None:
        if status:
            self._span.set_attribute("http.response.status_code", status)
        self._span.set_attribute("strangler.backend", backend)


class OtelTracer:
    """Spans through the global TracerProvider, once the application has set one.

    Until then OpenTelemetry's proxy provider makes non-recording spans, at ~12 us a
    request for nothing; ``live()`` asks at most once a second, and a provider once set
    stays set (OpenTelemetry allows it to be set once)."""

    def __init__(self) -> None:
        assert trace is not None
        self._tracer = trace.get_tracer("strangler.router")
        self._live = False
        self._asked = -LIVE_RECHECK_SECONDS

    def live(self) -> bool:
        if self._live:
            return True
        now = time.monotonic()
        if now - self._asked >= LIVE_RECHECK_SECONDS:
            assert trace is not None
            self._asked = now
            provider = trace.get_tracer_provider()
            self._live = not isinstance(provider, trace.ProxyTracerProvider)
        return self._live

    @contextlib.contextmanager
    def span(self, scope: Scope, route: RouteInfo | None) -> Iterator[OpenSpan]:
        assert trace is not None
        name = route.key if route else f"{scope['method']} (unmatched)"
        with self._tracer.start_as_current_span(name, kind=trace.SpanKind.SERVER) as span:
            span.set_attribute("http.request.method", scope["method"])
            if route is not None:
                span.set_attribute("http.route", route.key)
            yield _Span(span)
