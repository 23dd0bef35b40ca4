"""A18 over plain HTTP: no auth → 401, no CSRF token → 403, every change audit-logged,
everything the dashboard renders escaped."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.rollout.dashboard.conftest import ACCOUNT, TOKEN, DashboardRouter, csrf_of

CHANGE = {"route_key": ACCOUNT, "mode": "canary", "percent": "5"}


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        pytest.param("GET", "/_strangler/", {}, id="overview"),
        pytest.param("GET", "/_strangler/audit", {}, id="audit"),
        pytest.param("GET", "/_strangler/routes/route.get.api.v1.me", {}, id="route-page"),
        pytest.param("POST", "/_strangler/flags", {}, id="set-flag"),
        pytest.param("POST", "/_strangler/kill-switch", {}, id="kill-switch"),
        pytest.param(
            "GET",
            "/_strangler/",
            {"Authorization": "Bearer wrong-token-0123456789"},
            id="bad-token",
        ),
        pytest.param("GET", "/_strangler/", {"Authorization": f"Basic {TOKEN}"}, id="not-bearer"),
        pytest.param(
            "GET",
            "/_strangler/",
            {"Cookie": "strangler_dashboard=forged.cookie"},
            id="forged-cookie",
        ),
    ],
)
def test_without_auth_the_answer_is_401(dashboard: DashboardRouter, method, path, headers):
    answer = httpx.request(method, dashboard.url + path, headers=headers, timeout=10)

    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert 'id="login"' in answer.text


def test_bearer_token_reads_but_cannot_change(dashboard: DashboardRouter, dashboard_db):
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    page = httpx.get(dashboard.url + "/_strangler/", headers=bearer, timeout=10)
    change = httpx.post(dashboard.url + "/_strangler/flags", headers=bearer, data=CHANGE)

    assert page.status_code == 200 and ACCOUNT in page.text
    assert change.status_code == 403
    assert dashboard_db.scalar("SELECT count(*) FROM rollout_flags") == 0


def test_wrong_password_is_refused(dashboard: DashboardRouter):
    client = dashboard.client()
    csrf = csrf_of(client.get("/_strangler/login").text)
    answer = client.post(
        "/_strangler/login", data={"username": "alice", "password": "nope", "csrf_token": csrf}
    )
    assert answer.status_code == 401
    assert client.get("/_strangler/").status_code == 401


@pytest.mark.parametrize(
    ("path", "form"),
    [
        pytest.param("/_strangler/flags", CHANGE, id="set-flag"),
        pytest.param("/_strangler/kill-switch", {"enabled": "on"}, id="kill-switch"),
        pytest.param("/_strangler/logout", {}, id="logout"),
    ],
)
@pytest.mark.parametrize(
    "token",
    [
        pytest.param(None, id="no-token"),
        pytest.param("wrong", id="wrong-token"),
        pytest.param("", id="empty-token"),
    ],
)
def test_a_change_without_the_sessions_csrf_token_is_403(
    dashboard: DashboardRouter, dashboard_db, path, form, token
):
    client, _ = dashboard.login()
    data = dict(form) if token is None else {**form, "csrf_token": token}

    answer = client.post(path, data=data)

    assert answer.status_code == 403
    assert dashboard_db.scalar("SELECT count(*) FROM rollout_flags") == 0
    assert dashboard_db.scalar("SELECT count(*) FROM rollout_switches") == 0
    assert dashboard_db.scalar("SELECT count(*) FROM audit_log") == 0


def test_another_sessions_csrf_token_is_403(dashboard: DashboardRouter, dashboard_db):
    alice, _ = dashboard.login("alice")
    _, bobs_token = dashboard.login("bob")

    answer = alice.post("/_strangler/flags", data={**CHANGE, "csrf_token": bobs_token})

    assert answer.status_code == 403


def test_login_itself_needs_a_csrf_token(dashboard: DashboardRouter):
    answer = dashboard.client().post(
        "/_strangler/login", data={"username": "alice", "password": TOKEN}
    )
    assert answer.status_code == 403


def test_a_change_goes_to_the_flag_store_and_the_audit_log(
    dashboard: DashboardRouter, dashboard_db
):
    client, csrf = dashboard.login("alice")

    answer = client.post(
        "/_strangler/flags", data={**CHANGE, "csrf_token": csrf, "reason": "first 5%"}
    )

    assert answer.status_code == 303
    assert dashboard_db.all("SELECT mode, percent, updated_by FROM rollout_flags") == [
        ("canary", 5, "alice (token)")
    ]
    rows = dashboard_db.all(
        "SELECT actor, source, action, route_key, before, after, reason, at FROM audit_log"
    )
    assert len(rows) == 1
    actor, source, action, route, before, after, reason, at = rows[0]
    assert (actor, source, action, route, reason) == (
        "alice (token)",
        "dashboard 127.0.0.1",
        "set_flag",
        ACCOUNT,
        "first 5%",
    )
    assert (before["mode"], after["mode"], after["percent"]) == ("legacy", "canary", 5)
    assert at is not None
    listed = client.get("/_strangler/audit").text
    assert "alice (token)" in listed and "canary 5%" in listed


def test_kill_switch_is_audited(dashboard: DashboardRouter, dashboard_db):
    client, csrf = dashboard.login("carol")

    answer = client.post("/_strangler/kill-switch", data={"enabled": "on", "csrf_token": csrf})

    assert answer.status_code == 303
    assert dashboard_db.scalar("SELECT enabled FROM rollout_switches") is True
    assert dashboard_db.all("SELECT actor, action, before, after FROM audit_log") == [
        ("carol (token)", "kill_switch", {"kill_switch": False}, {"kill_switch": True})
    ]


@pytest.mark.parametrize(
    ("form", "status"),
    [
        pytest.param({**CHANGE, "mode": "sideways"}, 400, id="unknown-mode"),
        pytest.param({**CHANGE, "percent": "101"}, 400, id="percent-too-high"),
        pytest.param({**CHANGE, "percent": "five"}, 400, id="percent-not-a-number"),
        pytest.param({**CHANGE, "route_key": "GET /nope"}, 400, id="unknown-route"),
    ],
)
def test_bad_changes_are_rejected_and_not_audited(
    dashboard: DashboardRouter, dashboard_db, form, status
):
    client, csrf = dashboard.login()
    answer = client.post("/_strangler/flags", data={**form, "csrf_token": csrf})
    assert answer.status_code == status
    assert dashboard_db.scalar("SELECT count(*) FROM audit_log") == 0


@pytest.mark.parametrize(
    "target",
    [
        pytest.param("https://evil.example/", id="absolute"),
        pytest.param("//evil.example/", id="scheme-relative"),
        pytest.param("/_strangler/../api/v1/me", id="dot-dot"),
    ],
)
def test_redirects_stay_inside_the_dashboard(dashboard: DashboardRouter, target):
    client, csrf = dashboard.login()
    answer = client.post("/_strangler/flags", data={**CHANGE, "csrf_token": csrf, "next": target})
    assert answer.headers["location"] == "/_strangler/"


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_user_data_is_escaped_everywhere(dashboard: DashboardRouter, dashboard_db):
    diff = [{"path": "$.name", "kind": "value", "legacy_value": HOSTILE, "new_value": "ok"}]
    dashboard_db.execute(
        "INSERT INTO parity_mismatches (route_key, request, legacy_response, new_response,"
        " differences) VALUES (%s, %s, '{}', '{}', %s)",
        (
            ACCOUNT,
            json.dumps({"method": "GET", "path": f"/api/v1/accounts/{HOSTILE}", "query": ""}),
            json.dumps(diff),
        ),
    )
    dashboard_db.execute(
        "INSERT INTO audit_log (actor, source, action, route_key, reason)"
        " VALUES (%s, 'cli', 'set_flag', %s, %s)",
        (HOSTILE, ACCOUNT, HOSTILE),
    )
    client, _ = dashboard.login(HOSTILE)

    pages = [client.get(p).text for p in ("/_strangler/", "/_strangler/audit")]
    route_page = client.get("/_strangler/routes/route.get.api.v1.accounts.~account_id").text

    for page in [*pages, route_page]:
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "&lt;script&gt;" in page
    assert "script-src 'self'" in client.get("/_strangler/").headers["content-security-policy"]


def test_the_route_page_shows_its_flag_and_charts(dashboard: DashboardRouter):
    client, csrf = dashboard.login()
    client.post("/_strangler/flags", data={**CHANGE, "csrf_token": csrf})

    page = client.get("/_strangler/routes/route.get.api.v1.accounts.~account_id")

    assert page.status_code == 200
    assert "Latency (ms)" in page.text and "Traffic served by new" in page.text
    assert client.get("/_strangler/routes/not-a-flag").status_code == 404


def test_own_endpoints_stay_open(dashboard: DashboardRouter):
    assert httpx.get(dashboard.url + "/_strangler/healthz").status_code == 200
    assert httpx.get(dashboard.url + "/_strangler/static/dashboard.js").status_code == 200
