"""The demo project's app pair for parity runs (``[parity] pair`` in its strangler.toml).

The legacy Flask app and the FastAPI port, built on ``DATABASE_URL``, with the port's read
cache off: a cached read would outlive the rolled-back transaction that produced it.

Example:
    >>> from payments_demo.pair import reference_pair
    >>> reference_pair().database_url  # doctest: +SKIP
    'postgresql://postgres@127.0.0.1:5432/test'
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from typing import Any

from parity_tests.errors import TargetError
from parity_tests.pair import AppPair
from parity_tests.stacks import Stack


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
    legacy_db = Stack("sessionmaker", "extensions.legacy_db.sessions")
    new_db = Stack("asyncpg_pool", "state.services.database.pool")
    return AppPair(create_legacy(config), new_app, database_url, legacy_db, new_db, port)
