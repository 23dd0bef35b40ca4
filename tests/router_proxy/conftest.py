"""Fixtures for the router tests: the test apps served directly, and the router in front
of them, in-process and remote.

The router tests do not touch the database (the test apps have none); they use real
servers (gunicorn, uvicorn) and real sockets instead of mocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from router_proxy import build_app, load_settings
from router_proxy.fallback import load_fallback
from tests.router_proxy.servers import (
    ECHO_TARGET,
    FASTAPI_TARGET,
    FLASK_TARGET,
    ThreadServer,
    gunicorn,
    uvicorn_process,
    uvicorn_thread,
)

SECRET = "router-test-secret"
PLAN = {
    "routes": {
        "GET /items/{item_id}": {"mode": "new"},
        "GET /shared": {"mode": "legacy"},
    }
}


@pytest.fixture(scope="session")
def direct_echo() -> Iterator[int]:
    """The echo app (``apps/echo_wsgi``) under real gunicorn: the reference for any app."""
    with gunicorn(ECHO_TARGET) as port:
        yield port


@pytest.fixture(scope="session")
def direct_flask() -> Iterator[int]:
    with gunicorn() as port:
        yield port


@pytest.fixture(scope="session")
def direct_fastapi() -> Iterator[int]:
    with uvicorn_process() as port:
        yield port


RouterFactory = Callable[..., AbstractContextManager[ThreadServer]]


@pytest.fixture(scope="session")
def make_router(direct_flask: int, direct_fastapi: int) -> RouterFactory:
    """A router on a free port: ``make_router(mode="remote", plan=..., fallback=...,
    **settings)``; ``fallback``: the ``[fallback]`` table."""

    @contextmanager
    def factory(
        mode: str = "inprocess",
        plan: dict[str, Any] | None = None,
        root_path: str = "",
        fallback: dict[str, str] | None = None,
        **overrides: Any,
    ) -> Iterator[ThreadServer]:
        chosen = {
            "legacy_app": FLASK_TARGET,
            "new_app": FASTAPI_TARGET,
            "mode": mode,
            "legacy_url": f"http://127.0.0.1:{direct_flask}",
            "new_url": f"http://127.0.0.1:{direct_fastapi}",
            "secret_key": SECRET,
            **overrides,
        }
        settings = load_settings({}, env={}, overrides=chosen)
        provider = StaticProvider(parse_plan(PLAN if plan is None else plan))
        app = build_app(settings, provider, fallback=load_fallback({"fallback": fallback or {}}))
        with uvicorn_thread(app, root_path=root_path) as server:
            yield server

    return factory


@pytest.fixture(scope="session")
def inprocess_router(make_router: RouterFactory) -> Iterator[int]:
    with make_router("inprocess") as server:
        yield server.port


@pytest.fixture(scope="session")
def remote_router(make_router: RouterFactory) -> Iterator[int]:
    with make_router("remote") as server:
        yield server.port


@pytest.fixture(params=["inprocess", "remote"])
def router(request: pytest.FixtureRequest) -> int:
    """The router's port, once per mode."""
    return int(request.getfixturevalue(f"{request.param}_router"))
