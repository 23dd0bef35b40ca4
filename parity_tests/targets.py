"""How the harness talks to an implementation: in-process WSGI or ASGI, or a remote URL.

``WsgiTarget`` calls a Flask app's WSGI callable, ``AsgiTarget`` an ASGI app (after running
its lifespan startup with ``router_proxy.lifespan.AppLifespan``, and shutting it down on
``close``), each with a request built by ``httpx`` exactly as its WSGI/ASGI transports
would build it: the same URL, headers and environ or scope. They skip the client's send
machinery (auth flow, redirects, cookie jar, transport lookup), a third of each in-process
request's cost.
``RemoteTarget`` sends to a base URL. Cookies are never kept: the harness carries them.

Example:
    >>> Outgoing("GET", "/healthz").method
    'GET'
"""

from __future__ import annotations

import asyncio
import functools
import io
import sys
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes

import httpx

from parity_tests.errors import TargetError
from rollout.evidence.compare import HttpResponse
from router_proxy.errors import ConfigError
from router_proxy.lifespan import AppLifespan

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


_BUILDER = httpx.Client(base_url=BASE_URL)  # builds requests, never sends one


def _built(request: Outgoing) -> httpx.Request:
    """The request a client sends for ``request``; TargetError (the case's error, not the
    run's) when its path cannot be sent as it is written."""
    if not request.path.startswith("/"):
        raise TargetError(f"{request.method} {request.path!r}: a path starts with '/'")
    try:
        return _build(
            request.method,
            request.path,
            tuple(request.query.items()),
            tuple(request.headers.items()),
            request.body,
        )
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise TargetError(f"{request.method} {request.path!r}: cannot be sent ({exc})") from exc


# Both sides get the same request (and legacy may get it twice): build it once.
@functools.lru_cache(maxsize=256)
def _build(
    method: str,
    path: str,
    query: tuple[tuple[str, str], ...],
    headers: tuple[tuple[str, str], ...],
    body: bytes | None,
) -> httpx.Request:
    # The whole URL, not a path joined to a base: "//x/y" stays a path, never a host.
    built = _BUILDER.build_request(
        method, BASE_URL + path, params=dict(query) or None, headers=dict(headers), content=body
    )
    built.read()
    return built


class WsgiTarget:
    """A WSGI call blocks: the harness runs it on the legacy side's own thread (``Lane``)."""

    def __init__(self, app: Any) -> None:
        self._app = app

    async def send(self, request: Outgoing) -> Answer:
        built = _built(request)
        try:
            return _answer(call_wsgi(self._app, built))
        except TargetError:
            raise
        except Exception as exc:
            # What a WSGI server answers 500 to; here it is this case's error, named.
            raise TargetError(f"{request.method} {request.path}: the app raised {exc!r}") from exc

    async def close(self) -> None:
        return None


class AsgiTarget:
    def __init__(self, app: Any) -> None:
        self._app = app
        self._lifespan = AppLifespan(app)

    async def start(self) -> None:
        try:
            await self._lifespan.startup()
        except ConfigError as exc:
            raise TargetError(str(exc)) from exc

    async def send(self, request: Outgoing) -> Answer:
        return _answer(await call_asgi(self._app, _built(request)))

    async def close(self) -> None:
        try:
            await self._lifespan.shutdown()
        except ConfigError as exc:
            raise TargetError(str(exc)) from exc


def call_wsgi(app: Any, request: httpx.Request) -> httpx.Response:
    """``httpx.WSGITransport.handle_request``'s environ, the body read at once."""
    url = request.url
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme,
        "wsgi.input": io.BytesIO(request.content),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        # As a server sets it: the percent-decoded bytes, as latin-1 (PEP 3333), so any
        # UTF-8 path reaches the app unchanged.
        "PATH_INFO": unquote_to_bytes(url.raw_path.split(b"?")[0]).decode("latin-1"),
        "QUERY_STRING": url.query.decode("ascii"),
        "SERVER_NAME": url.host,
        "SERVER_PORT": str(url.port or {"http": 80, "https": 443}[url.scheme]),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    for raw_key, raw_value in request.headers.raw:
        key = raw_key.decode("ascii").upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = raw_value.decode("ascii")
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, headers, exc_info]
        return lambda _: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    status, headers, exc_info = started
    if exc_info and exc_info[0]:
        raise exc_info[1]
    return httpx.Response(int(status.split()[0]), headers=headers, content=body)


async def call_asgi(app: Any, request: httpx.Request) -> httpx.Response:
    """``httpx.ASGITransport.handle_async_request``'s scope and messages, on asyncio only."""
    url = request.url
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "headers": [(k.lower(), v) for (k, v) in request.headers.raw],
        "scheme": url.scheme,
        "path": url.path,
        "raw_path": url.raw_path.split(b"?")[0],
        "query_string": url.query,
        "server": (url.host, url.port),
        "client": ("127.0.0.1", 123),
        "root_path": "",
    }
    sent = False
    done = asyncio.Event()
    status: list[int] = []
    headers: list[Any] = []
    parts: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await done.wait()
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": request.content, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
            headers.extend(message.get("headers", []))
        elif message["type"] == "http.response.body":
            if request.method != "HEAD":
                parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    try:
        await app(scope, receive, send)
    except Exception as exc:
        # Starlette answers 500 and then re-raises for the server to log: the client got
        # that answer. Raised before a whole answer was sent, it is this case's error.
        if not (status and done.is_set()):
            raise TargetError(f"{request.method} {url.path}: the app raised {exc!r}") from exc
    if not status or not done.is_set():
        raise TargetError(f"{request.method} {url.path}: the app sent no complete response")
    return httpx.Response(status[0], headers=headers, content=b"".join(parts))


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
