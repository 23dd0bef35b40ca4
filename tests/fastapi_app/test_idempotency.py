"""The shared idempotency table: rows in the contract's shape, and both directions of
replay against the legacy app (one database, one ``idempotency_keys`` table)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest

from tests.fastapi_app.conftest import write_headers
from tests.fastapi_app.port_client import BASE_URL

PAYMENTS = "/api/v1/payments"


def contract_body_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@pytest.fixture
def legacy(database_url, db):
    from legacy_flask import create_app

    transport = httpx.WSGITransport(app=create_app())
    with httpx.Client(transport=transport, base_url=BASE_URL) as client:
        yield client


def _payment(account_id: int, merchant: str = "Café Lumière") -> dict[str, Any]:
    return {"account_id": account_id, "amount_cents": 25, "currency": "EUR", "merchant": merchant}


def test_port_stores_rows_in_the_contract_shape(db, port, make_owner, make_account):
    owner = make_owner()
    body = _payment(make_account(owner, balance=100))
    response = port.post(PAYMENTS, json=body, headers=write_headers(owner, key="k-shape"))
    row = db.all(
        "SELECT owner, key, method, path, body_hash, response_status, response_body,"
        " completed_at IS NOT NULL FROM idempotency_keys"
    )
    assert row == [
        (
            owner.owner,
            "k-shape",
            "POST",
            PAYMENTS,
            contract_body_hash(body),
            201,
            response.text,
            True,
        )
    ]


def test_port_replays_a_row_another_implementation_stored(db, port, make_owner, make_account):
    owner = make_owner()
    body = _payment(make_account(owner, balance=100))
    stored = '{"stored":"elsewhere"}\n'
    db.execute(
        "INSERT INTO idempotency_keys (owner, key, method, path, body_hash, response_status,"
        " response_body, completed_at) VALUES (%s, 'k1', 'POST', %s, %s, 201, %s, now())",
        (owner.owner, PAYMENTS, contract_body_hash(body), stored),
    )
    response = port.post(PAYMENTS, json=body, headers=write_headers(owner, key="k1"))
    assert (response.status_code, response.text) == (201, stored)
    assert response.headers["Idempotent-Replayed"] == "true"
    assert db.scalar("SELECT count(*) FROM payments") == 0


@pytest.mark.parametrize(
    ("row", "status", "code"),
    [
        pytest.param({"response_status": None}, 409, "idempotency_key_in_use", id="in-flight"),
        pytest.param({"path": "/api/v1/transfers"}, 422, "idempotency_key_reused", id="other-path"),
        pytest.param({"body_hash": "0" * 64}, 422, "idempotency_key_reused", id="other-body"),
    ],
)
def test_existing_rows_refuse(db, port, make_owner, make_account, row, status, code):
    owner = make_owner()
    body = _payment(make_account(owner, balance=100))
    values = {
        "method": "POST",
        "path": PAYMENTS,
        "body_hash": contract_body_hash(body),
        "response_status": 201,
        "response_body": "{}\n",
        **row,
    }
    db.execute(
        "INSERT INTO idempotency_keys (owner, key, method, path, body_hash, response_status,"
        " response_body) VALUES (%(owner)s, 'k2', %(method)s, %(path)s, %(body_hash)s,"
        " %(response_status)s, %(response_body)s)",
        {"owner": owner.owner, **values},
    )
    response = port.post(PAYMENTS, json=body, headers=write_headers(owner, key="k2"))
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_expired_row_is_reclaimed(db, port, make_owner, make_account):
    owner = make_owner()
    body = _payment(make_account(owner, balance=100))
    db.execute(
        "INSERT INTO idempotency_keys (owner, key, method, path, body_hash, response_status,"
        " response_body, created_at) VALUES (%s, 'old', 'POST', '/x', %s, 201, '{}',"
        " now() - interval '25 hours')",
        (owner.owner, "0" * 64),
    )
    response = port.post(PAYMENTS, json=body, headers=write_headers(owner, key="old"))
    assert response.status_code == 201
    assert db.scalar("SELECT path FROM idempotency_keys") == PAYMENTS


def test_business_refusal_is_stored_and_replayed(db, port, make_owner, make_account):
    owner = make_owner()
    body = _payment(make_account(owner, balance=10))
    headers = write_headers(owner, key="poor")
    first = port.post(PAYMENTS, json=body, headers=headers)
    again = port.post(PAYMENTS, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (422, 422)
    assert again.text == first.text
    assert again.headers["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize(
    ("first_name", "second_name"),
    [
        pytest.param("legacy", "port", id="legacy-then-port"),
        pytest.param("port", "legacy", id="port-then-legacy"),
    ],
)
def test_a_key_replays_across_implementations(
    db, port, legacy, make_owner, make_account, first_name, second_name
):
    clients = {"legacy": legacy, "port": port}
    owner = make_owner()
    body = _payment(make_account(owner, balance=100))
    headers = write_headers(owner, key=f"cross-{first_name}")
    first = clients[first_name].post(PAYMENTS, json=body, headers=headers)
    second = clients[second_name].post(PAYMENTS, json=body, headers=headers)
    assert first.status_code == 201
    assert (second.status_code, second.content) == (201, first.content)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert db.scalar("SELECT count(*) FROM payments") == 1
    other = clients[second_name].post(PAYMENTS, json={**body, "amount_cents": 26}, headers=headers)
    assert other.json()["error"]["code"] == "idempotency_key_reused"
