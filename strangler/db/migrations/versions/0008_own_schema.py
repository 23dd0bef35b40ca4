"""The router's tables move into their own schema, ``strangler``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

A user's app may have tables named like the router's (``audit_log``, ``guard_state``):
in schema ``strangler`` they never clash. A database migrated since this revision had
its tables created there already (the migration environment puts ``strangler`` first on
the search path); one migrated before has them in ``public``, and they move here. A
table moves only when ``strangler`` has none of that name, so a user's own ``public``
table of the same name is never touched.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = (
    "rollout_flags", "rollout_switches", "parity_mismatches", "route_windows",
    "route_window_totals", "guard_state", "audit_log", "recorded_exchanges", "guard_leader",
)  # fmt: skip
FUNCTIONS = ("rollout_notify_change()", "strangler_add_counters(jsonb, jsonb)")


def _moves(kind: str, names: tuple[str, ...]) -> str:
    lookup = "to_regclass" if kind == "TABLE" else "to_regprocedure"
    return "\n".join(
        f"    IF {lookup}('public.{name}') IS NOT NULL AND {lookup}('strangler.{name}') IS NULL"
        f" THEN ALTER {kind} public.{name} SET SCHEMA strangler; END IF;"
        for name in names
    )


def upgrade() -> None:
    op.execute(
        "CREATE SCHEMA IF NOT EXISTS strangler;\n"
        f"DO $$ BEGIN\n{_moves('TABLE', TABLES)}\n{_moves('FUNCTION', FUNCTIONS)}\nEND $$;"
    )


def downgrade() -> None:
    moves = "\n".join(f"    ALTER TABLE strangler.{name} SET SCHEMA public;" for name in TABLES)
    functions = "\n".join(f"    ALTER FUNCTION strangler.{f} SET SCHEMA public;" for f in FUNCTIONS)
    op.execute(f"DO $$ BEGIN\n{moves}\n{functions}\nEND $$;")
