"""One cross-process counter store: the traffic windows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

Every router process already wrote its requests, comparisons and mismatches per route and
10-second window into ``route_windows``; the fleet totals were a second copy of them
(``router_counters``, per process since it started). Now each window row also carries the
counters it lacked (drops and fallbacks by reason, skipped writes, compare and ledger
errors) in ``counters``, and each flush adds what it wrote to ``route_window_totals`` in
the same transaction: the totals since the first router started, which pruning leaves
alone. The old tables' totals (which counted everything the windows hold) become the
starting totals, then the old tables are dropped.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE route_windows ADD COLUMN counters jsonb NOT NULL DEFAULT '{}'::jsonb;

-- Adds two {name: count} objects key by key: how a flush adds a window's counters.
CREATE FUNCTION strangler_add_counters(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_object_agg(key, total), '{}'::jsonb)
    FROM (SELECT key, sum(value::bigint) AS total
          FROM (SELECT * FROM jsonb_each_text(a) UNION ALL SELECT * FROM jsonb_each_text(b))
               AS both_sides
          GROUP BY key) AS summed
$$;

-- Every window ever flushed, per route and counter name (``requests.new``, ``drops.busy``).
CREATE TABLE route_window_totals (
    route_key  text   NOT NULL,
    name       text   NOT NULL,
    value      bigint NOT NULL,
    PRIMARY KEY (route_key, name)
);

INSERT INTO route_window_totals (route_key, name, value)
SELECT route_key, name, sum(value) FROM router_counters GROUP BY 1, 2 HAVING sum(value) > 0;

DROP TABLE router_counters;
DROP TABLE router_processes;
"""

DOWNGRADE = """
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
INSERT INTO router_counters (process_id, route_key, name, value)
SELECT 'retired', route_key, name, value FROM route_window_totals;
DROP TABLE route_window_totals;
DROP FUNCTION strangler_add_counters(jsonb, jsonb);
ALTER TABLE route_windows DROP COLUMN counters;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
