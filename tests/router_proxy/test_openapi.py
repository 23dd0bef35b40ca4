"""The merged OpenAPI (router_proxy.openapi, router_proxy.merged_docs): served by the router
built as ``strangler serve`` builds it, over the real payments apps and a Flask app with
every converter, with the traffic recorder's rows in PostgreSQL; every document served is
validated with openapi-spec-validator."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from flask import Flask
from openapi_spec_validator import validate
from werkzeug.routing import BaseConverter

from router_proxy.asgi import Apps, build_router
from tests.conftest import TEST_SECRET_KEY, Database, Owner
from tests.router_proxy.in_process import Scenario, run_in_process
from tests.router_proxy.test_recorder import payments_apps

ACCOUNT_FIELDS = {"id", "owner", "currency", "balance_cents", "status", "nickname", "created_at"}


class HexConverter(BaseConverter):
    regex = "[0-9a-f]+"


def converters_app() -> Flask:
    app = Flask("converters")
    app.url_map.converters["hex"] = HexConverter

    @app.get("/items/<int:item_id>")
    def item(item_id: int) -> dict[str, Any]:
        """Fetch one item.

        More words that are not the summary."""
        return {"id": item_id}

    @app.get("/orders/<uuid:order_id>")
    def order(order_id: uuid.UUID) -> dict[str, Any]:
        return {"id": str(order_id)}

    @app.get("/prices/<float:amount>")
    def price(amount: float) -> dict[str, Any]:
        return {"amount": amount}

    @app.get("/files/<path:name>")
    def file(name: str) -> dict[str, Any]:
        return {"name": name}

    @app.get("/blobs/<hex:digest>")
    def blob(digest: str) -> dict[str, Any]:
        return {"digest": digest}

    return app


@pytest.fixture
def serve(recordings_db: Database, flag_db: Database, database_url: str) -> Callable[..., Any]:
    def run(apps: Apps, scenario: Scenario[Any], **raw: Any) -> Any:
        raw = {"flags": {"provider": "static"}, **raw}
        overrides = {"secret_key": TEST_SECRET_KEY, "shadow_isolation": "loop"}
        app = build_router(raw, {"DATABASE_URL": database_url}, overrides, apps=apps)
        return run_in_process(app, scenario)

    return run


async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.get("/_strangler/openapi.json")
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json()
    validate(found)
    return found


async def stored(client: httpx.AsyncClient, count: int, timeout: float = 10) -> None:
    """Wait until the recorder says it stored ``count`` samples."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        status = (await client.get("/_strangler/status")).json()
        if status["recorder"]["stored"] >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the recorder stored fewer than {count} samples in {timeout} s")


def operation(doc: dict[str, Any], key: str) -> dict[str, Any]:
    method, path = key.split(" ", 1)
    found: dict[str, Any] = doc["paths"][path][method.lower()]
    return found


def test_owners_follow_the_flags_and_ported_routes_use_the_new_apps_operation(serve, request):
    plan = {
        "GET /api/v1/me": {"mode": "shadow"},
        "GET /api/v1/accounts": {"mode": "canary", "percent": 10},
        "GET /api/v1/accounts/{account_id}": {"mode": "new"},
    }
    doc = serve(payments_apps(request.node.nodeid), document, routes=plan)

    owners = {
        key: operation(doc, key)["x-strangler-owner"] for key in [*plan, "POST /api/v1/payments"]
    }
    assert owners == {"GET /api/v1/me": "shadow", "GET /api/v1/accounts": "canary",
                      "GET /api/v1/accounts/{account_id}": "new",
                      "POST /api/v1/payments": "legacy"}  # fmt: skip
    account = operation(doc, "GET /api/v1/accounts/{account_id}")
    assert account["x-strangler-source"] == "new-app"
    assert [p["name"] for p in account["parameters"] if p["in"] == "path"] == ["account_id"]
    assert "components" in doc  # the new app's models, which its operations refer to


def test_the_kill_switch_makes_every_route_legacys(serve, request):
    plan = {"GET /api/v1/me": {"mode": "new"}}
    raw = {"routes": plan, "flags": {"provider": "static", "kill_switch": True}}
    doc = serve(payments_apps(request.node.nodeid), document, **raw)

    owners = {op["x-strangler-owner"] for item in doc["paths"].values() for op in item.values()}
    assert owners == {"legacy"}


def test_legacy_routes_are_typed_by_their_converters(serve):
    doc = serve(Apps(converters_app(), None), document)

    def path_schema(key: str) -> dict[str, Any]:
        [parameter] = operation(doc, key)["parameters"]
        assert parameter["in"] == "path" and parameter["required"] is True
        schema: dict[str, Any] = parameter["schema"]
        return schema

    assert path_schema("GET /items/{item_id}") == {"type": "integer", "minimum": 0}
    assert path_schema("GET /orders/{order_id}") == {"type": "string", "format": "uuid"}
    assert path_schema("GET /prices/{amount}")["type"] == "number"
    assert path_schema("GET /files/{name}") == {"type": "string"}
    assert path_schema("GET /blobs/{digest}") == {"type": "string", "pattern": "[0-9a-f]+"}
    item = operation(doc, "GET /items/{item_id}")
    assert item["summary"] == "Fetch one item."
    assert (item["x-strangler-owner"], item["x-strangler-source"]) == ("legacy", "legacy")
    assert item["responses"] == {"default": {"description": "Not recorded yet."}}


def test_recorded_traffic_fills_in_a_legacy_routes_answers(
    serve, request, make_owner, make_account
):
    alice: Owner = make_owner("alice")
    account = make_account(alice, balance=900)
    legacy_only = Apps(payments_apps(request.node.nodeid).legacy, None)

    async def scenario(client: httpx.AsyncClient) -> dict[str, Any]:
        await client.get(f"/api/v1/accounts/{account}", headers=alice.headers)
        await client.get("/api/v1/accounts/999999", headers=alice.headers)
        await client.get("/api/v1/accounts?limit=2&status=active", headers=alice.headers)
        await client.post("/api/v1/accounts", json={"currency": "EUR", "nickname": "spare"},
                          headers={**alice.headers, "Idempotency-Key": "k-1"})  # fmt: skip
        await stored(client, 4)  # the recorder writes off the client's path
        return await document(client)

    doc = serve(legacy_only, scenario, record_sample={"*": 100})

    read = operation(doc, "GET /api/v1/accounts/{account_id}")
    assert read["x-strangler-recorded"] == 2
    assert set(read["responses"]) == {"200", "404"}
    schema = read["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == ACCOUNT_FIELDS
    listing = operation(doc, "GET /api/v1/accounts")
    query = {p["name"]: p["schema"] for p in listing["parameters"] if p["in"] == "query"}
    assert query == {"limit": {"type": "integer"}, "status": {"type": "string"}}
    create = operation(doc, "POST /api/v1/accounts")
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"] == {"currency": {"type": "string"}, "nickname": {"type": "string"}}


def test_the_docs_pages_are_served_locally(serve):
    async def scenario(client: httpx.AsyncClient) -> list[httpx.Response]:
        pages = [await client.get("/_strangler/docs")]
        html = pages[0].text
        assets = [src.split('"')[0] for src in html.split('src="')[1:]]
        assets += [href.split('"')[0] for href in html.split('href="')[1:]]
        return pages + [await client.get(a) for a in assets if a.startswith("/_strangler/")]

    answers = serve(Apps(converters_app(), None), scenario)

    assert [a.status_code for a in answers] == [200] * len(answers)
    assert len(answers) >= 3  # the page, its script, its stylesheet
    assert "/_strangler/openapi.json" in answers[0].text
    assert "https://" not in answers[0].text  # no CDN
