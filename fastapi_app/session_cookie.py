"""Flask's signed session cookie, read and written without Flask.

Flask signs ``session`` with itsdangerous ``URLSafeTimedSerializer`` (salt
``cookie-session``, HMAC key derivation, SHA-1) over its tagged-JSON encoding. For the
plain ``{"owner": "..."}`` payload the two apps exchange, tagged JSON is compact JSON with
sorted keys; the reader also untags Flask's markers so any cookie Flask issues decodes.

Example:
    >>> cookies = SessionCookies("0123456789abcdef-secret")
    >>> cookies.load(cookies.dump({"owner": "org_1"}))
    {'owner': 'org_1'}
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from typing import Any
from uuid import UUID

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE_NAME = "session"
SALT = "cookie-session"
# Flask's PERMANENT_SESSION_LIFETIME default, which it also uses as the signature max age.
MAX_AGE = timedelta(days=31)
CLEARED_COOKIE = (
    f"{COOKIE_NAME}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/"
)


class TaggedJSON:
    """The subset of ``flask.json.tag.TaggedJSONSerializer`` a session payload needs."""

    @staticmethod
    def dumps(value: Any) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    @staticmethod
    def loads(text: str | bytes) -> Any:
        return json.loads(text, object_hook=_untag)


def _untag(obj: dict[str, Any]) -> Any:
    if len(obj) != 1:
        return obj
    ((tag, value),) = obj.items()
    if tag == " di":
        return value
    if tag == " t":
        return tuple(value)
    if tag == " b":
        return base64.b64decode(value)
    if tag == " u":
        return UUID(value)
    if tag == " m":
        return str(value)
    return obj


class SessionCookies:
    """Sign and verify session cookies with the app's SECRET_KEY."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(
            secret_key,
            salt=SALT,
            serializer=TaggedJSON,
            signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
        )

    def dump(self, session: dict[str, Any]) -> str:
        return str(self._serializer.dumps(session))

    def load(self, value: str) -> dict[str, Any] | None:
        """The session, or None when the cookie is forged, expired or not a mapping."""
        try:
            data = self._serializer.loads(value, max_age=int(MAX_AGE.total_seconds()))
        except (BadSignature, ValueError, UnicodeError):
            return None
        return data if isinstance(data, dict) else None

    def set_cookie_header(self, session: dict[str, Any]) -> str:
        """The ``Set-Cookie`` value Flask sends for a (non-permanent) session."""
        return f"{COOKIE_NAME}={self.dump(session)}; HttpOnly; Path=/"
