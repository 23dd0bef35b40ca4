"""A router over fresh payments apps (in-process), flags in the embedded store, the
dashboard mounted as ``strangler serve`` mounts it, served by uvicorn in a thread; and a
logged-in httpx client."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from router_proxy.asgi import Assembly
from router_proxy.fallback import Fallback, FallbackRules
from tests.conftest import TEST_SECRET_KEY, Database
from tests.router_proxy.flag_sources import FlagSource, embedded_source
from tests.router_proxy.rollout_router import RunningRouter, running_router

TOKEN = "dashboard-test-token-0123456789"
ACCOUNT = "GET /api/v1/accounts/{account_id}"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class DashboardRouter:
    router: RunningRouter
    flags: FlagSource

    @property
    def url(self) -> str:
        return self.router.url

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)

    def login(self, name: str = "alice") -> tuple[httpx.Client, str]:
        return login(self.url, name)


def login(url: str, name: str = "alice") -> tuple[httpx.Client, str]:
    """A client of the dashboard at ``url`` with a logged-in session, and its CSRF token."""
    client = httpx.Client(base_url=url, timeout=10)
    first = client.get("/_strangler/login")
    answer = client.post(
        "/_strangler/login",
        data={"username": name, "password": TOKEN, "csrf_token": csrf_of(first.text)},
    )
    assert answer.status_code == 303, answer.text
    page = client.get("/_strangler/")
    assert page.status_code == 200
    return client, csrf_of(page.text)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture
def dashboard_db(flag_db: Database) -> Database:
    flag_db.execute("TRUNCATE audit_log, route_windows, guard_state, guard_leader RESTART IDENTITY")
    return flag_db


def _without_fallback(assembly: Assembly) -> None:
    # These tests break the new backend on purpose and watch its 500s reach the client
    # (kill switch, guard): with reads falling back to legacy, the client would not see them.
    assembly.fallback = FallbackRules(reads=Fallback.NONE)


@pytest.fixture
def start_dashboard(
    dashboard_db: Database, request: pytest.FixtureRequest
) -> Iterator[Callable[..., DashboardRouter]]:
    from fastapi_app.main import create_app as create_new
    from legacy_flask.app import create_app as create_legacy
    from tests.fastapi_app.port_client import port_settings

    with ExitStack() as stack:

        def start(config: dict[str, Any] | None = None) -> DashboardRouter:
            flags = embedded_source(dashboard_db.url)
            new_app = create_new(port_settings(request.node.nodeid, REDIS_URL=""))
            running = stack.enter_context(
                running_router(
                    create_legacy(),
                    new_app,
                    flags.provider(),
                    attach=_without_fallback,
                    raw=config or {},
                    env={"SECRET_KEY": TEST_SECRET_KEY, "STRANGLER_DASHBOARD_TOKEN": TOKEN},
                    database_url=dashboard_db.url,
                )
            )
            return DashboardRouter(running, flags)

        yield start


@pytest.fixture
def dashboard(start_dashboard: Callable[..., DashboardRouter]) -> DashboardRouter:
    return start_dashboard()


@pytest.fixture
def browser_page():
    """A Chromium page (Debian's /usr/bin/chromium through Playwright)."""
    from tests.rollout.dashboard.browser import ARGS, ARTIFACTS, CHROMIUM

    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(10_000)
        yield page
        browser.close()
