"""The audit log: every flag change, by a person or by the guard: who, when, from where,
from what, to what, and why (table ``audit_log``, migration 0003).

Writers never call this directly for flag changes: ``rollout.flags.audited.AuditedWriter``
wraps the active provider's writer so that no change reaches a flag without its event.
``record`` raises AuditError; a change that cannot be audited is reported as failed.

Example:
    audit = AuditLog("postgresql://postgres@127.0.0.1:5432/test")
    audit.record("alice", "cli", "set_flag", "GET /api/v1/me",
                 {"mode": "legacy"}, {"mode": "shadow"}, reason="start shadowing")
    [event.action for event in audit.recent(10)]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg2
import psycopg2.extras

from rollout.errors import AuditError
from rollout.pg import Lease

_INSERT = """
INSERT INTO strangler.audit_log (actor, source, action, route_key, before, after, reason)
VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id
"""
_SELECT = """
SELECT id, at, actor, source, action, route_key, before, after, reason FROM strangler.audit_log
WHERE (%(route)s::text IS NULL OR route_key = %(route)s)
ORDER BY at DESC, id DESC LIMIT %(limit)s
"""


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: int
    at: datetime
    actor: str  # a user name, or "guard"
    source: str  # "cli", "dashboard", "guard", ...: where the change came from
    action: str  # "set_flag", "kill_switch", "promote", "pause", "rollback", ...
    route_key: str | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    reason: str | None


class AuditLog:
    def __init__(self, database_url: str) -> None:
        self._db = Lease(database_url)

    def record(
        self,
        actor: str,
        source: str,
        action: str,
        route_key: str | None,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
        reason: str | None = None,
    ) -> int:
        """Store one event; returns its id. Raises AuditError."""
        params = (actor, source, action, route_key, _json(before), _json(after), reason)
        rows = self._query(_INSERT, params)
        return int(rows[0][0])

    def recent(self, limit: int = 50, route_key: str | None = None) -> list[AuditEvent]:
        """Newest first. Raises AuditError."""
        rows = self._query(_SELECT, {"route": route_key, "limit": limit})
        return [AuditEvent(*row) for row in rows]

    def close(self) -> None:
        self._db.close()

    def _query(self, sql: str, params: Any) -> list[tuple[Any, ...]]:
        try:
            with self._db.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall())
        except psycopg2.OperationalError as exc:
            raise AuditError(f"audit log unreachable: {type(exc).__name__}") from exc
        except psycopg2.Error as exc:
            raise AuditError(f"audit log: {type(exc).__name__}: {exc.pgerror or exc}") from exc


def _json(value: Mapping[str, Any] | None) -> psycopg2.extras.Json | None:
    return psycopg2.extras.Json(dict(value)) if value is not None else None
