"""Accounts: read one (cached), list the caller's, open one, change nickname or status.

Example:
    >>> "FOR UPDATE" in LOCK_ACCOUNT
    True
"""

from __future__ import annotations

from typing import Any

from fastapi_app.cursors import encode_cursor
from fastapi_app.database import Connection, Database
from fastapi_app.objects import ACCOUNT_COLUMNS, account_json, page
from fastapi_app.store.access import owned_by, require_active
from fastapi_app.store.ledger import write_entry

SELECT_ACCOUNT = f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"
LOCK_ACCOUNT = f"{SELECT_ACCOUNT} FOR UPDATE"
LIST_ACCOUNTS = (
    f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE owner = $1 "
    "AND ($2::text IS NULL OR status = $2) AND ($3::bigint IS NULL OR id < $3) "
    "ORDER BY id DESC LIMIT $4"
)
INSERT_ACCOUNT = (
    "INSERT INTO accounts (owner, currency, balance_cents, nickname) VALUES ($1, $2, $3, $4) "
    f"RETURNING {ACCOUNT_COLUMNS}"
)
UPDATE_ACCOUNT = (
    f"UPDATE accounts SET nickname = $2, status = $3 WHERE id = $1 RETURNING {ACCOUNT_COLUMNS}"
)


async def load_account(database: Database, account_id: int) -> dict[str, Any] | None:
    """The account object (with its owner), or None; this is what the cache stores."""
    row = await database.fetchrow(SELECT_ACCOUNT, account_id)
    return account_json(row) if row is not None else None


async def list_accounts(
    database: Database, owner: str, status: str | None, limit: int, after_id: int | None
) -> dict[str, Any]:
    rows = await database.fetch(LIST_ACCOUNTS, owner, status, after_id, limit + 1)
    items = [account_json(row) for row in rows[:limit]]
    more = len(rows) > limit
    return page(items, encode_cursor([items[-1]["id"]]) if more else None)


async def open_account(
    conn: Connection, database: Database, owner: str, body: dict[str, Any]
) -> dict[str, Any]:
    deposit = body.get("initial_deposit_cents", 0)
    row = await database.fetchrow_on(
        conn, INSERT_ACCOUNT, owner, body["currency"], deposit, body.get("nickname")
    )
    assert row is not None
    if deposit > 0:
        await write_entry(conn, database, row["id"], deposit, "deposit", None, deposit)
    return account_json(row)


async def update_account(
    conn: Connection, database: Database, owner: str, account_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    account = owned_by(await database.fetchrow_on(conn, LOCK_ACCOUNT, account_id), owner)
    if account["status"] == "closed":
        require_active(account)
    nickname = body["nickname"] if "nickname" in body else account["nickname"]
    status = body.get("status", account["status"])
    row = await database.fetchrow_on(conn, UPDATE_ACCOUNT, account_id, nickname, status)
    assert row is not None
    return account_json(row)
