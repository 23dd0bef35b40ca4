"""The traffic recorder (router_proxy.recorder) in front of the real payments apps, built
as ``strangler serve`` builds the router and driven through ``httpx.ASGITransport`` with
the lifespan run; the rows are read back from PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from rollout.traffic.recordings import RecordingStore, route_shape
from router_proxy.asgi import Apps, build_router
from router_proxy.errors import ConfigError
from router_proxy.recorder import load_record_sample
from tests.conftest import TEST_SECRET_KEY, Database, Owner
from tests.router_proxy.in_process import Scenario, run_in_process

ACCOUNT = "GET /api/v1/accounts/{account_id}"
PAYMENTS = "POST /api/v1/payments"
CONTRACT_ACCOUNT = {"id", "owner", "currency", "balance_cents", "status", "nickname", "created_at"}
CARD = "4242 4242 4242 4242"


def payments_apps(nodeid: str) -> Apps:
    from fastapi_app.main import create_app as create_new
    from legacy_flask.app import create_app as create_legacy
    from tests.fastapi_app.port_client import port_settings

    return Apps(create_legacy(), create_new(port_settings(nodeid, REDIS_URL="")))


@pytest.fixture
def record(
    recordings_db: Database, database_url: str, request: pytest.FixtureRequest
) -> Callable[..., Any]:
    """Run ``scenario`` against a router recording as ``sample`` says; returns its result
    and the router's recorder, after the lifespan shut down (the queue drained)."""

    def run(
        scenario: Scenario[Any], sample: dict[str, float], url: str = database_url, **router: Any
    ) -> tuple[Any, Any]:
        raw = {"flags": {"provider": "static"}, "record_sample": sample, "router": router}
        env = {"DATABASE_URL": url}
        overrides = {"secret_key": TEST_SECRET_KEY, "shadow_isolation": "loop"}
        app = build_router(raw, env, overrides, apps=payments_apps(request.node.nodeid))
        return run_in_process(app, scenario), app.recorder

    return run


def stored(database_url: str, route_key: str | None = None) -> list[Any]:
    store = RecordingStore(database_url)
    try:
        return store.rows(route_key)
    finally:
        store.close()


def test_a_sampled_read_is_stored_with_the_contracts_shape(
    record, database_url, make_owner, make_account
):
    alice: Owner = make_owner("alice")
    account = make_account(alice, balance=1200)

    async def scenario(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [await client.get(f"/api/v1/accounts/{account}", headers=alice.headers)
                for _ in range(3)]  # fmt: skip

    answers, recorder = record(scenario, {ACCOUNT: 100})

    assert [a.status_code for a in answers] == [200, 200, 200]
    rows = stored(database_url, ACCOUNT)
    assert len(rows) == 3 and recorder.stored == 3
    assert rows[0].exchange["path_params"] == {"account_id": str(account)}
    assert rows[0].backend == "legacy"
    shape = route_shape(ACCOUNT, rows)
    response = shape.responses[200]
    assert response.content_type == "application/json"
    assert response.schema is not None
    assert set(response.schema["properties"]) == CONTRACT_ACCOUNT
    assert response.schema["properties"]["created_at"]["format"] == "date-time"
    assert shape.path_params == {"account_id": {"type": "integer"}}
    store = RecordingStore(database_url)
    light = store.rows(ACCOUNT, bodies=False)  # what the merged OpenAPI reads
    store.close()
    assert "response_body" not in light[0].exchange
    assert route_shape(ACCOUNT, light) == shape


def test_secrets_and_card_numbers_never_reach_the_table(
    record, database_url, recordings_db, make_owner, make_account
):
    alice = make_owner("alice")
    account = make_account(alice, balance=5000)
    body = {"account_id": account, "amount_cents": 700, "currency": "EUR",
            "merchant": "Corner Shop", "description": f"paid with card {CARD}"}  # fmt: skip

    async def scenario(client: httpx.AsyncClient) -> httpx.Response:
        headers = {**alice.headers, "Idempotency-Key": "idem-secret-123", "Cookie": "session=s3"}
        return await client.post("/api/v1/payments", json=body, headers=headers)

    answer, _ = record(scenario, {"*": 100})

    assert answer.status_code == 201
    [row] = stored(database_url, PAYMENTS)
    text = json.dumps(row.exchange)
    for secret in (alice.api_key, "idem-secret-123", "session=s3", CARD, "4242424242424242"):
        assert secret not in text
    assert "authorization" not in row.exchange["request_headers"]
    assert row.exchange["request_body"]["description"] == "paid with card [redacted]"
    assert row.request_schema["properties"]["amount_cents"] == {"type": "integer"}
    assert recordings_db.scalar("SELECT count(*) FROM recorded_exchanges") == 1


def test_rows_per_route_are_bounded_to_the_newest(record, database_url, make_owner):
    alice = make_owner("alice")

    async def scenario(client: httpx.AsyncClient) -> None:
        for limit in range(1, 6):
            await client.get(f"/api/v1/accounts?limit={limit}", headers=alice.headers)

    record(scenario, {"GET /api/v1/accounts": 100}, record_max_rows=3)

    rows = stored(database_url)
    assert [r.exchange["query"] for r in rows] == [[["limit", "3"]], [["limit", "4"]],
                                                   [["limit", "5"]]]  # fmt: skip


def test_unsampled_routes_are_not_recorded_and_answers_do_not_change(
    record, database_url, make_owner, make_account
):
    alice = make_owner("alice")
    account = make_account(alice, balance=300)

    async def scenario(client: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response]:
        recorded = await client.get(f"/api/v1/accounts/{account}", headers=alice.headers)
        other = await client.get("/api/v1/me", headers=alice.headers)
        return recorded, other

    (with_recorder, me), _ = record(scenario, {ACCOUNT: 100, "GET /api/v1/me": 0})
    (without, _me), _ = record(scenario, {"GET /api/v1/me": 0})

    assert {r.route_key for r in stored(database_url)} == {ACCOUNT}
    assert (with_recorder.status_code, with_recorder.content) == (without.status_code,
                                                                  without.content)  # fmt: skip
    assert me.status_code == 200


def test_a_failing_store_drops_samples_and_serves_every_request(record, make_owner):
    alice = make_owner("alice")

    async def scenario(client: httpx.AsyncClient) -> tuple[list[int], Any]:
        statuses = [(await client.get("/api/v1/me", headers=alice.headers)).status_code
                    for _ in range(3)]  # fmt: skip
        for _ in range(500):  # the writes fail in the recorder's thread, a moment later
            seen = (await client.get("/_strangler/status")).json()["recorder"]
            if seen["stored"] + seen["dropped"] == 3:
                break
            await asyncio.sleep(0.01)
        return statuses, seen

    dead = "postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=1"
    (statuses, status), recorder = record(scenario, {"*": 100}, url=dead)

    assert statuses == [200, 200, 200]
    assert (recorder.stored, recorder.dropped) == (0, 3)
    assert status == {"stored": 0, "dropped": 3, "limited": 0}  # /_strangler/status


def test_a_route_is_sampled_at_most_record_max_per_second(record, database_url, make_owner):
    alice = make_owner("alice")

    async def scenario(client: httpx.AsyncClient) -> list[int]:
        # 12 requests in well under a second: a budget of 4 a second lets 4 through
        return [(await client.get("/api/v1/me", headers=alice.headers)).status_code
                for _ in range(12)]  # fmt: skip

    statuses, recorder = record(scenario, {"*": 100}, record_max_per_second=4)

    assert statuses == [200] * 12
    assert (recorder.stored, recorder.limited) == (4, 8)
    assert len(stored(database_url, "GET /api/v1/me")) == 4


@pytest.mark.parametrize(
    "table",
    [
        pytest.param({"GET /a": 101}, id="over-100"),
        pytest.param({"GET /a": -1}, id="negative"),
        pytest.param({"GET /a": "all"}, id="not-a-number"),
        pytest.param({"GET /a": True}, id="boolean"),
        pytest.param("everything", id="not-a-table"),
    ],
)
def test_a_bad_record_sample_table_is_a_config_error(table):
    with pytest.raises(ConfigError, match="record_sample"):
        load_record_sample({"record_sample": table})


def test_recording_needs_a_database():
    raw = {"flags": {"provider": "static"}, "record_sample": {"*": 5}}
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        build_router(raw, {}, {"shadow_isolation": "loop"}, apps=payments_apps("no-db"))
