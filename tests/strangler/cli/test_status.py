"""``strangler status`` reads a running router's ``/_strangler/status``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from strangler.cli import app
from tests.fixtures.rollout import wait_until
from tests.router_proxy.apps import shadow_apps
from tests.router_proxy.rollout_router import running_router

KEY = "GET /shadowed/{case}"


@pytest.mark.parametrize("columns", ["80", "200"])
def test_status_shows_mode_requests_and_comparisons(monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", columns)
    plan = {"routes": {KEY: {"mode": "shadow", "shadow_sample": 100}}}
    provider = StaticProvider(parse_plan(plan))
    with running_router(shadow_apps.legacy, shadow_apps.new, provider) as router:
        router.get("/shadowed/ok")
        router.get("/shadowed/differ")
        wait_until(lambda: router.counters(KEY).comparisons == 2)

        as_json = CliRunner().invoke(app, ["status", "--url", router.url, "--json"])
        as_table = CliRunner().invoke(app, ["status", "--url", router.url])

    assert as_json.exit_code == 0, as_json.output
    row = json.loads(as_json.output)["routes"][0]
    assert (row["route"], row["mode"], row["shadow_sample"]) == (KEY, "shadow", 100)
    assert (row["requests"], row["comparisons"], row["mismatches"]) == ({"legacy": 2}, 2, 1)
    lines = as_table.output.splitlines()
    row_line = next(line for line in lines if KEY in line)  # the key whole, on one line
    assert "shadow 100%" in row_line and "2/0" in row_line
    assert max(len(line) for line in lines) <= int(columns)


def test_an_unreachable_router_is_one_clear_line():
    result = CliRunner().invoke(app, ["status", "--url", "http://127.0.0.1:1"])

    assert result.exit_code == 2
    assert "no status" in result.output
