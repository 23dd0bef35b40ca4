"""``POST /api/v1/transfers``.

Example:
    >>> [route.path for route in router.routes]
    ['/api/v1/transfers']
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from fastapi_app.bodies import CREATE_TRANSFER, distinct_accounts
from fastapi_app.cache import account_key
from fastapi_app.database import Connection, Database
from fastapi_app.openapi_docs import WRITE_ERRORS, Transfer, error_responses, write_extra
from fastapi_app.store.transfers import create_transfer as store_transfer
from fastapi_app.writes import WorkResult, WriteEndpoint, handle_write

router = APIRouter(prefix="/api/v1", tags=["transfers"])


async def _transfer(conn: Connection, db: Database, owner: str, body: dict[str, Any]) -> WorkResult:
    transfer = await store_transfer(conn, db, owner, body)
    touched = (account_key(body["from_account_id"]), account_key(body["to_account_id"]))
    return WorkResult(transfer, touched)


TRANSFER = WriteEndpoint(CREATE_TRANSFER, _transfer, 201, (distinct_accounts,))


@router.post(
    "/transfers",
    status_code=201,
    response_model=Transfer,
    responses=error_responses(*WRITE_ERRORS),
    openapi_extra=write_extra(CREATE_TRANSFER),
)
async def create_transfer(request: Request) -> Response:
    return await handle_write(request, TRANSFER)
