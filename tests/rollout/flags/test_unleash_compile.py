from __future__ import annotations

from typing import Any

import pytest

from rollout.flags.unleash_compile import compile_features, strategy_parameters
from rollout.naming import KILL_SWITCH_FLAG
from rollout.types import Mode, RouteFlag, Stickiness

NAME = "route.get.api.v1.me"
KEY = "GET /api/v1/me"


def feature(enabled: bool = True, strategies: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"name": NAME, "enabled": enabled, "strategies": strategies or []}


def rollout(constraints: Any = None, **parameters: Any) -> dict[str, Any]:
    return {"name": "flexibleRollout", "constraints": constraints or [], "parameters": parameters}


@pytest.mark.parametrize(
    ("feature_state", "expected"),
    [
        pytest.param(feature(False, [rollout(rollout="50")]), RouteFlag(), id="disabled-is-legacy"),
        pytest.param(feature(True, []), RouteFlag(Mode.NEW, 100), id="no-strategy-is-new"),
        pytest.param(
            feature(True, [{"name": "default"}]),
            RouteFlag(Mode.NEW, 100),
            id="default-strategy-is-new",
        ),
        pytest.param(
            feature(True, [rollout(rollout="25")]),
            RouteFlag(Mode.CANARY, 25),
            id="slider-only-is-canary",
        ),
        pytest.param(
            feature(
                True,
                [
                    rollout(
                        rollout="10",
                        mode="shadow",
                        shadowSample="30",
                        stickiness="userId",
                        groupId="g",
                        sandboxWrites="true",
                    )
                ],
            ),
            RouteFlag(Mode.SHADOW, 10, 30, Stickiness.USER_ID, "g", sandbox_writes=True),
            id="all-parameters",
        ),
        pytest.param(
            feature(True, [rollout(rollout="25", groupId=NAME)]),
            RouteFlag(Mode.CANARY, 25),
            id="group-id-equal-to-name-is-default",
        ),
        pytest.param(
            feature(True, [rollout(constraints=[{"contextName": "x"}], rollout="25")]),
            RouteFlag(),
            id="constraints-are-legacy",
        ),
        pytest.param(feature(True, [{"name": "userWithId"}]), RouteFlag(), id="other-strategy"),
        pytest.param(feature(True, [rollout(rollout="250")]), RouteFlag(), id="bad-percent"),
        pytest.param(feature(True, [rollout(mode="sideways")]), RouteFlag(), id="bad-mode"),
        pytest.param(
            feature(True, [{**rollout(rollout="5"), "disabled": True}, rollout(rollout="7")]),
            RouteFlag(Mode.CANARY, 7),
            id="disabled-strategy-skipped",
        ),
    ],
)
def test_route_flags(feature_state, expected):
    assert compile_features([feature_state]).flag_for(KEY) == expected


def test_kill_switch_and_foreign_flags():
    features = [
        {"name": KILL_SWITCH_FLAG, "enabled": True},
        {"name": "other.flag", "enabled": True},
    ]

    snapshot = compile_features(features)

    assert snapshot.kill_switch is True and dict(snapshot.routes) == {}


def test_written_parameters_compile_back_to_the_same_flag():
    flag = RouteFlag(Mode.CANARY, 40, 5, Stickiness.SESSION_ID, reverse_shadow=True)
    strategy = rollout(**strategy_parameters(NAME, flag))

    assert compile_features([feature(True, [strategy])]).flag_for(KEY) == flag
