"""Ledger entries: one per balance change, listed newest first.

Example:
    >>> LEDGER_KINDS
    ('deposit', 'payment', 'refund', 'transfer_in', 'transfer_out')
"""

from __future__ import annotations

from typing import Any

from fastapi_app.cursors import encode_cursor
from fastapi_app.database import Connection, Database
from fastapi_app.objects import LEDGER_COLUMNS, ledger_json, page

LEDGER_KINDS = ("deposit", "payment", "refund", "transfer_in", "transfer_out")
INSERT_ENTRY = (
    "INSERT INTO ledger_entries (account_id, amount_cents, kind, ref_id, balance_after_cents) "
    "VALUES ($1, $2, $3, $4, $5)"
)
LIST_ENTRIES = (
    f"SELECT {LEDGER_COLUMNS} FROM ledger_entries WHERE account_id = $1 "
    "AND ($2::text IS NULL OR kind = $2) AND ($3::bigint IS NULL OR id < $3) "
    "ORDER BY id DESC LIMIT $4"
)
MOVE_BALANCE = "UPDATE accounts SET balance_cents = balance_cents + $2 WHERE id = $1"


async def write_entry(
    conn: Connection,
    database: Database,
    account_id: int,
    amount: int,
    kind: str,
    ref_id: str | None,
    balance_after: int,
) -> None:
    await database.execute_on(conn, INSERT_ENTRY, account_id, amount, kind, ref_id, balance_after)


async def move_money(
    conn: Connection,
    database: Database,
    account: dict[str, Any],
    amount: int,
    kind: str,
    ref_id: str,
) -> int:
    """Change a locked account's balance by ``amount`` and write its entry; new balance."""
    balance = int(account["balance_cents"]) + amount
    await database.execute_on(conn, MOVE_BALANCE, account["id"], amount)
    await write_entry(conn, database, account["id"], amount, kind, ref_id, balance)
    return balance


async def list_entries(
    database: Database, account_id: int, kind: str | None, limit: int, after_id: int | None
) -> dict[str, Any]:
    rows = await database.fetch(LIST_ENTRIES, account_id, kind, after_id, limit + 1)
    items = [ledger_json(row) for row in rows[:limit]]
    more = len(rows) > limit
    return page(items, encode_cursor([items[-1]["id"]]) if more else None)
