"""The guard's judgement: given a rollout step, the traffic seen since it began and the
bounds, promote, hold, pause (inconclusive) or roll back. Pure: no clock, no database.

Rules (the README's "Rollout steps and the guard" explains why):

- any bound broken, with at least ``min_requests`` of evidence: **rollback**
  (5xx rate of new, mismatch rate, new p99 / legacy p99);
- shadow step: **promote** at N comparisons; **pause** when the hold passed with fewer
  than ``min_requests`` comparisons; else **hold**;
- canary and new steps: **hold** until the step has lasted ``hold``; then **pause** if the
  new backend answered fewer than ``min_requests`` requests, else **promote** (from the
  last step, promotion means the rollout is done).

Example:
    >>> from rollout.guard.steps import Bounds, Step, StepKind
    >>> evaluate(Step(StepKind.CANARY, 5), StepWindows({}, timedelta(0)), Bounds()).action
    <Action.HOLD: 'hold'>
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from rollout.guard.steps import Bounds, Step, StepKind
from rollout.telemetry.windows import WindowStats


class Action(StrEnum):
    PROMOTE = "promote"
    HOLD = "hold"
    PAUSE = "pause"
    ROLLBACK = "rollback"


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    reason: str


@dataclass(frozen=True, slots=True)
class StepWindows:
    """What the guard knows of the current step: per-backend totals since it began (summed
    across router processes) and how long it has run."""

    by_backend: Mapping[str, WindowStats]
    held: timedelta

    def get(self, backend: str) -> WindowStats | None:
        return self.by_backend.get(backend)


def evaluate(step: Step, windows: StepWindows, bounds: Bounds) -> Verdict:
    broken = broken_bounds(windows, bounds)
    if broken:
        return Verdict(Action.ROLLBACK, "; ".join(broken))
    if step.kind is StepKind.SHADOW:
        return _shadow(step, windows, bounds)
    return _held_step(windows, bounds)


def broken_bounds(windows: StepWindows, bounds: Bounds) -> list[str]:
    new, legacy = windows.get("new"), windows.get("legacy")
    if new is None:
        return []
    broken = []
    enough = bounds.min_requests
    if new.requests >= enough and new.error_rate > bounds.max_error_rate:
        broken.append(
            f"error rate {new.error_rate:.2%} > {bounds.max_error_rate:.2%}"
            f" ({new.status_5xx}/{new.requests} answers 5xx)"
        )
    if new.comparisons >= enough and new.mismatch_rate > bounds.max_mismatch_rate:
        broken.append(
            f"mismatch rate {new.mismatch_rate:.2%} > {bounds.max_mismatch_rate:.2%}"
            f" ({new.mismatches}/{new.comparisons} comparisons)"
        )
    ratio = p99_ratio(new, legacy, bounds)
    if ratio is not None and ratio > bounds.max_p99_ratio:
        broken.append(f"p99 ratio {ratio:.2f} > {bounds.max_p99_ratio:.2f}")
    return broken


def p99_ratio(new: WindowStats, legacy: WindowStats | None, bounds: Bounds) -> float | None:
    """new p99 / legacy p99, both floored at ``p99_floor_ms``; None without evidence."""
    if legacy is None or min(new.requests, legacy.requests) < bounds.min_requests:
        return None
    new_p99, legacy_p99 = new.p99_ms, legacy.p99_ms
    if new_p99 is None or legacy_p99 is None:
        return None
    return max(new_p99, bounds.p99_floor_ms) / max(legacy_p99, bounds.p99_floor_ms)


def _shadow(step: Step, windows: StepWindows, bounds: Bounds) -> Verdict:
    new = windows.get("new")
    compared = new.comparisons if new else 0
    if compared >= step.amount:
        rate = new.mismatch_rate if new else 0.0
        return Verdict(Action.PROMOTE, f"{compared} comparisons, mismatch rate {rate:.2%}")
    if windows.held >= bounds.hold and compared < bounds.min_requests:
        return Verdict(
            Action.PAUSE,
            f"inconclusive: {compared} comparisons after {_span(bounds.hold)}"
            f" (min_requests {bounds.min_requests})",
        )
    return Verdict(Action.HOLD, f"{compared}/{step.amount} comparisons")


def _held_step(windows: StepWindows, bounds: Bounds) -> Verdict:
    new = windows.get("new")
    served = new.requests if new else 0
    if windows.held < bounds.hold:
        return Verdict(
            Action.HOLD, f"held {_span(windows.held)} of {_span(bounds.hold)}, {served} on new"
        )
    if served < bounds.min_requests:
        return Verdict(
            Action.PAUSE,
            f"inconclusive: {served} requests on new after {_span(bounds.hold)}"
            f" (min_requests {bounds.min_requests})",
        )
    assert new is not None
    return Verdict(
        Action.PROMOTE,
        f"{served} requests on new within bounds (error rate {new.error_rate:.2%})",
    )


def _span(duration: timedelta) -> str:
    return f"{duration.total_seconds():.0f}s"
