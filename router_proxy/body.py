"""One request body, read once from the client, with a size cap and disconnect detection.

A single pump task owns the client's ``receive``: it moves body chunks into a small
bounded queue (backpressure, never the whole body in memory) and, once the body has
ended, keeps listening so that ``disconnected`` is set the moment the client goes away.
Backends read through :meth:`RequestBody.receive`, an ordinary ASGI receive.

Example:
    >>> import asyncio
    >>> async def demo():
    ...     messages = iter([{"type": "http.request", "body": b"hi", "more_body": False}])
    ...     async def receive():
    ...         return next(messages, {"type": "http.disconnect"})
    ...     body = RequestBody(receive, limit=10)
    ...     first = await body.receive()
    ...     body.close()
    ...     return first["body"]
    >>> asyncio.run(demo())
    b'hi'
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator

from router_proxy.errors import BodyTooLarge
from router_proxy.types import Message, Receive

_END = object()
_DISCONNECT: Message = {"type": "http.disconnect"}


class RequestBody:
    def __init__(
        self, client_receive: Receive, limit: int, has_body: bool = True, queue_size: int = 8
    ) -> None:
        self._client_receive = client_receive
        self.limit = limit
        self.has_body = has_body  # Content-Length > 0 or chunked
        self.received = 0
        self.started = False  # a backend has pulled at least one message
        self.ended = False
        self.disconnected = asyncio.Event()
        self._replay: deque[Message] = deque()
        self._queue_size = queue_size
        self._queue: asyncio.Queue[Message | object] | None = None  # made by start()
        self._pump: asyncio.Task[None] | None = None
        self._too_large = False

    def start(self) -> None:
        """Start listening now: a backend that never reads the body still learns of a
        disconnect. Backends call this only when they stream (a task per request is a
        third of the router's own cost on a small response); reading starts it too."""
        if self._pump is None:
            self._queue = asyncio.Queue(self._queue_size)
            self._pump = asyncio.get_running_loop().create_task(self._run_pump())

    async def prefetch(self, up_to: int | None = None) -> None:
        """Read the body now, whole or (``up_to``) until more than that many bytes are
        held; what was read is replayed to the backend first, the rest streams after it.
        Whole, an unframed (chunked) body over the limit is 413 before any handler."""
        held = sum(len(message.get("body", b"")) for message in self._replay)
        while not self.ended and (up_to is None or held <= up_to):
            message = await self._next()
            if message is _END:
                break
            assert isinstance(message, dict)
            self._replay.append(message)
            held += len(message.get("body", b""))

    async def receive(self) -> Message:
        self.started = True
        if self._replay:
            return self._replay.popleft()
        if self.ended:
            await self.disconnected.wait()
            return _DISCONNECT
        message = await self._next()
        if message is _END:
            return _DISCONNECT
        assert isinstance(message, dict)
        return message

    async def _next(self) -> Message | object:
        self.start()
        assert self._queue is not None
        message = await self._queue.get()
        if self._too_large:
            raise BodyTooLarge()
        if message is _END or not message.get("more_body", False):  # type: ignore[union-attr]
            self.ended = True
        return message

    async def _run_pump(self) -> None:
        assert self._queue is not None
        while True:
            message = await self._client_receive()
            if message["type"] != "http.request":
                self.disconnected.set()
                self.ended = True
                await self._queue.put(_END)
                return
            self.received += len(message.get("body", b""))
            if self.limit and self.received > self.limit:
                self._too_large = True
                await self._queue.put(_END)
                return
            await self._queue.put(message)
            if not message.get("more_body", False):
                break
        await self._client_receive()  # after the body, the next message is the disconnect
        self.disconnected.set()

    def buffered(self) -> bytes:
        """The prefetched body not yet handed to a backend (all of it, right after
        ``prefetch``): what a shadow copy replays."""
        return b"".join(message.get("body", b"") for message in self._replay)

    def close(self) -> None:
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()


class WSGIInput:
    """``wsgi.input`` for an app in a worker thread: a file-like reader over an ASGI
    ``receive`` that runs on ``loop`` (PEP 3333's ``read``, ``readline``, ``readlines``
    and iteration). What was received and not yet read waits in a buffer; nothing is
    fetched before the app asks."""

    def __init__(self, loop: asyncio.AbstractEventLoop, receive: Receive) -> None:
        self._loop = loop
        self._receive = receive
        self._buffer = bytearray()
        self._more = True

    def _fetch(self) -> None:
        """One more chunk into the buffer (blocks the calling thread, never the loop)."""
        future = asyncio.run_coroutine_threadsafe(self._next_message(), self._loop)
        message = future.result()
        if message["type"] != "http.request":
            self._more = False
            return
        self._more = bool(message.get("more_body", False))
        self._buffer.extend(message.get("body", b""))

    async def _next_message(self) -> Message:
        return await self._receive()

    def read(self, size: int = -1) -> bytes:
        while self._more and (size < 0 or len(self._buffer) < size):
            self._fetch()
        return self._take(len(self._buffer) if size < 0 else min(size, len(self._buffer)))

    def readline(self, limit: int = -1) -> bytes:
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0 and (limit < 0 or end < limit):
                return self._take(end + 1)
            if limit >= 0 and len(self._buffer) >= limit:
                return self._take(limit)
            if not self._more:
                return self._take(len(self._buffer))
            self._fetch()

    def readlines(self, hint: int = -1) -> list[bytes]:
        lines: list[bytes] = []
        total = 0
        while line := self.readline():
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def _take(self, size: int) -> bytes:
        taken = bytes(self._buffer[:size])
        del self._buffer[:size]
        return taken
