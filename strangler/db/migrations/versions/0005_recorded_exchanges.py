"""The traffic recorder's sample: redacted exchanges of the routes it is switched on for.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

One row per recorded request: the route key, who answered, the redacted request and
answer (logsafe.redaction: no credentials, no card numbers) and the JSON Schema of each
body, inferred from the values before they were redacted (a schema holds no values).
The recorder keeps at most ``record_max_rows`` rows per route, the newest; the merged
OpenAPI and ``strangler port`` read them back.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE recorded_exchanges (
    id               bigserial   PRIMARY KEY,
    route_key        text        NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    backend          text        NOT NULL,
    status           integer     NOT NULL,
    exchange         jsonb       NOT NULL,
    request_schema   jsonb,
    response_schema  jsonb
);
CREATE INDEX recorded_exchanges_route ON recorded_exchanges (route_key, id);
"""

DOWNGRADE = """
DROP TABLE recorded_exchanges;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
