"""The dashboard's rollout buttons: where each planned route stands (``guard_state``) and
the person's transitions (advance, pause, resume, rollback) through ``RolloutControl``,
exactly as ``strangler rollout`` makes them: the flag through the active provider's writer
wrapped in an ``AuditedWriter``, the step in ``guard_state``, an audit event. The audit
source is the dashboard's own (``dashboard <client address>``), the actor the user.

Example:
    rollouts = DashboardRollouts(parse_rollout(raw), GuardStateStore(url), writer,
                                 AuditLog(url))
    rollouts.act(Actor("alice", "dashboard 127.0.0.1"), "advance", "GET /api/v1/me", "")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from rollout.dashboard.changes import Actor
from rollout.dashboard.errors import ChangeRejected, NoRolloutPlan
from rollout.flags.audit import AuditLog
from rollout.flags.audited import AuditedWriter
from rollout.flags.base import FlagWriter
from rollout.guard.control import RolloutControl
from rollout.guard.state import GuardState, GuardStateStore
from rollout.guard.steps import RoutePlan

ACTIONS = ("advance", "pause", "resume", "rollback")
NOT_STARTED = "not started"


@dataclass(frozen=True, slots=True)
class RolloutRow:
    route_key: str
    steps: tuple[str, ...]
    step: str | None  # the current step; None before the first advance
    status: str  # a guard_state status, or "not started"
    since: datetime | None
    reason: str | None


class DashboardRollouts:
    def __init__(
        self,
        plans: Mapping[str, RoutePlan],
        states: GuardStateStore,
        writer: FlagWriter,
        audit: AuditLog,
    ) -> None:
        self.plans = plans
        self.states = states
        self.writer = writer
        self.audit = audit

    def rows(self) -> dict[str, RolloutRow]:
        """Every planned route's standing, by route key; raises GuardError."""
        states = {state.route_key: state for state in self.states.all()}
        return {key: _row(plan, states.get(key)) for key, plan in self.plans.items()}

    def act(self, actor: Actor, action: str, route_key: str, reason: str = "") -> GuardState:
        """Raises ChangeRejected (NoRolloutPlan), GuardError, ProviderError or AuditError."""
        if action not in ACTIONS:
            raise ChangeRejected(f"unknown rollout action {action!r}: one of {', '.join(ACTIONS)}")
        if route_key not in self.plans:
            raise NoRolloutPlan(
                f'{route_key!r} has no rollout plan: add [rollout."{route_key}"] steps'
                " to strangler.toml"
            )
        transition = self._transitions(actor)[action]
        return transition(route_key, actor.name, reason or None)

    def _transitions(self, actor: Actor) -> dict[str, Callable[[str, str, str | None], GuardState]]:
        # Per request: the audit source names where the person clicked from.
        writer = AuditedWriter(self.writer, self.audit, actor.source)
        control = RolloutControl(self.plans, self.states, writer, self.audit)
        return {
            "advance": control.advance,
            "pause": control.pause,
            "resume": control.resume,
            "rollback": control.rollback,
        }


def _row(plan: RoutePlan, state: GuardState | None) -> RolloutRow:
    steps = tuple(str(step) for step in plan.steps)
    if state is None:
        return RolloutRow(plan.route_key, steps, None, NOT_STARTED, None, None)
    step = steps[state.step_index] if state.step_index < len(steps) else None
    return RolloutRow(
        plan.route_key, steps, step, state.status.value, state.step_started, state.reason
    )
