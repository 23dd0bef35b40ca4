"""Idle-only admission: a router serving ``shadow_max_inflight`` client requests sheds the
copy of the next one (counted ``busy``) and copies again once it is idle; both isolations."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from tests.fixtures.rollout import wait_until
from tests.router_proxy.apps import shadow_apps
from tests.router_proxy.rollout_router import RunningRouter, running_router

KEY = "GET /shadowed/{case}"
PLAN = {"routes": {KEY: {"mode": "shadow", "shadow_sample": 100}}}
ISOLATIONS = [
    pytest.param({"shadow_isolation": "loop"}, id="loop"),
    pytest.param(
        {
            "shadow_isolation": "process",
            "legacy_app": "tests.router_proxy.apps.shadow_apps:legacy",
            "new_app": "tests.router_proxy.apps.shadow_apps:new",
        },
        id="worker-process",
    ),
]


def shadowing_router(database_url: str, **settings: Any) -> Any:
    provider = StaticProvider(parse_plan(PLAN))
    return running_router(
        shadow_apps.legacy, shadow_apps.new, provider, database_url=database_url, **settings
    )


@contextmanager
def requests_held(router: RunningRouter, count: int) -> Iterator[None]:
    """``count`` legacy requests in flight on the router until the block ends."""
    shadow_apps.GATE.clear()
    held = [threading.Thread(target=router.get, args=("/held",)) for _ in range(count)]
    for thread in held:
        thread.start()
    try:
        wait_until(lambda: router.app.dispatcher.inflight == count)
        yield
    finally:
        shadow_apps.GATE.set()
        for thread in held:
            thread.join(timeout=10)


@pytest.mark.parametrize("isolation", ISOLATIONS)
@pytest.mark.parametrize("bound", [pytest.param(1, id="one-other"), pytest.param(2, id="two")])
def test_a_busy_router_sheds_copies_first(database_url, bound, isolation):
    with shadowing_router(database_url, shadow_max_inflight=bound, **isolation) as router:
        with requests_held(router, bound):
            busy_answer = router.get("/shadowed/ok")
        idle_answer = router.get("/shadowed/ok")
        wait_until(lambda: router.counters(KEY).comparisons == 1, timeout=20)

        counters = router.counters(KEY)
        assert (busy_answer.status_code, idle_answer.status_code) == (200, 200)
        assert counters.drops["busy"] == 1
        assert counters.comparisons == 1


def test_under_the_bound_every_copy_is_made(database_url):
    with shadowing_router(database_url, shadow_max_inflight=2, shadow_isolation="loop") as router:
        with requests_held(router, 1):
            router.get("/shadowed/ok")
        wait_until(lambda: router.counters(KEY).comparisons == 1)
        assert router.counters(KEY).drops["busy"] == 0
