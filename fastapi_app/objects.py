"""Database rows to the contract's JSON objects (key names and formats fixed by the contract).

Example:
    >>> from datetime import UTC, datetime
    >>> refund_json({"id": "re_1", "payment_id": "pay_1", "amount_cents": 5, "reason": None,
    ...              "created_at": datetime(2026, 1, 1, tzinfo=UTC)})["created_at"]
    '2026-01-01T00:00:00.000000Z'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi_app.wire import format_timestamp

Row = Mapping[str, Any]
ACCOUNT_COLUMNS = "id, owner, currency, balance_cents, status, nickname, created_at"
PAYMENT_COLUMNS = (
    "id, account_id, amount_cents, currency, merchant, description, status, "
    "refunded_cents, created_at"
)
REFUND_COLUMNS = "id, payment_id, amount_cents, reason, created_at"
TRANSFER_COLUMNS = "id, from_account_id, to_account_id, amount_cents, currency, created_at"
LEDGER_COLUMNS = "id, account_id, amount_cents, kind, ref_id, balance_after_cents, created_at"


def _plain(row: Row, names: str) -> dict[str, Any]:
    result = {name: row[name] for name in names.split(", ")}
    result["created_at"] = format_timestamp(row["created_at"])
    return result


def account_json(row: Row) -> dict[str, Any]:
    return _plain(row, ACCOUNT_COLUMNS)


def refund_json(row: Row) -> dict[str, Any]:
    return _plain(row, REFUND_COLUMNS)


def payment_json(row: Row, refunds: Sequence[Row]) -> dict[str, Any]:
    result = _plain(row, PAYMENT_COLUMNS)
    result["refunds"] = [refund_json(refund) for refund in refunds]
    return result


def transfer_json(row: Row) -> dict[str, Any]:
    return _plain(row, TRANSFER_COLUMNS)


def ledger_json(row: Row) -> dict[str, Any]:
    return _plain(row, LEDGER_COLUMNS)


def page(items: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    return {"data": items, "next_cursor": next_cursor}
