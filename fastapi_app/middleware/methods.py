"""Flask's answers to methods a route does not declare: OPTIONS, HEAD and 405.

Flask answers ``OPTIONS`` on any known path itself (200, empty body, ``Allow``), serves
``HEAD`` with the GET handler minus the body, and answers a known path with an unknown
method 405 with ``Allow`` listing every method of every rule on that path. Starlette
would instead take the first route that matches the path; this middleware asks all of
them, before any handler runs, and answers a path no route has (or an ``<int>`` id beyond
bigint, which Flask's converter refuses) with the JSON 404.

Example:
    >>> allow_header({"GET", "POST"})
    'GET, HEAD, OPTIONS, POST'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fastapi_app.errors import ApiError, MethodNotAllowed, NotFound
from fastapi_app.wire import render_json

BIGINT_MAX = 9223372036854775807
OPTIONS_HEADERS = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", b"0")]


def allow_header(methods: Iterable[str]) -> str:
    found = set(methods)
    if "GET" in found:
        found.add("HEAD")
    found.add("OPTIONS")
    return ", ".join(sorted(found))


def _can_exist(path_params: dict[str, Any]) -> bool:
    # Flask's <int:...> stops at bigint: a larger id matches no rule at all
    return not any(type(value) is int and value > BIGINT_MAX for value in path_params.values())


def path_methods(routes: Sequence[BaseRoute], scope: Scope) -> set[str]:
    """Every method declared on ``scope``'s path (empty: no route has this path)."""
    methods: set[str] = set()
    for route in routes:
        match, child = route.matches(scope)
        if match != Match.NONE and _can_exist(child.get("path_params", {})):
            methods |= set(getattr(route, "methods", None) or ())
    return methods


def without_body(send: Send) -> Send:
    async def send_headers_only(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return send_headers_only


class FlaskMethodSemantics:
    def __init__(self, app: ASGIApp, routes: Callable[[], Sequence[BaseRoute]]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "HEAD":
            send = without_body(send)
        declared = path_methods(self.routes(), scope)
        if not declared:
            await self._error(send, NotFound())
        elif method == "OPTIONS":
            allow = (b"allow", allow_header(declared).encode())
            await self._respond(send, 200, [*OPTIONS_HEADERS, allow], b"")
        elif method in declared or (method == "HEAD" and "GET" in declared):
            await self.app({**scope, "method": "GET"} if method == "HEAD" else scope, receive, send)
        else:
            await self._error(send, MethodNotAllowed(allow_header(declared).split(", ")))

    @staticmethod
    async def _respond(
        send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _error(self, send: Send, error: ApiError) -> None:
        body = render_json(error.payload()).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *((name.lower().encode(), value.encode()) for name, value in error.headers().items()),
        ]
        await self._respond(send, error.status, headers, body)
