"""The caller as the flags see it: a stable identity, from what ``[identity]`` names.

``user_id`` is, in order: what the project's resolver said (``router_proxy.identity``),
else the configured header, else the configured claim of a bearer JWT (unverified: it only
picks a side), else the configured key of a Flask session cookie whose signature checks out
with the app's ``SECRET_KEY`` (itsdangerous, exactly as Flask signs it), else the
configured cookie, else a hash of the bearer token (the token itself never leaves this
function), else the router's own anonymous cookie (``anonymous_cookie``), else None.
``session_id`` is a hash of the session cookie, else the anonymous cookie. Values are taken as
they are, so one user reached by a session and by a JWT with the same id is one caller.

Example:
    >>> reader = CallerReader(IdentitySettings(), secret_key="s3cret")
    >>> ctx = reader.context(b"Bearer abc", b"", [], "10.0.0.1", sample=12.5)
    >>> (ctx.user_id, ctx.remote_addr)
    ('key:ba7816bf8f01cfea', '10.0.0.1')
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable
from http.cookies import CookieError, SimpleCookie
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from rollout.types import CallerContext
from router_proxy.identity import IdentitySettings

SESSION_MAX_AGE = 31 * 24 * 3600  # Flask's PERMANENT_SESSION_LIFETIME default
MAX_JWT_BYTES = 8192  # a larger token is no identity worth decoding on every request


class CallerReader:
    def __init__(
        self,
        identity: IdentitySettings,
        secret_key: str | bytes = "",
        session_cookie: str = "session",
    ) -> None:
        self.identity = identity
        self.session_cookie = session_cookie
        self._header = identity.header.lower().encode("latin-1")
        self._serializer = (
            _flask_session_serializer(secret_key) if secret_key and identity.session_key else None
        )

    def context(
        self,
        authorization: bytes,
        cookie: bytes,
        headers: Iterable[tuple[bytes, bytes]],
        remote_addr: str | None,
        sample: float,
        resolved: str | None = None,
    ) -> CallerContext:
        """``resolved``: what the project's resolver said, when the route needed it."""
        jar = _cookies(cookie) if cookie else {}
        session_cookie = jar.get(self.session_cookie)
        user_id = (
            resolved
            or self._from_header(headers)
            or self._from_jwt(authorization)
            or self._from_session(session_cookie)
            or self._from_cookie(jar)
            or _token_identity(authorization)
        )
        session_id = _digest("sess", session_cookie.encode()) if session_cookie else None
        anonymous = self._anonymous(jar)
        return CallerContext(user_id or anonymous, session_id or anonymous, remote_addr, sample)

    def _anonymous(self, jar: dict[str, str]) -> str | None:
        name = self.identity.anonymous_cookie
        value = jar.get(name) if name else None
        # Only what the router itself minted (32 hex digits) names a caller.
        return f"anon:{value}" if value and len(value) == 32 and value.isalnum() else None

    def _from_header(self, headers: Iterable[tuple[bytes, bytes]]) -> str | None:
        if not self._header:
            return None
        for name, value in headers:
            if name == self._header and value.strip():
                return value.strip().decode("latin-1")
        return None

    def _from_jwt(self, authorization: bytes) -> str | None:
        claim = self.identity.jwt_claim
        token = _bearer(authorization) if claim else None
        if token is None or len(token) > MAX_JWT_BYTES or token.count(b".") != 2:
            return None
        try:
            payload = token.split(b".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
        except (binascii.Error, ValueError):
            return None
        value = claims.get(claim) if isinstance(claims, dict) else None
        return str(value) if isinstance(value, str | int) and value != "" else None

    def _from_session(self, value: str | None) -> str | None:
        if value is None or self._serializer is None:
            return None
        try:
            data = self._serializer.loads(value, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return None
        found = data.get(self.identity.session_key) if isinstance(data, dict) else None
        return str(found) if found is not None else None

    def _from_cookie(self, jar: dict[str, str]) -> str | None:
        value = jar.get(self.identity.cookie) if self.identity.cookie else None
        return value or None


def _cookies(cookie: bytes) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie.decode("latin-1"))
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def _bearer(authorization: bytes) -> bytes | None:
    scheme, _, token = authorization.partition(b" ")
    token = token.strip()
    return token if scheme.lower() == b"bearer" and token else None


def _token_identity(authorization: bytes) -> str | None:
    token = _bearer(authorization)
    return _digest("key", token) if token else None


def _digest(prefix: str, secret: bytes) -> str:
    return f"{prefix}:{hashlib.sha256(secret).hexdigest()[:16]}"


def _flask_session_serializer(secret_key: str | bytes) -> URLSafeTimedSerializer:
    from flask.json.tag import TaggedJSONSerializer

    signer: dict[str, Any] = {"key_derivation": "hmac", "digest_method": hashlib.sha1}
    return URLSafeTimedSerializer(
        secret_key, salt="cookie-session", serializer=TaggedJSONSerializer(), signer_kwargs=signer
    )
