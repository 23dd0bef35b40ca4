"""A10: the canary split is Unleash's, sticky, proportional and monotonic."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rollout.decide import decide
from rollout.naming import route_flag_name
from rollout.providers.unleash_compile import compile_features
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
