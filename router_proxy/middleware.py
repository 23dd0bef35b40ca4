"""The router as middleware, for a team whose FastAPI app already serves the public address:
the app's own routes are "new", the legacy Flask app's come from its ``url_map``, and each
request is routed, shadowed or canaried by the same ``RouterApp`` that ``strangler serve``
runs (no second copy of the router).

Starlette builds its middleware stack at the app's first call, after every route is added,
so the middleware sees the whole route table; it finds the routes by following ``.app``
down from the layer below it. Both apps run in this process, and the shadow's copies run
on this loop (``shadow_isolation = "loop"``): a worker process could not import the app
this middleware lives in without building the middleware again.

The app's lifespan must run (uvicorn, hypercorn and granian run it by default): the router
starts its flag provider and the rollout machinery, then the app's own lifespan, in it.

Example:
    >>> from fastapi import FastAPI
    >>> app = FastAPI()
    >>> app.add_middleware(
    ...     StranglerMiddleware,
    ...     legacy="tests.router_proxy.apps.flask_app:app",
    ...     config=None,
    ...     settings={"secret_key": "change-me"},
    ... )
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rollout.plan import load_toml
from router_proxy.app import RouterApp
from router_proxy.asgi import Apps, build_router, import_app, import_legacy_app
from router_proxy.config import FIELDS, Settings, load_settings
from router_proxy.errors import ConfigError
from router_proxy.types import ASGIApp, Receive, Scope, Send

# The new app is this one, and no worker process can import it: copies run on this loop.
IN_THIS_APP = {"new_app": "", "shadow_isolation": "loop"}


class StranglerMiddleware:
    """``legacy``: the Flask (any WSGI) app, as an import string or the object; by default
    ``[apps] legacy`` of the config. ``config``: the ``strangler.toml`` to read (None:
    none, settings from the environment and ``settings``). ``flags`` overrides the
    config's flag provider. ``env``: the environment to read (default ``os.environ``).
    ``settings``: ``[router]`` keys that win over the config's (``{"secret_key": ...}``).

    Raises ConfigError (or rollout's PlanError) when the configuration is wrong, at the
    app's first call, when Starlette builds its middleware."""

    def __init__(
        self,
        app: ASGIApp,
        legacy: str | Any | None = None,
        config: str | os.PathLike[str] | None = "strangler.toml",
        flags: str | None = None,
        env: Mapping[str, str] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        self.app = app
        self.router = build_middleware_router(app, legacy, config, flags, env, settings or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # Flask serves none; the router would close them
            await self.app(scope, receive, send)
        else:
            await self.router(scope, receive, send)


def build_middleware_router(
    app: ASGIApp,
    legacy: str | Any | None,
    config: str | os.PathLike[str] | None,
    flags: str | None,
    env: Mapping[str, str] | None,
    settings: Mapping[str, Any],
) -> RouterApp:
    unknown = set(settings) - set(FIELDS)
    if unknown:
        raise ConfigError(f"StranglerMiddleware: unknown settings {sorted(unknown)}")
    raw = load_toml(Path(config)) if config is not None else {}
    environ = os.environ if env is None else env
    resolved = load_settings(raw, environ, settings)
    if resolved.mode != "inprocess":
        raise ConfigError(
            "StranglerMiddleware serves both apps in-process; mode must be 'inprocess'"
        )
    legacy_app = _legacy(legacy, resolved)
    overrides = {**settings, **IN_THIS_APP}
    return build_router(raw, environ, overrides, flags, apps=Apps(legacy_app, app))


def _legacy(given: str | Any | None, configured: Settings) -> Any:
    if given is None:
        return import_legacy_app(configured)
    return import_app(given) if isinstance(given, str) else given
