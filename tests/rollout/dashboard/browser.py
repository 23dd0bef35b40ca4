"""What the browser tests share: Debian's Chromium (no browser is downloaded), where
screenshots go, a new backend that can be broken on purpose, logging in through the form,
pressing a route's flag and rollout buttons, and asking the router who served a request."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.rollout.dashboard.conftest import TOKEN, DashboardRouter

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "dashboard"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
needs_chromium = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason=f"{CHROMIUM} is not installed"),
]


class Breakable:
    """The new app, or a 500 for every request while ``broken``."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.broken = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not self.broken or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": {"code": "internal_error", "message": "broken"}}).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 500, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def log_in(page: Any, dashboard: DashboardRouter) -> None:
    """Through the login form, after checking the dashboard refuses a stranger."""
    unauthenticated = page.goto(dashboard.url + "/_strangler/")
    assert unauthenticated is not None and unauthenticated.status == 401
    page.fill("#username", "alice")
    page.fill("#password", TOKEN)
    page.click("#login")
    page.wait_for_selector("#routes")


def set_route(page: Any, route_key: str, mode: str, percent: int) -> None:
    """The route's row on the overview: pick the mode, type the percentage, press set."""
    row = page.locator(f'tr[data-route="{route_key}"]')
    row.locator("select[name=mode]").select_option(mode)
    row.locator("input[name=percent]").fill(str(percent))
    row.locator("form.flag-form button[type=submit]").click()
    page.wait_for_selector(f'tr[data-route="{route_key}"] td.mode-{mode}')


def press_rollout(page: Any, route_key: str, action: str, status: str) -> None:
    """The route's rollout button on the overview; waits for the status it leads to."""
    row = page.locator(f'tr[data-route="{route_key}"]')
    row.locator(f"form.rollout-form button[value={action}]").click()
    page.wait_for_selector(f'tr[data-route="{route_key}"] .rollout-status.status-{status}')


def served_by(dashboard: DashboardRouter, path: str, headers: Any) -> tuple[int, str]:
    answer = dashboard.router.get(path, headers)
    return answer.status_code, answer.headers["x-served-by"]
