"""``/api/v1/accounts``: list, create, read, update, ledger and summary.

Example:
    >>> blueprint.url_prefix
    '/api/v1'
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import func, select

from legacy_flask.auth import current_caller, login_required
from legacy_flask.db import request_session
from legacy_flask.errors import AccountNotActive, InvalidRequest
from legacy_flask.lookups import owned_account
from legacy_flask.models import Account, LedgerEntry, Payment, Transfer
from legacy_flask.money import move_money
from legacy_flask.pagination import (
    QueryErrors,
    is_id_key,
    page,
    parse_choice,
    parse_cursor,
    parse_limit,
)
from legacy_flask.schemas import CREATE_ACCOUNT, UPDATE_ACCOUNT
from legacy_flask.serialize import account_json, ledger_json
from legacy_flask.wire import json_response
from legacy_flask.writes import Answer, idempotent_write

blueprint = Blueprint("accounts", __name__, url_prefix="/api/v1")

ACCOUNT_STATUSES = ("active", "frozen", "closed")
LEDGER_KINDS = ("deposit", "payment", "refund", "transfer_in", "transfer_out")
PAYMENT_STATUSES = ("succeeded", "partially_refunded", "refunded")


@blueprint.get("/accounts")
@login_required
def list_accounts() -> Response:
    errors = QueryErrors()
    status = parse_choice(request.args, "status", ACCOUNT_STATUSES, errors)
    limit = parse_limit(request.args, errors)
    cursor = parse_cursor(request.args, errors, is_id_key)
    if errors:
        raise InvalidRequest(errors)
    query = select(Account).where(Account.owner == current_caller().owner)
    if status is not None:
        query = query.where(Account.status == status)
    if cursor is not None:
        query = query.where(Account.id < cursor[0])
    rows = request_session().scalars(query.order_by(Account.id.desc()).limit(limit + 1)).all()
    return json_response(page(rows, limit, account_json, lambda row: [row.id]))


@blueprint.post("/accounts")
@login_required
@idempotent_write(CREATE_ACCOUNT)
def create_account(body: dict[str, Any]) -> Answer:
    session = request_session()
    deposit = body.get("initial_deposit_cents", 0)
    account = Account(
        owner=current_caller().owner,
        currency=body["currency"],
        balance_cents=0,
        status="active",
        nickname=body.get("nickname"),
    )
    session.add(account)
    session.flush()
    if deposit > 0:
        move_money(session, account, deposit, "deposit", None)
    return account_json(account), 201


@blueprint.get("/accounts/<int:account_id>")
@login_required
def get_account(account_id: int) -> Response:
    account = owned_account(request_session(), account_id, current_caller())
    return json_response(account_json(account))


@blueprint.patch("/accounts/<int:account_id>")
@login_required
@idempotent_write(UPDATE_ACCOUNT)
def update_account(body: dict[str, Any], account_id: int) -> Answer:
    session = request_session()
    account = owned_account(session, account_id, current_caller(), lock=True)
    if account.status == "closed":
        raise AccountNotActive()
    if "nickname" in body:
        account.nickname = body["nickname"]
    if "status" in body:
        account.status = body["status"]
    session.flush()
    return account_json(account), 200


@blueprint.get("/accounts/<int:account_id>/ledger")
@login_required
def list_ledger(account_id: int) -> Response:
    errors = QueryErrors()
    kind = parse_choice(request.args, "kind", LEDGER_KINDS, errors)
    limit = parse_limit(request.args, errors)
    cursor = parse_cursor(request.args, errors, is_id_key)
    if errors:
        raise InvalidRequest(errors)
    session = request_session()
    owned_account(session, account_id, current_caller())
    query = select(LedgerEntry).where(LedgerEntry.account_id == account_id)
    if kind is not None:
        query = query.where(LedgerEntry.kind == kind)
    if cursor is not None:
        query = query.where(LedgerEntry.id < cursor[0])
    rows = session.scalars(query.order_by(LedgerEntry.id.desc()).limit(limit + 1)).all()
    return json_response(page(rows, limit, ledger_json, lambda row: [row.id]))


@blueprint.get("/accounts/<int:account_id>/summary")
@login_required
def account_summary(account_id: int) -> Response:
    session = request_session()
    account = owned_account(session, account_id, current_caller())
    payments = {status: {"count": 0, "amount_cents": 0} for status in PAYMENT_STATUSES}
    refunded = 0
    # One query per payment: the legacy way, slow on purpose (the port aggregates in SQL).
    payment_ids = session.scalars(
        select(Payment.id).where(Payment.account_id == account_id).order_by(Payment.id)
    ).all()
    for payment_id in payment_ids:
        payment = session.get_one(Payment, payment_id)
        payments[payment.status]["count"] += 1
        payments[payment.status]["amount_cents"] += payment.amount_cents
        refunded += payment.refunded_cents
    return json_response(
        {
            "account_id": account.id,
            "balance_cents": account.balance_cents,
            "payments": payments,
            "refunded_cents": refunded,
            "transfers_in_cents": _transfer_total(Transfer.to_account_id, account_id),
            "transfers_out_cents": _transfer_total(Transfer.from_account_id, account_id),
        }
    )


def _transfer_total(side: Any, account_id: int) -> int:
    total = request_session().scalar(
        select(func.coalesce(func.sum(Transfer.amount_cents), 0)).where(side == account_id)
    )
    return int(total or 0)
