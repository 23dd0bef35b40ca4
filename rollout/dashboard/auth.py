"""Dashboard authentication and CSRF: signed session cookies, bearer token, synchronizer
tokens.

The session cookie carries ``{"user": ..., "csrf": ...}`` signed and timestamped with
itsdangerous; nothing is stored server-side, so every router process accepts it. A
visitor without a session gets an anonymous one (CSRF token only) when the login form is
shown, so that the login POST is CSRF-checked like every other POST; logging in issues a
fresh session (new CSRF token) so that a token seen before login is worthless after it.

Example:
    >>> from rollout.dashboard.settings import DashboardSettings
    >>> sessions = SessionCodec(DashboardSettings(secret=b"k" * 32))
    >>> sessions.decode(sessions.encode(Session(user="alice", csrf="c"))).user
    'alice'
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash

from rollout.dashboard.settings import DashboardSettings

COOKIE_NAME = "strangler_dashboard"
COOKIE_PATH = "/_strangler/"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True, slots=True)
class Session:
    user: str | None  # None: not logged in yet, only a CSRF token for the login form
    csrf: str


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: ``name`` goes into the audit log."""

    name: str
    session: Session | None  # None for bearer-token requests: they cannot change anything


def new_session(user: str | None) -> Session:
    return Session(user=user, csrf=secrets.token_urlsafe(32))


class SessionCodec:
    def __init__(self, settings: DashboardSettings) -> None:
        self._max_age = settings.session_seconds
        self._serializer = URLSafeTimedSerializer(settings.secret, salt="strangler-dashboard")

    def encode(self, session: Session) -> str:
        return self._serializer.dumps({"user": session.user, "csrf": session.csrf})

    def decode(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=self._max_age)
        except BadSignature:  # also SignatureExpired
            return None
        user, csrf = data.get("user"), data.get("csrf")
        if not isinstance(csrf, str) or not (user is None or isinstance(user, str)):
            return None
        return Session(user=user, csrf=csrf)


class Authenticator:
    def __init__(self, settings: DashboardSettings) -> None:
        self._settings = settings

    def principal(self, authorization: str | None, session: Session | None) -> Principal | None:
        if session is not None and session.user is not None:
            return Principal(session.user, session)
        if authorization and self._bearer_ok(authorization):
            return Principal("token", None)
        return None

    def check_login(self, username: str, password: str) -> str | None:
        """The name to record for a good login, else None."""
        name = username.strip()
        if not name or not password:
            return None
        stored = self._settings.users.get(name)
        if stored is not None:
            return name if check_password_hash(stored, password) else None
        if self._settings.token and _same(password, self._settings.token):
            return f"{name[:60]} (token)"
        return None

    def _bearer_ok(self, authorization: str) -> bool:
        scheme, _, value = authorization.partition(" ")
        token = self._settings.token
        return scheme.lower() == "bearer" and bool(token) and _same(value.strip(), token)


def csrf_ok(session: Session | None, submitted: str | None) -> bool:
    return session is not None and bool(submitted) and _same(submitted or "", session.csrf)


def _same(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode(), right.encode())
