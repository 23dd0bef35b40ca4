"""The payments schema both apps serve.

Revision ID: 0001
Revises:
Create Date: 2026-11-21

Money is bigint cents. The CHECK constraints hold the contract's invariants in the
database itself, so a bug in either app fails loudly instead of corrupting balances.
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE accounts (
    id            bigserial PRIMARY KEY,
    owner         text        NOT NULL,
    currency      char(3)     NOT NULL,
    balance_cents bigint      NOT NULL DEFAULT 0 CHECK (balance_cents >= 0),
    status        text        NOT NULL DEFAULT 'active'
                              CHECK (status IN ('active', 'frozen', 'closed')),
    nickname      text,
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- list the caller's accounts newest first, optionally by status
CREATE INDEX accounts_owner_id ON accounts (owner, id DESC);
CREATE INDEX accounts_owner_status_id ON accounts (owner, status, id DESC);

CREATE TABLE api_keys (
    id         bigserial PRIMARY KEY,
    key_hash   char(64)    NOT NULL UNIQUE,
    owner      text        NOT NULL,
    label      text,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX api_keys_owner ON api_keys (owner);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text        NOT NULL UNIQUE,
    password_hash text        NOT NULL,
    owner         text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE payments (
    id             text        PRIMARY KEY CHECK (id ~ '^pay_[0-9a-f]{24}$'),
    account_id     bigint      NOT NULL REFERENCES accounts (id),
    amount_cents   bigint      NOT NULL CHECK (amount_cents > 0),
    currency       char(3)     NOT NULL,
    merchant       text        NOT NULL,
    description    text,
    status         text        NOT NULL
                               CHECK (status IN ('succeeded', 'partially_refunded', 'refunded')),
    refunded_cents bigint      NOT NULL DEFAULT 0
                               CHECK (refunded_cents >= 0 AND refunded_cents <= amount_cents),
    created_at     timestamptz NOT NULL DEFAULT now()
);
-- newest first per account, and the keyset cursor (created_at, id)
CREATE INDEX payments_account_created ON payments (account_id, created_at DESC, id DESC);
CREATE INDEX payments_account_status_created
    ON payments (account_id, status, created_at DESC, id DESC);

CREATE TABLE refunds (
    id           text        PRIMARY KEY CHECK (id ~ '^re_[0-9a-f]{24}$'),
    payment_id   text        NOT NULL REFERENCES payments (id),
    amount_cents bigint      NOT NULL CHECK (amount_cents > 0),
    reason       text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment_created ON refunds (payment_id, created_at, id);

CREATE TABLE transfers (
    id              text        PRIMARY KEY CHECK (id ~ '^tr_[0-9a-f]{24}$'),
    from_account_id bigint      NOT NULL REFERENCES accounts (id),
    to_account_id   bigint      NOT NULL REFERENCES accounts (id),
    amount_cents    bigint      NOT NULL CHECK (amount_cents > 0),
    currency        char(3)     NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (from_account_id <> to_account_id)
);
CREATE INDEX transfers_from ON transfers (from_account_id);
CREATE INDEX transfers_to ON transfers (to_account_id);

CREATE TABLE ledger_entries (
    id                  bigserial   PRIMARY KEY,
    account_id          bigint      NOT NULL REFERENCES accounts (id),
    amount_cents        bigint      NOT NULL,
    kind                text        NOT NULL CHECK (kind IN
                            ('deposit', 'payment', 'refund', 'transfer_in', 'transfer_out')),
    ref_id              text,
    balance_after_cents bigint      NOT NULL CHECK (balance_after_cents >= 0),
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_account_id ON ledger_entries (account_id, id DESC);
CREATE INDEX ledger_account_kind_id ON ledger_entries (account_id, kind, id DESC);

-- Shared by both apps: a retry that lands on the other implementation replays the first
-- one's answer. response_status IS NULL means the first request is still in flight.
CREATE TABLE idempotency_keys (
    owner           text        NOT NULL,
    key             text        NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    method          text        NOT NULL,
    path            text        NOT NULL,
    body_hash       char(64)    NOT NULL,
    response_status integer,
    response_body   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    PRIMARY KEY (owner, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
"""

DOWNGRADE = """
DROP TABLE idempotency_keys;
DROP TABLE ledger_entries;
DROP TABLE transfers;
DROP TABLE refunds;
DROP TABLE payments;
DROP TABLE users;
DROP TABLE api_keys;
DROP TABLE accounts;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
