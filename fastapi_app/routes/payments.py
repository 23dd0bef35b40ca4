"""``/api/v1/payments``: read, list, create, refund.

Example:
    >>> sorted(route.path for route in router.routes)[0]
    '/api/v1/payments'
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from fastapi_app.bodies import CREATE_PAYMENT, CREATE_REFUND
from fastapi_app.cache import account_key, payment_key
from fastapi_app.cursors import decode_payment_cursor
from fastapi_app.database import Connection, Database
from fastapi_app.openapi_docs import (
    READ_ERRORS,
    WRITE_ERRORS,
    Payment,
    PaymentPage,
    Refund,
    enum_parameter,
    error_responses,
    list_extra,
    query_parameter,
    write_extra,
)
from fastapi_app.query_params import (
    PAYMENT_STATUSES,
    parse_choice,
    parse_cursor,
    parse_integer,
    parse_limit,
)
from fastapi_app.routes.reads import caller, owned_payment, raise_if_invalid
from fastapi_app.store import payments
from fastapi_app.store.access import valid_bigint_id
from fastapi_app.wire import json_response
from fastapi_app.writes import WorkResult, WriteEndpoint, handle_write

router = APIRouter(prefix="/api/v1", tags=["payments"])


@router.get(
    "/payments/{payment_id}", response_model=Payment, responses=error_responses(*READ_ERRORS)
)
async def get_payment(request: Request, payment_id: str) -> Response:
    services, principal = await caller(request)
    return json_response(await owned_payment(services, principal.owner, payment_id))


@router.get(
    "/payments",
    response_model=PaymentPage,
    responses=error_responses(*READ_ERRORS),
    openapi_extra=list_extra(
        query_parameter("account_id", {"type": "integer"}),
        enum_parameter("status", PAYMENT_STATUSES),
    ),
)
async def list_payments(request: Request) -> Response:
    services, principal = await caller(request)
    errors: dict[str, str] = {}
    account_id = parse_integer(request.query_params, "account_id", errors)
    status = parse_choice(request.query_params, "status", PAYMENT_STATUSES, errors)
    limit = parse_limit(request.query_params, errors)
    after = parse_cursor(request.query_params, errors, decode_payment_cursor)
    raise_if_invalid(errors)
    if account_id is not None:
        valid_bigint_id(account_id)
    found = await payments.list_payments(
        services.database, principal.owner, (account_id, status), limit, after
    )
    return json_response(found)


async def _create(conn: Connection, db: Database, owner: str, body: dict[str, Any]) -> WorkResult:
    payment = await payments.create_payment(conn, db, owner, body)
    return WorkResult(payment, (account_key(body["account_id"]),))


CREATE = WriteEndpoint(CREATE_PAYMENT, _create, 201)


@router.post(
    "/payments",
    status_code=201,
    response_model=Payment,
    responses=error_responses(*WRITE_ERRORS),
    openapi_extra=write_extra(CREATE_PAYMENT),
)
async def create_payment(request: Request) -> Response:
    return await handle_write(request, CREATE)


@router.post(
    "/payments/{payment_id}/refunds",
    status_code=201,
    response_model=Refund,
    responses=error_responses(*WRITE_ERRORS),
    openapi_extra=write_extra(CREATE_REFUND),
)
async def refund_payment(request: Request, payment_id: str) -> Response:
    async def work(conn: Connection, db: Database, owner: str, body: dict[str, Any]) -> WorkResult:
        refund, account_id = await payments.refund_payment(conn, db, owner, payment_id, body)
        return WorkResult(refund, (payment_key(payment_id), account_key(account_id)))

    return await handle_write(request, WriteEndpoint(CREATE_REFUND, work, 201))
