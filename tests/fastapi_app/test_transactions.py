"""Whole-transaction retries on 40001/40P01 (ACCEPTANCE A12), against real PostgreSQL.

The failures are real: PostgreSQL raises them (``RAISE ... USING ERRCODE``) from a
statement or a trigger, and the attempt counter is a sequence (not rolled back).
"""

from __future__ import annotations

import asyncio

import pytest

from fastapi_app.errors import RetriesExhausted
from fastapi_app.transactions import RetryPolicy, backoff_delays, run_transaction
from tests.fastapi_app.conftest import running_port, services, write_headers

FAST = RetryPolicy(max_attempts=4, base_seconds=0.001, cap_seconds=0.002)
RAISE = "DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '{}'; END $$"


async def _fail_first(settings, sqlstate: str, failures: int, policy: RetryPolicy):
    attempts = 0

    async def work(conn):
        nonlocal attempts
        attempts += 1
        await conn.execute(
            f"INSERT INTO users (username, password_hash, owner) VALUES ('u{attempts}', 'x', 'o')"
        )
        if attempts <= failures:
            await conn.execute(RAISE.format(sqlstate))
        return attempts

    async with running_port(settings) as (svc, _client):
        try:
            return await run_transaction(svc.database, work, policy), attempts
        except Exception as exc:  # the test inspects what escaped
            return exc, attempts


@pytest.mark.parametrize(
    ("sqlstate", "failures", "expected_attempts"),
    [
        pytest.param("40001", 2, 3, id="serialization-failure-retried"),
        pytest.param("40P01", 3, 4, id="deadlock-retried-up-to-the-cap"),
        pytest.param("23505", 1, 1, id="unique-violation-not-retried"),
        pytest.param("57014", 1, 1, id="query-canceled-not-retried"),
    ],
)
def test_only_conflicts_are_retried(db, settings, sqlstate, failures, expected_attempts):
    result, attempts = asyncio.run(_fail_first(settings, sqlstate, failures, FAST))
    assert attempts == expected_attempts
    if sqlstate.startswith("40"):
        assert result == expected_attempts
        # the failed attempts were rolled back: only the last one's row exists
        assert db.all("SELECT username FROM users") == [(f"u{expected_attempts}",)]
    else:
        assert getattr(result, "sqlstate", None) == sqlstate
        assert db.scalar("SELECT count(*) FROM users") == 0


def test_exhausted_retries_raise_and_commit_nothing(db, settings):
    result, attempts = asyncio.run(_fail_first(settings, "40001", 99, FAST))
    assert isinstance(result, RetriesExhausted)
    assert attempts == FAST.max_attempts
    assert db.scalar("SELECT count(*) FROM users") == 0


def test_backoff_grows_exponentially_and_is_capped():
    policy = RetryPolicy(max_attempts=7, base_seconds=0.01, cap_seconds=0.05)
    assert backoff_delays(policy) == [0.01, 0.02, 0.04, 0.05, 0.05, 0.05]


FLAKY_TRIGGER = """
CREATE SEQUENCE IF NOT EXISTS port_test_failures;
CREATE OR REPLACE FUNCTION port_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.merchant = 'always-conflicts'
     OR (NEW.merchant = 'conflicts-twice' AND nextval('port_test_failures') <= 2) THEN
    RAISE EXCEPTION 'injected conflict' USING ERRCODE = '40001';
  END IF;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS port_test_fail ON payments;
CREATE TRIGGER port_test_fail BEFORE INSERT ON payments
  FOR EACH ROW EXECUTE FUNCTION port_test_fail();
"""
DROP_TRIGGER = (
    "DROP TRIGGER IF EXISTS port_test_fail ON payments; DROP SEQUENCE IF EXISTS port_test_failures"
)


@pytest.fixture
def conflicting_payments(db):
    db.execute(FLAKY_TRIGGER)
    yield
    db.execute(DROP_TRIGGER)


def test_conflict_then_success_answers_201_once(
    db, port, make_owner, make_account, conflicting_payments
):
    owner = make_owner()
    account = make_account(owner, balance=100)
    body = {
        "account_id": account,
        "amount_cents": 30,
        "currency": "EUR",
        "merchant": "conflicts-twice",
    }
    response = port.post("/api/v1/payments", json=body, headers=write_headers(owner))
    assert response.status_code == 201, response.text
    assert db.scalar("SELECT count(*) FROM payments") == 1
    assert db.scalar("SELECT balance_cents FROM accounts") == 70


def test_exhausted_conflicts_answer_503_and_release_the_key(
    db, port, make_owner, make_account, conflicting_payments
):
    owner = make_owner()
    account = make_account(owner, balance=100)
    body = {
        "account_id": account,
        "amount_cents": 30,
        "currency": "EUR",
        "merchant": "always-conflicts",
    }
    headers = write_headers(owner, key="conflicting-key")
    response = port.post("/api/v1/payments", json=body, headers=headers)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json()["error"]["code"] == "service_unavailable"
    assert db.scalar("SELECT count(*) FROM payments") == 0
    assert db.scalar("SELECT count(*) FROM idempotency_keys") == 0
    assert services(port).retry.max_attempts == 5
    # the retry with the same key runs the work again (nothing was stored to replay)
    db.execute(DROP_TRIGGER)
    again = port.post("/api/v1/payments", json=body, headers=headers)
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
