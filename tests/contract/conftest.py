"""The contract suite's fixtures: one ``api`` client per implementation of the payments API.

Tests talk to an implementation only through ``api`` (an ``httpx.Client``) and the
database fixtures, so the same tests hold any implementation to the same contract. A new
implementation adds its name to ``IMPLEMENTATIONS`` and a branch to ``_client_for``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Database, Owner

IMPLEMENTATIONS = ["legacy", "new"]
BASE_URL = "http://testserver"


@pytest.fixture(scope="session")
def legacy_app(database_url: str) -> Any:
    from legacy_flask import create_app

    return create_app()


def _client_for(request: pytest.FixtureRequest, implementation: str) -> httpx.Client:
    if implementation == "legacy":
        transport = httpx.WSGITransport(app=request.getfixturevalue("legacy_app"))
        return httpx.Client(transport=transport, base_url=BASE_URL)
    if implementation == "new":
        from fastapi_app.main import create_app
        from tests.fastapi_app.port_client import PortClient, port_settings

        return PortClient(create_app(port_settings(request.node.nodeid)))
    raise LookupError(f"no client for implementation {implementation!r}")


@pytest.fixture(params=IMPLEMENTATIONS)
def implementation(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def api_factory(
    request: pytest.FixtureRequest, implementation: str, db: Database
) -> Iterator[Callable[[], httpx.Client]]:
    """More clients of the same implementation, e.g. one per thread in concurrency tests."""
    clients: list[httpx.Client] = []

    def make() -> httpx.Client:
        clients.append(_client_for(request, implementation))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def api(api_factory: Callable[[], httpx.Client]) -> httpx.Client:
    return api_factory()


class Session:
    """One owner's view of the API: its key on every call, a fresh Idempotency-Key per write."""

    def __init__(self, api: httpx.Client, owner: Owner) -> None:
        self.api = api
        self.owner = owner

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.api.get(path, params=params or None, headers=self.owner.headers)

    def write(
        self, method: str, path: str, body: Any, key: str | None = None, **headers: str
    ) -> httpx.Response:
        sent = {**self.owner.headers, "Idempotency-Key": key or new_key(), **headers}
        return self.api.request(method, path, json=body, headers=sent)

    def post(self, path: str, body: Any, key: str | None = None) -> httpx.Response:
        return self.write("POST", path, body, key)

    def patch(self, path: str, body: Any, key: str | None = None) -> httpx.Response:
        return self.write("PATCH", path, body, key)

    def pay(self, account_id: int, amount: int, currency: str = "EUR", **extra: Any) -> Any:
        body = {
            "account_id": account_id,
            "amount_cents": amount,
            "currency": currency,
            "merchant": "Acme",
            **extra,
        }
        response = self.post("/api/v1/payments", body)
        assert response.status_code == 201, response.text
        return response.json()


def new_key() -> str:
    return f"key_{secrets.token_hex(8)}"


@pytest.fixture
def as_owner(api: httpx.Client) -> Callable[[Owner], Session]:
    return lambda owner: Session(api, owner)


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code
