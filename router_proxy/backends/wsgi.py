"""Serve a WSGI app from the event loop, the way a2wsgi does, with the guarantees the
strangler needs on top (PEP 3333 environ, bounded admission, disconnect closes the app).

- The environ is built by a pure function (``build_environ``) from the cleaned scope:
  PATH_INFO from the raw path, percent-decoded, as latin-1 (PEP 3333, as gunicorn does);
  QUERY_STRING as latin-1 (a2wsgi decodes it as ASCII and fails on raw UTF-8).
- Admission: at most ``threads`` requests run at once; the next one waits at most
  ``wait_seconds`` for a thread, then gets 503 + Retry-After instead of queueing forever
  (``wait_seconds`` 0: it queues for as long as it takes, as gunicorn does).
- A response that declares a Content-Length of at most ``BUFFER_LIMIT`` is collected in
  the worker thread and handed to the loop once, with the thread's result: one handoff
  per request instead of one per message (the bridge's main cost against gunicorn).
- Any other response streams: chunks flow through a bounded queue (backpressure); when
  the client has gone away the app's iterable stops being read and ``close()`` runs, so
  teardown happens.

Example:
    >>> def hello(environ, start_response):
    ...     start_response("200 OK", [("Content-Type", "text/plain")])
    ...     return [b"hi"]
    >>> bridge = WSGIBridge(hello, threads=2, wait_seconds=1.0)
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from types import TracebackType
from typing import Any
from urllib.parse import unquote_to_bytes

from router_proxy.body import RequestBody, WSGIInput
from router_proxy.errors import PoolSaturated
from router_proxy.types import HeaderList, Message, Scope, Send

WSGIApp = Callable[..., Iterable[bytes]]
BUFFER_LIMIT = 64 * 1024
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class ClientGone(Exception):
    """Raised inside the worker thread to stop reading the app once nobody listens."""


class WSGIBridge:
    def __init__(self, app: WSGIApp, threads: int, wait_seconds: float) -> None:
        self.app = app
        self.threads = threads
        self.wait_seconds = wait_seconds
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="legacy-wsgi")
        self._slots = asyncio.Semaphore(threads)
        self.busy = 0
        self.closed = False

    async def __call__(self, scope: Scope, body: RequestBody, send: Send) -> None:
        if self._slots.locked() and self.wait_seconds > 0:  # wait_for costs a task
            try:
                await asyncio.wait_for(self._slots.acquire(), self.wait_seconds)
            except TimeoutError:
                raise PoolSaturated(retry_after=max(1, round(self.wait_seconds))) from None
        else:
            await self._slots.acquire()
        self.busy += 1
        try:
            await _Exchange(self, scope, body, send).run()
        finally:
            self.busy -= 1
            self._slots.release()

    def shutdown(self) -> None:
        self.closed = True
        self.executor.shutdown(wait=False, cancel_futures=True)


class _Exchange:
    """One request's state, shared by its worker thread and (when it streams) its sender
    task."""

    def __init__(self, bridge: WSGIBridge, scope: Scope, body: RequestBody, send: Send) -> None:
        self.bridge = bridge
        self.loop = asyncio.get_running_loop()
        self.scope = scope
        self.body = body
        self.send = send
        self.queue: asyncio.Queue[Message | None] | None = None  # streaming only
        self.sender: asyncio.Task[None] | None = None  # streaming only
        self.status = 500
        self.headers: HeaderList = []
        self.headers_sent = False  # PEP 3333: a non-empty body chunk was produced
        self.buffer: list[bytes] | None = None  # a small declared-length response
        self.buffered = 0
        self.streaming = False
        self.abandoned = False

    async def run(self) -> None:
        environ = build_environ(self.scope, WSGIInput(self.loop, self.body.receive))
        context = contextvars.copy_context()
        try:
            await self.loop.run_in_executor(
                self.bridge.executor, context.run, self._run_app, environ
            )
        except BaseException:
            # The thread may still be producing: tell it nobody will drain the queue.
            self.abandoned = True
            if self.sender is not None:
                self.sender.cancel()
            raise
        if self.sender is not None:
            assert self.queue is not None
            await self.queue.put(None)
            await self.sender
        else:
            await self._send_whole()

    async def _send_whole(self) -> None:
        start = {"type": "http.response.start", "status": self.status, "headers": self.headers}
        await self.send(start)
        body = b"".join(self.buffer) if self.buffer else b""
        await self.send({"type": "http.response.body", "body": body, "more_body": False})

    async def _enqueue(self, message: Message) -> None:
        if self.sender is None:  # the first streamed message: start streaming machinery
            self.queue = asyncio.Queue(8)
            self.body.start()  # learn of a disconnect while the app streams
            self.sender = self.loop.create_task(self._sender())
        assert self.queue is not None
        await self.queue.put(message)

    async def _sender(self) -> None:
        assert self.queue is not None
        while (message := await self.queue.get()) is not None:
            if not self.body.disconnected.is_set():
                await self.send(message)

    # --- worker thread side ---

    def _run_app(self, environ: dict[str, Any]) -> None:
        iterable = self.bridge.app(environ, self._start_response)
        try:
            for chunk in iterable:
                if chunk:
                    self._write(chunk)
                if self.streaming and self.body.disconnected.is_set():
                    raise ClientGone()
            if self.streaming:
                self._put({"type": "http.response.body", "body": b"", "more_body": False})
        except ClientGone:
            pass
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()

    def _start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None and self.headers_sent:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status = int(status.split(" ", 1)[0])
        self.headers = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers]
        self.buffer = [] if _declared_length(self.headers) <= BUFFER_LIMIT else None
        self.buffered = 0
        return self._write

    def _write(self, chunk: bytes) -> None:
        self.headers_sent = True
        if self.buffer is not None:
            self.buffer.append(chunk)
            self.buffered += len(chunk)
            if self.buffered <= BUFFER_LIMIT:
                return
            # More than it declared: stream what we have and the rest.
            chunk, self.buffer = b"".join(self.buffer), None
        if not self.streaming:
            self.streaming = True
            start = {"type": "http.response.start", "status": self.status, "headers": self.headers}
            self._put(start)
        self._put({"type": "http.response.body", "body": chunk, "more_body": True})

    def _put(self, message: Message) -> None:
        future = asyncio.run_coroutine_threadsafe(self._enqueue(message), self.loop)
        while True:
            try:
                future.result(timeout=1.0)
                return
            except FutureTimeout:
                if self.abandoned or self.body.disconnected.is_set():
                    future.cancel()
                    raise ClientGone() from None


def _declared_length(headers: HeaderList) -> int:
    """The response's Content-Length, or a value past the buffer limit when it has none."""
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else BUFFER_LIMIT + 1
    return BUFFER_LIMIT + 1


def build_environ(scope: Scope, wsgi_input: Any) -> dict[str, Any]:
    """PEP 3333 environ from an ASGI HTTP scope; pure."""
    script_name = scope.get("root_path", "").encode("utf-8")
    target = scope.get("raw_path") or scope["path"].encode("utf-8")
    raw_path = target.split(b"?", 1)[0]
    query: bytes = scope.get("query_string", b"")
    # The request target as the client sent it, as gunicorn (RAW_URI) and werkzeug's server
    # (both) pass it: apps that parse it themselves must not see it decoded twice.
    raw_uri = (raw_path + (b"?" + query if query else b"")).decode("latin-1")
    if script_name and raw_path.startswith(script_name):
        raw_path = raw_path[len(script_name) :]
    server = scope.get("server") or ("localhost", 80)
    environ: dict[str, Any] = {
        "RAW_URI": raw_uri,
        "REQUEST_URI": raw_uri,
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": script_name.decode("latin-1"),
        "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1"),
        "QUERY_STRING": query.decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] or 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": wsgi_input,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
    }
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"] = client[0]
        environ["REMOTE_PORT"] = str(client[1])
    for name, value in scope["headers"]:
        key = _environ_key(name.decode("latin-1"))
        text = value.decode("latin-1")
        if key in environ:
            text = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + text
        environ[key] = text
    return environ


def _environ_key(name: str) -> str:
    if name == "content-type":
        return "CONTENT_TYPE"
    if name == "content-length":
        return "CONTENT_LENGTH"
    return "HTTP_" + name.upper().replace("-", "_")
