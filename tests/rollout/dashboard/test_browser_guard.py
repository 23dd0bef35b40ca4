"""The issue's "done when", in headless Chromium: a person walks one endpoint from legacy
through canary to new in the dashboard, and when the new backend starts failing the guard
(not a person) rolls it back to legacy within one analysis window: the dashboard shows the
route on legacy and the guard's audit row, and the next request is served by legacy.

The router runs what ``strangler serve`` attaches for the guard (``attach_observability``):
this process's traffic windows flushed to PostgreSQL and a GuardRunner on a real clock,
here with a short interval and a small ``min_requests`` so the test stays fast. The guard
judges routes under a rollout; the person starts it with the route's Advance button (the
mode form only sets flags), which goes through RolloutControl like ``strangler rollout``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from rollout.flags.audit import AuditLog
from rollout.flags.audited import AuditedWriter
from rollout.flags.embedded import EmbeddedFlagStore
from rollout.guard.control import RolloutControl
from rollout.guard.runner import GuardRunner
from rollout.guard.state import GuardStateStore, Status
from rollout.guard.steps import RoutePlan, parse_rollout
from rollout.telemetry.windows import WINDOW_SECONDS, WindowStore
from rollout.types import Backend
from router_proxy.backends.inprocess import NewInProcess
from tests.fixtures.rollout import wait_until
from tests.rollout.dashboard.browser import (
    ARTIFACTS,
    Breakable,
    log_in,
    needs_chromium,
    press_rollout,
    served_by,
    set_route,
)
from tests.rollout.dashboard.conftest import ACCOUNT, DashboardRouter

pytestmark = needs_chromium
GUARD_INTERVAL = 0.5
MIN_REQUESTS = 5
PLAN = {
    "rollout": {
        ACCOUNT: {
            "steps": ["new"],
            "hold": "1h",  # the guard never promotes here: only its rollback is under test
            "min_requests": MIN_REQUESTS,
            "max_error_rate": 0.05,
            "max_p99_ratio": 1000.0,  # timing noise on a test machine is not under test
        }
    }
}


@dataclass
class Guarded:
    """The dashboard's router (with the plan) with its windows and guard running."""

    dashboard: DashboardRouter
    breakable: Breakable


def _control(url: str, plans: dict[str, RoutePlan], source: str) -> RolloutControl:
    audit = AuditLog(url)
    writer = AuditedWriter(EmbeddedFlagStore(url), audit, source)
    return RolloutControl(plans, GuardStateStore(url), writer, audit)


@pytest.fixture
def guarded(start_dashboard: Callable[..., DashboardRouter], dashboard_db) -> Iterator[Guarded]:
    url = dashboard_db.url
    dashboard = start_dashboard(PLAN)
    plans = parse_rollout(PLAN)
    new_backend = dashboard.router.app.backends[Backend.NEW]
    assert isinstance(new_backend, NewInProcess)
    breakable = Breakable(new_backend.app)
    new_backend.app = breakable
    windows = WindowStore(url, process_id="browser-router", flush_interval=0.2)
    dashboard.router.app.stats.sinks.append(windows)
    guard = GuardRunner(_control(url, plans, "guard"), windows, url, interval=GUARD_INTERVAL)
    windows.start()
    guard.start()
    try:
        yield Guarded(dashboard, breakable)
    finally:
        guard.stop()
        windows.stop()
        windows.close()


def test_walk_a_route_to_new_and_the_guard_rolls_it_back(
    browser_page, guarded: Guarded, make_owner, make_account, dashboard_db
):
    page, dashboard = browser_page, guarded.dashboard
    owner = make_owner()
    path = f"/api/v1/accounts/{make_account(owner, balance=500)}"
    assert served_by(dashboard, path, owner.headers) == (200, "legacy")
    log_in(page, dashboard)

    set_route(page, ACCOUNT, "canary", 50)
    set_route(page, ACCOUNT, "canary", 100)
    wait_until(lambda: served_by(dashboard, path, owner.headers) == (200, "new"), timeout=5)
    set_route(page, ACCOUNT, "new", 100)
    wait_until(lambda: served_by(dashboard, path, owner.headers) == (200, "new"), timeout=5)
    page.screenshot(path=str(ARTIFACTS / "guard-1-walked-to-new.png"), full_page=True)

    press_rollout(page, ACCOUNT, "advance", "running")  # from now on the guard judges it
    page.screenshot(path=str(ARTIFACTS / "guard-1b-rollout-started.png"), full_page=True)
    guarded.breakable.broken = True
    failing = _requests_until_legacy(dashboard, path, owner.headers)

    # The guard writes the flag (which the router follows at once) and then commits its own
    # guard_state row: the route can be back on legacy a moment before that row says so.
    states = GuardStateStore(dashboard_db.url)
    wait_until(lambda: _status(states) is Status.ROLLED_BACK, timeout=5)
    # Judged on evidence: the guard needs MIN_REQUESTS answers from new, counted from the
    # start of the 10-second window the step began in, so the walk's own requests to new
    # may count beside the failing ones.
    assert failing >= 1
    served_by_new = dashboard_db.scalar(
        "SELECT COALESCE(sum(requests), 0) FROM route_windows"
        " WHERE route_key = %s AND backend = 'new'",
        (ACCOUNT,),
    )
    assert served_by_new >= MIN_REQUESTS
    page.goto(dashboard.url + "/_strangler/")
    row = page.locator(f'tr[data-route="{ACCOUNT}"]')
    assert row.locator("td.mode").inner_text().strip() == "legacy"
    page.screenshot(path=str(ARTIFACTS / "guard-2-rolled-back.png"), full_page=True)
    page.goto(dashboard.url + "/_strangler/audit")
    page.screenshot(path=str(ARTIFACTS / "guard-3-audit.png"), full_page=True)
    rollback = _audit_rows(page, actor="guard", action="rollback")
    assert len(rollback) == 1 and "error rate" in rollback[0][-1], rollback
    actions = dashboard_db.all("SELECT actor, source, action FROM audit_log ORDER BY id")
    assert [a[2] for a in actions] == ["set_flag"] * 3 + ["advance", "rollback"]
    assert actions[-2][:2] == ("alice (token)", "dashboard 127.0.0.1")
    assert actions[-1][:2] == ("guard", "guard")


def _status(states: GuardStateStore) -> Status | None:
    state = states.get(ACCOUNT)
    return None if state is None else state.status


def _requests_until_legacy(dashboard: DashboardRouter, path: str, headers) -> int:
    """Failing requests sent until the guard has moved the route back: one at a time, each
    answered 500 by the broken new backend; the first legacy answer ends the wait. The
    guard has one analysis window to do it."""
    failing = 0
    deadline = time.monotonic() + WINDOW_SECONDS
    while time.monotonic() < deadline:
        status, backend = served_by(dashboard, path, headers)
        if backend == "legacy":
            assert status == 200
            return failing
        assert (status, backend) == (500, "new")
        failing += 1
        time.sleep(0.02)
    pytest.fail(f"still on new after {WINDOW_SECONDS} s and {failing} failing requests")


def _audit_rows(page, actor: str, action: str) -> list[list[str]]:
    """The audit table's rows (when, who, from where, action, route, from, to, reason)."""
    rows = page.locator("#audit tbody tr")
    cells = [rows.nth(n).locator("td").all_inner_texts() for n in range(rows.count())]
    return [row for row in cells if row[1] == actor and row[3] == action]
