"""Two routers sharing one fleet store: ``/_strangler/status`` and ``strangler status``
show the sum over both, each process's own on request, and the sum survives a router
stopping (its counters fold into ``retired``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import redis
from typer.testing import CliRunner

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from rollout.telemetry.fleet import RETIRED
from rollout.telemetry.fleet.redis_store import PREFIX
from strangler.cli import app as cli
from tests.fixtures.rollout import wait_until
from tests.router_proxy.apps import shadow_apps
from tests.router_proxy.rollout_router import RunningRouter, running_router

KEY = "GET /shadowed/{case}"
INTERVAL = 0.2  # seconds between a router's publishes: how stale the others' share may be
PLAN = {"routes": {KEY: {"mode": "shadow", "shadow_sample": 100}}}


def start(stack: ExitStack, **overrides: Any) -> RunningRouter:
    provider = StaticProvider(parse_plan(PLAN))
    return stack.enter_context(
        running_router(
            shadow_apps.legacy,
            shadow_apps.new,
            provider,
            fleet_interval=INTERVAL,
            **overrides,
        )
    )


@pytest.fixture
def two_routers(fleet_db) -> Iterator[tuple[RunningRouter, RunningRouter, ExitStack]]:
    with ExitStack() as stack:
        first = ExitStack()
        stack.enter_context(first)
        a = start(first, database_url=fleet_db.url)
        b = start(stack, database_url=fleet_db.url)
        yield a, b, first


def feed(router: RunningRouter, n: int) -> None:
    for _ in range(n):
        assert router.get("/shadowed/ok").status_code == 200


def status(router: RunningRouter, per_process: bool = False) -> dict[str, Any]:
    response = router.get("/_strangler/status" + ("?per_process=1" if per_process else ""))
    assert response.status_code == 200
    payload: dict[str, Any] = response.json()
    return payload


def row(payload: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in payload["routes"] if r["route"] == KEY)


def legacy_total(router: RunningRouter) -> int:
    return int(row(status(router))["requests"].get("legacy", 0))


def test_each_router_shows_the_sum_of_both(two_routers):
    a, b, _ = two_routers
    feed(a, 3)
    feed(b, 2)
    wait_until(lambda: legacy_total(a) == legacy_total(b) == 5)

    for router in (a, b):
        payload = status(router)
        assert payload["counters"] == "fleet"
        assert row(payload)["requests"] == {"legacy": 5}
    assert a.counters(KEY).requests["legacy"] == 3  # each still counts only itself


def test_per_process_names_each_router(two_routers):
    a, b, _ = two_routers
    feed(a, 3)
    feed(b, 1)
    wait_until(lambda: legacy_total(b) == 4)

    processes = {p["process_id"]: p for p in status(b, per_process=True)["processes"]}

    assert {pid: p["routes"][KEY]["requests"] for pid, p in processes.items()} == {
        a.app.fleet.process_id: {"legacy": 3},
        b.app.fleet.process_id: {"legacy": 1},
    }


def test_the_sum_survives_a_router_stopping(two_routers):
    a, b, stop_a = two_routers
    feed(a, 4)
    feed(b, 1)
    stop_a.close()

    payload = status(b, per_process=True)

    assert row(payload)["requests"] == {"legacy": 5}
    processes = {p["process_id"]: p for p in payload["processes"]}
    assert set(processes) == {b.app.fleet.process_id, RETIRED}
    assert processes[RETIRED]["routes"][KEY]["requests"] == {"legacy": 4}


def test_strangler_status_per_process(two_routers, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    a, b, _ = two_routers
    feed(a, 2)
    feed(b, 2)
    wait_until(lambda: legacy_total(a) == legacy_total(b) == 4)

    # Both URLs given: fleet routers each answer the same sum, so it is not added twice.
    as_json = CliRunner().invoke(cli, ["status", "--url", a.url, "--url", b.url, "--json",
                                       "--per-process"])  # fmt: skip
    as_table = CliRunner().invoke(cli, ["status", "--url", a.url, "--per-process"])

    assert as_json.exit_code == 0, as_json.output
    merged = json.loads(as_json.output)
    assert merged["counters"] == "fleet"
    assert merged["routes"][0]["requests"] == {"legacy": 4}
    assert len(merged["processes"]) == 2
    assert as_table.exit_code == 0, as_table.output
    assert "per router process" in as_table.output and a.app.fleet.process_id in as_table.output


def test_a_store_that_is_down_falls_back_to_the_process_counters():
    with ExitStack() as stack:
        router = start(stack, counters_url="redis://127.0.0.1:1/0")
        feed(router, 2)

        payload = status(router)

    assert payload["counters"] == "process"
    assert "ConnectionError" in payload["fleet_error"]
    assert row(payload)["requests"] == {"legacy": 2}


def test_two_routers_sharing_redis_show_the_sum(redis_url):
    client = redis.Redis.from_url(redis_url)
    try:
        with ExitStack() as stack:
            a = start(stack, counters_url=redis_url)
            b = start(stack, counters_url=redis_url)
            feed(a, 2)
            feed(b, 3)
            wait_until(lambda: legacy_total(a) == legacy_total(b) == 5)
        assert client.exists(f"{PREFIX}:p:{RETIRED}")  # both stopped: folded, not lost
    finally:
        for key in client.scan_iter(match=f"{PREFIX}:*"):
            client.delete(key)
        client.close()
