"""Where each route's rollout stands (table ``guard_state``, migration 0003): the step it
is on, since when, and whether the guard drives it.

Transitions of one route are serialized across processes with a transaction-scoped
advisory lock (``locked``), so a person's ``strangler rollout pause`` and the guard's
promotion cannot interleave.

Example:
    store = GuardStateStore("postgresql://postgres@127.0.0.1:5432/test")
    with store.locked("GET /api/v1/me") as (cur, state):
        store.save(cur, "GET /api/v1/me", 0, Status.RUNNING, "started", True, now)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import psycopg2

from rollout.errors import GuardError
from rollout.pg import Lease


class Status(StrEnum):
    RUNNING = "running"  # the guard evaluates and moves it
    PAUSED = "paused"  # left where it is until a person resumes or advances it
    ROLLED_BACK = "rolled_back"  # on legacy; `advance` starts again from the first step
    DONE = "done"  # the last step held within bounds


@dataclass(frozen=True, slots=True)
class GuardState:
    route_key: str
    step_index: int
    status: Status
    step_started: datetime
    reason: str | None
    updated_at: datetime


_COLUMNS = "route_key, step_index, status, step_started, reason, updated_at"
_UPSERT = f"""
INSERT INTO strangler.guard_state (route_key, step_index, status, step_started, reason, updated_at)
VALUES (%(route)s, %(step)s, %(status)s, %(now)s, %(reason)s, %(now)s)
ON CONFLICT (route_key) DO UPDATE SET
    step_index = EXCLUDED.step_index, status = EXCLUDED.status, reason = EXCLUDED.reason,
    updated_at = EXCLUDED.updated_at,
    step_started = CASE WHEN %(restart)s THEN %(now)s ELSE guard_state.step_started END
RETURNING {_COLUMNS}
"""


class GuardStateStore:
    def __init__(self, database_url: str) -> None:
        self._db = Lease(database_url)

    def close(self) -> None:
        self._db.close()

    def get(self, route_key: str) -> GuardState | None:
        found = self._select("WHERE route_key = %s", (route_key,))
        return found[0] if found else None

    def all(self) -> list[GuardState]:
        return self._select("ORDER BY route_key", ())

    @contextmanager
    def locked(self, route_key: str) -> Iterator[tuple[Any, GuardState | None]]:
        """The route's state, read under its lock; ``save`` with the cursor commits with it."""
        try:
            with self._db.cursor() as cur:
                cur.execute("BEGIN")
                # A transaction-scoped lock: it works behind PgBouncer's transaction pooling.
                cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"guard:{route_key}",))
                query = f"SELECT {_COLUMNS} FROM strangler.guard_state WHERE route_key = %s"
                cur.execute(query, (route_key,))
                row = cur.fetchone()
                yield cur, _state(row) if row else None
                cur.execute("COMMIT")  # on an error instead, the connection rolls back
        except psycopg2.OperationalError as exc:
            raise GuardError(f"guard database unreachable: {type(exc).__name__}") from exc
        except psycopg2.Error as exc:
            raise GuardError(f"guard_state: {type(exc).__name__}: {exc.pgerror or exc}") from exc

    def save(
        self,
        cur: Any,
        route_key: str,
        step_index: int,
        status: Status,
        reason: str | None,
        restart_step: bool,
        now: datetime,
    ) -> GuardState:
        """``restart_step``: the step begins now (its hold and its evidence start over)."""
        params = {
            "now": now,
            "route": route_key,
            "step": step_index,
            "status": status.value,
            "reason": reason,
            "restart": restart_step,
        }
        cur.execute(_UPSERT, params)
        return _state(cur.fetchone())

    def _select(self, where: str, params: tuple[Any, ...]) -> list[GuardState]:
        try:
            with self._db.cursor() as cur:
                cur.execute(f"SELECT {_COLUMNS} FROM strangler.guard_state {where}", params)
                return [_state(row) for row in cur.fetchall()]
        except psycopg2.OperationalError as exc:
            raise GuardError(f"guard database unreachable: {type(exc).__name__}") from exc
        except psycopg2.Error as exc:
            raise GuardError(f"guard_state: {type(exc).__name__}: {exc.pgerror or exc}") from exc


def _state(row: tuple[Any, ...]) -> GuardState:
    key, step, status, started, reason, updated = row
    return GuardState(key, step, Status(status), started, reason, updated)
