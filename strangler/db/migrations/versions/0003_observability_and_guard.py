"""Shared state for the dashboard and the guard: traffic windows, guard state, audit log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

Router processes hold no state of their own: each one flushes its per-route, per-backend
counters into ``route_windows`` (one row per process per 10-second window, summed on read),
so the guard and the dashboard see the traffic of every process. Latency is kept as a
fixed-bucket histogram (milliseconds upper bounds in ``latency_bounds_ms``) so that
windows from many processes add up and percentiles can be read from the sum.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE route_windows (
    route_key         text        NOT NULL,
    backend           text        NOT NULL CHECK (backend IN ('legacy', 'new')),
    window_start      timestamptz NOT NULL,
    process_id        text        NOT NULL,
    requests          bigint      NOT NULL DEFAULT 0,
    status_2xx        bigint      NOT NULL DEFAULT 0,
    status_3xx        bigint      NOT NULL DEFAULT 0,
    status_4xx        bigint      NOT NULL DEFAULT 0,
    status_5xx        bigint      NOT NULL DEFAULT 0,
    latency_bounds_ms double precision[] NOT NULL,
    latency_counts    bigint[]    NOT NULL,
    comparisons       bigint      NOT NULL DEFAULT 0,
    mismatches        bigint      NOT NULL DEFAULT 0,
    shadow_drops      bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (route_key, backend, window_start, process_id)
);
CREATE INDEX route_windows_start ON route_windows (window_start);

-- One row per route under a rollout plan: where the guard is, and since when.
CREATE TABLE guard_state (
    route_key    text        PRIMARY KEY,
    step_index   integer     NOT NULL DEFAULT 0,
    status       text        NOT NULL DEFAULT 'running'
                             CHECK (status IN ('running', 'paused', 'rolled_back', 'done')),
    step_started timestamptz NOT NULL DEFAULT now(),
    reason       text,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Every change of a flag, by a person or by the guard: who, when, from where, from, to.
CREATE TABLE audit_log (
    id          bigserial   PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text        NOT NULL,
    source      text        NOT NULL,
    action      text        NOT NULL,
    route_key   text,
    before      jsonb,
    after       jsonb,
    reason      text
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_route ON audit_log (route_key, at DESC);
"""

DOWNGRADE = """
DROP TABLE audit_log;
DROP TABLE guard_state;
DROP TABLE route_windows;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
