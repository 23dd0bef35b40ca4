"""The dashboard's flag form: choosing shadow compares (a sample control, 100% when left
at 0), and under the kill switch each row still shows its stored mode, so a "set" never
overwrites it with the switch's legacy."""

from __future__ import annotations

import re

import pytest

from tests.rollout.dashboard.conftest import ACCOUNT, DashboardRouter


def stored(dashboard_db) -> tuple[str, int, int]:
    row = dashboard_db.all("SELECT mode, percent, shadow_sample FROM rollout_flags")
    return tuple(row[0]) if row else ("none", 0, 0)


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        pytest.param({"mode": "shadow"}, ("shadow", 0, 100), id="shadow-left-at-0-compares-all"),
        pytest.param({"mode": "shadow", "shadow_sample": "25"}, ("shadow", 0, 25),
                     id="shadow-sample-set"),
        pytest.param({"mode": "canary", "percent": "5", "shadow_sample": "0"}, ("canary", 5, 0),
                     id="canary-without-shadow"),
    ],
)  # fmt: skip
def test_the_form_sets_the_shadow_sample(dashboard: DashboardRouter, dashboard_db, form, expected):
    client, csrf = dashboard.login()

    answer = client.post(
        "/_strangler/flags", data={"route_key": ACCOUNT, **form, "csrf_token": csrf}
    )

    assert answer.status_code == 303, answer.text
    assert stored(dashboard_db) == expected


def selected_mode(html: str, route_key: str) -> str:
    form = html.split(f'data-route="{route_key}"', 1)[1].split("</form>", 1)[0]
    found = re.search(r'<option value="(\w+)" selected>', form)
    assert found is not None
    return found.group(1)


def test_under_the_kill_switch_each_row_keeps_its_stored_mode(dashboard, dashboard_db):
    client, csrf = dashboard.login()
    client.post("/_strangler/flags", data={"route_key": ACCOUNT, "mode": "canary",
                                           "percent": "25", "csrf_token": csrf})  # fmt: skip
    client.post("/_strangler/kill-switch", data={"enabled": "on", "csrf_token": csrf})

    page = client.get("/_strangler/").text

    assert "KILL SWITCH ON" in page
    assert selected_mode(page, ACCOUNT) == "canary"  # a "set" keeps canary, not legacy
    assert stored(dashboard_db) == ("canary", 25, 0)
