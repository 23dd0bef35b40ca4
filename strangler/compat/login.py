"""flask-login's current user, as FastAPI dependencies.

The user is found by the legacy app's own login manager (its ``user_loader``, remember
cookie and request loaders), inside the legacy's app and request contexts, in a worker
thread (a loader queries a database): ``Depends(login.current)`` gives the user or None,
``Depends(login.required)`` the user or the legacy's own answer to an anonymous caller
(its ``unauthorized_handler``, a redirect to its login view, or 401), as
``@login_required`` does.

Example::

    login = FlaskLogin(legacy, app)

    @app.get("/api/books/mine")
    def mine(user=Depends(login.required)):
        return [book.title for book in user.books]
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from flask import Flask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from strangler.compat.errors import CompatError
from strangler.compat.responses import (
    LegacyAnswer,
    request_context,
    send_legacy_answer,
    to_starlette,
)


class FlaskLogin:
    """``app``: the new app, which learns to send the legacy's refusal as it is."""

    def __init__(self, legacy: Flask, app: FastAPI) -> None:
        if getattr(legacy, "login_manager", None) is None:
            raise CompatError("the legacy app has no flask-login LoginManager")
        self.legacy = legacy
        app.add_exception_handler(LegacyAnswer, send_legacy_answer)

    def _find(self, request: Request) -> tuple[Any, Any]:
        """(the user or None, the legacy's unauthorized response when there is none)."""
        import flask_login

        with request_context(self.legacy, request):
            user = flask_login.current_user._get_current_object()
            if user is not None and user.is_authenticated:
                return user, None
            manager = self.legacy.login_manager  # type: ignore[attr-defined]
            try:
                refused = self.legacy.make_response(manager.unauthorized())
            except Exception as exc:  # abort(401) inside unauthorized()
                refused = self.legacy.make_response(self.legacy.handle_user_exception(exc))
            return None, refused

    async def current(self, request: Request) -> Any:
        user, _ = await run_in_threadpool(self._find, request)
        return user

    async def required(self, request: Request) -> Any:
        user, refused = await run_in_threadpool(self._find, request)
        if user is None:
            raise LegacyAnswer(to_starlette(refused))
        return user
