"""The dashboard driven in headless Chromium (Debian's /usr/bin/chromium through
Playwright; no browser is downloaded): log in, move a route to canary and see the next
request through the router go to the new backend, make the new backend fail and roll the
route back with the kill switch. Screenshots go to ``test-artifacts/``.

The rollback here is the person's (kill switch): the automatic one is the guard's, tested
with the guard."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from rollout.types import Backend
from router_proxy.backends.inprocess import NewInProcess
from tests.fixtures.rollout import wait_until
from tests.rollout.dashboard.conftest import ACCOUNT, TOKEN, DashboardRouter

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

pytestmark = [
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


@pytest.fixture
def browser_page():
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(10_000)
        yield page
        browser.close()


def served_by(dashboard: DashboardRouter, path: str, headers) -> tuple[int, str]:
    answer = dashboard.router.get(path, headers)
    return answer.status_code, answer.headers["x-served-by"]


def test_walk_a_route_to_canary_and_roll_it_back(
    browser_page, dashboard: DashboardRouter, make_owner, make_account, dashboard_db
):
    page = browser_page
    owner = make_owner()
    path = f"/api/v1/accounts/{make_account(owner, balance=500)}"
    new_backend = dashboard.router.app.backends[Backend.NEW]
    assert isinstance(new_backend, NewInProcess)
    breakable = Breakable(new_backend.app)
    new_backend.app = breakable
    assert served_by(dashboard, path, owner.headers) == (200, "legacy")

    unauthenticated = page.goto(dashboard.url + "/_strangler/")
    assert unauthenticated is not None and unauthenticated.status == 401
    page.fill("#username", "alice")
    page.fill("#password", TOKEN)
    page.click("#login")
    page.wait_for_selector("#routes")
    page.screenshot(path=str(ARTIFACTS / "1-logged-in.png"), full_page=True)

    row = page.locator(f'tr[data-route="{ACCOUNT}"]')
    row.locator("select[name=mode]").select_option("canary")
    row.locator("input[name=percent]").fill("100")
    row.locator("button[type=submit]").click()
    page.wait_for_selector(f'tr[data-route="{ACCOUNT}"] td.mode-canary')
    wait_until(lambda: served_by(dashboard, path, owner.headers) == (200, "new"), timeout=5)
    page.screenshot(path=str(ARTIFACTS / "2-canary.png"), full_page=True)

    breakable.broken = True
    assert served_by(dashboard, path, owner.headers) == (500, "new")
    page.once("dialog", lambda dialog: dialog.accept())  # "Send every route back to legacy?"
    page.fill(".kill-form input[name=reason]", "new backend answers 500")
    page.click("#kill-switch")
    page.wait_for_selector("#kill-state.killed")
    wait_until(lambda: served_by(dashboard, path, owner.headers) == (200, "legacy"), timeout=5)
    page.goto(dashboard.url + "/_strangler/audit")
    page.screenshot(path=str(ARTIFACTS / "3-rolled-back.png"), full_page=True)

    audit = page.inner_text("#audit")
    assert "kill_switch" in audit and "new backend answers 500" in audit
    assert "alice (token)" in audit and "canary 100%" in audit
    actions = dashboard_db.all("SELECT action FROM audit_log ORDER BY id")
    assert actions == [("set_flag",), ("kill_switch",)]
