"""The two implementations a parity run compares: in-process apps or remote base URLs.

``reference_pair()`` builds this project's apps (the legacy Flask app and the FastAPI
port) from the environment, with the port's read cache off: a cached read would outlive
the rolled-back transaction that produced it. Another pair is any zero-argument callable
returning an ``AppPair``, named on the command line as ``module:function``.

Example:
    >>> RemotePair("http://127.0.0.1:8001", "http://127.0.0.1:8002").legacy_url
    'http://127.0.0.1:8001'
"""

from __future__ import annotations

import importlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from parity_tests.errors import TargetError
from parity_tests.isolation import LegacyBinding

DEFAULT_PAIR = "parity_tests.pair:reference_pair"


@dataclass(frozen=True)
class AppPair:
    """In-process apps: ``new_root`` is where ``new_pool_path`` starts (the FastAPI app)."""

    legacy_app: Any
    new_app: Any
    database_url: str
    new_root: Any = None
    legacy_binding: LegacyBinding = field(default_factory=LegacyBinding)
    new_pool_path: str = "state.services.database.pool"

    @property
    def pool_root(self) -> Any:
        return self.new_root if self.new_root is not None else self.new_app


@dataclass(frozen=True)
class RemotePair:
    """Servers already running: reads only, as nothing can hold their transactions."""

    legacy_url: str
    new_url: str


def reference_pair(wrap_new: Callable[[Any], Any] | None = None) -> AppPair:
    """This project's two apps; ``wrap_new`` may wrap the port's ASGI app (tests plant bugs)."""
    from fastapi_app.main import create_app as create_port
    from fastapi_app.settings import load_settings
    from legacy_flask.app import create_app as create_legacy

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        raise TargetError("DATABASE_URL is not set")
    secret = os.environ.get("SECRET_KEY") or secrets.token_hex(16)
    config = {"DATABASE_URL": database_url, "SECRET_KEY": secret}
    port = create_port(load_settings({**config, "REDIS_URL": "", "DB_POOL_MIN_SIZE": "0"}))
    new_app = wrap_new(port) if wrap_new else port
    return AppPair(create_legacy(config), new_app, database_url, new_root=port)


def load_pair(spec: str) -> AppPair:
    """``module:function`` returning an AppPair."""
    module_name, _, attribute = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute or "pair")
    except (ImportError, AttributeError) as exc:
        raise TargetError(f"cannot import the app pair {spec!r}: {exc}") from exc
    pair = factory()
    if not isinstance(pair, AppPair):
        raise TargetError(f"{spec!r} did not return an AppPair")
    return pair
