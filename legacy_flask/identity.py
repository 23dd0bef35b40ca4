"""The payments project's caller identity for Strangler's sticky canaries: API key ->
owner, so the same owner lands on the same side whether it calls with any of its API keys
or with a browser session (``[identity] session_key = "owner"``), in every router process.

Named in the project's strangler.toml (``[identity] resolver =
"legacy_flask.identity:api_key_owners"``): the router calls ``identify`` for the routes
whose canary needs an identity, ``run`` in the background and ``close`` at shutdown.

The router holds only ``sha256(key)`` (what the shared ``api_keys`` table stores, never
the key), in an LRU cache. A miss is one indexed lookup on the apps' database, run in a
worker thread so the event loop never waits on PostgreSQL; it happens once per key per
process and only for routes whose canary needs an identity. An unknown key is cached
briefly as unknown (the app will answer 401 anyway). While the database is unreachable,
lookups pause for ``retry_after`` seconds and the caller falls back to the key's own hash
(still sticky per key).

A key revoked in the database stops routing as its owner within one flag-refresh
interval: ``watch_revocations`` asks, once per interval and whatever the cache holds, for
the keys revoked since it last asked, and forgets them (one query, not one per key).

Example:
    >>> bearer_token(b"Bearer sk_test_1")
    b'sk_test_1'
    >>> OwnerDirectory("postgresql://postgres@127.0.0.1/test").cached
    0
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

import psycopg2
import psycopg2.extensions

log = logging.getLogger(__name__)

_LOOKUP = "SELECT owner FROM api_keys WHERE key_hash = %s AND revoked_at IS NULL"
_REVOKED_SINCE = "SELECT key_hash, revoked_at FROM api_keys WHERE revoked_at > %s"
_UNKNOWN = ""  # cached answer for a key that has no (live) row
# revoked_at is its transaction's start time, which can precede the commit by a while:
# each question reaches back this far, so a late commit is still seen.
REVOCATION_OVERLAP = timedelta(seconds=60)
REVOCATION_INTERVAL = 1.0  # seconds: a revoked key stops routing as its owner this soon


def bearer_token(authorization: bytes) -> bytes | None:
    scheme, _, token = authorization.partition(b" ")
    token = token.strip()
    return token if scheme.lower() == b"bearer" and token else None


class OwnerDirectory:
    def __init__(
        self,
        database_url: str,
        *,
        size: int = 10_000,
        ttl: float = 300.0,
        unknown_ttl: float = 5.0,
        retry_after: float = 5.0,
    ) -> None:
        self._db = _Connection(database_url)
        self._size = size
        self._ttl = ttl
        self._unknown_ttl = unknown_ttl
        self._retry_after = retry_after
        self._cache: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()  # one revocation watermark, one lookup count
        self._paused_until = 0.0
        self._revoked_seen: datetime | None = None  # the newest revoked_at asked about
        self.lookups = 0  # database round trips; tests watch it
        self.revocation_checks = 0

    @property
    def cached(self) -> int:
        return len(self._cache)

    async def identify(self, authorization: bytes, cookie: bytes) -> str | None:
        """The API key's owner; None for no key, an unknown one, or no database."""
        return await self.owner_for(authorization)

    async def run(self) -> None:
        await self.watch_revocations(REVOCATION_INTERVAL)

    async def owner_for(self, authorization: bytes) -> str | None:
        token = bearer_token(authorization)
        if token is None:
            return None
        digest = hashlib.sha256(token).hexdigest()
        hit = self._cache.get(digest)
        now = time.monotonic()
        if hit is not None and hit[1] > now:
            self._cache.move_to_end(digest)
            return hit[0] or None
        if now < self._paused_until:
            return None
        owner = await asyncio.to_thread(self._lookup, digest)
        if owner is not None:
            self._remember(digest, owner, now)
        return owner or None

    async def watch_revocations(self, interval: float) -> None:
        """Forever: every ``interval`` seconds, forget the owners of newly revoked keys."""
        while True:
            await asyncio.sleep(interval)
            self.forget(await asyncio.to_thread(self._revoked_digests))

    def forget(self, digests: Sequence[str]) -> None:
        """Drop these keys' cached owners (on the loop: the cache is the loop's alone)."""
        for digest in digests:
            self._cache.pop(digest, None)

    def _revoked_digests(self) -> list[str]:
        if time.monotonic() < self._paused_until:  # the database is down: ask later
            return []
        with self._lock:
            try:
                self.revocation_checks += 1
                with self._db.cursor() as cur:
                    if self._revoked_seen is None:  # the cache holds nothing older than now
                        cur.execute("SELECT now()")
                        (self._revoked_seen,) = cur.fetchone() or (None,)
                    cur.execute(_REVOKED_SINCE, (self._revoked_seen - REVOCATION_OVERLAP,))
                    rows = cur.fetchall()
            except psycopg2.Error as exc:
                self._paused_until = time.monotonic() + self._retry_after
                log.warning("revocation check failed: %s", type(exc).__name__)
                return []
        if rows:
            self._revoked_seen = max(self._revoked_seen, *(row[1] for row in rows))
        return [str(row[0]) for row in rows]

    def close(self) -> None:
        self._db.close()

    def _remember(self, digest: str, owner: str, now: float) -> None:
        self._cache[digest] = (owner, now + (self._ttl if owner else self._unknown_ttl))
        self._cache.move_to_end(digest)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)

    def _lookup(self, digest: str) -> str | None:
        """The owner, _UNKNOWN for no such key, None when the database did not answer."""
        with self._lock:
            try:
                self.lookups += 1
                with self._db.cursor() as cur:
                    cur.execute(_LOOKUP, (digest,))
                    row = cur.fetchone()
                return str(row[0]) if row else _UNKNOWN
            except psycopg2.Error as exc:
                self._paused_until = time.monotonic() + self._retry_after
                log.warning("owner lookup failed: %s", type(exc).__name__)
                return None


def api_key_owners() -> OwnerDirectory:
    """The resolver factory strangler.toml names: owners from DATABASE_URL's api_keys."""
    return OwnerDirectory(os.environ.get("DATABASE_URL", ""))


class _Connection:
    """One connection, opened on first use and again after an error."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: psycopg2.extensions.connection | None = None

    @contextlib.contextmanager
    def cursor(self) -> Iterator[psycopg2.extensions.cursor]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg2.connect(self.url, connect_timeout=2)
            self._conn.autocommit = True
        try:
            with self._conn.cursor() as cur:
                yield cur
        except psycopg2.Error:
            self.close()
            raise

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg2.Error):
                conn.close()
