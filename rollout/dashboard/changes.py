"""What a dashboard button does: validate the submitted change, then make it through the
active provider's writer (embedded store or Unleash admin API) wrapped in an
``AuditedWriter``, so the audit log says who changed what, from where, from what, to what.

Example:
    changes = FlagChanges(EmbeddedFlagStore(url), AuditLog(url), lambda: {"GET /api/v1/me"})
    changes.set_route(Actor("alice", "dashboard 127.0.0.1"), "GET /api/v1/me", "canary", "5")
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

from rollout.dashboard.errors import ChangeRejected
from rollout.flags.audit import AuditLog
from rollout.flags.audited import AuditedWriter
from rollout.flags.base import FlagWriter
from rollout.types import Mode, RouteFlag, comparing


@dataclass(frozen=True, slots=True)
class Actor:
    name: str  # the logged-in user
    source: str  # "dashboard <client address>"


class FlagChanges:
    def __init__(
        self, writer: FlagWriter, audit: AuditLog, known_routes: Callable[[], Collection[str]]
    ) -> None:
        self.writer = writer
        self.audit = audit
        self._known_routes = known_routes

    def set_route(
        self,
        actor: Actor,
        route_key: str,
        mode: str,
        percent: str | None,
        reason: str = "",
        shadow_sample: str | None = None,
    ) -> RouteFlag:
        """Raises ChangeRejected, ProviderError or AuditError; returns the new flag."""
        if route_key not in self._known_routes():
            raise ChangeRejected(f"unknown route {route_key!r}")
        new_mode = _mode(mode)
        writer = self._audited(actor)
        before = writer.read_state().flag_for(route_key)
        after = comparing(
            replace(
                before,
                mode=new_mode,
                percent=_percent(percent, before.percent),
                shadow_sample=_percent(shadow_sample, before.shadow_sample),
            )
        )
        writer.set_flag(route_key, after, actor=actor.name, reason=reason or None)
        return after

    def set_kill_switch(self, actor: Actor, enabled: bool, reason: str = "") -> None:
        """Raises ProviderError or AuditError."""
        self._audited(actor).set_kill_switch(enabled, actor=actor.name, reason=reason or None)

    def _audited(self, actor: Actor) -> AuditedWriter:
        return AuditedWriter(self.writer, self.audit, source=actor.source)


def _mode(value: str) -> Mode:
    try:
        return Mode(value)
    except ValueError:
        raise ChangeRejected(f"mode must be one of {', '.join(Mode)}, not {value!r}") from None


def _percent(value: str | None, current: int) -> int:
    if value is None or value.strip() == "":
        return current
    try:
        number = int(value)
    except ValueError:
        raise ChangeRejected(f"percent must be a whole number, not {value!r}") from None
    if not 0 <= number <= 100:
        raise ChangeRejected(f"percent must be between 0 and 100, not {number}")
    return number
