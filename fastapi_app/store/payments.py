"""Payments and their refunds: read one (cached), list, create (debit), refund (credit).

Locks: an account row is always locked before a payment row, so a payment and a refund
on the same account queue up instead of deadlocking.

Example:
    >>> PAYMENT_ID.fullmatch("pay_" + "ab" * 12) is not None
    True
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi_app.cursors import encode_cursor
from fastapi_app.database import Connection, Database
from fastapi_app.errors import CurrencyMismatch, InsufficientFunds, NotFound, RefundExceedsPayment
from fastapi_app.objects import PAYMENT_COLUMNS, REFUND_COLUMNS, page, payment_json, refund_json
from fastapi_app.store.access import owned_by, require_active
from fastapi_app.store.accounts import LOCK_ACCOUNT
from fastapi_app.store.ledger import move_money

PAYMENT_ID = re.compile(r"pay_[0-9a-f]{24}")
REFUND_NAMES = tuple(REFUND_COLUMNS.split(", "))
PREFIXED_PAYMENT_COLUMNS = ", ".join(f"p.{name}" for name in PAYMENT_COLUMNS.split(", "))
SELECT_PAYMENT = (
    f"SELECT {PREFIXED_PAYMENT_COLUMNS}, a.owner FROM payments p "
    "JOIN accounts a ON a.id = p.account_id WHERE p.id = $1"
)
LOCK_PAYMENT = f"SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1 FOR UPDATE"
# A payment's refunds ride along as an array of anonymous rows (asyncpg: tuples, in
# REFUND_COLUMNS order): one round trip per read instead of a second query for them. The
# planner evaluates it only for the rows the LIMIT keeps (after the sort).
REFUNDS_OF_P = (
    f"ARRAY(SELECT ROW({', '.join(f'r.{name}' for name in REFUND_COLUMNS.split(', '))}) "
    "FROM refunds r WHERE r.payment_id = p.id ORDER BY r.created_at, r.id) AS refunds"
)
SELECT_PAYMENT_WITH_REFUNDS = (
    f"SELECT {PREFIXED_PAYMENT_COLUMNS}, a.owner, {REFUNDS_OF_P} FROM payments p "
    "JOIN accounts a ON a.id = p.account_id WHERE p.id = $1"
)
LIST_PAYMENTS = (
    f"SELECT {PREFIXED_PAYMENT_COLUMNS}, {REFUNDS_OF_P} "
    "FROM payments p JOIN accounts a ON a.id = p.account_id "
    "WHERE a.owner = $1 AND ($2::bigint IS NULL OR p.account_id = $2) "
    "AND ($3::text IS NULL OR p.status = $3) "
    "AND ($4::timestamptz IS NULL OR (p.created_at, p.id) < ($4, $5::text)) "
    "ORDER BY p.created_at DESC, p.id DESC LIMIT $6"
)
# One account's page, with that account's owner on every row (and on a single row of
# NULLs when the page is empty): the 404/403 check rides on the page's round trip.
LIST_ACCOUNT_PAYMENTS = (
    "SELECT owner_row.account_owner, page.* FROM "
    "(SELECT (SELECT owner FROM accounts WHERE id = $2) AS account_owner) owner_row "
    f"LEFT JOIN LATERAL ({LIST_PAYMENTS}) page ON true"
)
INSERT_PAYMENT = (
    "INSERT INTO payments (id, account_id, amount_cents, currency, merchant, description, status)"
    f" VALUES ($1, $2, $3, $4, $5, $6, 'succeeded') RETURNING {PAYMENT_COLUMNS}"
)
INSERT_REFUND = (
    "INSERT INTO refunds (id, payment_id, amount_cents, reason) VALUES ($1, $2, $3, $4) "
    f"RETURNING {REFUND_COLUMNS}"
)
APPLY_REFUND = (
    "UPDATE payments SET refunded_cents = refunded_cents + $2, "
    "status = CASE WHEN refunded_cents + $2 = amount_cents THEN 'refunded' "
    "ELSE 'partially_refunded' END WHERE id = $1"
)


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _with_refunds(row: Mapping[str, Any]) -> dict[str, Any]:
    refunds = [dict(zip(REFUND_NAMES, values, strict=True)) for values in row["refunds"]]
    return payment_json(row, refunds)


async def load_payment(database: Database, payment_id: str) -> dict[str, Any] | None:
    """``{"owner", "payment"}`` or None; this is what the cache stores."""
    if not PAYMENT_ID.fullmatch(payment_id):
        return None
    row = await database.fetchrow(SELECT_PAYMENT_WITH_REFUNDS, payment_id)
    if row is None:
        return None
    return {"owner": row["owner"], "payment": _with_refunds(row)}


async def list_payments(
    database: Database,
    owner: str,
    filters: tuple[int | None, str | None],
    limit: int,
    after: tuple[datetime, str] | None,
) -> dict[str, Any]:
    """A page of the owner's payments; with an account filter, 404/403 unless it is theirs."""
    account_id, status = filters
    after_at, after_id = after if after else (None, None)
    query = LIST_PAYMENTS if account_id is None else LIST_ACCOUNT_PAYMENTS
    fetched = await database.fetch(query, owner, account_id, status, after_at, after_id, limit + 1)
    if account_id is not None:
        account_owner = fetched[0]["account_owner"]
        owned_by(None if account_owner is None else {"owner": account_owner}, owner)
        fetched = [row for row in fetched if row["id"] is not None]
    items = [_with_refunds(row) for row in fetched[:limit]]
    if len(fetched) <= limit:
        return page(items, None)
    return page(items, encode_cursor([items[-1]["created_at"], items[-1]["id"]]))


async def create_payment(
    conn: Connection, database: Database, owner: str, body: dict[str, Any]
) -> dict[str, Any]:
    account = owned_by(await database.fetchrow_on(conn, LOCK_ACCOUNT, body["account_id"]), owner)
    require_active(account)
    if account["currency"] != body["currency"]:
        raise CurrencyMismatch()
    if account["balance_cents"] < body["amount_cents"]:
        raise InsufficientFunds()
    payment_id = new_id("pay")
    row = await database.fetchrow_on(
        conn,
        INSERT_PAYMENT,
        payment_id,
        account["id"],
        body["amount_cents"],
        body["currency"],
        body["merchant"],
        body.get("description"),
    )
    assert row is not None
    await move_money(conn, database, dict(account), -body["amount_cents"], "payment", payment_id)
    return payment_json(row, [])


async def refund_payment(
    conn: Connection, database: Database, owner: str, payment_id: str, body: dict[str, Any]
) -> tuple[dict[str, Any], int]:
    """The refund object and the refunded payment's account id (its cache must go)."""
    if not PAYMENT_ID.fullmatch(payment_id):
        raise NotFound()
    found = await database.fetchrow_on(conn, SELECT_PAYMENT, payment_id)
    if found is None:
        raise NotFound()
    account = owned_by(await database.fetchrow_on(conn, LOCK_ACCOUNT, found["account_id"]), owner)
    require_active(account)
    payment = await database.fetchrow_on(conn, LOCK_PAYMENT, payment_id)
    assert payment is not None
    amount = body["amount_cents"]
    if amount > payment["amount_cents"] - payment["refunded_cents"]:
        raise RefundExceedsPayment()
    refund = await database.fetchrow_on(
        conn, INSERT_REFUND, new_id("re"), payment_id, amount, body.get("reason")
    )
    assert refund is not None
    await database.execute_on(conn, APPLY_REFUND, payment_id, amount)
    await move_money(conn, database, dict(account), amount, "refund", refund["id"])
    return refund_json(refund), int(account["id"])
