"""Redis read-through cache for account and payment reads, with request collapsing.

Correctness rule: after a write returned 2xx, no read returns the old value. Each cached
key has a generation counter in Redis; a write bumps it and deletes the value after its
commit. A reader notes the generation before querying and stores its result only if the
generation is unchanged (one Lua script), so a slow reader cannot put back a value read
before the commit. Concurrent misses for the same key and generation in this worker share
one query. Redis errors never fail a request: they fall through to the database.

Example:
    >>> ReadThroughCache(None, ttl_seconds=60).enabled
    False
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

PREFIX = "strangler:fastapi_app:"
# Far longer than any value's TTL, so a generation never resets under a live value.
GENERATION_TTL_SECONDS = 7 * 24 * 3600
SET_IF_GENERATION = """
local current = redis.call('GET', KEYS[2])
if (current or '0') == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
  return 1
end
return 0
"""
log = structlog.get_logger(__name__)
Loader = Callable[[], Awaitable[dict[str, Any] | None]]


def account_key(account_id: int) -> str:
    return f"account:{account_id}"


def payment_key(payment_id: str) -> str:
    return f"payment:{payment_id}"


class ReadThroughCache:
    """``get(key, loader)`` answers from Redis, else from ``loader`` (once per key)."""

    def __init__(self, redis: Redis | None, ttl_seconds: int, namespace: str = "") -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._prefix = f"{PREFIX}{namespace}:"
        self._in_flight: dict[tuple[str, str], asyncio.Future[dict[str, Any] | None]] = {}

    @property
    def enabled(self) -> bool:
        return self._redis is not None

    @classmethod
    def from_url(cls, url: str | None, ttl_seconds: int, namespace: str) -> ReadThroughCache:
        redis = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5) if url else None
        return cls(redis, ttl_seconds, namespace)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    async def get(self, key: str, loader: Loader) -> dict[str, Any] | None:
        if self._redis is None:
            return await loader()
        try:
            cached, generation = await self._redis.mget(
                self._prefix + key, self._generation_key(key)
            )
        except RedisError as exc:
            log.warning("cache_unavailable", error=type(exc).__name__)
            return await loader()
        if cached is not None:
            return dict(json.loads(cached))
        return await self._collapsed(key, _text(generation), loader)

    async def _collapsed(self, key: str, generation: str, loader: Loader) -> dict[str, Any] | None:
        flight = (key, generation)
        if flight not in self._in_flight:
            # a flight for this key may have completed (and stored) since our first look
            stored = await self._cached(key)
            if stored is not None:
                return stored
        if flight in self._in_flight:
            return await self._join(self._in_flight[flight], loader)
        return await self._lead(flight, loader)

    async def _lead(self, flight: tuple[str, str], loader: Loader) -> dict[str, Any] | None:
        future: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
        self._in_flight[flight] = future
        try:
            value = await loader()
            future.set_result(value)
            if value is not None:
                # the flight stays open until the value is in Redis: no gap for a 2nd query
                await self._store(*flight, value)
            return value
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
                future.exception()  # mark retrieved: no warning when nobody joined
            raise
        finally:
            del self._in_flight[flight]

    async def _cached(self, key: str) -> dict[str, Any] | None:
        assert self._redis is not None
        try:
            cached = await self._redis.get(self._prefix + key)
        except RedisError as exc:
            log.warning("cache_unavailable", error=type(exc).__name__)
            return None
        return dict(json.loads(cached)) if cached is not None else None

    @staticmethod
    async def _join(
        future: asyncio.Future[dict[str, Any] | None], loader: Loader
    ) -> dict[str, Any] | None:
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            if not future.cancelled():
                raise
        # the leading request went away (client disconnect): query for ourselves
        return await loader()

    async def _store(self, key: str, generation: str, value: dict[str, Any]) -> None:
        assert self._redis is not None
        text = json.dumps(value, separators=(",", ":"))
        try:
            await self._redis.eval(
                SET_IF_GENERATION,
                2,
                self._prefix + key,
                self._generation_key(key),
                text,
                generation,
                self._ttl,
            )
        except RedisError as exc:
            log.warning("cache_unavailable", error=type(exc).__name__)

    async def invalidate(self, keys: Iterable[str]) -> None:
        """After a commit: bump each key's generation and drop its value."""
        keys = list(keys)
        if self._redis is None or not keys:
            return
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                for key in keys:
                    pipe.incr(self._generation_key(key))
                    pipe.expire(self._generation_key(key), GENERATION_TTL_SECONDS)
                    pipe.delete(self._prefix + key)
                await pipe.execute()
        except RedisError as exc:
            log.warning("cache_invalidation_failed", error=type(exc).__name__)

    def _generation_key(self, key: str) -> str:
        return f"{self._prefix}gen:{key}"


def _text(value: bytes | str | None) -> str:
    if value is None:
        return "0"
    return value.decode() if isinstance(value, bytes) else value
