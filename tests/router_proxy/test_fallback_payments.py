"""Fallback on the payments apps, against the real database: a keyed write the port
failed is not applied twice, whether the port failed before committing or after."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from router_proxy.fallback import load_fallback
from router_proxy.types import Message, Receive, Scope, Send
from tests.conftest import Database, Owner, assert_money_invariants
from tests.router_proxy.rollout_router import RunningRouter, running_router

PAY = "POST /api/v1/payments"
FAIL = b"x-test-port-fails"  # "before": the port never runs; "after": it commits, then 500s


class FailingPort:
    """Pure ASGI, around the real port: fails the requests that ask for it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        when = dict(scope.get("headers", [])).get(FAIL) if scope["type"] == "http" else None
        if when == b"before":
            raise RuntimeError("the port crashed before doing anything")
        if when != b"after":
            await self.app(scope, receive, send)
            return

        async def lost(message: Message) -> None:
            pass  # the answer is lost: the port committed, the client never hears of it

        await self.app(scope, receive, lost)
        await send({"type": "http.response.start", "status": 500, "headers": []})
        await send({"type": "http.response.body", "body": b"crashed after commit"})


@pytest.fixture
def payments_router(db: Database, request: pytest.FixtureRequest) -> Iterator[RunningRouter]:
    from fastapi_app.main import create_app as create_new
    from legacy_flask.app import create_app as create_legacy
    from tests.fastapi_app.port_client import port_settings

    new_app = create_new(port_settings(request.node.nodeid, REDIS_URL=""))
    new_app.add_middleware(FailingPort)
    provider = StaticProvider(parse_plan({"routes": {PAY: {"mode": "new"}}}))

    with running_router(
        create_legacy(),
        new_app,
        provider,
        attach=lambda app: setattr(app, "fallback", load_fallback({"fallback": {PAY: "legacy"}})),
        database_url=db.url,
    ) as router:
        yield router


@pytest.fixture
def pay(
    payments_router: RunningRouter,
    make_owner: Callable[..., Owner],
    make_account: Callable[..., int],
) -> Callable[..., Any]:
    owner = make_owner()
    account = make_account(owner, balance=10_000)

    def send(key: str | None, fails: str | None) -> Any:
        headers = dict(owner.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        if fails is not None:
            headers[FAIL.decode()] = fails
        body = {"account_id": account, "amount_cents": 700, "currency": "EUR", "merchant": "m"}
        return payments_router.request("POST", "/api/v1/payments", json=body, headers=headers)

    return send


@pytest.mark.parametrize(
    ("fails", "replayed"),
    [
        pytest.param("before", None, id="port-fails-before-commit-legacy-applies-it"),
        pytest.param("after", "true", id="port-fails-after-commit-legacy-replays-it"),
    ],
)
def test_a_keyed_write_the_port_failed_is_applied_once(pay, db, fails, replayed):
    answer = pay("pay-1", fails)

    assert answer.status_code == 201, answer.text
    assert answer.headers["x-served-by"] == "legacy"
    assert answer.headers["x-strangler-fallback"] == ("error" if fails == "before" else "5xx")
    assert answer.headers.get("idempotent-replayed") == replayed
    assert db.scalar("SELECT count(*) FROM payments") == 1
    assert db.scalar("SELECT balance_cents FROM accounts") == 10_000 - 700
    again = pay("pay-1", None)  # the client's own retry: replayed, not applied
    assert (again.status_code, again.json()["id"]) == (201, answer.json()["id"])
    assert db.scalar("SELECT count(*) FROM payments") == 1
    assert_money_invariants(db)


def test_a_write_without_a_key_gets_the_ports_answer(pay, db):
    answer = pay(None, "after")

    assert answer.status_code == 500
    assert answer.headers["x-served-by"] == "new"
    assert "x-strangler-fallback" not in answer.headers
    assert db.scalar("SELECT count(*) FROM payments") == 0  # legacy never saw it
