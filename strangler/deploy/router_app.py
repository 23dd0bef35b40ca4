"""The router as an ASGI factory, so uvicorn can run it with ``--workers N``.

Every worker builds its own router from the same inputs: ``STRANGLER_CONFIG`` (the
``strangler.toml`` path), the ``STRANGLER_*`` variables ``router_proxy.config`` reads
(``STRANGLER_MODE=remote``, ``STRANGLER_LEGACY_URL``, ``STRANGLER_NEW_URL``),
``STRANGLER_FLAGS`` (the flag provider) and ``STRANGLER_LOG_LEVEL``. Workers share
nothing but PostgreSQL, Redis and the flag source, which is what lets N of them agree.

Example:
    STRANGLER_MODE=remote uvicorn strangler.deploy.router_app:create --factory --workers 2
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from rollout.plan import load_toml


def create() -> Any:
    from router_proxy import logs
    from router_proxy.asgi import build_router
    from router_proxy.serving import entrypoint

    path = Path(os.environ.get("STRANGLER_CONFIG", "strangler.toml"))
    raw = load_toml(path) if path.exists() else {}
    router = build_router(raw, os.environ, {}, os.environ.get("STRANGLER_FLAGS") or None)
    logs.configure(logging.getLevelNamesMapping()[os.environ.get("STRANGLER_LOG_LEVEL", "INFO")])
    return entrypoint(router, raw)
