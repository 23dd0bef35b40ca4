"""The router's lifespan: its parts started in order and stopped in reverse, as one
``AsyncExitStack`` (Starlette's ``Router.lifespan`` is the model).

A part is anything that runs while the router serves (the flag provider, the legacy
thread pool, the new app's own lifespan, the shadow, the recorder, the guard thread...):
a callable that returns an async context manager, entered at ``lifespan.startup`` and
left at ``lifespan.shutdown``. The composition root (``router_proxy.asgi``) lists them in
the order they depend on each other, so the reverse order is always safe: the guard
thread stops before the window store it reads closes.

- a start that fails unwinds what already started, then answers
  ``lifespan.startup.failed`` with the message;
- a part that fails to stop does not keep the others from stopping; the shutdown then
  answers ``lifespan.shutdown.failed`` naming every part that failed.

``AppLifespan`` drives another ASGI app's lifespan from ours (the new app in-process),
as uvicorn's ``lifespan="auto"`` does: an app that raises before it answers, or simply
returns, does not speak lifespan and counts as started.

Example:
    >>> import asyncio
    >>> events = []
    >>> part = in_thread(lambda: events.append("up"), lambda: events.append("down"))
    >>> async def main():
    ...     messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    ...     async def receive():
    ...         return next(messages)
    ...     async def send(message):
    ...         events.append(message["type"])
    ...     await serve_lifespan([part], receive, send)
    >>> asyncio.run(main())
    >>> events
    ['up', 'lifespan.startup.complete', 'down', 'lifespan.shutdown.complete']
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

from router_proxy.errors import ConfigError
from router_proxy.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("router_proxy.lifespan")

Part = Callable[[], AbstractAsyncContextManager[object]]


def in_thread(start: Callable[[], object], stop: Callable[[], object]) -> Part:
    """A part whose start and stop block (a connect, a thread join): run off the loop."""

    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[None]:
        await asyncio.to_thread(start)
        try:
            yield
        finally:
            await asyncio.to_thread(stop)

    return running


def started(
    start: Callable[[], Awaitable[object]], stop: Callable[[], Awaitable[object]]
) -> Part:
    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[None]:
        await start()
        try:
            yield
        finally:
            await stop()

    return running


def closing(close: Callable[[], Awaitable[object]]) -> Part:
    """Nothing to start; ``close`` at shutdown."""

    async def nothing() -> None:
        return None

    return started(nothing, close)


def background(run: Callable[[], Coroutine[Any, Any, None]]) -> Part:
    """A task on the loop for as long as the router serves, cancelled at shutdown."""

    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[None]:
        task = asyncio.get_running_loop().create_task(run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return running


async def serve_lifespan(parts: Sequence[Part], receive: Receive, send: Send) -> None:
    """Answer one ASGI lifespan scope: start ``parts`` in order, stop them in reverse."""
    await receive()  # lifespan.startup
    failures: list[str] = []
    stack = AsyncExitStack()
    try:
        for part in parts:
            await stack.enter_async_context(_reported(part, failures))
    except Exception as exc:
        log.error("router start failed", exc_info=exc)
        await stack.aclose()
        await send({"type": "lifespan.startup.failed", "message": _described(exc)})
        return
    await send({"type": "lifespan.startup.complete"})
    await receive()  # lifespan.shutdown
    await stack.aclose()
    if failures:
        message = "; ".join(failures)
        await send({"type": "lifespan.shutdown.failed", "message": message})
    else:
        await send({"type": "lifespan.shutdown.complete"})


@contextlib.asynccontextmanager
async def _reported(part: Part, failures: list[str]) -> AsyncIterator[None]:
    """``part``, with a failure to stop logged and noted instead of raised, so that the
    parts started before it still stop."""
    manager = part()
    await manager.__aenter__()
    try:
        yield
    finally:
        try:
            await manager.__aexit__(None, None, None)
        except Exception as exc:
            log.error("router part failed to stop", exc_info=exc)
            failures.append(_described(exc))


def _described(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class AppLifespan:
    """Another ASGI app's lifespan, driven from ours; ``state`` is what it put in the
    scope's ``state`` (each request gets a shallow copy, as uvicorn does)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.started = False
        self.state: dict[str, Any] = {}
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def __call__(self) -> AbstractAsyncContextManager[object]:
        return self.running()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        await self.startup()
        try:
            yield
        finally:
            await self.shutdown()

    async def startup(self) -> None:
        """Raises ConfigError when the app answers ``lifespan.startup.failed``."""
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}
        self._task = asyncio.get_running_loop().create_task(self._run(scope))
        await self._to_app.put({"type": "lifespan.startup"})
        answer = await self._answer()
        if answer is not None and answer["type"] == "lifespan.startup.failed":
            raise ConfigError(f"the new app failed to start: {answer.get('message', '')}")
        self.started = True

    async def shutdown(self) -> None:
        if self._task is None or self._task.done():
            return
        await self._to_app.put({"type": "lifespan.shutdown"})
        answer = await self._answer()
        if not self._task.done():
            await self._task
        if answer is not None and answer["type"] == "lifespan.shutdown.failed":
            raise ConfigError(f"the new app failed to stop: {answer.get('message', '')}")

    async def _answer(self) -> Message | None:
        """The app's next message, or None when it returned (or raised) instead."""
        assert self._task is not None
        if not self._from_app.empty():
            return self._from_app.get_nowait()
        getter = asyncio.ensure_future(self._from_app.get())
        await asyncio.wait({getter, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        return None

    async def _run(self, scope: Scope) -> None:
        try:
            await self.app(scope, self._to_app.get, self._from_app.put)
        except Exception as exc:
            if self.started:
                raise
            # No lifespan support (many plain ASGI apps raise on an unknown scope type).
            log.info("the new app does not speak ASGI lifespan (%s)", type(exc).__name__)
