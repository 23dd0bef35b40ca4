"""The dashboard driven in headless Chromium (Debian's /usr/bin/chromium through
Playwright; no browser is downloaded): log in, move a route to canary and see the next
request through the router go to the new backend, make the new backend fail and roll the
route back with the kill switch. Screenshots go to ``test-artifacts/``.

The rollback here is the person's (kill switch); the guard's automatic one, seen in the
browser too, is in ``test_browser_guard.py``."""

from __future__ import annotations

from rollout.types import Backend
from router_proxy.backends.inprocess import NewInProcess
from tests.fixtures.rollout import wait_until
from tests.rollout.dashboard.browser import (
    ARTIFACTS,
    Breakable,
    log_in,
    needs_chromium,
    served_by,
    set_route,
)
from tests.rollout.dashboard.conftest import ACCOUNT, DashboardRouter

pytestmark = needs_chromium


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

    log_in(page, dashboard)
    page.screenshot(path=str(ARTIFACTS / "1-logged-in.png"), full_page=True)

    set_route(page, ACCOUNT, "canary", 100)
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
