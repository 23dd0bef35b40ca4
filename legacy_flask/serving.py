"""How many gunicorn workers: WEB_CONCURRENCY, else 2 * cores + 1 capped at 8.

Example:
    >>> workers_from_env({"WEB_CONCURRENCY": "3"})
    3
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from legacy_flask.errors import ConfigError

MAX_DEFAULT_WORKERS = 8


def default_workers(cores: int | None) -> int:
    return min(2 * (cores or 1) + 1, MAX_DEFAULT_WORKERS)


def workers_from_env(environ: Mapping[str, str]) -> int:
    raw = environ.get("WEB_CONCURRENCY")
    if raw is None or raw == "":
        return default_workers(os.cpu_count())
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError("WEB_CONCURRENCY", "must be a positive integer")
    return int(raw)
