"""The last resort: an exception no handler answered becomes the contract's 500 JSON.

Like Flask in production, the client gets ``internal_error`` and never a traceback; the
exception is logged (its type and the route, not the payload). If the response has
already started there is nothing left to fix, and the exception propagates.

Example:
    >>> LastResort.__name__
    'LastResort'
"""

from __future__ import annotations

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fastapi_app.errors import InternalError
from fastapi_app.wire import render_json

log = structlog.get_logger(__name__)


class LastResort:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled_error", method=scope["method"], path=scope["path"])
            if started:
                raise
            await self._internal_error(send)

    @staticmethod
    async def _internal_error(send: Send) -> None:
        body = render_json(InternalError().payload()).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 500, "headers": headers})
        await send({"type": "http.response.body", "body": body})
