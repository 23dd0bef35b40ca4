"""Flask-WTF's CSRF tokens, accepted by the new app: a form or a script that got its token
from a legacy page posts to a ported route unchanged.

The token is checked by Flask-WTF itself (``validate_csrf``) inside the legacy's request
context, so its secret, salt, time limit and the raw token kept in the Flask session are
the legacy's. It is read where Flask-WTF reads it: the ``WTF_CSRF_HEADERS`` (X-CSRFToken,
X-CSRF-Token), then the form field ``WTF_CSRF_FIELD_NAME``; only ``WTF_CSRF_METHODS`` are
checked. A refusal is the legacy's own answer to a ``CSRFError`` (its errorhandler's, or
Flask-WTF's 400).

Example::

    csrf = FlaskCSRF(legacy, app)

    @app.post("/books", dependencies=[Depends(csrf.protect)])
    def add_book(...): ...
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import FastAPI
from flask import Flask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from strangler.compat.errors import CompatError
from strangler.compat.responses import (
    LegacyAnswer,
    legacy_error,
    request_context,
    send_legacy_answer,
)

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


class FlaskCSRF:
    def __init__(self, legacy: Flask, app: FastAPI) -> None:
        try:
            import flask_wtf.csrf  # noqa: F401
        except ModuleNotFoundError as exc:
            raise CompatError("Flask-WTF is not installed: there are no CSRF tokens") from exc
        if not legacy.secret_key and not legacy.config.get("WTF_CSRF_SECRET_KEY"):
            raise CompatError("the legacy app has no SECRET_KEY: it makes no CSRF tokens")
        self.legacy = legacy
        config = legacy.config
        self.methods = {
            m.upper() for m in config.get("WTF_CSRF_METHODS", ("POST", "PUT", "PATCH", "DELETE"))
        }
        self.headers = list(config.get("WTF_CSRF_HEADERS", ("X-CSRFToken", "X-CSRF-Token")))
        self.field = str(config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
        app.add_exception_handler(LegacyAnswer, send_legacy_answer)

    async def token_of(self, request: Request) -> str | None:
        for name in self.headers:
            value = request.headers.get(name)
            if value:
                return value
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == URLENCODED:
            # Parsed here (Starlette's form() needs python-multipart even for this); the body
            # stays cached on the request for the endpoint.
            values = parse_qs((await request.body()).decode("latin-1")).get(self.field)
            return values[0] if values else None
        if kind == MULTIPART:
            field = (await request.form()).get(self.field)  # needs python-multipart, as FastAPI
            return field if isinstance(field, str) else None
        return None

    async def protect(self, request: Request) -> None:
        """A FastAPI dependency: passes a request with a valid token, answers as the legacy
        does otherwise."""
        if request.method.upper() not in self.methods:
            return
        token = await self.token_of(request)
        refusal = await run_in_threadpool(self._check, request, token)
        if refusal is not None:
            raise LegacyAnswer(refusal)

    def _check(self, request: Request, token: str | None) -> Response | None:
        from flask_wtf.csrf import CSRFError, validate_csrf
        from wtforms.validators import ValidationError

        with request_context(self.legacy, request):
            try:
                validate_csrf(token)
                return None
            except ValidationError as exc:
                error = CSRFError(exc.args[0] if exc.args else None)
        return legacy_error(self.legacy, request, error)
