"""``/api/v1/payments``: list, create, read, and refunds of a payment.

Example:
    >>> blueprint.name
    'payments'
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import select, tuple_
from sqlalchemy.orm import selectinload

from legacy_flask.auth import current_caller, login_required
from legacy_flask.db import request_session
from legacy_flask.errors import (
    CurrencyMismatch,
    InsufficientFunds,
    InvalidRequest,
    NotFound,
    RefundExceedsPayment,
)
from legacy_flask.lookups import (
    ensure_active,
    ensure_owner,
    find_account,
    find_payment,
    owned_account,
)
from legacy_flask.models import Account, Payment, Refund
from legacy_flask.money import move_money, new_id
from legacy_flask.pagination import (
    QueryErrors,
    is_payment_key,
    page,
    parse_choice,
    parse_cursor,
    parse_integer,
    parse_limit,
)
from legacy_flask.schemas import CREATE_PAYMENT, CREATE_REFUND
from legacy_flask.serialize import payment_json, refund_json
from legacy_flask.wire import format_timestamp, json_response, parse_timestamp
from legacy_flask.writes import Answer, idempotent_write

blueprint = Blueprint("payments", __name__, url_prefix="/api/v1")

PAYMENT_STATUSES = ("succeeded", "partially_refunded", "refunded")


@blueprint.get("/payments")
@login_required
def list_payments() -> Response:
    errors = QueryErrors()
    account_id = parse_integer(request.args, "account_id", errors)
    status = parse_choice(request.args, "status", PAYMENT_STATUSES, errors)
    limit = parse_limit(request.args, errors)
    cursor = parse_cursor(request.args, errors, is_payment_key)
    if errors:
        raise InvalidRequest(errors)
    session = request_session()
    query = select(Payment).options(selectinload(Payment.refunds))
    if account_id is not None:
        owned_account(session, account_id, current_caller())
        query = query.where(Payment.account_id == account_id)
    else:
        query = query.join(Account).where(Account.owner == current_caller().owner)
    if status is not None:
        query = query.where(Payment.status == status)
    if cursor is not None:
        after = (parse_timestamp(cursor[0]), cursor[1])
        query = query.where(tuple_(Payment.created_at, Payment.id) < after)
    query = query.order_by(Payment.created_at.desc(), Payment.id.desc()).limit(limit + 1)
    rows = session.scalars(query).all()
    return json_response(page(rows, limit, payment_json, _payment_key))


def _payment_key(payment: Payment) -> list[Any]:
    return [format_timestamp(payment.created_at), payment.id]


@blueprint.post("/payments")
@login_required
@idempotent_write(CREATE_PAYMENT)
def create_payment(body: dict[str, Any]) -> Answer:
    session = request_session()
    account = find_account(session, body["account_id"], lock=True)
    if account is None:
        raise NotFound()
    ensure_owner(account, current_caller())
    ensure_active(account)
    if account.currency != body["currency"]:
        raise CurrencyMismatch()
    if account.balance_cents < body["amount_cents"]:
        raise InsufficientFunds()
    payment = Payment(
        id=new_id("pay"),
        account_id=account.id,
        amount_cents=body["amount_cents"],
        currency=body["currency"],
        merchant=body["merchant"],
        description=body.get("description"),
        status="succeeded",
        refunded_cents=0,
        refunds=[],
    )
    session.add(payment)
    session.flush()
    move_money(session, account, -payment.amount_cents, "payment", payment.id)
    return payment_json(payment), 201


@blueprint.get("/payments/<payment_id>")
@login_required
def get_payment(payment_id: str) -> Response:
    payment = find_payment(request_session(), payment_id)
    ensure_owner(payment.account, current_caller())
    return json_response(payment_json(payment))


@blueprint.post("/payments/<payment_id>/refunds")
@login_required
@idempotent_write(CREATE_REFUND)
def create_refund(body: dict[str, Any], payment_id: str) -> Answer:
    session = request_session()
    payment = find_payment(session, payment_id, lock=True)
    account = find_account(session, payment.account_id, lock=True)
    if account is None:
        raise NotFound()
    ensure_owner(account, current_caller())
    ensure_active(account)
    amount = body["amount_cents"]
    if amount > payment.amount_cents - payment.refunded_cents:
        raise RefundExceedsPayment()
    refund = Refund(
        id=new_id("re"), payment_id=payment.id, amount_cents=amount, reason=body.get("reason")
    )
    session.add(refund)
    payment.refunded_cents += amount
    payment.status = (
        "refunded" if payment.refunded_cents == payment.amount_cents else "partially_refunded"
    )
    session.flush()
    move_money(session, account, amount, "refund", refund.id)
    return refund_json(refund), 201
