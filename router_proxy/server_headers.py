"""One ``Date`` and one ``Server`` per answer (RFC 9110 6.6.1, 10.2.4; A23), the app's when
it sets one.

ASGI servers add their own ``Date`` and ``Server`` to every answer, beside any the app set:
a remote answer then carried gunicorn's and uvicorn's both, an in-process app's own
``Server`` got uvicorn's next to it. ``strangler serve`` therefore runs its server with
those headers off and puts this in front: it adds ``Date`` (the second's, formatted once a
second) and ``Server`` only to an answer that has none.

Example:
    >>> http_date(0)
    b'Thu, 01 Jan 1970 00:00:00 GMT'
"""

from __future__ import annotations

import time
from email.utils import formatdate

from router_proxy.types import ASGIApp, Message, Receive, Scope, Send


def http_date(seconds: float) -> bytes:
    return formatdate(seconds, usegmt=True).encode()


class ServerHeaders:
    def __init__(self, app: ASGIApp, server: bytes = b"uvicorn") -> None:
        self.app = app
        self.server = server
        self._date = (0, b"")  # (second, its Date value): formatted once a second

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": self._completed(message.get("headers", ()))}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _completed(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        names = {name.lower() for name, _ in headers}
        extra = []
        if b"date" not in names:
            extra.append((b"date", self._now()))
        if b"server" not in names and self.server:
            extra.append((b"server", self.server))
        return [*extra, *headers] if extra else list(headers)

    def _now(self) -> bytes:
        second = int(time.time())
        if self._date[0] != second:
            self._date = (second, http_date(second))
        return self._date[1]
