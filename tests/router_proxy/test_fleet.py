"""Two routers sharing one database: ``/_strangler/status`` and ``strangler status`` show
the sum over both, read from the traffic windows every router writes (the one
cross-process counter store), each process's own on request, and the sum survives a
router stopping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from typer.testing import CliRunner

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from strangler.cli import app as cli
from tests.fixtures.rollout import wait_until
from tests.router_proxy.apps import shadow_apps
from tests.router_proxy.rollout_router import RunningRouter, running_router

KEY = "GET /shadowed/{case}"
PLAN = {"routes": {KEY: {"mode": "shadow", "shadow_sample": 100}}}


def start(stack: ExitStack, **overrides: Any) -> RunningRouter:
    provider = StaticProvider(parse_plan(PLAN))
    return stack.enter_context(
        running_router(
            shadow_apps.legacy,
            shadow_apps.new,
            provider,
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

    assert row(payload)["requests"] == {"legacy": 5}  # a flushed its windows as it stopped
    processes = {p["process_id"]: p for p in payload["processes"]}
    assert processes[a.app.fleet.process_id]["routes"][KEY]["requests"] == {"legacy": 4}


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
        router = start(stack, database_url="postgresql://postgres@127.0.0.1:1/nowhere")
        feed(router, 2)

        payload = status(router)

    assert payload["counters"] == "process"
    assert "route_windows: OperationalError" in payload["fleet_error"]
    assert row(payload)["requests"] == {"legacy": 2}
