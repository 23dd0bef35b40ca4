"""What a FastAPI app needs to answer like the Flask app it replaces, route by route, with
no port of its own required: the Flask session cookie read and written with the legacy
app's own serializer (no one is logged out when a route moves), flask-login's current user
as a dependency, Flask-WTF's CSRF tokens accepted, and Flask's answers where FastAPI
answers differently (a 400 in the legacy's own error shape instead of 422, Flask's JSON).

Each piece is given the legacy Flask app object and uses its own machinery (its session
interface, its login manager, its error handlers, its JSON provider) rather than a copy,
so its configuration (secret, salt, cookie name and flags, user loader, handlers)
carries over as it is.

Example::

    from fastapi import Depends, FastAPI
    from strangler.compat import FlaskLogin, FlaskSession, flask_error_profile
    from theirapp.wsgi import app as legacy

    app = FastAPI()
    flask_error_profile(app, legacy)
    login = FlaskLogin(legacy, app)

    @app.get("/api/me")
    def me(user=Depends(login.required)):
        return {"id": user.id}
"""

from __future__ import annotations

from strangler.compat.csrf import FlaskCSRF
from strangler.compat.errors import CompatError
from strangler.compat.login import FlaskLogin
from strangler.compat.responses import flask_error_profile, flask_json, flask_response
from strangler.compat.session import FlaskSession

__all__ = [
    "CompatError",
    "FlaskCSRF",
    "FlaskLogin",
    "FlaskSession",
    "flask_error_profile",
    "flask_json",
    "flask_response",
]
