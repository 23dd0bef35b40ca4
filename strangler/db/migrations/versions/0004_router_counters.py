"""Fleet-wide router counters: what ``strangler status`` and the dashboard total.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Each router process publishes its own counters since it started (requests per backend,
shadow comparisons, mismatches, drops by reason, ...) as absolute values under its
process id, so a publish that is retried or repeated never counts twice. Readers sum
the rows. A router that stops folds its rows into the ``retired`` process, and rows of a
process that stopped publishing long ago (a crash) are folded the same way by whichever
router publishes next: the totals survive restarts while the table stays one row set per
live process.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UPGRADE = """
-- Every router process that has published, and when it last did: a process unseen for
-- longer than the stale bound has its counters folded into 'retired'.
CREATE TABLE router_processes (
    process_id  text        PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    seen_at     timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE router_counters (
    process_id  text        NOT NULL,
    route_key   text        NOT NULL,
    name        text        NOT NULL,
    value       bigint      NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (process_id, route_key, name)
);
"""

DOWNGRADE = """
DROP TABLE router_counters;
DROP TABLE router_processes;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
