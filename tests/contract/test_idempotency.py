"""Idempotency-Key: replay, reuse, scope, in-flight conflicts, and 24 h expiry."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psycopg2
import pytest

from tests.contract.conftest import error_code, new_key

KEY_MESSAGE = "must be 1 to 255 printable ASCII characters"


@pytest.fixture
def funded(make_owner, make_account, as_owner):
    owner = make_owner()
    account_id = make_account(owner, balance=10_000)
    body = {
        "account_id": account_id,
        "amount_cents": 100,
        "currency": "EUR",
        "merchant": "Ramen Ya",
    }
    return as_owner(owner), account_id, body


def test_same_key_and_body_replays_the_stored_answer_byte_for_byte(db, funded):
    session, account_id, body = funded
    key = new_key()
    first = session.post("/api/v1/payments", body, key=key)
    again = session.post("/api/v1/payments", body, key=key)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert db.scalar("SELECT count(*) FROM payments") == 1
    assert db.scalar("SELECT balance_cents FROM accounts WHERE id = %s", (account_id,)) == 9900


def test_a_business_error_is_stored_and_replayed(db, funded):
    session, _account_id, body = funded
    key = new_key()
    first = session.post("/api/v1/payments", {**body, "amount_cents": 10**6}, key=key)
    db.execute("UPDATE accounts SET balance_cents = 10000000")  # would succeed now
    again = session.post("/api/v1/payments", {**body, "amount_cents": 10**6}, key=key)
    assert (first.status_code, again.status_code) == (422, 422)
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        pytest.param({"amount_cents": 101}, "/api/v1/payments", id="other-body"),
        pytest.param({}, "/api/v1/transfers", id="other-path"),
    ],
)
def test_same_key_with_another_request_is_422(db, funded, change, path):
    session, _account_id, body = funded
    key = new_key()
    session.post("/api/v1/payments", body, key=key)
    other = (
        {**body, **change}
        if path == "/api/v1/payments"
        else {"from_account_id": 1, "to_account_id": 2, "amount_cents": 1, "currency": "EUR"}
    )
    response = session.post(path, other, key=key)
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "idempotency_key_reused",
        "details": {},
        "message": "Idempotency-Key was already used with a different request.",
    }
    assert db.scalar("SELECT count(*) FROM payments") == 1


def test_key_order_in_the_body_does_not_matter(funded, api):
    session, _account_id, body = funded
    key = new_key()
    session.post("/api/v1/payments", body, key=key)
    reordered = dict(reversed(list(body.items())))
    assert session.post("/api/v1/payments", reordered, key=key).status_code == 201


def test_keys_are_scoped_per_owner(db, make_owner, make_account, as_owner):
    first, second = make_owner(), make_owner()
    key = new_key()
    for owner in (first, second):
        account_id = make_account(owner, balance=500)
        body = {"account_id": account_id, "amount_cents": 10, "currency": "EUR", "merchant": "m"}
        response = as_owner(owner).post("/api/v1/payments", body, key=key)
        assert (response.status_code, "idempotent-replayed" in response.headers) == (201, False)
    assert db.scalar("SELECT count(*) FROM payments") == 2


def test_a_validation_failure_stores_nothing(db, funded):
    session, _account_id, body = funded
    key = new_key()
    bad = session.post("/api/v1/payments", {**body, "amount_cents": -1}, key=key)
    assert bad.status_code == 400
    assert db.scalar("SELECT count(*) FROM idempotency_keys") == 0
    assert session.post("/api/v1/payments", body, key=key).status_code == 201


def test_an_expired_key_is_reusable(db, funded):
    session, _account_id, body = funded
    key = new_key()
    session.post("/api/v1/payments", body, key=key)
    db.execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
    again = session.post("/api/v1/payments", {**body, "amount_cents": 7}, key=key)
    assert (again.status_code, "idempotent-replayed" in again.headers) == (201, False)
    assert db.scalar("SELECT count(*) FROM payments") == 2


def test_a_key_younger_than_24_hours_still_replays(db, funded):
    session, _account_id, body = funded
    key = new_key()
    session.post("/api/v1/payments", body, key=key)
    db.execute("UPDATE idempotency_keys SET created_at = now() - interval '23 hours'")
    assert session.post("/api/v1/payments", body, key=key).headers["idempotent-replayed"]


def test_missing_key_is_400(funded, api):
    session, _account_id, body = funded
    response = api.post("/api/v1/payments", json=body, headers=session.owner.headers)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "idempotency_key_missing",
        "details": {},
        "message": "Idempotency-Key header is required.",
    }


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="empty"),
        pytest.param("k" * 256, id="256-chars"),
        pytest.param("k" * 300, id="300-chars"),
        pytest.param("tab\tkey", id="control-char"),
        pytest.param("del\x7fkey", id="non-printable-ascii"),
    ],
)
def test_invalid_key_is_400_and_stores_nothing(db, funded, key):
    session, _account_id, body = funded
    response = session.api.post(
        "/api/v1/payments", json=body, headers={**session.owner.headers, "Idempotency-Key": key}
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"fields": {"Idempotency-Key": KEY_MESSAGE}}
    assert db.scalar("SELECT count(*) FROM idempotency_keys") == 0


def test_a_255_char_key_is_accepted(funded):
    session, _account_id, body = funded
    assert session.post("/api/v1/payments", body, key="k" * 255).status_code == 201


def test_key_check_comes_before_body_validation(funded, api):
    session, _account_id, _body = funded
    response = api.post("/api/v1/payments", json={}, headers=session.owner.headers)
    assert error_code(response) == "idempotency_key_missing"


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def test_same_key_while_the_first_is_running_is_409(db, funded, api_factory):
    """Hold the account's row lock so the first request blocks right after its claim."""
    session, account_id, body = funded
    key = new_key()
    locker = psycopg2.connect(db.url)
    results = {}
    try:
        with locker.cursor() as cur:
            cur.execute("SELECT id FROM accounts WHERE id = %s FOR UPDATE", (account_id,))
        first_client = api_factory()

        def first_request():
            results["first"] = first_client.post(
                "/api/v1/payments",
                json=body,
                headers={**session.owner.headers, "Idempotency-Key": key},
            )

        worker = threading.Thread(target=first_request)
        worker.start()
        _wait_for(lambda: db.scalar("SELECT count(*) FROM idempotency_keys") == 1)
        second = session.post("/api/v1/payments", body, key=key)
        assert second.status_code == 409
        assert second.json()["error"] == {
            "code": "idempotency_key_in_use",
            "details": {},
            "message": "A request with this Idempotency-Key is still being processed.",
        }
        assert worker.is_alive(), "the first request should still be blocked on the lock"
    finally:
        locker.rollback()
        locker.close()
    worker.join(timeout=10)
    assert results["first"].status_code == 201
    replay = session.post("/api/v1/payments", body, key=key)
    assert replay.content == results["first"].content
    assert db.scalar("SELECT count(*) FROM payments") == 1
