"""Transfers: both accounts locked in id order, checked, then two ledger entries.

Locking in id order (not request order) is what keeps opposite concurrent transfers
from deadlocking; the retry in ``transactions.py`` covers whatever conflict remains.

Example:
    >>> "ORDER BY id FOR UPDATE" in LOCK_BOTH
    True
"""

from __future__ import annotations

from typing import Any

from fastapi_app.database import Connection, Database
from fastapi_app.errors import CurrencyMismatch, InsufficientFunds, NotFound
from fastapi_app.objects import ACCOUNT_COLUMNS, TRANSFER_COLUMNS, transfer_json
from fastapi_app.store.access import owned_by, require_active
from fastapi_app.store.ledger import move_money
from fastapi_app.store.payments import new_id

LOCK_BOTH = (
    f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE"
)
INSERT_TRANSFER = (
    "INSERT INTO transfers (id, from_account_id, to_account_id, amount_cents, currency) "
    f"VALUES ($1, $2, $3, $4, $5) RETURNING {TRANSFER_COLUMNS}"
)


async def _locked_pair(
    conn: Connection, database: Database, owner: str, body: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    source_id, target_id = body["from_account_id"], body["to_account_id"]
    rows = await database.fetch_on(conn, LOCK_BOTH, [source_id, target_id])
    by_id = {row["id"]: dict(row) for row in rows}
    if source_id not in by_id or target_id not in by_id:
        raise NotFound()
    source, target = owned_by(by_id[source_id], owner), owned_by(by_id[target_id], owner)
    return source, target


async def create_transfer(
    conn: Connection, database: Database, owner: str, body: dict[str, Any]
) -> dict[str, Any]:
    source, target = await _locked_pair(conn, database, owner, body)
    require_active(source)
    require_active(target)
    if body["currency"] != source["currency"] or body["currency"] != target["currency"]:
        raise CurrencyMismatch()
    amount = body["amount_cents"]
    if source["balance_cents"] < amount:
        raise InsufficientFunds()
    transfer_id = new_id("tr")
    row = await database.fetchrow_on(
        conn, INSERT_TRANSFER, transfer_id, source["id"], target["id"], amount, body["currency"]
    )
    assert row is not None
    await move_money(conn, database, source, -amount, "transfer_out", transfer_id)
    await move_money(conn, database, target, amount, "transfer_in", transfer_id)
    return transfer_json(row)
