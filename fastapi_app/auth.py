"""Who is calling: an API key (``Authorization: Bearer``) or the Flask session cookie.

A present Authorization header wins: a bad key is 401 even with a valid session. Live
keys are remembered per worker for a few seconds (``api_keys.py`` says what that costs).

Example:
    >>> Principal("org_1", "api_key").as_json()
    {'owner': 'org_1', 'auth': 'api_key'}
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request

from fastapi_app.api_keys import ApiKeyCache
from fastapi_app.database import Database
from fastapi_app.errors import Unauthenticated
from fastapi_app.middleware.vary import mark_session_accessed
from fastapi_app.session_cookie import COOKIE_NAME, SessionCookies

BEARER = "bearer "
API_KEY_OWNER = "SELECT owner FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL"


@dataclass(frozen=True)
class Principal:
    owner: str
    auth: Literal["api_key", "session"]

    def as_json(self) -> dict[str, str]:
        return {"owner": self.owner, "auth": self.auth}


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


async def authenticate(
    request: Request, database: Database, keys: ApiKeyCache, cookies: SessionCookies
) -> Principal:
    header = request.headers.get("authorization")
    if header is not None:
        return await _from_api_key(header, database, keys)
    mark_session_accessed(request.scope)
    return _from_session(request.cookies.get(COOKIE_NAME), cookies)


async def _from_api_key(header: str, database: Database, keys: ApiKeyCache) -> Principal:
    if not header[: len(BEARER)].lower() == BEARER:
        raise Unauthenticated()
    key = header[len(BEARER) :].strip()
    if not key:
        raise Unauthenticated()
    key_hash = hash_api_key(key)
    owner = keys.owner_of(key_hash)
    if owner is None:
        row = await database.fetchrow(API_KEY_OWNER, key_hash)
        if row is None:
            raise Unauthenticated()
        owner = row["owner"]
        keys.remember(key_hash, owner)
    return Principal(owner, "api_key")


def _from_session(cookie: str | None, cookies: SessionCookies) -> Principal:
    # reading the session is what makes Flask answer "Vary: Cookie"; see middleware/vary.py
    session = cookies.load(cookie) if cookie else None
    owner = session.get("owner") if session else None
    if not isinstance(owner, str) or not owner:
        raise Unauthenticated()
    return Principal(owner, "session")
