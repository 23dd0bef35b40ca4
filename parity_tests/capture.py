"""Row-change capture: a trigger-based change log, read back as net changes per row.

``install_change_capture`` (idempotent, committed) creates ``parity_change_log`` and one
AFTER ROW trigger per captured table. The trigger logs only in a transaction that ran
``SET LOCAL strangler.parity_capture = 'on'``, so production traffic on the same database
logs nothing; the harness's own log rows are rolled back with the case.

Example:
    >>> log = [("t", "INSERT", None, {"id": 7, "v": "a"}),
    ...        ("t", "UPDATE", {"id": 7, "v": "a"}, {"id": 7, "v": "b"})]
    >>> net_changes(log, {"t": ("id",)})
    [RowChange(table='t', op='insert', key=(7,), before=None, after={'id': 7, 'v': 'b'})]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg2

from parity_tests.errors import IsolationError

LOG_TABLE = "parity_change_log"
CAPTURE_ON = "SET LOCAL strangler.parity_capture = 'on'"
CAPTURE_OFF = "SET LOCAL strangler.parity_capture = 'off'"
READ_LOG = f"SELECT tbl, op, old_row, new_row FROM {LOG_TABLE} ORDER BY seq"
NOT_CAPTURED = frozenset({LOG_TABLE, "alembic_version", "parity_mismatches"})

_DDL = f"""
CREATE TABLE IF NOT EXISTS {LOG_TABLE} (
    seq bigserial PRIMARY KEY, tbl text NOT NULL, op text NOT NULL,
    old_row jsonb, new_row jsonb
);
CREATE OR REPLACE FUNCTION parity_capture_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('strangler.parity_capture', true) IS DISTINCT FROM 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO {LOG_TABLE} (tbl, op, old_row, new_row) VALUES (
        TG_TABLE_NAME, TG_OP,
        CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
        CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
    RETURN NULL;
END
$$;
"""
_TRIGGER = (
    "CREATE OR REPLACE TRIGGER parity_capture AFTER INSERT OR UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION parity_capture_row()"
)
_TABLES = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname"
)
_PRIMARY_KEYS = """
SELECT c.relname, array_agg(a.attname ORDER BY array_position(i.indkey, a.attnum))
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
WHERE i.indisprimary AND n.nspname = 'public' GROUP BY c.relname
"""

TableKeys = Mapping[str, tuple[str, ...]]
LogRow = tuple[str, str, Any, Any]


@dataclass(frozen=True)
class RowChange:
    """The net effect of a case on one row: insert, update or delete."""

    table: str
    op: str
    key: tuple[Any, ...]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def install_change_capture(database_url: str) -> TableKeys:
    """Create the log and the triggers (committed); returns each table's primary key."""
    try:
        conn = psycopg2.connect(database_url)
        try:
            with conn, conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(hashtext('parity_change_capture'))")
                cur.execute(_DDL)
                cur.execute(_TABLES)
                tables = [name for (name,) in cur.fetchall() if name not in NOT_CAPTURED]
                for table in tables:
                    cur.execute(_TRIGGER.format(table=_quoted(table)))
                cur.execute(_PRIMARY_KEYS)
                keys = {name: tuple(columns) for name, columns in cur.fetchall()}
            return {table: keys.get(table, ()) for table in tables}
        finally:
            conn.close()
    except psycopg2.Error as exc:
        raise IsolationError(f"could not install change capture: {exc.pgerror or exc}") from exc


def net_changes(log: Iterable[LogRow], keys: TableKeys) -> list[RowChange]:
    """Fold the log into one change per row, in order of each row's first change."""
    folded: dict[tuple[str, tuple[Any, ...]], RowChange] = {}
    for table, op, old, new in log:
        row = new if new is not None else old
        ident = (table, _key_of(row, keys.get(table, ())))
        folded[ident] = _fold(folded.get(ident), table, op, old, new, ident[1])
    return [change for change in folded.values() if not _is_noop(change)]


def _fold(
    prior: RowChange | None, table: str, op: str, old: Any, new: Any, key: tuple[Any, ...]
) -> RowChange:
    if prior is None:
        kind = {"INSERT": "insert", "UPDATE": "update", "DELETE": "delete"}[op]
        return RowChange(table, kind, key, old, new)
    if op == "DELETE":
        return RowChange(
            table, "gone" if prior.op == "insert" else "delete", key, prior.before, None
        )
    kind = {"gone": "insert", "delete": "update"}.get(prior.op, prior.op)
    return RowChange(table, kind, key, prior.before, new)


def _is_noop(change: RowChange) -> bool:
    return change.op == "gone" or (change.op == "update" and change.before == change.after)


def _key_of(row: Mapping[str, Any], columns: Sequence[str]) -> tuple[Any, ...]:
    if not columns:  # no primary key: the whole row is its identity
        return tuple(sorted((k, repr(v)) for k, v in row.items()))
    return tuple(row.get(column) for column in columns)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def transplant_sql(change: RowChange, keys: TableKeys) -> tuple[str, Any]:
    """SQL (psycopg2/asyncpg neutral: one JSON parameter) replaying a change on another side."""
    table = _quoted(change.table)
    columns = keys.get(change.table, ())
    where = " AND ".join(f"t.{_quoted(c)} = r.{_quoted(c)}" for c in columns) or "false"
    source = f"jsonb_populate_record(NULL::{table}, {{param}}::jsonb) r"
    if change.op == "insert":
        return f"INSERT INTO {table} SELECT r.* FROM {source}", change.after
    if change.op == "delete":
        return f"DELETE FROM {table} t USING {source} WHERE {where}", change.before
    assert change.after is not None
    sets = ", ".join(f"{_quoted(c)} = r.{_quoted(c)}" for c in change.after)
    return f"UPDATE {table} t SET {sets} FROM {source} WHERE {where}", change.after


def uncaptured(setup: Iterable[str]) -> list[str]:
    """The statements that run a case's setup with capture off: setup is the same on both
    sides by construction, so only the case's own effects count. No setup: none."""
    statements = list(setup)
    return [CAPTURE_OFF, *statements, CAPTURE_ON] if statements else []

