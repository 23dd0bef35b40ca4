"""The router's exception tree and the JSON error answers the shim itself sends.

RouterError
├── ConfigError          settings or import strings that cannot work (CLI: one line, exit 2)
├── WireClosed           the shadow worker's socket closed (router_proxy.shadow_wire)
└── RouterAnswer         the shim answers this request itself (status, code, message)
    ├── RequestRejected  the request is at fault: no backend would take it
    │   ├── BadFraming       400: CL+TE, duplicate Content-Length, TE other than ``chunked``
    │   ├── HeadersTooLarge  431: more than the configured header bytes or fields
    │   ├── BodyTooLarge     413: body over the configured limit
    │   └── AmbiguousPath    400: dot or empty segments that would select another route
    └── BackendError     the upstream is at fault: the chosen backend could not answer
        ├── BackendUnavailable  502: connect error, reset, circuit open
        ├── BackendTimeout      504: no answer in time
        └── PoolSaturated       503 + Retry-After: every legacy thread stayed busy

A ``BackendError`` of the new side may fall back to legacy (``router_proxy.fallback``); a
``RequestRejected`` never does: legacy would refuse the same request.

Bodies use the apps' error shape, rendered as Flask's ``jsonify`` does, so a client cannot
tell a shim error from an app error by its form.

Example:
    >>> BackendTimeout().status
    504
"""

from __future__ import annotations

import json

from router_proxy.types import HeaderList, Headers, Send


class RouterError(Exception):
    pass


class ConfigError(RouterError):
    pass


class RouterAnswer(RouterError):
    status = 500
    code = "internal_error"
    message = "Internal server error."
    close_connection = False

    def __init__(self, detail: str = "", retry_after: int | None = None) -> None:
        super().__init__(detail or self.message)
        self.retry_after = retry_after

    def headers(self) -> HeaderList:
        extra: HeaderList = []
        if self.retry_after is not None:
            extra.append((b"retry-after", str(self.retry_after).encode()))
        if self.close_connection:
            extra.append((b"connection", b"close"))
        return extra


class RequestRejected(RouterAnswer):
    status = 400
    code = "invalid_request"
    message = "Bad request."


class BadFraming(RequestRejected):
    status = 400
    code = "bad_request"
    message = "Malformed request framing."
    close_connection = True


class HeadersTooLarge(RequestRejected):
    status = 431
    code = "request_header_fields_too_large"
    message = "Request header fields too large."
    close_connection = True


class BodyTooLarge(RequestRejected):
    status = 413
    code = "request_too_large"
    message = "Request body too large."
    close_connection = True


class AmbiguousPath(RequestRejected):
    status = 400
    code = "ambiguous_path"
    message = "The path has dot or empty segments that select another route; normalise it."


class BackendError(RouterAnswer):
    status = 502
    code = "bad_gateway"
    message = "The backend could not answer."


class BackendUnavailable(BackendError):
    pass


class BackendTimeout(BackendError):
    status = 504
    code = "gateway_timeout"
    message = "The backend did not answer in time."


class PoolSaturated(BackendError):
    status = 503
    code = "service_unavailable"
    message = "The service is busy; retry later."


def render_json(payload: object) -> bytes:
    """Flask's production ``jsonify``: sorted keys, compact, trailing newline."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def error_body(code: str, message: str) -> bytes:
    return render_json({"error": {"code": code, "details": {}, "message": message}})


async def send_json(send: Send, status: int, body: bytes, headers: Headers = ()) -> None:
    start_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": start_headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def send_answer(send: Send, error: RouterAnswer, extra: Headers = ()) -> None:
    body = error_body(error.code, error.message)
    await send_json(send, error.status, body, [*error.headers(), *extra])
