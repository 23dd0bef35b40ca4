"""The rollout buttons over plain HTTP: each one moves the route through RolloutControl
(flag, guard_state, audit event) like ``strangler rollout``; CSRF-checked; a route without
a ``[rollout."KEY"]`` plan has no buttons and its POST is refused with a clear message."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.rollout.dashboard.conftest import ACCOUNT, TOKEN, DashboardRouter

ME = "GET /api/v1/me"
PLAN = {"rollout": {ACCOUNT: {"steps": ["shadow:50", "canary:5", "new"]}}}
ROUTE_PAGE = "/_strangler/routes/route.get.api.v1.accounts.~account_id"


@pytest.fixture
def planned(start_dashboard: Callable[..., DashboardRouter]) -> DashboardRouter:
    return start_dashboard(PLAN)


def _press(client, csrf: str | None, action: str, route_key: str = ACCOUNT, **extra):
    form = {"route_key": route_key, "action": action, **extra}
    if csrf is not None:
        form["csrf_token"] = csrf
    return client.post("/_strangler/rollout", data=form)


def test_advance_starts_the_rollout_like_the_cli(planned: DashboardRouter, dashboard_db):
    client, csrf = planned.login("alice")

    answer = _press(client, csrf, "advance", reason="first shadow")

    assert answer.status_code == 303
    assert dashboard_db.all("SELECT route_key, step_index, status FROM guard_state") == [
        (ACCOUNT, 0, "running")
    ]
    assert dashboard_db.all("SELECT mode, shadow_sample, updated_by FROM rollout_flags") == [
        ("shadow", 100, "alice (token)")
    ]
    rows = dashboard_db.all("SELECT actor, source, action, route_key, after, reason FROM audit_log")
    assert len(rows) == 1
    actor, source, action, route, after, reason = rows[0]
    assert (actor, source, action, route) == (
        "alice (token)",
        "dashboard 127.0.0.1",
        "advance",
        ACCOUNT,
    )
    assert after["mode"] == "shadow" and reason == "shadow:50: first shadow"


@pytest.mark.parametrize(
    ("presses", "status", "step_index", "mode", "last_action"),
    [
        pytest.param(["advance", "advance"], "running", 1, "canary", "advance", id="advance-twice"),
        pytest.param(["advance", "pause"], "paused", 0, "shadow", "pause", id="pause"),
        pytest.param(["advance", "pause", "resume"], "running", 0, "shadow", "resume", id="resume"),
        pytest.param(
            ["advance", "rollback"], "rolled_back", 0, "legacy", "rollback", id="rollback"
        ),
        pytest.param(
            ["advance", "rollback", "advance"], "running", 0, "shadow", "advance", id="restart"
        ),
    ],
)
def test_buttons_move_the_guard_state(
    planned: DashboardRouter, dashboard_db, presses, status, step_index, mode, last_action
):
    client, csrf = planned.login("bob")

    answers = [_press(client, csrf, action).status_code for action in presses]

    assert answers == [303] * len(presses)
    assert dashboard_db.all("SELECT step_index, status FROM guard_state") == [(step_index, status)]
    assert dashboard_db.scalar("SELECT mode FROM rollout_flags") == mode
    audit = dashboard_db.all("SELECT actor, action FROM audit_log ORDER BY id")
    assert audit == [("bob (token)", action) for action in presses]
    assert audit[-1][1] == last_action


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(None, id="no-token"),
        pytest.param("wrong", id="wrong-token"),
        pytest.param("", id="empty-token"),
    ],
)
def test_without_the_csrf_token_nothing_moves(planned: DashboardRouter, dashboard_db, token):
    client, _ = planned.login()

    answer = _press(client, token, "advance")

    assert answer.status_code == 403
    assert dashboard_db.scalar("SELECT count(*) FROM guard_state") == 0
    assert dashboard_db.scalar("SELECT count(*) FROM audit_log") == 0


def test_a_bearer_token_cannot_press_buttons(planned: DashboardRouter, dashboard_db):
    answer = planned.client().post(
        "/_strangler/rollout",
        headers={"Authorization": f"Bearer {TOKEN}"},
        data={"route_key": ACCOUNT, "action": "advance"},
    )

    assert answer.status_code == 403
    assert dashboard_db.scalar("SELECT count(*) FROM guard_state") == 0


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        pytest.param({"route_key": ME}, 404, "has no rollout plan", id="route-without-plan"),
        pytest.param({"action": "explode"}, 400, "unknown rollout action", id="unknown-action"),
        pytest.param({"action": "pause"}, 409, "no rollout in progress", id="pause-not-started"),
    ],
)
def test_refused_presses_say_why_and_change_nothing(
    planned: DashboardRouter, dashboard_db, form, status, message
):
    client, csrf = planned.login()

    answer = _press(client, csrf, **{"action": "advance", "route_key": ACCOUNT, **form})

    assert answer.status_code == status
    assert message in answer.text
    assert dashboard_db.scalar("SELECT count(*) FROM guard_state") == 0
    assert dashboard_db.scalar("SELECT count(*) FROM audit_log") == 0


def test_advance_past_the_last_step_is_409(planned: DashboardRouter, dashboard_db):
    client, csrf = planned.login()
    for _ in range(3):
        assert _press(client, csrf, "advance").status_code == 303

    answer = _press(client, csrf, "advance")

    assert answer.status_code == 409 and "already at the last step" in answer.text
    assert dashboard_db.all("SELECT step_index, status FROM guard_state") == [(2, "running")]


def test_pages_show_step_status_and_buttons_only_for_planned_routes(planned: DashboardRouter):
    client, csrf = planned.login()
    before = client.get("/_strangler/").text
    _press(client, csrf, "advance")
    _press(client, csrf, "pause")

    overview = client.get("/_strangler/").text
    route_page = client.get(ROUTE_PAGE).text

    assert "not started" in before
    assert overview.count('class="rollout-form"') == 1
    assert f'class="rollout-form" data-route="{ACCOUNT}"' in overview
    for page in (overview, route_page):
        assert '<span class="rollout-step">shadow:50</span>' in page
        assert '<span class="rollout-status status-paused">paused</span>' in page
        assert 'value="rollback"' in page
    me_page = client.get("/_strangler/routes/route.get.api.v1.me").text
    assert "rollout-form" not in me_page and "no plan" in me_page


def test_without_plans_there_is_no_rollout_column(dashboard: DashboardRouter):
    client, _ = dashboard.login()
    assert "rollout-form" not in client.get("/_strangler/").text
