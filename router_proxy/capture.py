"""Per-request recorders for the shadow: the request body read once, the primary's
response seen on its way to the client, and a replayable body for the copy.

The recorder sits between a backend and the client's ``send``: it keeps a copy of what
passes (status, headers, body up to a limit) and forwards every message untouched, so
the client's bytes are the same with or without a shadow. Past the limit it keeps
forwarding but stops copying and marks the capture ``overflow`` (not compared).

Example:
    >>> import asyncio
    >>> recorder = ResponseRecorder(None, limit=4)
    >>> asyncio.run(recorder.send({"type": "http.response.start", "status": 200}))
    >>> asyncio.run(recorder.send({"type": "http.response.body", "body": b"hello"}))
    >>> (recorder.captured.status, recorder.captured.overflow)
    (200, True)
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from rollout.evidence.compare import HttpResponse
from router_proxy.body import RequestBody
from router_proxy.types import HeaderList, Message, Scope, Send

# The parts of a scope a copy needs: the app may have added its own keys to the original.
REPLAYED_SCOPE_KEYS = (
    "type",
    "asgi",
    "http_version",
    "method",
    "scheme",
    "path",
    "raw_path",
    "query_string",
    "root_path",
    "client",
    "server",
)


def replayed_scope(scope: Scope) -> dict[str, Any]:
    """The keys of ``scope`` a copy replays (headers not included: callers pick them)."""
    return {k: scope[k] for k in REPLAYED_SCOPE_KEYS if k in scope}


@dataclass(slots=True)
class Captured:
    status: int = 0
    headers: HeaderList = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)
    overflow: bool = False
    complete: bool = False

    def as_http_response(self) -> HttpResponse:
        return HttpResponse(self.status, header_dict(self.headers), bytes(self.body))


def header_dict(pairs: HeaderList) -> dict[str, str]:
    """ASGI header pairs as one lower-cased name -> value map (repeats joined by ", ")."""
    headers: dict[str, str] = {}
    for name, value in pairs:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


class ResponseRecorder:
    def __init__(self, send: Send | None, limit: int) -> None:
        self._send = send
        self.limit = limit
        self.captured = Captured()

    async def send(self, message: Message) -> None:
        self._record(message)
        if self._send is not None:
            await self._send(message)

    def _record(self, message: Message) -> None:
        captured = self.captured
        if message["type"] == "http.response.start":
            captured.status = int(message["status"])
            captured.headers = list(message.get("headers", ()))
            return
        if message["type"] != "http.response.body":
            return
        chunk = message.get("body", b"")
        if not captured.overflow:
            if len(captured.body) + len(chunk) > self.limit:
                captured.overflow = True
                captured.body.clear()  # nothing half-kept: an overflowed body is not compared
            else:
                captured.body += chunk
        if not message.get("more_body", False):
            captured.complete = True


async def buffer_request_body(
    body: RequestBody, content_length: int | None, limit: int
) -> bytes | None:
    """Read the whole body now (the primary then reads it from memory) so that a copy can
    replay it; None when it is over ``limit`` (the copy's cap): then at most that much is
    held, and the rest streams to the primary as it comes."""
    if not body.has_body:
        return b""  # nothing to keep; reading would cost the request a pump task
    if content_length is not None and content_length > limit:
        return None
    if not body.ended:
        await body.prefetch(up_to=limit)
    data = body.buffered()
    return data if body.ended and len(data) <= limit else None


def replay_body(data: bytes, limit: int) -> RequestBody:
    """A RequestBody that yields ``data`` once; its client never disconnects (the shadow
    runner cancels the copy instead)."""
    delivered = False
    never = asyncio.Event()

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": data, "more_body": False}
        await never.wait()
        return {"type": "http.disconnect"}

    return RequestBody(receive, limit, has_body=bool(data))
