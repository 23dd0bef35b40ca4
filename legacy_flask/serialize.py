"""ORM rows to the contract's JSON objects.

Example:
    >>> from datetime import UTC, datetime
    >>> row = Transfer(id="tr_" + "0" * 24, from_account_id=1, to_account_id=2,
    ...                amount_cents=5, currency="EUR", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    >>> transfer_json(row)["created_at"]
    '2026-01-01T00:00:00.000000Z'
"""

from __future__ import annotations

from typing import Any

from legacy_flask.models import Account, LedgerEntry, Payment, Refund, Transfer
from legacy_flask.wire import format_timestamp


def account_json(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "owner": account.owner,
        "currency": account.currency,
        "balance_cents": account.balance_cents,
        "status": account.status,
        "nickname": account.nickname,
        "created_at": format_timestamp(account.created_at),
    }


def refund_json(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "payment_id": refund.payment_id,
        "amount_cents": refund.amount_cents,
        "reason": refund.reason,
        "created_at": format_timestamp(refund.created_at),
    }


def payment_json(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "account_id": payment.account_id,
        "amount_cents": payment.amount_cents,
        "currency": payment.currency,
        "merchant": payment.merchant,
        "description": payment.description,
        "status": payment.status,
        "refunded_cents": payment.refunded_cents,
        "created_at": format_timestamp(payment.created_at),
        "refunds": [refund_json(refund) for refund in payment.refunds],
    }


def transfer_json(transfer: Transfer) -> dict[str, Any]:
    return {
        "id": transfer.id,
        "from_account_id": transfer.from_account_id,
        "to_account_id": transfer.to_account_id,
        "amount_cents": transfer.amount_cents,
        "currency": transfer.currency,
        "created_at": format_timestamp(transfer.created_at),
    }


def ledger_json(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "account_id": entry.account_id,
        "amount_cents": entry.amount_cents,
        "kind": entry.kind,
        "ref_id": entry.ref_id,
        "balance_after_cents": entry.balance_after_cents,
        "created_at": format_timestamp(entry.created_at),
    }
