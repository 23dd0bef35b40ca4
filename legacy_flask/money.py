"""Balance changes: every one writes exactly one ledger entry with the balance after it.

Callers lock the account (``SELECT ... FOR UPDATE``) and check funds before moving money;
the schema's CHECK constraints catch a bug that slips through.

Example:
    >>> new_id("pay")[:4], len(new_id("pay"))
    ('pay_', 28)
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from legacy_flask.models import Account, LedgerEntry


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def move_money(
    session: Session, account: Account, amount_cents: int, kind: str, ref_id: str | None
) -> LedgerEntry:
    account.balance_cents += amount_cents
    entry = LedgerEntry(
        account_id=account.id,
        amount_cents=amount_cents,
        kind=kind,
        ref_id=ref_id,
        balance_after_cents=account.balance_cents,
    )
    session.add(entry)
    session.flush()
    return entry
