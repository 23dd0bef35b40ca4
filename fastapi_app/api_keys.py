"""API key -> owner, through a short-lived in-process cache of ``sha256(key)``.

Without it every authenticated request pays one PostgreSQL round trip (plus a pool
acquire) before its real work; with it a worker asks once per key per TTL. The cost is
that a revoked key keeps working in a worker for at most ``ttl_seconds`` after the last
lookup that saw it live (``API_KEY_CACHE_SECONDS``, default 5; 0 turns the cache off and
honours revocation at once, as legacy does). Only live keys are cached: an unknown or
revoked key is asked about every time, so a key created a moment ago works at once. The
cache holds hashes, never keys, and at most ``max_entries`` of them per worker.

Example:
    >>> keys = ApiKeyCache(ttl_seconds=5.0, clock=lambda: 100.0)
    >>> keys.remember("ab12", "org_1")
    >>> keys.owner_of("ab12")
    'org_1'
"""

from __future__ import annotations

import time
from collections.abc import Callable

DEFAULT_MAX_ENTRIES = 10_000


class ApiKeyCache:
    """Owners of recently seen live key hashes, each forgotten ``ttl_seconds`` after lookup."""

    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._owners: dict[str, tuple[str, float]] = {}

    @property
    def enabled(self) -> bool:
        return self._ttl > 0

    def owner_of(self, key_hash: str) -> str | None:
        """The cached owner, or None when unknown here or older than the TTL."""
        found = self._owners.get(key_hash)
        if found is None:
            return None
        owner, expires_at = found
        if self._clock() >= expires_at:
            del self._owners[key_hash]
            return None
        return owner

    def remember(self, key_hash: str, owner: str) -> None:
        if not self.enabled:
            return
        if len(self._owners) >= self._max_entries and key_hash not in self._owners:
            # dicts keep insertion order: the first entry is the oldest lookup
            del self._owners[next(iter(self._owners))]
        self._owners[key_hash] = (owner, self._clock() + self._ttl)
