"""The guard's pure judgement: every verdict from a table of steps, evidence and bounds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rollout.guard.bounds import Action, StepWindows, evaluate
from rollout.guard.steps import Bounds, parse_step
from rollout.telemetry.windows import WindowStats
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
LEGACY = stats("legacy", 2000)


def case(
    name: str, step: str, held: timedelta, *items: WindowStats, then: tuple[Action, str]
) -> object:
    """One row: ``step`` held for ``held`` with ``items`` as evidence gives ``then``:
    the action and a phrase of its reason."""
    evidence = StepWindows({item.backend: item for item in items}, held)
    return pytest.param(step, evidence, *then, id=name)


def new(requests: int = 0, **counts: int) -> WindowStats:
    return stats("new", requests, **counts)


def slow(backend: str, requests: int, latency_ms: float) -> WindowStats:
    return stats(backend, requests, latency_ms=latency_ms)


# fmt: off
TABLE = [
    case("shadow-no-traffic", "shadow:500", EARLY, then=(Action.HOLD, "0/500")),
    case("shadow-almost", "shadow:500", EARLY, new(comparisons=499, mismatches=1),
         then=(Action.HOLD, "499/500")),
    case("shadow-enough-comparisons", "shadow:500", EARLY, new(comparisons=500, mismatches=2),
         then=(Action.PROMOTE, "500 comparisons")),
    case("shadow-mismatches", "shadow:500", EARLY, new(comparisons=200, mismatches=10),
         then=(Action.ROLLBACK, "mismatch rate 5.00%")),
    case("shadow-too-quiet", "shadow:500", HELD, new(comparisons=20),
         then=(Action.PAUSE, "inconclusive: 20 comparisons")),
    case("canary-holding", "canary:5", EARLY, LEGACY, new(150),
         then=(Action.HOLD, "held 60s of 300s")),
    case("canary-promote", "canary:5", HELD, LEGACY, new(150),
         then=(Action.PROMOTE, "150 requests on new")),
    case("canary-inconclusive", "canary:5", HELD, LEGACY, new(40),
         then=(Action.PAUSE, "inconclusive: 40 requests")),
    case("canary-5xx-before-hold", "canary:5", EARLY, LEGACY, new(150, errors=3),
         then=(Action.ROLLBACK, "error rate 2.00%")),
    case("canary-errors-below-min-requests", "canary:5", EARLY, LEGACY, new(50, errors=50),
         then=(Action.HOLD, "held")),
    case("canary-slow", "canary:25", HELD, slow("legacy", 2000, 40), slow("new", 500, 400),
         then=(Action.ROLLBACK, "p99 ratio")),
    case("canary-fast-enough-under-floor", "canary:25", HELD,
         slow("legacy", 2000, 0.5), slow("new", 500, 4),
         then=(Action.PROMOTE, "500 requests")),
    case("new-done", "new", HELD, new(1000, errors=5), then=(Action.PROMOTE, "1000 requests")),
    case("new-failing", "new", EARLY, new(1000, errors=200),
         then=(Action.ROLLBACK, "error rate 20.00%")),
]
# fmt: on


@pytest.mark.parametrize(("step", "evidence", "action", "reason"), TABLE)
def test_evaluate(step, evidence, action, reason):
    verdict = evaluate(parse_step(step), evidence, BOUNDS)

    assert verdict.action is action
    assert reason in verdict.reason
