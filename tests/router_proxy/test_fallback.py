"""Per-request fallback (router_proxy.fallback): the new app raising, hanging past the
timeout or answering 503 gives the client legacy's bytes, in-process and remote; a write
without an Idempotency-Key, or a route set to ``none``, gets the new side's answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from rollout.flags.static import StaticProvider
from rollout.guard.bounds import StepWindows, broken_bounds
from rollout.guard.steps import Bounds
from rollout.plan import parse_plan
from rollout.telemetry.windows import WindowStore, totals
from router_proxy.asgi import Assembly
from tests.router_proxy.apps import fastapi_app, flask_app
from tests.router_proxy.rollout_router import running_router
from tests.router_proxy.servers import ThreadServer

KEY = "GET /flaky/{case}"
WRITE = "POST /flaky/{case}"
PLAN = {"routes": {KEY: {"mode": "new"}, WRITE: {"mode": "new"}}}
TIMEOUT = 0.3  # fallback_timeout: the hanging case sleeps 10x as long


@pytest.fixture(params=["inprocess", "remote"])
def router(request: pytest.FixtureRequest, make_router: Any) -> Iterator[ThreadServer]:
    fallback = {WRITE: "legacy"}
    with make_router(mode=request.param, plan=PLAN, fallback=fallback,
                     fallback_timeout=TIMEOUT) as server:  # fmt: skip
        yield server


def call(server: ThreadServer, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"http://127.0.0.1:{server.port}{path}", timeout=10, **kwargs)


def fallbacks(server: ThreadServer, key: str) -> dict[str, int]:
    rows = call(server, "GET", "/_strangler/status").json()["routes"]
    found: dict[str, int] = next(r for r in rows if r["route"] == key)["fallbacks"]
    return found


def direct_legacy(direct_flask: int, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"http://127.0.0.1:{direct_flask}{path}", timeout=10, **kwargs)


@pytest.mark.parametrize(
    ("case", "reasons"),
    [
        # In-process the router sees the exception; remote, uvicorn has made it a 500.
        pytest.param("raise", {"error", "5xx"}, id="port-raises"),
        pytest.param("hang", {"timeout"}, id="port-hangs-past-the-timeout"),
        pytest.param("503", {"5xx"}, id="port-answers-503"),
    ],
)
def test_a_failed_read_gets_legacys_bytes(router, direct_flask, case, reasons):
    answer = call(router, "GET", f"/flaky/{case}?q=1")

    legacy = direct_legacy(direct_flask, "GET", f"/flaky/{case}?q=1")
    assert (answer.status_code, answer.content) == (legacy.status_code, legacy.content)
    assert answer.headers["x-served-by"] == "legacy"
    assert answer.headers["x-strangler-fallback"] in reasons
    assert sum(fallbacks(router, KEY).values()) == 1


def test_a_read_the_new_side_answers_is_the_new_sides(router):
    answer = call(router, "GET", "/flaky/fine")

    assert answer.json()["source"] == "new"
    assert "x-strangler-fallback" not in answer.headers
    assert fallbacks(router, KEY) == {}


def test_a_write_without_a_key_gets_the_new_sides_5xx_untouched(router):
    answer = call(router, "POST", "/flaky/503", content=b"amount=5")

    assert answer.status_code == 503
    assert answer.json() == {"error": {"code": "unavailable"}}
    assert answer.headers["x-served-by"] == "new"
    assert fallbacks(router, WRITE) == {}


def test_a_keyed_write_goes_to_legacy_with_its_body(router):
    headers = {"Idempotency-Key": "fallback-1"}
    answer = call(router, "POST", "/flaky/503", content=b"amount=5", headers=headers)

    assert answer.json() == {"case": "503", "source": "legacy", "body": "amount=5"}
    assert fallbacks(router, WRITE) == {"5xx": 1}


def test_a_route_set_to_none_never_falls_back(make_router):
    plan = {"routes": {KEY: {"mode": "new"}}}
    with make_router(plan=plan, fallback={KEY: "none"}) as server:
        answer = call(server, "GET", "/flaky/503")

    assert (answer.status_code, answer.headers["x-served-by"]) == (503, "new")


def test_the_guard_counts_a_fallback_as_a_failure_of_the_new_side(db):
    db.execute("TRUNCATE route_windows")
    stores: list[WindowStore] = []

    def with_windows(assembly: Assembly) -> None:
        assert assembly.windows is not None  # build_router attached them (database_url)
        stores.append(assembly.windows)

    provider = StaticProvider(parse_plan(PLAN))
    apps = (flask_app.app, fastapi_app.app)
    with running_router(
        *apps, provider, attach=with_windows, database_url=db.url, fallback_timeout=TIMEOUT
    ) as r:
        for case in ("503", "hang", "raise"):
            assert r.get(f"/flaky/{case}").headers["x-served-by"] == "legacy"
        stores[0].flush()

    summed = totals(stores[0].recent(KEY, minutes=5))
    assert (summed["new"].requests, summed["new"].status_5xx) == (3, 3)
    assert summed["legacy"].requests == 3
    windows = StepWindows(summed, timedelta(minutes=1))
    assert broken_bounds(windows, Bounds(min_requests=3)) != []
