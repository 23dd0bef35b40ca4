"""Browser sessions: ``POST /login``, ``POST /logout`` and ``GET /api/v1/me``.

The cookie is Flask's own signed session (``session``, itsdangerous, SECRET_KEY) holding
``{"owner": ...}``, so the ported app can read it and issue one this app accepts.

Example:
    >>> blueprint.name
    'session'
"""

from __future__ import annotations

from flask import Blueprint, Response, request, session
from sqlalchemy import select
from werkzeug.security import check_password_hash

from legacy_flask.auth import current_caller, login_required
from legacy_flask.db import request_session
from legacy_flask.errors import Unauthenticated
from legacy_flask.models import User
from legacy_flask.schemas import LOGIN
from legacy_flask.validation import validate_body
from legacy_flask.wire import json_response

blueprint = Blueprint("session", __name__)


@blueprint.post("/login")
def login() -> Response:
    body = validate_body(request.get_data(), LOGIN)
    user = request_session().scalar(select(User).where(User.username == body["username"]))
    if user is None or not check_password_hash(user.password_hash, body["password"]):
        raise Unauthenticated()
    session.clear()
    session["owner"] = user.owner
    return json_response({"owner": user.owner, "auth": "session"})


@blueprint.post("/logout")
def logout() -> Response:
    session.clear()
    return json_response({"logged_out": True})


@blueprint.get("/api/v1/me")
@login_required
def me() -> Response:
    caller = current_caller()
    return json_response({"owner": caller.owner, "auth": caller.auth})
