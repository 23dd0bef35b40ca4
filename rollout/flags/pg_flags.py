"""The embedded provider's flag tables (migration 0002): read them whole, write one row.

Reads happen in one REPEATABLE READ transaction so that the flags and the kill switch
come from the same moment. Every write fires the ``strangler_flags`` NOTIFY through the
tables' statement triggers.

Example:
    >>> import psycopg2
    >>> conn = psycopg2.connect("postgresql://postgres@127.0.0.1:5432/test")  # doctest: +SKIP
    >>> read_snapshot(conn, source="embedded").kill_switch  # doctest: +SKIP
    False
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from psycopg2.extensions import connection

from rollout.naming import KILL_SWITCH_FLAG, route_flag_name
from rollout.types import Mode, RouteFlag, Snapshot, Stickiness

NOTIFY_CHANNEL = "strangler_flags"

_SELECT_FLAGS = (
    "SELECT route_key, mode, percent, shadow_sample, stickiness, group_id, sandbox_writes,"
    " reverse_shadow FROM strangler.rollout_flags"
)
_SELECT_KILL_SWITCH = "SELECT enabled FROM strangler.rollout_switches WHERE name = %s"
_UPSERT_FLAG = """
INSERT INTO strangler.rollout_flags (route_key, flag_name, mode, percent, shadow_sample, stickiness,
                           group_id, sandbox_writes, reverse_shadow, updated_by)
VALUES (%(route_key)s, %(flag_name)s, %(mode)s, %(percent)s, %(shadow_sample)s,
        %(stickiness)s, %(group_id)s, %(sandbox_writes)s, %(reverse_shadow)s, %(actor)s)
ON CONFLICT (route_key) DO UPDATE SET
    mode = EXCLUDED.mode, percent = EXCLUDED.percent, shadow_sample = EXCLUDED.shadow_sample,
    stickiness = EXCLUDED.stickiness, group_id = EXCLUDED.group_id,
    sandbox_writes = EXCLUDED.sandbox_writes, reverse_shadow = EXCLUDED.reverse_shadow,
    updated_at = now(), updated_by = EXCLUDED.updated_by
"""
_UPSERT_SWITCH = """
INSERT INTO strangler.rollout_switches (name, enabled, updated_by) VALUES (%s, %s, %s)
ON CONFLICT (name) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = now(),
                                 updated_by = EXCLUDED.updated_by
"""


def read_snapshot(conn: connection, source: str, version: int = 0) -> Snapshot:
    """``conn`` is an autocommit psycopg2 connection; raises psycopg2.Error."""
    with conn.cursor() as cur:
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            cur.execute(_SELECT_FLAGS)
            rows = cur.fetchall()
            cur.execute(_SELECT_KILL_SWITCH, (KILL_SWITCH_FLAG,))
            switch = cur.fetchone()
        finally:
            cur.execute("ROLLBACK")
    return Snapshot(
        routes=MappingProxyType({row[0]: _flag_from_row(row) for row in rows}),
        kill_switch=bool(switch and switch[0]),
        source=source,
        version=version,
    )


def write_flag(conn: connection, route_key: str, flag: RouteFlag, actor: str) -> None:
    params = {
        "route_key": route_key,
        "flag_name": route_flag_name(route_key),
        "mode": flag.mode.value,
        "percent": flag.percent,
        "shadow_sample": flag.shadow_sample,
        "stickiness": flag.stickiness.value,
        "group_id": flag.group_id,
        "sandbox_writes": flag.sandbox_writes,
        "reverse_shadow": flag.reverse_shadow,
        "actor": actor,
    }
    with conn.cursor() as cur:
        cur.execute(_UPSERT_FLAG, params)


def delete_flag(conn: connection, route_key: str) -> None:
    with conn.cursor() as cur:
        cur.execute("DELETE FROM strangler.rollout_flags WHERE route_key = %s", (route_key,))


def write_kill_switch(conn: connection, enabled: bool, actor: str) -> None:
    with conn.cursor() as cur:
        cur.execute(_UPSERT_SWITCH, (KILL_SWITCH_FLAG, enabled, actor))


def _flag_from_row(row: tuple[Any, ...]) -> RouteFlag:
    _, mode, percent, shadow_sample, stickiness, group_id, sandbox, reverse = row
    return RouteFlag(
        mode=Mode(mode),
        percent=percent,
        shadow_sample=shadow_sample,
        stickiness=Stickiness(stickiness),
        group_id=group_id,
        sandbox_writes=sandbox,
        reverse_shadow=reverse,
    )
