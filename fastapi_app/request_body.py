"""Reading a request: the body (never more than the limit is buffered), the app path,
and the router's sandbox marker.

Example:
    >>> app_path({"path": "/prefix/api/v1/payments", "root_path": "/prefix"})
    '/api/v1/payments'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from fastapi_app.errors import RequestTooLarge
from fastapi_app.settings import MAX_CONTENT_LENGTH

SANDBOX_HEADER = "x-strangler-sandbox"


async def read_capped_body(request: Request, limit: int = MAX_CONTENT_LENGTH) -> bytes:
    """The whole body, or 413 as soon as it (declared or received) exceeds ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def app_path(scope: Mapping[str, Any]) -> str:
    """The path without the mount prefix: what the idempotency fingerprint records."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        return path[len(root) :] or "/"
    return path


def is_sandboxed(request: Request) -> bool:
    return request.headers.get(SANDBOX_HEADER) == "1"
