"""Fleet counters in PostgreSQL: ``router_processes`` and ``router_counters`` (migration
0004), one connection in autocommit outside the few statements that must go together.

Example:
    store = PostgresFleetStore("postgresql://postgres@127.0.0.1:5432/test")
    store.publish("host:1:ab", {("GET /api/v1/me", "requests.new"): 3}, register=True)
    store.totals()["GET /api/v1/me"]["requests.new"]
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from rollout.errors import FleetError
from rollout.pg import Lease, first_line
from rollout.telemetry.fleet.store import (
    RETIRED,
    STALE_AFTER,
    Counts,
    ProcessCounts,
    Values,
    nested,
)

T = TypeVar("T")

_REGISTER = """
INSERT INTO router_processes (process_id) VALUES (%s)
ON CONFLICT (process_id) DO UPDATE SET seen_at = now()
RETURNING process_id
"""
# The row lock this takes is what keeps a concurrent fold from deleting a live process.
_SEEN = "UPDATE router_processes SET seen_at = now() WHERE process_id = %s RETURNING process_id"
_UPSERT = """
INSERT INTO router_counters AS c (process_id, route_key, name, value) VALUES %s
ON CONFLICT (process_id, route_key, name) DO UPDATE SET
    value = EXCLUDED.value, updated_at = now()
"""
# One statement: the processes leave, their counters move to 'retired', added in.
_FOLD = """
WITH gone AS (
    DELETE FROM router_processes WHERE {which} RETURNING process_id
), moved AS (
    DELETE FROM router_counters c USING gone WHERE c.process_id = gone.process_id
    RETURNING c.route_key, c.name, c.value
), added AS (
    INSERT INTO router_counters AS c (process_id, route_key, name, value)
    SELECT %(retired)s, route_key, name, sum(value) FROM moved GROUP BY route_key, name
    ON CONFLICT (process_id, route_key, name) DO UPDATE SET
        value = c.value + EXCLUDED.value, updated_at = now()
)
SELECT count(*) FROM gone
"""
_TOTALS = "SELECT route_key, name, sum(value) FROM router_counters GROUP BY route_key, name"
_PER_PROCESS = """
SELECT c.process_id, p.seen_at, c.route_key, c.name, c.value
FROM router_counters c LEFT JOIN router_processes p USING (process_id)
ORDER BY c.process_id = %s, c.process_id, c.route_key, c.name
"""


class PostgresFleetStore:
    def __init__(self, database_url: str) -> None:
        self._db = Lease(database_url)

    def publish(self, process_id: str, values: Values, register: bool) -> bool:
        rows = [(process_id, key, name, value) for (key, name), value in values.items()]

        def write(cur: Any) -> bool:
            cur.execute(_REGISTER if register else _SEEN, (process_id,))
            if cur.fetchone() is None:
                return False
            if rows:
                psycopg2.extras.execute_values(cur, _UPSERT, rows)
            return True

        return self._run(write, transaction=True)

    def retire(self, process_id: str) -> None:
        self._fold("process_id = %(process)s", {"process": process_id})

    def fold_stale(self, older_than: timedelta = STALE_AFTER) -> int:
        return self._fold("seen_at < now() - %(older)s", {"older": older_than})

    def _fold(self, which: str, params: dict[str, Any]) -> int:
        def fold(cur: Any) -> int:
            cur.execute(_FOLD.format(which=which), {**params, "retired": RETIRED})
            return int(cur.fetchone()[0])

        return self._run(fold, transaction=False)

    def totals(self) -> Counts:
        def select(cur: Any) -> Counts:
            cur.execute(_TOTALS)
            return nested(cur.fetchall())

        return self._run(select, transaction=False)

    def per_process(self) -> list[ProcessCounts]:
        def select(cur: Any) -> list[ProcessCounts]:
            cur.execute(_PER_PROCESS, (RETIRED,))
            found: dict[str, ProcessCounts] = {}
            for process_id, seen_at, key, name, value in cur.fetchall():
                process = found.get(process_id)
                if process is None:
                    process = found[process_id] = ProcessCounts(process_id, seen_at, {})
                process.routes.setdefault(key, {})[name] = int(value)
            return list(found.values())

        return self._run(select, transaction=False)

    def close(self) -> None:
        self._db.close()

    def _run(self, action: Callable[[Any], T], transaction: bool) -> T:
        try:
            with self._db.connection() as conn:
                if not transaction:
                    with conn.cursor() as cur:
                        return action(cur)
                with conn.cursor() as cur:
                    cur.execute("BEGIN")
                    found = action(cur)
                    cur.execute("COMMIT")  # an error leaves it open: rolled back on return
                    return found
        except psycopg2.Error as exc:
            raise FleetError(
                f"router_counters: {type(exc).__name__}: {first_line(exc)}"
            ) from exc
