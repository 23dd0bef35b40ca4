"""A router with the rollout attached (flag provider, shadow, owner lookups), in front of
app objects given directly, served by uvicorn in a thread: what ``strangler serve`` runs,
without import strings."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from rollout.compare import CompareRules
from rollout.providers.base import FlagProvider
from router_proxy.backends.inprocess import LegacyInProcess, NewInProcess
from router_proxy.config import load_settings
from router_proxy.dispatch import RouterApp
from router_proxy.routes import build_route_table
from router_proxy.shadow import ShadowRunner
from router_proxy.shadow_process import ShadowProcess
from router_proxy.stats import RouteCounters
from router_proxy.wiring import attach_rollout
from tests.conftest import TEST_SECRET_KEY
from tests.router_proxy.servers import uvicorn_thread


@dataclass
class RunningRouter:
    port: int
    app: RouterApp
    shadow: ShadowRunner | ShadowProcess

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
    attach: Callable[[RouterApp], object] | None = None,
    **overrides: Any,
) -> Iterator[RunningRouter]:
    """``attach``: called with the built router before it starts (e.g. ``attach_fleet``)."""
    # Apps given as objects: no second process can import them, so the loop runs copies
    # unless a test names importable apps and asks for the worker process.
    given = {
        "legacy_app": "given:app",
        "new_app": "given:app",
        "secret_key": TEST_SECRET_KEY,
        "shadow_isolation": "loop",
    }
    settings = load_settings({}, env={}, overrides={**given, **overrides})
    table = build_route_table(legacy_object, new_object)
    legacy, new = LegacyInProcess(legacy_object, settings), NewInProcess(new_object)
    app = RouterApp(table, provider, legacy, new, settings)
    shadow = attach_rollout(app, settings, rules or {})
    if attach is not None:
        attach(app)
    with uvicorn_thread(app) as server:
        yield RunningRouter(server.port, app, shadow)
