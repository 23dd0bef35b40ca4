"""``Vary: Cookie`` on every answer whose request looked at the session, as Flask does.

Flask adds it whenever the session was read or written (a request without an
Authorization header is authenticated from the session, login and logout write it).
Handlers call ``mark_session_accessed(scope)``; this middleware adds the header.

Example:
    >>> scope = {"state": {}}
    >>> mark_session_accessed(scope)
    >>> scope["state"]
    {'strangler_session_accessed': True}
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FLAG = "strangler_session_accessed"


def mark_session_accessed(scope: MutableMapping[str, Any]) -> None:
    scope.setdefault("state", {})[FLAG] = True


class SessionVary:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})

        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start" and state.get(FLAG):
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"vary" for name, _ in headers):
                    headers.append((b"vary", b"Cookie"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_vary)
