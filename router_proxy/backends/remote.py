"""A backend over HTTP (gunicorn for legacy, uvicorn for new) through one pooled
keep-alive aiohttp session per backend.

Failures (A6): connect errors and timeouts become 502/504 in the apps' JSON error shape,
while nothing was sent to the client yet. Idempotent requests (GET/HEAD/OPTIONS, or writes
carrying an Idempotency-Key) are retried once, on connect errors only, and only if not one
body byte was read for the first try. A circuit breaker per backend opens after 5
consecutive failures and lets one trial through after 30 s.

Example:
    >>> from router_proxy.config import Settings
    >>> RemoteBackend("legacy", "http://127.0.0.1:8001", "/healthz", Settings()).base_url
    'http://127.0.0.1:8001'
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import hdrs
from yarl import URL

from router_proxy.backends.circuit import CircuitBreaker
from router_proxy.body import RequestBody
from router_proxy.config import Settings
from router_proxy.errors import BackendTimeout, BackendUnavailable
from router_proxy.headers import HOP_BY_HOP
from router_proxy.types import HeaderList, Message, Receive, Scope, Send

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READY_CACHE_SECONDS = 1.0
WHOLE_BODY_LIMIT = 64 * 1024  # responses up to this declared size are relayed in one send

# Fields a response carries once: the upstream server may add its own beside the app's.
SINGLE_FIELDS = frozenset({b"date", b"server"})


class _AsSentRequest(aiohttp.ClientRequest):
    """aiohttp adds ``Content-Length: 0`` to a bodiless DELETE or POST; the client sent no
    such header, so the backend must not see one (the router is transparent)."""

    def update_body_from_data(self, body: Any, *args: Any, **kwargs: Any) -> None:
        declared = hdrs.CONTENT_LENGTH in self.headers
        super().update_body_from_data(body, *args, **kwargs)
        if body is None and not declared:
            self.headers.pop(hdrs.CONTENT_LENGTH, None)


class UpstreamBroken(Exception):
    """The upstream failed after the response started: the client connection must drop."""


class RemoteBackend:
    def __init__(self, name: str, base_url: str, health_path: str, settings: Settings) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.ws_base_url = "ws" + self.base_url.removeprefix("http")  # ws:// or wss://
        self.health_path = health_path
        self.settings = settings
        self.breaker = CircuitBreaker(settings.circuit_failures, settings.circuit_reset_seconds)
        self._session: aiohttp.ClientSession | None = None
        self._ready_at = 0.0
        self._ready = False

    async def startup(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=self.settings.upstream_pool_size,
            keepalive_timeout=30,
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=None,
                connect=self.settings.connect_timeout,
                sock_read=self.settings.read_timeout,
            ),
            auto_decompress=False,
            request_class=_AsSentRequest,
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
        )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def ready(self) -> bool:
        now = time.monotonic()
        if now - self._ready_at > READY_CACHE_SECONDS:
            self._ready = await self._probe()
            self._ready_at = now
        return self._ready

    async def _probe(self) -> bool:
        try:
            async with self._client().get(
                self.base_url + self.health_path, timeout=aiohttp.ClientTimeout(total=1.0)
            ) as response:
                return response.status < 500
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def handle(self, scope: Scope, body: RequestBody, send: Send) -> None:
        if not self.breaker.allow():
            retry_after = max(1, round(self.settings.circuit_reset_seconds))
            raise BackendUnavailable("circuit open", retry_after=retry_after)
        response = await self._request_with_retry(scope, body)
        try:
            await self._relay(response, body, send)
        finally:
            response.release()

    async def _request_with_retry(self, scope: Scope, body: RequestBody) -> aiohttp.ClientResponse:
        attempts = 2 if _idempotent(scope) else 1
        for attempt in range(attempts):
            try:
                response = await self._request(scope, body)
            except aiohttp.ClientConnectorError as exc:
                self.breaker.record_failure()
                if attempt + 1 < attempts and not body.started:
                    continue
                raise BackendUnavailable(f"{self.name}: connect failed") from exc
            except TimeoutError as exc:
                self.breaker.record_failure()
                raise BackendTimeout(f"{self.name}: timed out") from exc
            except aiohttp.ClientError as exc:
                self.breaker.record_failure()
                raise BackendUnavailable(f"{self.name}: {type(exc).__name__}") from exc
            self.breaker.record_success()
            return response
        raise AssertionError("unreachable")

    async def _request(self, scope: Scope, body: RequestBody) -> aiohttp.ClientResponse:
        headers = _forward_headers(scope)
        return await self._client().request(
            scope["method"],
            # As the client sent it: no re-encoding, no dot segments resolved (A15, A22).
            URL(self.base_url + _target(scope), encoded=True),
            headers=headers,
            data=_body_chunks(body) if body.has_body else None,
            allow_redirects=False,
            compress=None,
        )

    async def websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Relay a WebSocket to the upstream: opened there first (a refusal there is a
        refusal here, before accepting), then messages both ways until either side closes."""
        await receive()  # websocket.connect
        offered = _subprotocols(scope)
        try:
            upstream = await self._client().ws_connect(
                URL(self.ws_base_url + _target(scope), encoded=True),
                headers=_websocket_headers(scope),
                protocols=offered,
                autoping=True,
            )
        except (aiohttp.ClientError, TimeoutError):
            await send({"type": "websocket.close", "code": 1000})
            return
        accept: Message = {"type": "websocket.accept"}
        if upstream.protocol:
            accept["subprotocol"] = upstream.protocol
        await send(accept)
        try:
            await _both_ways(upstream, receive, send)
        finally:
            await upstream.close()

    async def _relay(self, response: aiohttp.ClientResponse, body: RequestBody, send: Send) -> None:
        headers = _response_headers(response.raw_headers)
        start = {"type": "http.response.start", "status": response.status, "headers": headers}
        length = response.content_length
        if length is not None and length <= WHOLE_BODY_LIMIT:
            # Small and declared: read it whole and send once (no disconnect watch needed).
            try:
                whole = await response.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                self.breaker.record_failure()
                raise _broken_or_unavailable(self.name, exc) from exc
            await send(start)
            await send({"type": "http.response.body", "body": whole, "more_body": False})
            return
        await send(start)
        body.start()  # streaming: stop reading the upstream once the client has gone
        try:
            async for chunk in response.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                if body.disconnected.is_set():
                    response.close()
                    return
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.breaker.record_failure()
            raise UpstreamBroken(f"{self.name}: {type(exc).__name__} mid-response") from exc
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise BackendUnavailable(f"{self.name}: not started")
        return self._session


def _broken_or_unavailable(name: str, exc: BaseException) -> Exception:
    """Nothing was sent yet, so a failed read is still a clean 502/504."""
    if isinstance(exc, TimeoutError):
        return BackendTimeout(f"{name}: timed out reading the response")
    return BackendUnavailable(f"{name}: {type(exc).__name__} reading the response")


def _idempotent(scope: Scope) -> bool:
    if scope["method"] in IDEMPOTENT_METHODS:
        return True
    return any(name == b"idempotency-key" for name, _ in scope["headers"])


def _target(scope: Scope) -> str:
    path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    query: bytes = scope.get("query_string", b"")
    return (path + (b"?" + query if query else b"")).decode("latin-1")


# Headers the WebSocket client writes itself (the handshake's own).
WEBSOCKET_HANDSHAKE = frozenset(
    {"host", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
     "sec-websocket-protocol", "connection", "upgrade"}
)  # fmt: skip


def _subprotocols(scope: Scope) -> tuple[str, ...]:
    return tuple(scope.get("subprotocols") or ())


def _websocket_headers(scope: Scope) -> list[tuple[str, str]]:
    return [(n, v) for n, v in _forward_headers(scope) if n.lower() not in WEBSOCKET_HANDSHAKE]


async def _both_ways(
    upstream: aiohttp.ClientWebSocketResponse, receive: Receive, send: Send
) -> None:
    """Until one side ends: the client's messages to the upstream, the upstream's to the
    client; the close code crosses too."""

    async def from_client() -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                await upstream.close(code=message.get("code", 1000))
                return
            if message.get("text") is not None:
                await upstream.send_str(message["text"])
            elif message.get("bytes") is not None:
                await upstream.send_bytes(message["bytes"])

    async def from_upstream() -> None:
        async for frame in upstream:
            if frame.type == aiohttp.WSMsgType.TEXT:
                await send({"type": "websocket.send", "text": frame.data})
            elif frame.type == aiohttp.WSMsgType.BINARY:
                await send({"type": "websocket.send", "bytes": frame.data})
        await send({"type": "websocket.close", "code": upstream.close_code or 1000})

    tasks = [asyncio.ensure_future(from_client()), asyncio.ensure_future(from_upstream())]
    _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _forward_headers(scope: Scope) -> list[tuple[str, str]]:
    headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in scope["headers"]]
    client = scope.get("client")
    if client:
        # The router resolved the client (trusted proxies only); upstreams trust the router.
        headers.append(("x-forwarded-for", client[0]))
    headers.append(("x-forwarded-proto", scope.get("scheme", "http")))
    return headers


async def _body_chunks(body: RequestBody) -> AsyncIterator[bytes]:
    while True:
        message = await body.receive()
        if message["type"] != "http.request":
            return
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


def _response_headers(raw: tuple[tuple[bytes, bytes], ...]) -> HeaderList:
    named = {
        token.strip().lower()
        for name, value in raw
        if name.lower() == b"connection"
        for token in value.split(b",")
    }
    kept = [
        (name.lower(), value)
        for name, value in raw
        if name.lower() not in HOP_BY_HOP and name.lower() not in named
    ]
    return _one_of_each(kept)


def _one_of_each(headers: HeaderList) -> HeaderList:
    """One Date and one Server (RFC 9110): gunicorn writes its own before the app's, so
    the last of each is the app's when it set one."""
    last = {name: index for index, (name, _) in enumerate(headers) if name in SINGLE_FIELDS}
    return [
        (name, value)
        for index, (name, value) in enumerate(headers)
        if name not in SINGLE_FIELDS or last[name] == index
    ]
