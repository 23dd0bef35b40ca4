"""The account summary in one aggregate query (the legacy app runs one query per payment).

Example:
    >>> summary_json({"id": 1, "balance_cents": 5, "refunded": 0, "transfers_in": 0,
    ...               "transfers_out": 0, **{f"{s}_{k}": 0 for s in PAYMENT_STATUSES
    ...               for k in ("count", "amount")}})["payments"]["refunded"]
    {'count': 0, 'amount_cents': 0}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi_app.database import Database
from fastapi_app.store.access import owned_by

PAYMENT_STATUSES = ("succeeded", "partially_refunded", "refunded")
_PER_STATUS = ",\n".join(
    f"count(*) FILTER (WHERE status = '{status}') AS {status}_count, "
    f"COALESCE(sum(amount_cents) FILTER (WHERE status = '{status}'), 0)::bigint AS {status}_amount"
    for status in PAYMENT_STATUSES
)
SUMMARY = f"""
SELECT a.id, a.owner, a.balance_cents, p.*, t.*
FROM accounts a
CROSS JOIN LATERAL (
    SELECT {_PER_STATUS},
           COALESCE(sum(refunded_cents), 0)::bigint AS refunded
    FROM payments WHERE account_id = a.id
) p
CROSS JOIN LATERAL (
    SELECT COALESCE(sum(amount_cents) FILTER (WHERE to_account_id = a.id), 0)::bigint
               AS transfers_in,
           COALESCE(sum(amount_cents) FILTER (WHERE from_account_id = a.id), 0)::bigint
               AS transfers_out
    FROM transfers WHERE from_account_id = a.id OR to_account_id = a.id
) t
WHERE a.id = $1
"""


def summary_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "account_id": row["id"],
        "balance_cents": row["balance_cents"],
        "payments": {
            status: {"count": row[f"{status}_count"], "amount_cents": row[f"{status}_amount"]}
            for status in PAYMENT_STATUSES
        },
        "refunded_cents": row["refunded"],
        "transfers_in_cents": row["transfers_in"],
        "transfers_out_cents": row["transfers_out"],
    }


async def account_summary(database: Database, owner: str, account_id: int) -> dict[str, Any]:
    row = owned_by(await database.fetchrow(SUMMARY, account_id), owner)
    return summary_json(row)
