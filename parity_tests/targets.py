"""How the harness talks to an implementation: in-process WSGI or ASGI, or a remote URL.

``WsgiTarget`` drives a Flask app through ``httpx.WSGITransport``; ``AsgiTarget`` drives
an ASGI app through ``httpx.ASGITransport`` after running its lifespan startup itself
(``Lifespan``), and shuts it down on ``close``. ``RemoteTarget`` sends to a base URL.
Cookies are never kept by the client: the harness carries them per case.

Example:
    >>> Outgoing("GET", "/healthz").method
    'GET'
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from parity_tests.errors import TargetError
from rollout.compare import HttpResponse

BASE_URL = "http://testserver"


@dataclass(frozen=True)
class Outgoing:
    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True)
class Answer:
    response: HttpResponse
    set_cookies: tuple[str, ...]


class Target(Protocol):
    async def send(self, request: Outgoing) -> Answer: ...
    async def close(self) -> None: ...


def _answer(response: httpx.Response) -> Answer:
    headers = {name.lower(): value for name, value in response.headers.items()}
    cookies = tuple(response.headers.get_list("set-cookie"))
    return Answer(HttpResponse(response.status_code, headers, response.content), cookies)


class WsgiTarget:
    def __init__(self, app: Any, base_url: str = BASE_URL) -> None:
        self._client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url=base_url)

    async def send(self, request: Outgoing) -> Answer:
        # A WSGI call blocks; the harness runs one request at a time, so that is fine.
        self._client.cookies.clear()
        response = self._client.request(
            request.method,
            request.path,
            params=dict(request.query) or None,
            headers=dict(request.headers),
            content=request.body,
        )
        return _answer(response)

    async def close(self) -> None:
        self._client.close()


class AsgiTarget:
    def __init__(self, app: Any, base_url: str = BASE_URL) -> None:
        self._lifespan = Lifespan(app)
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)

    async def start(self) -> None:
        await self._lifespan.startup()

    async def send(self, request: Outgoing) -> Answer:
        self._client.cookies.clear()
        response = await self._client.request(
            request.method,
            request.path,
            params=dict(request.query) or None,
            headers=dict(request.headers),
            content=request.body,
        )
        return _answer(response)

    async def close(self) -> None:
        await self._client.aclose()
        await self._lifespan.shutdown()


class RemoteTarget:
    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def send(self, request: Outgoing) -> Answer:
        self._client.cookies.clear()
        try:
            response = await self._client.request(
                request.method,
                request.path,
                params=dict(request.query) or None,
                headers=dict(request.headers),
                content=request.body,
            )
        except httpx.HTTPError as exc:
            raise TargetError(f"{request.method} {request.path}: {type(exc).__name__}") from exc
        return _answer(response)

    async def close(self) -> None:
        await self._client.aclose()


class Lifespan:
    """Runs an ASGI app's lifespan protocol: startup now, shutdown on request."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self._task = asyncio.create_task(self._app(scope, self._inbox.get, self._outbox.put))
        await self._inbox.put({"type": "lifespan.startup"})
        await self._expect("lifespan.startup.complete")

    async def shutdown(self) -> None:
        if self._task is None:
            return
        await self._inbox.put({"type": "lifespan.shutdown"})
        await self._expect("lifespan.shutdown.complete")
        await self._task
        self._task = None

    async def _expect(self, wanted: str) -> None:
        assert self._task is not None
        getter = asyncio.ensure_future(self._outbox.get())
        await asyncio.wait({getter, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if not getter.done():
            getter.cancel()
            raise TargetError(f"lifespan ended before {wanted}: {self._task.exception()!r}")
        message = getter.result()
        if message["type"] != wanted:
            raise TargetError(f"lifespan: {message['type']} ({message.get('message', '')})")
