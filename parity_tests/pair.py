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
from dataclasses import dataclass
from typing import Any

from parity_tests.errors import TargetError
from parity_tests.stacks import Stack


@dataclass(frozen=True)
class AppPair:
    """In-process apps and where each keeps its database handle (``parity_tests.stacks``);
    ``new_root`` is where the new side's attribute paths start when ``new_app`` wraps it."""

    legacy_app: Any
    new_app: Any
    database_url: str
    legacy_db: Stack
    new_db: Stack
    new_root: Any = None

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
