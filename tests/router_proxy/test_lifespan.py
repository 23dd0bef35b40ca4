"""The router's lifespan: parts start in order and stop in reverse; a failed start unwinds
what started; a failing part never keeps the others from stopping; an ASGI app that does
not speak lifespan (it returns, or raises) still starts, in-process and under uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from rollout.types import Backend, Snapshot
from router_proxy.asgi import Apps, assemble, build_app
from router_proxy.backends.inprocess import LegacyInProcess
from router_proxy.config import load_settings
from router_proxy.lifespan import Part, serve_lifespan
from tests.router_proxy.apps import flask_app
from tests.router_proxy.servers import uvicorn_thread

Events = list[str]


def part(name: str, events: Events, fail_start: bool = False, fail_stop: bool = False) -> Part:
    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[None]:
        if fail_start:
            raise RuntimeError(f"{name} cannot start")
        events.append(f"start {name}")
        try:
            yield
        finally:
            events.append(f"stop {name}")
            if fail_stop:
                raise RuntimeError(f"{name} cannot stop")

    return running


async def lifespan_of(app: Any) -> list[dict[str, Any]]:
    """Drive ``app``'s lifespan as a server does: startup, then shutdown; what it sent."""
    inbox = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(inbox)

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    return sent


def parts_app(parts: list[Part]) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await serve_lifespan(parts, receive, send)

    return app


def test_parts_start_in_order_and_stop_in_reverse():
    events: Events = []
    parts = [part(name, events) for name in ("provider", "windows", "guard")]
    sent = asyncio.run(lifespan_of(parts_app(parts)))

    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert events == [
        "start provider",
        "start windows",
        "start guard",
        "stop guard",
        "stop windows",
        "stop provider",
    ]


def test_a_failed_start_unwinds_what_started_and_says_why():
    events: Events = []
    parts = [part("provider", events), part("pool", events), part("shadow", events, True)]
    parts.append(part("never", events))

    sent = asyncio.run(lifespan_of(parts_app(parts)))

    assert sent == [
        {"type": "lifespan.startup.failed", "message": "RuntimeError: shadow cannot start"}
    ]
    assert events == ["start provider", "start pool", "stop pool", "stop provider"]


def test_a_failing_closer_does_not_keep_the_others_from_stopping():
    events: Events = []
    parts = [part("provider", events), part("windows", events, fail_stop=True)]
    parts.append(part("guard", events, fail_stop=True))

    sent = asyncio.run(lifespan_of(parts_app(parts)))

    assert events[3:] == ["stop guard", "stop windows", "stop provider"]
    assert sent[-1] == {
        "type": "lifespan.shutdown.failed",
        "message": "RuntimeError: guard cannot stop; RuntimeError: windows cannot stop",
    }


async def returns(scope: Any, receive: Any, send: Any) -> None:
    """A plain ASGI app: it answers HTTP and simply returns from any other scope."""
    if scope["type"] != "http":
        return
    body = b"plain"
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"5")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def raises(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        raise ValueError(f"unsupported scope {scope['type']}")
    await returns(scope, receive, send)


def plain_router(new_app: Callable[..., Any]) -> Any:
    settings = load_settings({}, {}, {"legacy_app": "given:app", "new_app": "given:app"})
    return build_app(settings, StaticProvider(parse_plan({})), Apps(flask_app.app, new_app))


@pytest.mark.parametrize(
    "new_app", [pytest.param(returns, id="returns"), pytest.param(raises, id="raises")]
)
def test_a_new_app_without_lifespan_starts_in_process(new_app):
    sent = asyncio.run(lifespan_of(plain_router(new_app)))

    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


@pytest.mark.parametrize(
    "new_app", [pytest.param(returns, id="returns"), pytest.param(raises, id="raises")]
)
def test_a_new_app_without_lifespan_starts_under_uvicorn(new_app):
    router = plain_router(new_app)
    with uvicorn_thread(router) as server:  # raises if uvicorn never finishes starting
        answer = httpx.get(f"http://127.0.0.1:{server.port}/_strangler/readyz", timeout=5)

    assert answer.status_code == 200
    assert answer.json()["backends"] == {"legacy": True, "new": True}


class Refusing:
    """A new app whose lifespan start fails."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})


class Recording(StaticProvider):
    def __init__(self) -> None:
        super().__init__(Snapshot())
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


def test_a_router_whose_new_app_fails_to_start_releases_the_provider_and_the_pool():
    settings = load_settings({}, {}, {"legacy_app": "given:app", "new_app": "given:app"})
    provider = Recording()
    assembly = assemble(settings, provider, Apps(flask_app.app, Refusing()))
    legacy = assembly.backends[Backend.LEGACY]
    router = assembly.build()

    sent = asyncio.run(lifespan_of(router))

    assert sent == [
        {
            "type": "lifespan.startup.failed",
            "message": "ConfigError: the new app failed to start: no database",
        }
    ]
    assert provider.stopped
    assert isinstance(legacy, LegacyInProcess)
    assert legacy.bridge.closed
