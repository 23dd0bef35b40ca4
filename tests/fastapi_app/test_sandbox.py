"""``X-Strangler-Sandbox: 1``: the write runs and answers as if committed, then rolls back."""

from __future__ import annotations

from typing import Any

import pytest

from payments_demo.seed import TABLES
from tests.conftest import Database
from tests.fastapi_app.conftest import write_headers

SANDBOX = {"X-Strangler-Sandbox": "1"}


def _counts(db: Database) -> dict[str, int]:
    return {table: db.scalar(f"SELECT count(*) FROM {table}") for table in TABLES}


def _balances(db: Database) -> list[tuple[Any, ...]]:
    return db.all("SELECT id, balance_cents, status, nickname FROM accounts ORDER BY id")


@pytest.fixture
def world(db, port, make_owner, make_account):
    owner = make_owner()
    first, second = make_account(owner, balance=1000), make_account(owner, balance=100)
    body = {"account_id": first, "amount_cents": 50, "currency": "EUR", "merchant": "m"}
    payment = port.post("/api/v1/payments", json=body, headers=write_headers(owner)).json()
    return owner, first, second, payment["id"]


WRITES = [
    pytest.param(
        "POST",
        "/api/v1/accounts",
        lambda w: {"currency": "EUR", "initial_deposit_cents": 5},
        201,
        id="open-account",
    ),
    pytest.param(
        "PATCH",
        "/api/v1/accounts/{first}",
        lambda w: {"status": "frozen"},
        200,
        id="freeze-account",
    ),
    pytest.param(
        "POST",
        "/api/v1/payments",
        lambda w: {"account_id": w[1], "amount_cents": 7, "currency": "EUR", "merchant": "m"},
        201,
        id="payment",
    ),
    pytest.param(
        "POST",
        "/api/v1/payments/{payment}/refunds",
        lambda w: {"amount_cents": 50},
        201,
        id="full-refund",
    ),
    pytest.param(
        "POST",
        "/api/v1/transfers",
        lambda w: {
            "from_account_id": w[1],
            "to_account_id": w[2],
            "amount_cents": 9,
            "currency": "EUR",
        },
        201,
        id="transfer",
    ),
    pytest.param(
        "POST",
        "/api/v1/payments",
        lambda w: {"account_id": w[1], "amount_cents": 10**9, "currency": "EUR", "merchant": "m"},
        422,
        id="refused-payment",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), WRITES)
def test_sandboxed_write_answers_but_changes_nothing(db, port, world, method, path, body, status):
    owner, first, _second, payment = world
    url = path.format(first=first, payment=payment)
    before_counts, before_balances = _counts(db), _balances(db)
    headers = write_headers(owner, key="sandboxed", **SANDBOX)
    response = port.request(method, url, json=body(world), headers=headers)
    assert response.status_code == status, response.text
    assert _counts(db) == before_counts
    assert _balances(db) == before_balances
    # the key was not kept either: the real request with it runs and commits
    real = port.request(
        method, url, json=body(world), headers=write_headers(owner, key="sandboxed")
    )
    assert real.status_code == status
    assert "Idempotent-Replayed" not in real.headers


def test_sandboxed_answer_equals_the_committed_one(db, port, world):
    owner, first, _second, _payment = world
    body = {"nickname": "sandboxed"}
    url = f"/api/v1/accounts/{first}"
    sandboxed = port.patch(url, json=body, headers=write_headers(owner, **SANDBOX))
    real = port.patch(url, json=body, headers=write_headers(owner))
    assert sandboxed.content == real.content


def test_sandboxed_retry_of_a_committed_key_replays(db, port, world):
    owner, first, _second, _payment = world
    body = {"account_id": first, "amount_cents": 1, "currency": "EUR", "merchant": "m"}
    real = port.post("/api/v1/payments", json=body, headers=write_headers(owner, key="done"))
    shadow = port.post(
        "/api/v1/payments", json=body, headers=write_headers(owner, key="done", **SANDBOX)
    )
    assert shadow.content == real.content
    assert shadow.headers["Idempotent-Replayed"] == "true"
