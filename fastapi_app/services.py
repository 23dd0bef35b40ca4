"""What a request needs, built once per worker by the lifespan: pool, caches, cookie signer.

Example:
    >>> Services.__dataclass_fields__.keys() >= {"database", "cache", "cookies"}
    True
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from fastapi_app.api_keys import ApiKeyCache
from fastapi_app.cache import ReadThroughCache
from fastapi_app.database import Database
from fastapi_app.session_cookie import SessionCookies
from fastapi_app.settings import Settings
from fastapi_app.transactions import RetryPolicy


@dataclass(frozen=True)
class Services:
    settings: Settings
    database: Database
    cache: ReadThroughCache
    api_keys: ApiKeyCache
    cookies: SessionCookies
    retry: RetryPolicy

    @classmethod
    async def start(cls, settings: Settings) -> Services:
        database = await Database.connect(settings)
        cache = ReadThroughCache.from_url(
            settings.redis_url, settings.cache_ttl_seconds, settings.effective_cache_namespace
        )
        return cls(
            settings,
            database,
            cache,
            ApiKeyCache(settings.api_key_cache_seconds),
            SessionCookies(settings.secret_key),
            RetryPolicy(max_attempts=settings.tx_max_attempts),
        )

    async def stop(self) -> None:
        await self.cache.close()
        await self.database.close()


def services_of(request: Request) -> Services:
    found: Services = request.app.state.services
    return found
