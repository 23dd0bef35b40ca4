"""``/api/v1/accounts``: read, list, ledger, summary, open, update.

Example:
    >>> sorted(route.path for route in router.routes)[:1]
    ['/api/v1/accounts']
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from fastapi_app.bodies import CREATE_ACCOUNT, UPDATE_ACCOUNT
from fastapi_app.cache import account_key
from fastapi_app.cursors import decode_id_cursor
from fastapi_app.database import Connection, Database
from fastapi_app.openapi_docs import (
    READ_ERRORS,
    WRITE_ERRORS,
    Account,
    AccountPage,
    LedgerPage,
    Summary,
    enum_parameter,
    error_responses,
    list_extra,
    write_extra,
)
from fastapi_app.query_params import (
    ACCOUNT_STATUSES,
    LEDGER_KINDS,
    parse_choice,
    parse_cursor,
    parse_limit,
)
from fastapi_app.routes.reads import caller, owned_account, raise_if_invalid
from fastapi_app.store import accounts, ledger, summary
from fastapi_app.store.access import valid_bigint_id
from fastapi_app.wire import json_response
from fastapi_app.writes import WorkResult, WriteEndpoint, handle_write

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.get(
    "/accounts/{account_id:int}", response_model=Account, responses=error_responses(*READ_ERRORS)
)
async def get_account(request: Request, account_id: int) -> Response:
    services, principal = await caller(request)
    return json_response(await owned_account(services, principal.owner, account_id))


@router.get(
    "/accounts",
    response_model=AccountPage,
    responses=error_responses(*READ_ERRORS),
    openapi_extra=list_extra(enum_parameter("status", ACCOUNT_STATUSES)),
)
async def list_accounts(request: Request) -> Response:
    services, principal = await caller(request)
    errors: dict[str, str] = {}
    status = parse_choice(request.query_params, "status", ACCOUNT_STATUSES, errors)
    limit = parse_limit(request.query_params, errors)
    after = parse_cursor(request.query_params, errors, decode_id_cursor)
    raise_if_invalid(errors)
    found = await accounts.list_accounts(services.database, principal.owner, status, limit, after)
    return json_response(found)


@router.get(
    "/accounts/{account_id:int}/ledger",
    response_model=LedgerPage,
    responses=error_responses(*READ_ERRORS),
    openapi_extra=list_extra(enum_parameter("kind", LEDGER_KINDS)),
)
async def list_ledger(request: Request, account_id: int) -> Response:
    services, principal = await caller(request)
    errors: dict[str, str] = {}
    kind = parse_choice(request.query_params, "kind", LEDGER_KINDS, errors)
    limit = parse_limit(request.query_params, errors)
    after = parse_cursor(request.query_params, errors, decode_id_cursor)
    raise_if_invalid(errors)
    await owned_account(services, principal.owner, account_id)
    found = await ledger.list_entries(services.database, account_id, kind, limit, after)
    return json_response(found)


@router.get(
    "/accounts/{account_id:int}/summary",
    response_model=Summary,
    responses=error_responses(*READ_ERRORS),
)
async def account_summary(request: Request, account_id: int) -> Response:
    services, principal = await caller(request)
    valid_bigint_id(account_id)
    found = await summary.account_summary(services.database, principal.owner, account_id)
    return json_response(found)


async def _open(conn: Connection, db: Database, owner: str, body: dict[str, Any]) -> WorkResult:
    return WorkResult(await accounts.open_account(conn, db, owner, body))


OPEN_ACCOUNT = WriteEndpoint(CREATE_ACCOUNT, _open, 201)


@router.post(
    "/accounts",
    status_code=201,
    response_model=Account,
    responses=error_responses(*WRITE_ERRORS),
    openapi_extra=write_extra(CREATE_ACCOUNT),
)
async def open_account(request: Request) -> Response:
    return await handle_write(request, OPEN_ACCOUNT)


@router.patch(
    "/accounts/{account_id:int}",
    response_model=Account,
    responses=error_responses(*WRITE_ERRORS),
    openapi_extra=write_extra(UPDATE_ACCOUNT),
)
async def update_account(request: Request, account_id: int) -> Response:
    async def work(conn: Connection, db: Database, owner: str, body: dict[str, Any]) -> WorkResult:
        valid_bigint_id(account_id)
        found = await accounts.update_account(conn, db, owner, account_id, body)
        return WorkResult(found, (account_key(account_id),))

    return await handle_write(request, WriteEndpoint(UPDATE_ACCOUNT, work, 200))
