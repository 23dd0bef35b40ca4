"""The smallest apps that still go through each framework: hello-JSON routes for the
router benchmark.

``/legacy/hello`` exists only in Flask and ``/new/hello`` only in FastAPI, so the router
sends each to its one owner without a flag (``/legacy/large`` and ``/new/large`` alike,
an 8 KB list for the compression benchmark); ``/healthz`` is in both (readiness checks).
``router_app()`` builds the router around them from the ``STRANGLER_*`` environment, the
way ``strangler serve`` does, for ``uvicorn --factory``.

Example:
    >>> legacy_app.test_client().get("/legacy/hello").get_json()
    {'hello': 'legacy'}
"""

from __future__ import annotations

import os
from typing import Any

from a2wsgi import WSGIMiddleware
from fastapi import FastAPI
from flask import Flask, jsonify
from flask.typing import ResponseReturnValue

from router_proxy.app import RouterApp
from router_proxy.types import ASGIApp

# A page of a payments list, as the reference API answers one: ~8 KB of JSON.
LARGE: dict[str, object] = {
    "items": [
        {"id": n, "account_id": 7, "amount": 1000 + n, "currency": "EUR", "status": "captured"}
        for n in range(100)
    ]
}

legacy_app = Flask("bench_legacy")
new_app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@legacy_app.get("/legacy/hello")
def legacy_hello() -> ResponseReturnValue:
    return jsonify(hello="legacy")


@legacy_app.get("/legacy/large")
def legacy_large() -> ResponseReturnValue:
    return jsonify(LARGE)


@legacy_app.get("/healthz")
def legacy_healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@new_app.get("/new/hello")
async def new_hello() -> dict[str, str]:
    return {"hello": "new"}


@new_app.get("/new/large")
async def new_large() -> dict[str, object]:
    return LARGE


@new_app.get("/healthz")
async def new_healthz() -> dict[str, str]:
    return {"status": "ok"}


def a2wsgi_app() -> WSGIMiddleware:
    """Flask behind a2wsgi alone: the in-process baseline the router's bridge must match."""
    return WSGIMiddleware(legacy_app)  # type: ignore[arg-type]


def router_app() -> RouterApp:
    """The router as ``strangler serve`` builds it (settings from ``STRANGLER_*``, JSON
    access log on, Prometheus metrics, traffic windows and owner lookups when
    ``DATABASE_URL`` is set, the shadow hook), serving the two apps above."""
    from router_proxy import logs
    from router_proxy.asgi import build_router

    apps = {"apps": {"legacy": "bench.apps:legacy_app", "new": "bench.apps:new_app"}}
    logs.configure()
    return build_router(apps, os.environ, {}, "static")


def recording_router_app(percent: float) -> RouterApp:
    """``router_app()`` with the traffic recorder sampling ``percent`` of every route."""
    from router_proxy import logs
    from router_proxy.asgi import build_router

    raw: dict[str, Any] = {
        "apps": {"legacy": "bench.apps:legacy_app", "new": "bench.apps:new_app"},
        "record_sample": {"*": percent},
    }
    logs.configure()
    return build_router(raw, os.environ, {}, "static")


def recording_10_router_app() -> RouterApp:
    return recording_router_app(10)


def recording_100_router_app() -> RouterApp:
    return recording_router_app(100)


def compressed_router_app() -> ASGIApp:
    """``router_app()`` behind ``[compression] enabled = true``, as ``strangler serve
    --compress`` runs it."""
    from router_proxy.serving import entrypoint

    return entrypoint(router_app(), {"compression": {"enabled": True}})


class MinimalDispatcher:
    """The floor for in-process dispatch: a dict from path to app and nothing else (no
    header cleaning, decision, log, metrics or windows), legacy through a2wsgi. Whatever
    the router costs beyond this is the price of its features."""

    def __init__(self) -> None:
        legacy = a2wsgi_app()
        self.apps: dict[str, ASGIApp] = {
            "/new/hello": new_app,
            "/legacy/hello": legacy,  # type: ignore[dict-item]
            "/healthz": new_app,
        }
        self.fallback: ASGIApp = legacy  # type: ignore[assignment]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return None
        await self.apps.get(scope["path"], self.fallback)(scope, receive, send)


def minimal_dispatcher() -> MinimalDispatcher:
    return MinimalDispatcher()


async def _lifespan(receive: Any, send: Any, close: Any = None) -> None:
    """Start at once; on shutdown, await ``close()`` (when given), then say so."""
    while (await receive())["type"] != "lifespan.shutdown":
        await send({"type": "lifespan.startup.complete"})
    if close is not None:
        await close()
    await send({"type": "lifespan.shutdown.complete"})


class MinimalProxy:
    """The floor for remote mode: a pure-ASGI reverse proxy on one shared aiohttp session
    to ``BENCH_UPSTREAM`` (the client the router uses), copying method, path, headers and
    the whole response; no cleaning, decision, retry, breaker, log or metrics."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.session: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        import aiohttp
        from yarl import URL

        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self._close)
            return
        if self.session is None:
            self.session = aiohttp.ClientSession(auto_decompress=False)
        target = scope["raw_path"].decode("latin-1")
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode("latin-1")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        async with self.session.request(
            scope["method"], URL(self.upstream + target, encoded=True), headers=headers
        ) as response:
            body = await response.read()
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status,
                    "headers": [
                        (k, v)
                        for k, v in response.raw_headers
                        if k.lower() not in (b"connection", b"transfer-encoding")
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})

    async def _close(self) -> None:
        if self.session is not None:  # made by the first request, if any came
            await self.session.close()


def minimal_proxy() -> MinimalProxy:
    return MinimalProxy(os.environ["BENCH_UPSTREAM"])


class _Response:
    """httptools parser callbacks: status, headers and body of one upstream response."""

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.done = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.done = True


class RawProxy:
    """The leanest Python proxy measured: asyncio streams and httptools' response parser,
    one upstream connection per request (what gunicorn's sync worker allows), no pool,
    no timeouts, no retries. The floor under any Python HTTP client in the router's place."""

    def __init__(self, upstream: str) -> None:
        host, _, port = upstream.removeprefix("http://").rstrip("/").partition(":")
        self.host, self.port = host, int(port or 80)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        import asyncio

        import httptools

        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        reader, writer = await asyncio.open_connection(self.host, self.port)
        target = scope["raw_path"] + (
            b"?" + scope["query_string"] if scope["query_string"] else b""
        )
        head = [scope["method"].encode() + b" " + target + b" HTTP/1.1"]
        head += [name + b": " + value for name, value in scope["headers"]]
        writer.write(b"\r\n".join(head) + b"\r\n\r\n")
        response = _Response()
        parser = httptools.HttpResponseParser(response)
        while not response.done:
            chunk = await reader.read(65536)
            if not chunk:
                break
            parser.feed_data(chunk)
        writer.close()
        headers = [
            (k, v) for k, v in response.headers if k not in (b"connection", b"transfer-encoding")
        ]
        status = parser.get_status_code()
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"".join(response.body)})


def raw_proxy() -> RawProxy:
    return RawProxy(os.environ["BENCH_UPSTREAM"])
