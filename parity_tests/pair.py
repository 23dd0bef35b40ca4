"""The two implementations a parity run compares: in-process apps or remote base URLs.

A project names its pair in strangler.toml (``[parity] pair = "module:function"``): a
zero-argument callable returning an ``AppPair`` of its two apps, built on the database
the run uses (``DATABASE_URL``).

Example:
    >>> RemotePair("http://127.0.0.1:8001", "http://127.0.0.1:8002").legacy_url
    'http://127.0.0.1:8001'
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from parity_tests.errors import TargetError
from parity_tests.isolation import LegacyBinding


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
