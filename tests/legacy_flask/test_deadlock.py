"""Legacy locks transfer accounts in request order: opposite transfers can deadlock into a 500.

Two locker connections hold both rows; releasing them in a fixed order makes each
transfer hold one account and wait for the other, so PostgreSQL must abort one (40P01).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import psycopg2
import pytest

from tests.conftest import Database, assert_money_invariants


@pytest.fixture
def legacy_client(database_url, db):
    from legacy_flask import create_app

    transport = httpx.WSGITransport(app=create_app())
    with httpx.Client(transport=transport, base_url="http://testserver") as client:
        yield client


def _lock(url: str, account_id: int) -> Any:
    connection = psycopg2.connect(url)
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM accounts WHERE id = %s FOR UPDATE", (account_id,))
    return connection


def _wait_for(db: Database, sql: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not db.scalar(sql):
        assert time.monotonic() < deadline, f"timed out waiting for: {sql}"
        time.sleep(0.02)


def test_opposite_transfers_deadlock_into_one_500_with_nothing_committed(
    db, make_owner, make_account, legacy_client
):
    owner = make_owner()
    first, second = make_account(owner, balance=1000), make_account(owner, balance=1000)
    hold_first, hold_second = _lock(db.url, first), _lock(db.url, second)
    results = {}

    def transfer(name, source, target):
        results[name] = legacy_client.post(
            "/api/v1/transfers",
            headers={**owner.headers, "Idempotency-Key": name},
            json={
                "from_account_id": source,
                "to_account_id": target,
                "amount_cents": 100,
                "currency": "EUR",
            },
        )

    threads = [
        threading.Thread(target=transfer, args=("there", first, second)),
        threading.Thread(target=transfer, args=("back", second, first)),
    ]
    waiting = "SELECT count(*) >= {} FROM pg_locks WHERE NOT granted"
    threads[0].start()
    _wait_for(db, waiting.format(1))
    threads[1].start()
    _wait_for(db, waiting.format(2))
    hold_first.rollback()  # "there" takes first, then waits for second behind "back"
    _wait_for(db, "SELECT count(*) >= 1 FROM pg_locks WHERE NOT granted AND locktype = 'tuple'")
    hold_second.rollback()  # "back" takes second, then waits for first: a cycle
    for thread in threads:
        thread.join(timeout=20)
    hold_first.close()
    hold_second.close()
    statuses = sorted(response.status_code for response in results.values())
    assert statuses == [201, 500]
    failed = next(name for name, response in results.items() if response.status_code == 500)
    assert results[failed].json()["error"]["code"] == "internal_error"
    assert db.scalar("SELECT count(*) FROM transfers") == 1
    assert db.scalar("SELECT sum(balance_cents) FROM accounts") == 2000
    assert_money_invariants(db)
    stored = db.scalar("SELECT response_status FROM idempotency_keys WHERE key = %s", (failed,))
    assert stored == 500
    replay = legacy_client.post(
        "/api/v1/transfers",
        headers={**owner.headers, "Idempotency-Key": failed},
        json={
            "from_account_id": first if failed == "there" else second,
            "to_account_id": second if failed == "there" else first,
            "amount_cents": 100,
            "currency": "EUR",
        },
    )
    assert (replay.status_code, replay.headers["idempotent-replayed"]) == (500, "true")
