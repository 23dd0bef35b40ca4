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
