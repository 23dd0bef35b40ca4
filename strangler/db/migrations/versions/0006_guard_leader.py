"""The guard's leader lease: one row, held by the router process that acts for the guard.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

A lease instead of a session-level advisory lock: it is taken and renewed in single
statements, so it works through PgBouncer in transaction mode (the Kubernetes manifests
use it), where a session lock would be held by whichever client the server connection
serves next.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE guard_leader (
    name        text        PRIMARY KEY,
    holder      text        NOT NULL,
    expires_at  timestamptz NOT NULL
);
"""

DOWNGRADE = """
DROP TABLE guard_leader;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
