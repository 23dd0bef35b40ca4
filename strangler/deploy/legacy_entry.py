"""The WSGI entry ``strangler up`` gives gunicorn: the configured legacy app behind
werkzeug's ``ProxyFix``, so Flask sees the client the router resolved, not the router.

gunicorn ignores ``X-Forwarded-For``, so without this ``request.remote_addr`` would be the
router's address while FastAPI and the flag context see the client (A4). The router drops
every client-sent forwarding header and sets exactly one ``X-Forwarded-For`` and
``X-Forwarded-Proto`` from the address and scheme it resolved (trusted proxies only), so
one hop is trusted here; gunicorn listens on loopback only, so nothing else can reach it.

The app comes from ``STRANGLER_LEGACY_APP`` (``module:attribute``), which ``strangler up``
sets from ``[apps] legacy``.

Example:
    STRANGLER_LEGACY_APP=myapp.wsgi:app gunicorn strangler.deploy.legacy_entry:app
"""

from __future__ import annotations

import os
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

from router_proxy.asgi import import_app
from router_proxy.errors import ConfigError
from strangler.deploy import UpConfigError
from strangler.deploy.commands import LEGACY_APP_VARIABLE


def behind_router(wsgi_app: Any) -> ProxyFix:
    """Trust exactly one hop (the router) for the client address and scheme."""
    return ProxyFix(wsgi_app, x_for=1, x_proto=1)


def load_legacy_app(target: str) -> Any:
    if not target:
        raise UpConfigError(f"{LEGACY_APP_VARIABLE} is not set: module:app of the legacy app")
    try:
        return import_app(target)
    except ConfigError as exc:
        raise UpConfigError(f"{LEGACY_APP_VARIABLE}: {exc}") from exc


app = behind_router(load_legacy_app(os.environ.get(LEGACY_APP_VARIABLE, "")))
