"""Who is calling: an API key (``Authorization: Bearer``) or the Flask session cookie.

A present Authorization header wins and must be a valid, unrevoked key (else 401, even
with a valid session). Views take the caller through ``@login_required``.

Example:
    >>> hash_api_key("sk_test_x")[:12]
    '6a6bd0975b4b'
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, ParamSpec, TypeVar

from flask import g, request, session
from sqlalchemy import select

from legacy_flask.db import request_session
from legacy_flask.errors import Unauthenticated
from legacy_flask.models import ApiKey
from legacy_flask.validation import is_storable_text

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Caller:
    owner: str
    auth: Literal["api_key", "session"]


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def authenticate() -> Caller:
    header = request.headers.get("Authorization")
    if header is not None:
        return Caller(_owner_of_key(header), "api_key")
    owner = session.get("owner")
    if isinstance(owner, str) and owner:
        return Caller(owner, "session")
    raise Unauthenticated()


def _owner_of_key(header: str) -> str:
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key or not is_storable_text(key):
        raise Unauthenticated()
    owner = request_session().scalar(
        select(ApiKey.owner).where(
            ApiKey.key_hash == hash_api_key(key), ApiKey.revoked_at.is_(None)
        )
    )
    if owner is None:
        raise Unauthenticated()
    return owner


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        g.caller = authenticate()
        return view(*args, **kwargs)

    return wrapper


def current_caller() -> Caller:
    caller: Caller = g.caller
    return caller
