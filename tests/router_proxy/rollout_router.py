"""What ``strangler serve`` runs (``build_router``: flag provider, shadow, owner lookups,
recorder, metrics, fleet counters, windows, guard, dashboard), in front of app objects
given directly instead of import strings, served by uvicorn in a thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from rollout.evidence.compare import CompareRules
from rollout.flags.base import FlagProvider
from router_proxy.app import RouterApp
from router_proxy.asgi import Apps, Assembly, build_router
from router_proxy.stats import RouteCounters
from tests.conftest import TEST_SECRET_KEY
from tests.router_proxy.servers import uvicorn_thread


@dataclass
class RunningRouter:
    port: int
    app: RouterApp
    shadow: Any  # the shadow hook built: a ShadowRunner, or a ShadowProcess

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
        return httpx.get(self.url + path, headers=dict(headers or {}), timeout=10)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, self.url + path, timeout=10, **kwargs)

    def counters(self, route_key: str) -> RouteCounters:
        return self.app.stats.counters(route_key)


@contextmanager
def running_router(
    legacy_object: Any,
    new_object: Any,
    provider: FlagProvider,
    rules: Mapping[str, CompareRules] | None = None,
    attach: Callable[[Assembly], object] | None = None,
    raw: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Iterator[RunningRouter]:
    """``attach``: given the assembly before it is built (``build_router``'s ``extend``);
    ``raw``: strangler.toml's tables; ``env``: the environment it reads (empty)."""
    # Apps given as objects: no second process can import them, so the loop runs copies
    # unless a test names importable apps and asks for the worker process.
    given = {
        "legacy_app": "given:app",
        "new_app": "given:app",
        "secret_key": TEST_SECRET_KEY,
        "shadow_isolation": "loop",
    }
    assembled: list[Assembly] = []

    def extend(assembly: Assembly) -> None:
        assembled.append(assembly)
        if attach is not None:
            attach(assembly)

    app = build_router(
        raw or {},
        env or {},
        {**given, **overrides},
        apps=Apps(legacy_object, new_object),
        provider=provider,
        rules=rules or {},
        extend=extend,
    )
    with uvicorn_thread(app) as server:
        yield RunningRouter(server.port, app, assembled[0].shadow_hook)
