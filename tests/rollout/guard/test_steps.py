"""``[rollout."KEY"]`` tables: steps, bounds, durations, and the errors a typo gets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rollout.errors import PlanError
from rollout.guard.steps import guard_interval, parse_rollout
from rollout.types import Mode, RouteFlag

KEY = "GET /api/v1/accounts/{account_id}"


def test_a_full_plan():
    table = {
        "steps": ["shadow:500", "canary:1", "canary:50", "new"],
        "hold": "2m",
        "max_error_rate": 0.02,
        "min_requests": 50,
    }
    plan = parse_rollout({"rollout": {KEY: table}, "guard": {"interval": "250ms"}})[KEY]

    assert [str(step) for step in plan.steps] == ["shadow:500", "canary:1", "canary:50", "new"]
    assert (plan.bounds.hold, plan.bounds.max_error_rate) == (timedelta(minutes=2), 0.02)
    assert plan.bounds.min_requests == 50
    assert guard_interval({"guard": {"interval": "250ms"}}) == 0.25
    flags = [step.flag(RouteFlag(), plan.bounds) for step in plan.steps]
    assert [(f.mode, f.percent, f.shadow_sample) for f in flags] == [
        (Mode.SHADOW, 0, 100),
        (Mode.CANARY, 1, 0),
        (Mode.CANARY, 50, 0),
        (Mode.NEW, 100, 0),
    ]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param({"steps": ["canary:0"]}, "1..100", id="canary-zero"),
        pytest.param({"steps": ["shadow"]}, "comparisons", id="shadow-without-count"),
        pytest.param({"steps": ["blue:5"]}, "expected shadow:N", id="unknown-kind"),
        pytest.param({"steps": []}, "at least one step", id="no-steps"),
        pytest.param({"steps": ["new"], "hold": "soon"}, "duration", id="bad-hold"),
        pytest.param({"steps": ["new"], "max_eror_rate": 1}, "unknown keys", id="typo"),
    ],
)
def test_errors_name_the_table(table, message):
    with pytest.raises(PlanError, match=message):
        parse_rollout({"rollout": {KEY: table}})
