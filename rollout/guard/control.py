"""Moving a route along its rollout steps: the same transitions for a person
(``strangler rollout advance|pause|resume|rollback``, the dashboard) and for the guard.

Each transition holds the route's lock (``GuardStateStore.locked``), writes the flag
through the audited writer (so the active provider changes and the audit log has the
event), then stores the new state. The guard passes the state it judged as ``expected``:
if a person moved the route in the meantime, the verdict is stale and is dropped.

Example:
    control = RolloutControl(plans, GuardStateStore(url), AuditedWriter(store, audit, "cli"),
                             audit)
    control.advance("GET /api/v1/me", actor="alice")   # starts at the first step
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from rollout.errors import GuardError
from rollout.flags.audit import AuditLog
from rollout.flags.audited import AuditedWriter
from rollout.guard.bounds import Action, Verdict
from rollout.guard.state import GuardState, GuardStateStore, Status
from rollout.guard.steps import RoutePlan, legacy_flag


class RolloutControl:
    def __init__(
        self,
        plans: Mapping[str, RoutePlan],
        states: GuardStateStore,
        writer: AuditedWriter,
        audit: AuditLog,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.plans = plans
        self.states = states
        self.writer = writer
        self.audit = audit
        self.clock = clock

    def advance(self, route_key: str, actor: str, reason: str | None = None) -> GuardState:
        """Start the rollout (or restart it after a rollback), or move to the next step."""
        plan = self.plan(route_key)
        with self.states.locked(route_key) as (cur, state):
            index = (
                0 if state is None or state.status is Status.ROLLED_BACK else state.step_index + 1
            )
            if index >= len(plan.steps):
                raise GuardError(f"{route_key}: already at the last step ({plan.steps[-1]})")
            return self._enter(cur, plan, index, actor, reason or "advanced by hand")

    def pause(self, route_key: str, actor: str, reason: str | None = None) -> GuardState:
        return self._set_status(
            route_key, Status.PAUSED, actor, reason or "paused by hand", "pause"
        )

    def resume(self, route_key: str, actor: str, reason: str | None = None) -> GuardState:
        """Run the current step again from now (its hold and evidence start over)."""
        return self._set_status(
            route_key, Status.RUNNING, actor, reason or "resumed by hand", "resume"
        )

    def rollback(self, route_key: str, actor: str, reason: str | None = None) -> GuardState:
        self.plan(route_key)
        with self.states.locked(route_key) as (cur, state):
            return self._rollback(cur, route_key, state, actor, reason or "rolled back by hand")

    def apply(self, expected: GuardState, verdict: Verdict, actor: str = "guard") -> GuardState:
        """The guard's verdict on ``expected``; a no-op when the state moved meanwhile."""
        route_key = expected.route_key
        plan = self.plan(route_key)
        with self.states.locked(route_key) as (cur, state):
            if state != expected:
                return state or expected
            if verdict.action is Action.ROLLBACK:
                return self._rollback(cur, route_key, state, actor, verdict.reason)
            if verdict.action is Action.PAUSE:
                return self._status(cur, state, Status.PAUSED, actor, verdict.reason, "pause")
            if verdict.action is Action.PROMOTE:
                if state.step_index + 1 >= len(plan.steps):
                    return self._status(cur, state, Status.DONE, actor, verdict.reason, "done")
                return self._enter(cur, plan, state.step_index + 1, actor, verdict.reason)
            return state

    def plan(self, route_key: str) -> RoutePlan:
        found = self.plans.get(route_key)
        if found is None:
            raise GuardError(f'{route_key}: no [rollout."{route_key}"] steps in strangler.toml')
        return found

    def _enter(self, cur: Any, plan: RoutePlan, index: int, actor: str, reason: str) -> GuardState:
        step = plan.steps[index]
        current = self.writer.read_state().flag_for(plan.route_key)
        flag = step.flag(current, plan.bounds)
        self.writer.set_flag(plan.route_key, flag, actor, f"{step}: {reason}", action="advance")
        return self.states.save(
            cur, plan.route_key, index, Status.RUNNING, reason, True, self._now()
        )

    def _rollback(
        self, cur: Any, route_key: str, state: GuardState | None, actor: str, reason: str
    ) -> GuardState:
        current = self.writer.read_state().flag_for(route_key)
        self.writer.set_flag(route_key, legacy_flag(current), actor, reason, action="rollback")
        index = state.step_index if state else 0
        return self.states.save(
            cur, route_key, index, Status.ROLLED_BACK, reason, False, self._now()
        )

    def _set_status(
        self, route_key: str, status: Status, actor: str, reason: str, action: str
    ) -> GuardState:
        self.plan(route_key)
        with self.states.locked(route_key) as (cur, state):
            if state is None:
                raise GuardError(
                    f"{route_key}: no rollout in progress (`strangler rollout advance`)"
                )
            return self._status(cur, state, status, actor, reason, action)

    def _status(
        self, cur: Any, state: GuardState, status: Status, actor: str, reason: str, action: str
    ) -> GuardState:
        step = str(self.plan(state.route_key).steps[state.step_index])
        restart = status is Status.RUNNING
        saved = self.states.save(
            cur, state.route_key, state.step_index, status, reason, restart, self._now()
        )
        before = {"status": state.status.value, "step": step}
        after = {"status": status.value, "step": step}
        self.audit.record(actor, self.writer.source, action, state.route_key, before, after, reason)
        return saved

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)
