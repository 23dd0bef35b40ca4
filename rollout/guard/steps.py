"""Rollout steps with analysis, per route, from ``strangler.toml``::

    [rollout."GET /api/v1/orders/{order_id}"]
    steps = ["shadow:500", "canary:1", "canary:5", "canary:25", "canary:50", "new"]
    hold = "5m"                # each canary/new step holds this long before promotion
    max_error_rate = 0.01      # 5xx share of the new backend's answers
    max_mismatch_rate = 0.001  # shadow mismatches / comparisons
    max_p99_ratio = 1.5        # new p99 / legacy p99 (both floored at p99_floor_ms)
    min_requests = 100         # less evidence than this decides nothing
    shadow_sample = 100        # % of requests mirrored during a shadow step

    [guard]
    interval = "5s"            # how often the elected router process evaluates

Example:
    >>> plan = parse_rollout({"rollout": {"GET /x": {"steps": ["shadow:50", "canary:5", "new"]}}})
    >>> [str(step) for step in plan["GET /x"].steps]
    ['shadow:50', 'canary:5', 'new']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from typing import Any

from rollout.errors import PlanError
from rollout.naming import route_flag_name
from rollout.types import Mode, RouteFlag

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}
BOUND_KEYS = frozenset(
    {
        "hold",
        "max_error_rate",
        "max_mismatch_rate",
        "max_p99_ratio",
        "p99_floor_ms",
        "min_requests",
        "shadow_sample",
    }
)


class StepKind(StrEnum):
    SHADOW = "shadow"  # amount: comparisons needed
    CANARY = "canary"  # amount: percent of callers on new
    NEW = "new"


@dataclass(frozen=True, slots=True)
class Bounds:
    hold: timedelta = timedelta(minutes=5)
    max_error_rate: float = 0.01
    max_mismatch_rate: float = 0.001
    max_p99_ratio: float = 1.5
    p99_floor_ms: float = 10.0  # sub-10 ms latencies are noise, not regressions
    min_requests: int = 100
    shadow_sample: int = 100


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    amount: int = 0

    def __str__(self) -> str:
        return self.kind.value if self.kind is StepKind.NEW else f"{self.kind.value}:{self.amount}"

    def flag(self, current: RouteFlag, bounds: Bounds) -> RouteFlag:
        """The route's flag during this step; stickiness and sandboxing are kept."""
        if self.kind is StepKind.SHADOW:
            return replace(current, mode=Mode.SHADOW, percent=0, shadow_sample=bounds.shadow_sample)
        if self.kind is StepKind.CANARY:
            return replace(current, mode=Mode.CANARY, percent=self.amount, shadow_sample=0)
        return replace(current, mode=Mode.NEW, percent=100, shadow_sample=0)


def legacy_flag(current: RouteFlag) -> RouteFlag:
    """Where a rollback sends a route: legacy answers, nothing mirrored."""
    return replace(current, mode=Mode.LEGACY, percent=0, shadow_sample=0)


@dataclass(frozen=True, slots=True)
class RoutePlan:
    route_key: str
    steps: tuple[Step, ...]
    bounds: Bounds


def parse_rollout(config: Mapping[str, Any]) -> dict[str, RoutePlan]:
    """Every ``[rollout."KEY"]`` table; raises PlanError."""
    tables = config.get("rollout", {})
    return {key: _route_plan(key, table) for key, table in tables.items()}


def guard_interval(config: Mapping[str, Any]) -> float:
    table = config.get("guard", {})
    unknown = set(table) - {"interval"}
    if unknown:
        raise PlanError(f"[guard]: unknown keys {sorted(unknown)}")
    return parse_duration(table.get("interval", "5s"), "guard.interval")


def parse_step(text: str) -> Step:
    kind, _, amount = str(text).partition(":")
    try:
        step = Step(StepKind(kind.strip()), int(amount) if amount else 0)
    except ValueError:
        raise PlanError(f"step {text!r}: expected shadow:N, canary:PERCENT or new") from None
    if step.kind is StepKind.CANARY and not 0 < step.amount <= 100:
        raise PlanError(f"step {text!r}: canary percent must be 1..100")
    if step.kind is StepKind.SHADOW and step.amount < 1:
        raise PlanError(f"step {text!r}: shadow needs a number of comparisons")
    return step


def parse_duration(value: Any, name: str) -> float:
    """Seconds from ``"5m"``, ``"30s"``, ``"1h"``, ``"250ms"`` or a number of seconds."""
    match = _DURATION.match(str(value))
    if match is None:
        raise PlanError(f"{name}: expected a duration like '30s' or '5m', not {value!r}")
    return float(match[1]) * _UNITS[match[2]]


def _route_plan(route_key: str, table: Mapping[str, Any]) -> RoutePlan:
    where = f"rollout.{route_key!r}"
    try:
        route_flag_name(route_key)
    except ValueError as exc:
        raise PlanError(f"{where}: {exc}") from None
    unknown = set(table) - BOUND_KEYS - {"steps"}
    if unknown:
        raise PlanError(f"{where}: unknown keys {sorted(unknown)}")
    steps = tuple(parse_step(text) for text in table.get("steps", ()))
    if not steps:
        raise PlanError(f"{where}: steps must list at least one step")
    return RoutePlan(route_key, steps, _bounds(where, table))


def _bounds(where: str, table: Mapping[str, Any]) -> Bounds:
    defaults = Bounds()
    try:
        hold = parse_duration(table.get("hold", defaults.hold.total_seconds()), f"{where}.hold")
        bounds = Bounds(
            hold=timedelta(seconds=hold),
            max_error_rate=float(table.get("max_error_rate", defaults.max_error_rate)),
            max_mismatch_rate=float(table.get("max_mismatch_rate", defaults.max_mismatch_rate)),
            max_p99_ratio=float(table.get("max_p99_ratio", defaults.max_p99_ratio)),
            p99_floor_ms=float(table.get("p99_floor_ms", defaults.p99_floor_ms)),
            min_requests=int(table.get("min_requests", defaults.min_requests)),
            shadow_sample=int(table.get("shadow_sample", defaults.shadow_sample)),
        )
    except (TypeError, ValueError) as exc:
        raise PlanError(f"{where}: {exc}") from None
    if not 0 < bounds.shadow_sample <= 100 or bounds.min_requests < 1:
        raise PlanError(f"{where}: shadow_sample must be 1..100 and min_requests at least 1")
    return bounds
