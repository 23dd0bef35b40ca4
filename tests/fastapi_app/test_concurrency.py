"""Opposite concurrent transfers on the port: locks in id order, zero 500s, no money lost."""

from __future__ import annotations

import asyncio

import httpx

from fastapi_app.settings import Settings
from tests.conftest import Owner, assert_money_invariants
from tests.fastapi_app.conftest import running_port, write_headers

ROUNDS = 40


async def _transfer_both_ways(
    settings: Settings, owner: Owner, first: int, second: int
) -> list[httpx.Response]:
    there = {
        "from_account_id": first,
        "to_account_id": second,
        "amount_cents": 7,
        "currency": "EUR",
    }
    back = {**there, "from_account_id": second, "to_account_id": first}
    async with running_port(settings) as (_svc, client):
        sends = [
            client.post("/api/v1/transfers", json=body, headers=write_headers(owner))
            for body in [there, back] * ROUNDS
        ]
        return list(await asyncio.gather(*sends))


def test_opposite_transfers_never_fail_or_lose_money(db, settings, make_owner, make_account):
    owner = make_owner()
    first, second = make_account(owner, balance=1000), make_account(owner, balance=1000)
    responses = asyncio.run(_transfer_both_ways(settings, owner, first, second))
    statuses = [response.status_code for response in responses]
    assert statuses == [201] * (2 * ROUNDS)
    assert db.scalar("SELECT count(*) FROM transfers") == 2 * ROUNDS
    assert db.scalar("SELECT count(*) FROM ledger_entries WHERE kind LIKE 'transfer_%'") == (
        4 * ROUNDS
    )
    assert db.scalar("SELECT sum(balance_cents) FROM accounts") == 2000
    assert db.all("SELECT balance_cents FROM accounts ORDER BY id") == [(1000,), (1000,)]
    assert_money_invariants(db)
