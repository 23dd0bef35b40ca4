"""The caller as the flags see it: a stable identity without a database round trip.

``user_id`` is, in order: the API key's owner when the caller looked it up (see
``router_proxy.owners``), else a hash of the bearer token (the token itself never leaves
this function), else the ``owner`` in a Flask session cookie whose signature checks out with
the app's ``SECRET_KEY`` (itsdangerous, exactly as Flask signs it), else None.

Example:
    >>> reader = CallerReader(secret_key="s3cret")
    >>> ctx = reader.context(b"Bearer abc", b"", "10.0.0.1", sample=12.5)
    >>> (ctx.user_id, ctx.remote_addr)
    ('key:ba7816bf8f01cfea', '10.0.0.1')
"""

from __future__ import annotations

import hashlib
from http.cookies import CookieError, SimpleCookie
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from rollout.types import CallerContext

SESSION_MAX_AGE = 31 * 24 * 3600  # Flask's PERMANENT_SESSION_LIFETIME default


class CallerReader:
    def __init__(self, secret_key: str, cookie_name: str = "session") -> None:
        self.cookie_name = cookie_name
        self._serializer = _flask_session_serializer(secret_key) if secret_key else None

    def context(
        self,
        authorization: bytes,
        cookie: bytes,
        remote_addr: str | None,
        sample: float,
        owner: str | None = None,
    ) -> CallerContext:
        """``owner``: the API key's owner when the caller resolved it (router_proxy.owners)."""
        session_cookie = self._session_cookie(cookie) if cookie else None
        user_id = owner or _token_identity(authorization) or self._session_owner(session_cookie)
        session_id = _digest("sess", session_cookie.encode()) if session_cookie else None
        return CallerContext(user_id, session_id, remote_addr, sample)

    def _session_cookie(self, cookie: bytes) -> str | None:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(cookie.decode("latin-1"))
        except CookieError:
            return None
        morsel = jar.get(self.cookie_name)
        return morsel.value if morsel is not None else None

    def _session_owner(self, value: str | None) -> str | None:
        if value is None or self._serializer is None:
            return None
        try:
            data = self._serializer.loads(value, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return None
        owner = data.get("owner") if isinstance(data, dict) else None
        return str(owner) if owner is not None else None


def _token_identity(authorization: bytes) -> str | None:
    scheme, _, token = authorization.partition(b" ")
    if scheme.lower() != b"bearer" or not token.strip():
        return None
    return _digest("key", token.strip())


def _digest(prefix: str, secret: bytes) -> str:
    return f"{prefix}:{hashlib.sha256(secret).hexdigest()[:16]}"


def _flask_session_serializer(secret_key: str) -> URLSafeTimedSerializer:
    from flask.json.tag import TaggedJSONSerializer

    signer: dict[str, Any] = {"key_derivation": "hmac", "digest_method": hashlib.sha1}
    return URLSafeTimedSerializer(
        secret_key, salt="cookie-session", serializer=TaggedJSONSerializer(), signer_kwargs=signer
    )
