"""``POST /api/v1/transfers``: move money between two of the caller's accounts.

The two accounts are locked in REQUEST order (from, then to), as the old code always
did: opposite concurrent transfers can deadlock, PostgreSQL aborts one (40P01) and it
answers 500 with nothing committed. The port locks in id order and retries instead.

Example:
    >>> blueprint.name
    'transfers'
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from legacy_flask.auth import current_caller, login_required
from legacy_flask.db import request_session
from legacy_flask.errors import CurrencyMismatch, InsufficientFunds, NotFound
from legacy_flask.lookups import ensure_active, ensure_owner, find_account
from legacy_flask.models import Account, Transfer
from legacy_flask.money import move_money, new_id
from legacy_flask.schemas import CREATE_TRANSFER, distinct_accounts
from legacy_flask.serialize import transfer_json
from legacy_flask.writes import Answer, idempotent_write

blueprint = Blueprint("transfers", __name__, url_prefix="/api/v1")


@blueprint.post("/transfers")
@login_required
@idempotent_write(CREATE_TRANSFER, distinct_accounts)
def create_transfer(body: dict[str, Any]) -> Answer:
    session = request_session()
    source = find_account(session, body["from_account_id"], lock=True)
    target = find_account(session, body["to_account_id"], lock=True)
    source, target = _both_usable(source, target, body)
    transfer = Transfer(
        id=new_id("tr"),
        from_account_id=source.id,
        to_account_id=target.id,
        amount_cents=body["amount_cents"],
        currency=body["currency"],
    )
    session.add(transfer)
    session.flush()
    move_money(session, source, -transfer.amount_cents, "transfer_out", transfer.id)
    move_money(session, target, transfer.amount_cents, "transfer_in", transfer.id)
    return transfer_json(transfer), 201


def _both_usable(
    source: Account | None, target: Account | None, body: dict[str, Any]
) -> tuple[Account, Account]:
    if source is None or target is None:
        raise NotFound()
    caller = current_caller()
    ensure_owner(source, caller)
    ensure_owner(target, caller)
    ensure_active(source)
    ensure_active(target)
    if body["currency"] != source.currency or body["currency"] != target.currency:
        raise CurrencyMismatch()
    if source.balance_cents < body["amount_cents"]:
        raise InsufficientFunds()
    return source, target
