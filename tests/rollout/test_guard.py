"""The guard's pure judgement: every verdict from a table of steps, evidence and bounds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rollout.guard import Action, StepWindows, evaluate
from rollout.steps import Bounds, parse_step
from tests.rollout.windows_factory import stats

BOUNDS = Bounds(
    hold=timedelta(minutes=5),
    max_error_rate=0.01,
    max_mismatch_rate=0.01,
    max_p99_ratio=1.5,
    min_requests=100,
)
HELD = timedelta(minutes=6)
EARLY = timedelta(minutes=1)


def windows(held: timedelta, *items):
    return StepWindows({item.backend: item for item in items}, held)


@pytest.mark.parametrize(
    ("step", "evidence", "action", "reason"),
    [
        pytest.param("shadow:500", windows(EARLY), Action.HOLD, "0/500", id="shadow-no-traffic"),
        pytest.param(
            "shadow:500",
            windows(EARLY, stats("new", comparisons=499, mismatches=1)),
            Action.HOLD,
            "499/500",
            id="shadow-almost",
        ),
        pytest.param(
            "shadow:500",
            windows(EARLY, stats("new", comparisons=500, mismatches=2)),
            Action.PROMOTE,
            "500 comparisons",
            id="shadow-enough-comparisons",
        ),
        pytest.param(
            "shadow:500",
            windows(EARLY, stats("new", comparisons=200, mismatches=10)),
            Action.ROLLBACK,
            "mismatch rate 5.00%",
            id="shadow-mismatches",
        ),
        pytest.param(
            "shadow:500",
            windows(HELD, stats("new", comparisons=20)),
            Action.PAUSE,
            "inconclusive: 20 comparisons",
            id="shadow-too-quiet",
        ),
        pytest.param(
            "canary:5",
            windows(EARLY, stats("legacy", 2000), stats("new", 150)),
            Action.HOLD,
            "held 60s of 300s",
            id="canary-holding",
        ),
        pytest.param(
            "canary:5",
            windows(HELD, stats("legacy", 2000), stats("new", 150)),
            Action.PROMOTE,
            "150 requests on new",
            id="canary-promote",
        ),
        pytest.param(
            "canary:5",
            windows(HELD, stats("legacy", 2000), stats("new", 40)),
            Action.PAUSE,
            "inconclusive: 40 requests",
            id="canary-inconclusive",
        ),
        pytest.param(
            "canary:5",
            windows(EARLY, stats("legacy", 2000), stats("new", 150, errors=3)),
            Action.ROLLBACK,
            "error rate 2.00%",
            id="canary-5xx-before-hold",
        ),
        pytest.param(
            "canary:5",
            windows(EARLY, stats("legacy", 2000), stats("new", 50, errors=50)),
            Action.HOLD,
            "held",
            id="canary-errors-below-min-requests",
        ),
        pytest.param(
            "canary:25",
            windows(HELD, stats("legacy", 2000, latency_ms=40), stats("new", 500, latency_ms=400)),
            Action.ROLLBACK,
            "p99 ratio",
            id="canary-slow",
        ),
        pytest.param(
            "canary:25",
            windows(HELD, stats("legacy", 2000, latency_ms=0.5), stats("new", 500, latency_ms=4)),
            Action.PROMOTE,
            "500 requests",
            id="canary-fast-enough-under-floor",
        ),
        pytest.param(
            "new",
            windows(HELD, stats("new", 1000, errors=5)),
            Action.PROMOTE,
            "1000 requests",
            id="new-done",
        ),
        pytest.param(
            "new",
            windows(EARLY, stats("new", 1000, errors=200)),
            Action.ROLLBACK,
            "error rate 20.00%",
            id="new-failing",
        ),
    ],
)
def test_evaluate(step, evidence, action, reason):
    verdict = evaluate(parse_step(step), evidence, BOUNDS)

    assert verdict.action is action
    assert reason in verdict.reason
