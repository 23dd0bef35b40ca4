"""Divergences planted in a copy of the port: an ASGI wrapper that edits one route's answers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

Edit = Callable[
    [int, list[tuple[bytes, bytes]], bytes], tuple[int, list[tuple[bytes, bytes]], bytes]
]


class Planted:
    """Buffers the answers of ``method path_regex`` and passes them through ``edit``."""

    def __init__(self, app: Any, method: str, path: str, edit: Edit) -> None:
        self.app, self.method, self.path, self.edit = app, method, re.compile(path), edit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != self.method
            or not self.path.fullmatch(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        status, headers, body = self.edit(start["status"], list(start["headers"]), b"".join(chunks))
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def status_to(new_status: int) -> Edit:
    return lambda status, headers, body: (new_status, headers, body)


def body_edit(change: Callable[[dict[str, Any]], None]) -> Edit:
    def edit(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> Any:
        data = json.loads(body)
        change(data)
        return status, headers, json.dumps(data).encode()

    return edit


def without_header(name: bytes) -> Edit:
    return lambda status, headers, body: (
        status,
        [(k, v) for k, v in headers if k.lower() != name],
        body,
    )


def rename(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data[new] = data.pop(old)

    return change


def plus_one_cent(data: dict[str, Any]) -> None:
    data["amount_cents"] += 1
