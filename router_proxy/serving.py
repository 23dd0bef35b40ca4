"""The app factory ``strangler serve --workers N`` gives uvicorn: each worker process
builds its own router from the settings the parent put in ``STRANGLER_SERVE`` (JSON:
the parsed strangler.toml, command-line overrides, flag provider).

Example:
    uvicorn router_proxy.serving:create_app --factory --workers 4
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from router_proxy.compression import compressed, load_compression
from router_proxy.server_headers import ServerHeaders
from router_proxy.types import ASGIApp

if TYPE_CHECKING:
    from router_proxy.app import RouterApp

SERVE_ENV = "STRANGLER_SERVE"


def serve_payload(raw: dict[str, Any], overrides: dict[str, Any], flags: str | None) -> str:
    return json.dumps({"raw": raw, "overrides": overrides, "flags": flags}, default=str)


def entrypoint(router: RouterApp, raw: Mapping[str, Any]) -> ASGIApp:
    """What the server runs: the router, behind ``[compression]`` when it is on (the
    router opens its own spans: ``router_proxy.tracing``), with one ``Date`` and one
    ``Server`` per answer (the server's own are off). Raises ConfigError."""
    return ServerHeaders(compressed(router, load_compression(raw)))


def create_app() -> Any:
    from router_proxy import logs
    from router_proxy.asgi import build_router

    payload = json.loads(os.environ.get(SERVE_ENV, "{}"))
    logs.configure()
    router = build_router(
        payload.get("raw", {}), os.environ, payload.get("overrides", {}), payload.get("flags")
    )
    return entrypoint(router, payload.get("raw", {}))
