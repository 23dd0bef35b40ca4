"""Every error leaves as the contract's JSON error shape, never as Flask's HTML pages.

Also the 1 MiB body limit, checked before authentication as the order of checks says.

Example:
    >>> from flask import Flask
    >>> register_error_handlers(Flask(__name__))
"""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed

from legacy_flask.errors import (
    ApiError,
    InternalError,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    RequestTooLarge,
)
from legacy_flask.wire import json_response

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

log = logging.getLogger(__name__)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, render_api_error)
    app.register_error_handler(HTTPException, render_http_exception)
    app.register_error_handler(Exception, render_unexpected)
    app.before_request(reject_large_bodies)


def render_api_error(exc: ApiError) -> Response:
    return json_response(exc.payload(), exc.status, exc.headers())


def render_http_exception(exc: HTTPException) -> Response:
    return render_api_error(_as_api_error(exc))


def _as_api_error(exc: HTTPException) -> ApiError:
    if isinstance(exc, WerkzeugMethodNotAllowed):
        return MethodNotAllowed(exc.valid_methods or ())
    if isinstance(exc, RequestEntityTooLarge):
        return RequestTooLarge()
    if exc.code == 404:
        return NotFound()
    if exc.code == 400:
        return InvalidRequest({"body": "must be a JSON object"})
    return InternalError()


def render_unexpected(exc: Exception) -> Response:
    # Method and path only: bodies and headers may carry payloads and credentials.
    log.exception("unhandled error: %s %s", request.method, request.path)
    return render_api_error(InternalError())


def reject_large_bodies() -> None:
    """413 before any other check; reading (at most 1 MiB) also catches chunked bodies."""
    if request.routing_exception is not None or request.method not in BODY_METHODS:
        return
    try:
        request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise RequestTooLarge() from None
