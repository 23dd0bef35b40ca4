"""The router is invisible in front of the real payments app: the same request sent to
legacy under gunicorn and through the router (in-process, with the port beside it) gives
the same status, headers and body bytes; a route moved to new answers the same bytes too,
because the port is byte-identical to legacy."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from tests.conftest import Database, Owner
from tests.router_proxy.rollout_router import RunningRouter, running_router
from tests.router_proxy.servers import gunicorn

SERVER_HEADERS = {"date", "server", "connection", "keep-alive", "transfer-encoding"}
ROUTER_HEADERS = {"x-served-by", "x-request-id"}
MOVED = "GET /api/v1/accounts/{account_id}"


@pytest.fixture(scope="module")
def direct_legacy(database_url: str) -> Iterator[str]:
    with gunicorn("legacy_flask.wsgi:app") as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def payments_router(db: Database, request: pytest.FixtureRequest) -> Iterator[RunningRouter]:
    from fastapi_app.main import create_app as create_new
    from legacy_flask.app import create_app as create_legacy
    from tests.fastapi_app.port_client import port_settings

    plan = parse_plan({"routes": {MOVED: {"mode": "new"}}})
    new_app = create_new(port_settings(request.node.nodeid, REDIS_URL=""))
    with running_router(create_legacy(), new_app, StaticProvider(plan)) as router:
        yield router


@pytest.fixture
def world(db: Database, make_owner, make_account, direct_legacy: str) -> dict[str, Any]:
    alice, bob = make_owner("alice"), make_owner("bob")
    account = make_account(alice, "EUR", balance=10_000)
    other = make_account(bob, "EUR", balance=500)
    payment = httpx.post(
        f"{direct_legacy}/api/v1/payments",
        headers={**alice.headers, "Idempotency-Key": "transparency-1"},
        json={"account_id": account, "amount_cents": 250, "currency": "EUR", "merchant": "Café"},
    ).json()
    return {"alice": alice, "account": account, "other": other, "payment": payment["id"]}


def _app_headers(response: httpx.Response) -> list[tuple[str, str]]:
    return [
        (name, ", ".join(sorted(value.split(", "))) if name == "allow" else value)
        for name, value in response.headers.multi_items()
        if name not in SERVER_HEADERS | ROUTER_HEADERS
    ]


def _same(direct: httpx.Response, routed: httpx.Response) -> None:
    assert routed.status_code == direct.status_code
    assert _app_headers(routed) == _app_headers(direct)
    assert routed.content == direct.content


Request = Callable[[dict[str, Any]], tuple[str, str, dict[str, str], bytes | None]]


def _auth(world: dict[str, Any]) -> dict[str, str]:
    owner: Owner = world["alice"]
    return owner.headers


CASES = [
    pytest.param(lambda w: ("GET", "/api/v1/accounts", _auth(w), None), id="account-list"),
    pytest.param(
        lambda w: ("GET", f"/api/v1/accounts/{w['account']}/ledger?limit=1", _auth(w), None),
        id="ledger-page-with-cursor",
    ),
    pytest.param(
        lambda w: ("GET", f"/api/v1/accounts/{w['account']}/summary", _auth(w), None),
        id="summary",
    ),
    pytest.param(
        lambda w: ("GET", f"/api/v1/payments/{w['payment']}", _auth(w), None), id="payment"
    ),
    pytest.param(
        lambda w: (
            "GET",
            f"/api/v1/payments?account_id={w['account']}&status=succeeded",
            _auth(w),
            None,
        ),
        id="payment-list-query-string",
    ),
    pytest.param(lambda w: ("GET", "/api/v1/me", _auth(w), None), id="me"),
    pytest.param(lambda w: ("GET", "/api/v1/accounts", {}, None), id="401-no-credentials"),
    pytest.param(
        lambda w: ("GET", f"/api/v1/accounts/{w['other']}/ledger", _auth(w), None),
        id="403-other-owner",
    ),
    pytest.param(lambda w: ("GET", "/api/v1/nope", _auth(w), None), id="404-unknown-route"),
    pytest.param(lambda w: ("GET", "/api/v1/accounts/", _auth(w), None), id="404-trailing-slash"),
    pytest.param(
        lambda w: ("GET", "/api/v1/accounts/99999999999999999999999/ledger", _auth(w), None),
        id="404-id-beyond-bigint",
    ),
    pytest.param(lambda w: ("DELETE", "/api/v1/payments", _auth(w), None), id="405-with-allow"),
    pytest.param(lambda w: ("OPTIONS", "/api/v1/payments", _auth(w), None), id="options"),
    pytest.param(lambda w: ("HEAD", "/api/v1/accounts", _auth(w), None), id="head"),
    pytest.param(
        lambda w: ("GET", "/api/v1/accounts?limit=%E2%82%AC", _auth(w), None),
        id="400-utf8-query",
    ),
    pytest.param(
        lambda w: (
            "POST",
            "/api/v1/payments",
            {**_auth(w), "Idempotency-Key": "transparency-1", "Content-Type": "application/json"},
            b'{"account_id": %d, "amount_cents": 250, "currency": "EUR", '
            b'"merchant": "Caf\\u00e9"}' % w["account"],
        ),
        id="idempotent-replay-of-a-direct-write",
    ),
    pytest.param(
        lambda w: (
            "POST",
            "/api/v1/payments",
            {**_auth(w), "Idempotency-Key": "t-2", "Content-Type": "application/json"},
            b"{not json",
        ),
        id="400-malformed-json",
    ),
]


@pytest.mark.parametrize("build", CASES)
def test_payments_routes_are_byte_identical_through_the_router(
    world, direct_legacy, payments_router, build: Request
) -> None:
    method, path, headers, body = build(world)
    direct = httpx.request(method, direct_legacy + path, headers=headers, content=body)
    routed = payments_router.request(method, path, headers=headers, content=body)
    _same(direct, routed)
    assert routed.headers["x-served-by"] == "legacy"


def test_a_route_moved_to_new_answers_the_same_bytes(world, direct_legacy, payments_router):
    path = f"/api/v1/accounts/{world['account']}"
    direct = httpx.get(direct_legacy + path, headers=_auth(world))
    routed = payments_router.get(path, _auth(world))
    assert routed.headers["x-served-by"] == "new"
    assert routed.status_code == direct.status_code
    assert routed.content == direct.content
    # Two different apps: the same header fields, in the order each framework writes them.
    assert sorted(_app_headers(routed)) == sorted(_app_headers(direct))


def test_a_login_cookie_through_the_router_works_direct(world, direct_legacy, payments_router):
    owner: Owner = world["alice"]
    login = {"username": owner.username, "password": owner.password}
    direct = httpx.post(f"{direct_legacy}/login", json=login)
    routed = payments_router.request("POST", "/login", json=login)
    assert routed.status_code == direct.status_code == 200
    assert routed.content == direct.content
    # The signature carries a timestamp: compare the cookie's attributes, then use it.
    shape = re.compile(r"session=[^;]+;")
    assert shape.sub("session=*;", routed.headers["set-cookie"]) == shape.sub(
        "session=*;", direct.headers["set-cookie"]
    )
    me = httpx.get(f"{direct_legacy}/api/v1/me", cookies=routed.cookies)
    assert me.json() == {"auth": "session", "owner": owner.owner}
