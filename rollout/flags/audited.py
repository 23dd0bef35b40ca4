"""A flag writer that records every change in the audit log: the only way the CLI, the
guard and the dashboard change flags.

The event is written after the flag: a flag that failed to change leaves no event, and an
event that failed to store is raised (AuditError) so the caller reports the change as not
cleanly done rather than silently unaudited.

Example:
    writer = AuditedWriter(EmbeddedFlagStore(url), AuditLog(url), source="cli")
    writer.set_flag("GET /api/v1/me", RouteFlag(Mode.SHADOW, shadow_sample=10),
                    actor="alice", reason="start shadowing")
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rollout.flags.audit import AuditLog
from rollout.flags.base import FlagWriter
from rollout.types import RouteFlag, Snapshot


def flag_json(flag: RouteFlag) -> dict[str, Any]:
    """A flag as plain JSON values (enums as their strings)."""
    return {name: getattr(value, "value", value) for name, value in asdict(flag).items()}


class AuditedWriter:
    def __init__(self, writer: FlagWriter, audit: AuditLog, source: str) -> None:
        self.writer = writer
        self.audit = audit
        self.source = source

    def set_flag(
        self,
        route_key: str,
        flag: RouteFlag,
        actor: str = "cli",
        reason: str | None = None,
        action: str = "set_flag",
    ) -> None:
        before = self.writer.read_state().flag_for(route_key)
        self.writer.set_flag(route_key, flag, actor=actor)
        self.audit.record(
            actor, self.source, action, route_key, flag_json(before), flag_json(flag), reason
        )

    def delete_flag(self, route_key: str, actor: str = "cli", reason: str | None = None) -> None:
        before = self.writer.read_state().flag_for(route_key)
        self.writer.delete_flag(route_key, actor=actor)
        self.audit.record(
            actor, self.source, "delete_flag", route_key, flag_json(before), None, reason
        )

    def set_kill_switch(self, enabled: bool, actor: str = "cli", reason: str | None = None) -> None:
        before = self.writer.read_state().kill_switch
        self.writer.set_kill_switch(enabled, actor=actor)
        self.audit.record(
            actor,
            self.source,
            "kill_switch",
            None,
            {"kill_switch": before},
            {"kill_switch": enabled},
            reason,
        )

    def read_state(self) -> Snapshot:
        return self.writer.read_state()
