"""A10: the canary split is Unleash's, sticky, proportional and monotonic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rollout.decide import decide
from rollout.flags.unleash_compile import compile_features
from rollout.naming import route_flag_name
from rollout.types import Backend, CallerContext, Mode, RouteFlag, RouteInfo, Snapshot

KEY = "GET /api/v1/payments/{payment_id}"
ROUTE = RouteInfo(KEY, in_legacy=True, in_new=True, is_write=False, flag_name=route_flag_name(KEY))
CALLERS = [f"org_{i}" for i in range(100_000)]


def canary(percent: int) -> Snapshot:
    return Snapshot(routes={KEY: RouteFlag(Mode.CANARY, percent=percent)})


def served_by_new(snapshot: Snapshot, callers: list[str]) -> list[bool]:
    return [
        decide(ROUTE, CallerContext(user_id=caller), snapshot).primary is Backend.NEW
        for caller in callers
    ]


@pytest.mark.slow
def test_the_compiled_snapshot_answers_exactly_as_the_unleash_sdk(tmp_path):
    from UnleashClient.cache import FileCache
    from UnleashClient.clients.unleash_client import UnleashClient
    from UnleashClient.utils import InstanceAllowType

    flags = {
        1: {"stickiness": "userId"},
        37: {"stickiness": "default", "groupId": "payments-canary"},
        99: {"stickiness": "default"},
    }
    features = [
        {
            "name": f"route.get.p{percent}.~id",
            "enabled": True,
            "strategies": [
                {
                    "name": "flexibleRollout",
                    "constraints": [],
                    "parameters": {"rollout": str(percent), **extra},
                }
            ],
        }
        for percent, extra in flags.items()
    ]
    cache = FileCache("a10", directory=str(tmp_path))
    cache.bootstrap_from_dict({"version": 2, "features": features})
    sdk = UnleashClient(
        url="http://127.0.0.1:1/api",
        app_name="a10",
        cache=cache,
        disable_metrics=True,
        disable_registration=True,
        multiple_instance_mode=InstanceAllowType.SILENTLY_ALLOW,
    )
    snapshot = compile_features(features)

    for percent in flags:
        key = f"GET /p{percent}/{{id}}"
        route = RouteInfo(key, True, True, False, route_flag_name(key))
        ours = [
            decide(route, CallerContext(user_id=c), snapshot).primary is Backend.NEW
            for c in CALLERS
        ]
        theirs = [sdk.is_enabled(route.flag_name, {"userId": c}) for c in CALLERS]
        mismatches = sum(a != b for a, b in zip(ours, theirs, strict=True))
        assert mismatches == 0, f"{mismatches} callers differ at {percent}%"


@pytest.mark.parametrize("percent", [1, 5, 25, 50, 75, 99])
def test_the_share_is_within_one_point_over_100k_callers(percent):
    share = 100 * sum(served_by_new(canary(percent), CALLERS)) / len(CALLERS)

    assert abs(share - percent) <= 1.0


def test_raising_the_percentage_never_moves_a_caller_back_to_legacy():
    callers = CALLERS[:20_000]
    previous = [False] * len(callers)
    for percent in (0, 1, 2, 5, 10, 25, 33, 50, 66, 75, 90, 99, 100):
        current = served_by_new(canary(percent), callers)
        assert all(now or not before for before, now in zip(previous, current, strict=True))
        previous = current
    assert all(previous)


def test_the_same_caller_gets_the_same_answer_every_time():
    snapshot = canary(50)
    first = served_by_new(snapshot, CALLERS[:1000])

    assert all(served_by_new(snapshot, CALLERS[:1000]) == first for _ in range(10))


SCRIPT = """
import json, sys
from tests.rollout.test_sticky_split import CALLERS, canary, served_by_new
print(json.dumps(served_by_new(canary(30), CALLERS[:10000])))
"""


def test_two_router_processes_agree_on_every_caller():
    answers = []
    for seed in ("1", "2"):  # a different str hash seed per process: nothing may depend on it
        env = {**os.environ, "PYTHONHASHSEED": seed}
        output = subprocess.run(
            [sys.executable, "-c", SCRIPT], env=env, check=True, capture_output=True, text=True
        ).stdout
        answers.append(json.loads(output))

    assert answers[0] == answers[1] == served_by_new(canary(30), CALLERS[:10000])


# Routes whose names a lossy naming would change or merge: hyphens, upper case, dots, a
# trailing slash (`/a.b` and `/a-b` must stay two flags).
AWKWARD_ROUTES = [
    "/api/v1/payment-methods/<pid>",
    "/Reports/Daily",
    "/a.b",
    "/a-b",
    "/trailing/",
]


def _awkward_apps() -> tuple[Any, Any]:
    from fastapi import FastAPI
    from flask import Flask

    legacy, new = Flask("awkward"), FastAPI()
    for number, rule in enumerate(AWKWARD_ROUTES):
        legacy.add_url_rule(rule, f"view{number}", lambda **_: "legacy")
        new.add_api_route(rule.replace("<", "{").replace(">", "}"), lambda: "new")
    return legacy, new


def _sdk(tmp_path: Path, features: list[dict[str, Any]]) -> Any:
    from UnleashClient.cache import FileCache
    from UnleashClient.clients.unleash_client import UnleashClient
    from UnleashClient.utils import InstanceAllowType

    cache = FileCache("a10-awkward", directory=str(tmp_path))
    cache.bootstrap_from_dict({"version": 2, "features": features})
    return UnleashClient(
        url="http://127.0.0.1:1/api",
        app_name="a10-awkward",
        cache=cache,
        disable_metrics=True,
        disable_registration=True,
        multiple_instance_mode=InstanceAllowType.SILENTLY_ALLOW,
    )


@pytest.mark.slow
def test_the_routers_split_is_the_sdks_on_routes_built_from_real_apps(db, tmp_path):
    """The router's table (built from a Flask and a FastAPI app), the flag store's names
    (written as ``strangler flags set`` writes them) and the Unleash SDK: 20,000 callers at
    25% on every awkward route, not one on a different side."""
    import psycopg2

    from rollout.flags.pg_flags import read_snapshot, write_flag
    from rollout.flags.unleash_compile import strategy_parameters
    from router_proxy.routes import build_route_table

    table = build_route_table(*_awkward_apps())
    routes = [route for route in table if route.in_legacy and route.in_new]
    assert len(routes) == len(AWKWARD_ROUTES)
    flag = RouteFlag(Mode.CANARY, percent=25)
    conn = psycopg2.connect(db.url)
    conn.autocommit = True
    try:
        for route in routes:
            write_flag(conn, route.key, flag, actor="test")
        snapshot = read_snapshot(conn, source="embedded")
    finally:
        conn.close()
    stored = dict(db.all("SELECT route_key, flag_name FROM rollout_flags"))
    assert len(set(stored.values())) == len(routes)  # no two routes share a flag
    features = [
        {
            "name": name,
            "enabled": True,
            "strategies": [
                {
                    "name": "flexibleRollout",
                    "constraints": [],
                    "parameters": strategy_parameters(name, flag),
                }
            ],
        }
        for name in stored.values()
    ]
    sdk = _sdk(tmp_path, features)
    callers = CALLERS[:20_000]
    for route in routes:
        ours = [
            decide(route, CallerContext(user_id=c), snapshot).primary is Backend.NEW
            for c in callers
        ]
        theirs = [sdk.is_enabled(stored[route.key], {"userId": c}) for c in callers]
        disagree = sum(a != b for a, b in zip(ours, theirs, strict=True))
        assert disagree == 0, f"{route.key}: {disagree} of {len(callers)} callers differ"
        assert 23 <= 100 * sum(ours) / len(callers) <= 27
