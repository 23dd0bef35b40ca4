"""The Redis read-through cache: collapsing, invalidation after commit, Redis outages."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from fastapi_app.cache import account_key
from fastapi_app.settings import Settings
from fastapi_app.store.accounts import load_account
from tests.conftest import Owner
from tests.fastapi_app.conftest import running_port, write_headers
from tests.fastapi_app.port_client import PortClient, port_settings

READERS = 100


async def _concurrent_reads(
    settings: Settings, owner: Owner, account_id: int
) -> tuple[tuple[list[httpx.Response], int], tuple[list[httpx.Response], int]]:
    async with running_port(settings) as (svc, client):

        async def read_all() -> tuple[list[httpx.Response], int]:
            before = svc.database.statements
            responses = await asyncio.gather(
                *(
                    client.get(f"/api/v1/accounts/{account_id}", headers=owner.headers)
                    for _ in range(READERS)
                )
            )
            return responses, svc.database.statements - before

        return await read_all(), await read_all()


@pytest.mark.redis
def test_concurrent_misses_cost_one_query(db, cached_settings, make_owner, make_account):
    owner = make_owner()
    account_id = make_account(owner, balance=500)
    (cold, cold_statements), (warm, warm_statements) = asyncio.run(
        _concurrent_reads(cached_settings, owner, account_id)
    )
    assert {response.status_code for response in cold + warm} == {200}
    assert {response.json()["balance_cents"] for response in cold + warm} == {500}
    # cold: each request looks its API key up (none is remembered yet); the account: once
    assert cold_statements == READERS + 1
    # warm: key and account both come from the caches
    assert warm_statements == 0


def _balance(port: PortClient, owner: Owner, account_id: int) -> int:
    response = port.get(f"/api/v1/accounts/{account_id}", headers=owner.headers)
    return int(response.json()["balance_cents"])


@pytest.mark.redis
def test_no_stale_balance_after_any_2xx_write(db, cached_port, make_owner, make_account):
    owner = make_owner()
    first, second = make_account(owner, balance=1000), make_account(owner, balance=0)
    expected = {first: 1000, second: 0}
    for round_ in range(5):
        assert _balance(cached_port, owner, first) == expected[first]  # fills the cache
        assert _balance(cached_port, owner, second) == expected[second]
        body = {"account_id": first, "amount_cents": 10, "currency": "EUR", "merchant": "m"}
        payment = cached_port.post("/api/v1/payments", json=body, headers=write_headers(owner))
        assert payment.status_code == 201
        expected[first] -= 10
        assert _balance(cached_port, owner, first) == expected[first]
        payment_path = f"/api/v1/payments/{payment.json()['id']}"
        assert cached_port.get(payment_path, headers=owner.headers).json()["refunds"] == []
        refund = cached_port.post(
            f"{payment_path}/refunds", json={"amount_cents": 4}, headers=write_headers(owner)
        )
        assert refund.status_code == 201
        expected[first] += 4
        seen = cached_port.get(payment_path, headers=owner.headers).json()
        assert (seen["status"], seen["refunded_cents"]) == ("partially_refunded", 4)
        transfer = {
            "from_account_id": first,
            "to_account_id": second,
            "amount_cents": 3,
            "currency": "EUR",
        }
        assert (
            cached_port.post(
                "/api/v1/transfers", json=transfer, headers=write_headers(owner)
            ).status_code
            == 201
        )
        expected[first] -= 3
        expected[second] += 3
        assert _balance(cached_port, owner, first) == expected[first]
        assert _balance(cached_port, owner, second) == expected[second]
        nickname = f"round {round_}"
        cached_port.patch(
            f"/api/v1/accounts/{second}", json={"nickname": nickname}, headers=write_headers(owner)
        )
        seen = cached_port.get(f"/api/v1/accounts/{second}", headers=owner.headers).json()
        assert seen["nickname"] == nickname


async def _slow_reader_races_a_write(
    settings: Settings, owner: Owner, account_id: int
) -> tuple[Any, httpx.Response, httpx.Response]:
    async with running_port(settings) as (svc, client):
        read_done = asyncio.Event()
        write_done = asyncio.Event()

        async def slow_loader() -> dict[str, Any] | None:
            value = await load_account(svc.database, account_id)
            read_done.set()
            await write_done.wait()  # the write commits while this read is in flight
            return value

        async def write() -> httpx.Response:
            await read_done.wait()
            body = {
                "account_id": account_id,
                "amount_cents": 100,
                "currency": "EUR",
                "merchant": "m",
            }
            response = await client.post(
                "/api/v1/payments", json=body, headers=write_headers(owner)
            )
            write_done.set()
            return response

        stale, response = await asyncio.gather(
            svc.cache.get(account_key(account_id), slow_loader), write()
        )
        after = await client.get(f"/api/v1/accounts/{account_id}", headers=owner.headers)
        return stale, response, after


@pytest.mark.redis
def test_a_read_from_before_the_commit_is_not_cached(db, cached_settings, make_owner, make_account):
    owner = make_owner()
    account_id = make_account(owner, balance=500)
    stale, response, after = asyncio.run(
        _slow_reader_races_a_write(cached_settings, owner, account_id)
    )
    assert stale["balance_cents"] == 500  # the slow reader's own answer is its snapshot
    assert response.status_code == 201
    assert after.json()["balance_cents"] == 400


def test_without_reachable_redis_requests_still_work(db, make_owner, make_account, request):
    from fastapi_app.main import create_app

    settings = port_settings(request.node.nodeid, REDIS_URL="redis://127.0.0.1:1/0")
    owner = make_owner()
    account_id = make_account(owner, balance=50)
    port = PortClient(create_app(settings))
    try:
        assert _balance(port, owner, account_id) == 50
        body = {"account_id": account_id, "amount_cents": 20, "currency": "EUR", "merchant": "m"}
        assert (
            port.post("/api/v1/payments", json=body, headers=write_headers(owner)).status_code
            == 201
        )
        assert _balance(port, owner, account_id) == 30
    finally:
        port.close()
