"""Route flags for the embedded provider, and the parity ledger.

Revision ID: 0002
Revises:
Create Date: 2026-11-22

Every write to ``rollout_flags`` or ``rollout_switches`` fires one NOTIFY on the channel
``strangler_flags`` (a statement trigger, so psql, the CLI and the dashboard all notify),
and each router process reloads its snapshot. The payload is empty on purpose: the
listener always reloads the whole state, so a lost or coalesced notification is harmless.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = None
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE rollout_flags (
    route_key      text        PRIMARY KEY,
    flag_name      text        NOT NULL UNIQUE,
    mode           text        NOT NULL DEFAULT 'legacy'
                               CHECK (mode IN ('legacy', 'shadow', 'canary', 'new')),
    percent        integer     NOT NULL DEFAULT 0 CHECK (percent BETWEEN 0 AND 100),
    shadow_sample  integer     NOT NULL DEFAULT 0 CHECK (shadow_sample BETWEEN 0 AND 100),
    stickiness     text        NOT NULL DEFAULT 'default'
                               CHECK (stickiness IN ('default', 'userId', 'sessionId', 'random')),
    group_id       text,
    sandbox_writes boolean     NOT NULL DEFAULT false,
    reverse_shadow boolean     NOT NULL DEFAULT false,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     text
);

-- Global switches; today only 'strangler.kill_switch'.
CREATE TABLE rollout_switches (
    name       text        PRIMARY KEY,
    enabled    boolean     NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text
);

CREATE FUNCTION rollout_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('strangler_flags', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER rollout_flags_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rollout_flags
    FOR EACH STATEMENT EXECUTE FUNCTION rollout_notify_change();
CREATE TRIGGER rollout_switches_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rollout_switches
    FOR EACH STATEMENT EXECUTE FUNCTION rollout_notify_change();

-- One row per shadow or parity mismatch; secrets are redacted before they get here.
CREATE TABLE parity_mismatches (
    id             bigserial   PRIMARY KEY,
    route_key      text        NOT NULL,
    observed_at    timestamptz NOT NULL DEFAULT now(),
    source         text        NOT NULL DEFAULT 'shadow',
    request        jsonb       NOT NULL,
    legacy_response jsonb      NOT NULL,
    new_response   jsonb       NOT NULL,
    differences    jsonb       NOT NULL
);
CREATE INDEX parity_mismatches_route_time ON parity_mismatches (route_key, observed_at DESC);
"""

DOWNGRADE = """
DROP TABLE parity_mismatches;
DROP TABLE rollout_switches;
DROP TABLE rollout_flags;
DROP FUNCTION rollout_notify_change();
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
