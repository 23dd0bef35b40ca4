"""Helpers shared by the read endpoints: who is asking, and the cached single-object reads.

Example:
    >>> raise_if_invalid({})
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from fastapi_app.auth import Principal, authenticate
from fastapi_app.cache import account_key, payment_key
from fastapi_app.errors import InvalidRequest
from fastapi_app.services import Services, services_of
from fastapi_app.store.access import owned_by, valid_bigint_id
from fastapi_app.store.accounts import load_account
from fastapi_app.store.payments import load_payment


async def caller(request: Request) -> tuple[Services, Principal]:
    services = services_of(request)
    principal = await authenticate(request, services.database, services.api_keys, services.cookies)
    return services, principal


def raise_if_invalid(errors: dict[str, str]) -> None:
    if errors:
        raise InvalidRequest(errors)


async def owned_account(services: Services, owner: str, account_id: int) -> dict[str, Any]:
    """The caller's account object (through the cache); 404 unknown, 403 someone else's."""
    valid_bigint_id(account_id)
    found = await services.cache.get(
        account_key(account_id), lambda: load_account(services.database, account_id)
    )
    return owned_by(found, owner)


async def owned_payment(services: Services, owner: str, payment_id: str) -> dict[str, Any]:
    """The caller's payment object (through the cache); 404 unknown, 403 someone else's."""
    found = await services.cache.get(
        payment_key(payment_id), lambda: load_payment(services.database, payment_id)
    )
    payment: dict[str, Any] = owned_by(found, owner)["payment"]
    return payment
