"""Loading the rows a request works on, with the contract's 404-then-403 checks.

Example:
    >>> PAYMENT_ID.fullmatch("pay_" + "a" * 24) is not None
    True
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from legacy_flask.auth import Caller
from legacy_flask.errors import AccountNotActive, Forbidden, NotFound
from legacy_flask.models import Account, Payment
from legacy_flask.validation import MAX_BIGINT

PAYMENT_ID = re.compile(r"pay_[0-9a-f]{24}")


def find_account(session: Session, account_id: int, *, lock: bool = False) -> Account | None:
    """The account row, ``SELECT ... FOR UPDATE`` when ``lock``; None if it cannot exist."""
    if not 1 <= account_id <= MAX_BIGINT:
        return None
    query = select(Account).where(Account.id == account_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).first()


def owned_account(
    session: Session, account_id: int, caller: Caller, *, lock: bool = False
) -> Account:
    account = find_account(session, account_id, lock=lock)
    if account is None:
        raise NotFound()
    ensure_owner(account, caller)
    return account


def ensure_owner(account: Account, caller: Caller) -> None:
    if account.owner != caller.owner:
        raise Forbidden()


def ensure_active(account: Account) -> None:
    if account.status != "active":
        raise AccountNotActive()


def find_payment(session: Session, payment_id: str, *, lock: bool = False) -> Payment:
    if PAYMENT_ID.fullmatch(payment_id) is None:
        raise NotFound()
    query = select(Payment).where(Payment.id == payment_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    payment = session.scalars(query).first()
    if payment is None:
        raise NotFound()
    return payment
