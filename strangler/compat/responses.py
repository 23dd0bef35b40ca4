"""Flask's answers from the new app: whatever the legacy app would have rendered, rendered
by the legacy app itself, inside a request context built from the FastAPI request.

- ``flask_error_profile(app, legacy)``: a request FastAPI finds invalid answers what Flask
  answers for a bad request (400, in the legacy's own error shape from its own
  ``errorhandler``s) instead of 422; an ``HTTPException`` the new app raises (404, 405,
  403...) goes through the legacy's handler for that status, as ``abort(n)`` would.
- ``flask_json(legacy, content)``: JSON as the legacy's ``jsonify`` writes it (its JSON
  provider: key order, RFC 1123 dates, decimals, the trailing newline).
- ``flask_response(legacy, request, produce)``: any Flask response value, made into a
  Starlette response (status, every header, body).

Example:
    >>> from flask import Flask
    >>> from datetime import datetime
    >>> answer = flask_json(Flask("legacy"), {"at": datetime(2026, 1, 2, 3, 4, 5)})
    >>> answer.body
    b'{"at":"Fri, 02 Jan 2026 03:04:05 GMT"}\\n'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi import HTTPException as FastAPIHTTPException
from fastapi.exceptions import RequestValidationError
from flask import Flask
from flask.typing import ResponseReturnValue
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from werkzeug.exceptions import BadRequest, HTTPException, default_exceptions
from werkzeug.sansio.response import Response as SansIOResponse
from werkzeug.wrappers import Response as WerkzeugResponse


class LegacyAnswer(FastAPIHTTPException):
    """Raised by a dependency to send the legacy's own response (a refusal) as it is."""

    def __init__(self, response: Response) -> None:
        super().__init__(status_code=response.status_code)
        self.response = response


async def send_legacy_answer(_request: Request, exc: Exception) -> Response:
    """The exception handler for ``LegacyAnswer`` (installed by the pieces that raise it)."""
    assert isinstance(exc, LegacyAnswer)
    return exc.response


def legacy_error(legacy: Flask, request: Request, error: Exception) -> Response:
    """The legacy's answer to ``error`` raised while serving ``request`` (call in a worker
    thread): its errorhandler's, or Werkzeug's default page."""
    with request_context(legacy, request):
        return to_starlette(legacy.make_response(legacy.handle_user_exception(error)))


def to_starlette(answer: SansIOResponse) -> Response:
    """Status, every header (repeated ones too) and the body, as the legacy made them."""
    body = answer.get_data() if isinstance(answer, WerkzeugResponse) else b""
    response = Response(content=body, status_code=answer.status_code)
    response.raw_headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in answer.headers.items()
    ]
    return response


def flask_json(legacy: Flask, content: Any, status: int = 200) -> Response:
    answer = legacy.json.response(content)
    answer.status_code = status
    return to_starlette(answer)


def request_context(legacy: Flask, request: Request) -> Any:
    """The legacy's request context for ``request``: its path, method, headers, query."""
    query = request.url.query
    return legacy.test_request_context(
        path=request.scope.get("raw_path", request.url.path.encode()).decode("latin-1"),
        method=request.method,
        headers=list(request.headers.items()),
        query_string=query,
    )


def _render(
    legacy: Flask, request: Request, produce: Callable[[], ResponseReturnValue]
) -> Response:
    with request_context(legacy, request):
        return to_starlette(legacy.make_response(produce()))


async def flask_response(
    legacy: Flask, request: Request, produce: Callable[[], ResponseReturnValue]
) -> Response:
    """``produce()`` runs in a worker thread, inside the legacy's request context (its
    handlers may query a database), and its value is made a response by the legacy."""
    return await run_in_threadpool(_render, legacy, request, produce)


def _as_werkzeug(exc: StarletteHTTPException) -> HTTPException:
    kind = default_exceptions.get(exc.status_code)
    if kind is None:
        error = HTTPException(description=str(exc.detail))
        error.code = exc.status_code
        return error
    # A detail the new app wrote is the description abort(n, "...") would have carried.
    own = isinstance(exc.detail, str) and exc.detail != _phrase(exc.status_code)
    return kind(description=exc.detail) if own else kind()


def _phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def flask_error_profile(app: FastAPI, legacy: Flask) -> None:
    """Install on ``app`` the handlers that make its errors the legacy's."""

    async def invalid(request: Request, _exc: Exception) -> Response:
        return await run_in_threadpool(legacy_error, legacy, request, BadRequest())

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        answer = await run_in_threadpool(legacy_error, legacy, request, _as_werkzeug(exc))
        for name, value in (exc.headers or {}).items():
            answer.headers[name] = value
        return answer

    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)
