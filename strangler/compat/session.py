"""The legacy Flask app's session cookie, read and written from the new app.

The serializer is the Flask app's own (``session_interface.get_signing_serializer``):
same secret key, salt, key derivation, digest and tagged-JSON format, so a session Flask
wrote is read here and one written here is read by Flask. The cookie's name, domain,
path, flags and lifetime come from the app's config, as Flask applies them.

Example:
    >>> from flask import Flask
    >>> legacy = Flask("legacy")
    >>> legacy.secret_key = "s3cret"
    >>> session = FlaskSession(legacy)
    >>> cookie = session.encode({"_user_id": "7"})
    >>> session.decode(cookie)
    {'_user_id': '7'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature
from starlette.requests import HTTPConnection
from starlette.responses import Response
from werkzeug.http import dump_cookie

from strangler.compat.errors import CompatError


class FlaskSession:
    def __init__(self, app: Flask) -> None:
        interface = app.session_interface
        if not isinstance(interface, SecureCookieSessionInterface):
            raise CompatError(
                f"the legacy app keeps sessions with {type(interface).__name__}, not in "
                "Flask's signed cookie: read them from where it keeps them"
            )
        serializer = interface.get_signing_serializer(app)
        if serializer is None:
            raise CompatError("the legacy app has no SECRET_KEY: it has no sessions to read")
        self.app = app
        self.interface = interface
        self.serializer = serializer
        self.cookie_name = interface.get_cookie_name(app)
        self.max_age = int(app.permanent_session_lifetime.total_seconds())

    def decode(self, cookie: str | None) -> dict[str, Any]:
        """The session in ``cookie``; empty when absent, forged, or older than the app's
        ``PERMANENT_SESSION_LIFETIME`` (what Flask does)."""
        if not cookie:
            return {}
        try:
            return dict(self.serializer.loads(cookie, max_age=self.max_age))
        except BadSignature:
            return {}

    def encode(self, data: Mapping[str, Any]) -> str:
        return str(self.serializer.dumps(dict(data)))

    def read(self, connection: HTTPConnection) -> dict[str, Any]:
        """A FastAPI dependency: ``session: dict = Depends(flask_session.read)``."""
        return self.decode(connection.cookies.get(self.cookie_name))

    def write(self, response: Response, data: Mapping[str, Any]) -> None:
        """Set (or, for an empty session, delete) the cookie on ``response`` as Flask would."""
        app, interface = self.app, self.interface
        domain, path = interface.get_cookie_domain(app), interface.get_cookie_path(app)
        options: dict[str, Any] = {
            "domain": domain,
            "path": path,
            "secure": interface.get_cookie_secure(app),
            "httponly": interface.get_cookie_httponly(app),
            "samesite": interface.get_cookie_samesite(app),
        }
        if not data:
            header = dump_cookie(self.cookie_name, "", expires=0, max_age=0, **options)
        else:
            session = SecureCookieSession(data)
            expires = interface.get_expiration_time(app, session)
            header = dump_cookie(self.cookie_name, self.encode(data), expires=expires, **options)
        response.headers.append("set-cookie", header)
        response.headers.append("vary", "Cookie")
