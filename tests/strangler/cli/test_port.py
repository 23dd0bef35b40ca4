"""``strangler port`` and ``strangler openapi`` on the reference payments app: the seeded
demo data, traffic recorded through the router as ``strangler serve`` builds it, then the
commands as a user runs them (typer's runner, the real database)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openapi_spec_validator import validate
from typer.testing import CliRunner

from parity_tests.cases import parse_case
from payments_demo.seed import build_dataset, write_dataset
from router_proxy.asgi import Apps, build_router
from strangler.cli import app as cli
from tests.conftest import TEST_SECRET_KEY, Database
from tests.router_proxy.in_process import run_in_process

ACCOUNT = "GET /api/v1/accounts/{account_id}"
CONTRACT_ACCOUNT = {"id", "owner", "currency", "balance_cents", "status", "nickname", "created_at"}
CONFIG = '[apps]\nlegacy = "legacy_flask.wsgi:app"\nnew = ""\n\n[flags]\nprovider = "static"\n'


@pytest.fixture
def recorded(recordings_db: Database, database_url: str) -> dict[str, Any]:
    """The demo's seeded data, and the demo's kind of traffic recorded: each owner reads
    their accounts one by one, and asks for one that does not exist."""
    from legacy_flask.app import create_app

    data = build_dataset(accounts=20, seed=1, payments_per_account=2)
    write_dataset(database_url, data, reset=True)
    by_owner = {o["owner"]: o for o in data.owners}

    async def traffic(client: httpx.AsyncClient) -> None:
        for account in data.accounts[:12]:
            account_id, owner = account[0], account[1]
            headers = {"Authorization": f"Bearer {by_owner[owner]['api_key']}"}
            await client.get(f"/api/v1/accounts/{account_id}", headers=headers)
        headers = {"Authorization": f"Bearer {data.owners[0]['api_key']}"}
        await client.get("/api/v1/accounts/999999", headers=headers)

    raw = {
        "flags": {"provider": "static"},
        "record_sample": {ACCOUNT: 100},
        "router": {"record_max_per_second": 1000},  # 13 requests in a blink: keep them all
    }
    overrides = {"secret_key": TEST_SECRET_KEY, "shadow_isolation": "loop"}
    router = build_router(raw, {"DATABASE_URL": database_url}, overrides,
                          apps=Apps(create_app(), None))  # fmt: skip
    run_in_process(router, traffic)
    return {"owners": data.owners}


@pytest.fixture
def strangler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    (tmp_path / "strangler.toml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, list(args))

    return run


def load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def test_port_drafts_a_router_whose_models_match_the_contract(recorded, strangler, tmp_path):
    result = strangler("port", ACCOUNT, "--out", "draft", "--auth", "alice")

    assert result.exit_code == 0, result.output
    module = load_module(tmp_path / "draft" / "get_api_v1_accounts_account_id.py")
    response = module.GetApiV1AccountsAccountIdResponse
    assert set(response.model_fields) == CONTRACT_ACCOUNT
    assert response.model_fields["created_at"].annotation.__name__ == "datetime"
    app = FastAPI()
    app.include_router(module.router)
    validate(app.openapi())
    schema = app.openapi()["components"]["schemas"]["GetApiV1AccountsAccountIdResponse"]
    assert set(schema["properties"]) == CONTRACT_ACCOUNT

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://new") as client:
            return await client.get("/api/v1/accounts/7")

    answer = asyncio.run(call())
    assert answer.status_code == 501  # the TODO body: calls nothing
    assert "TODO: port GET /api/v1/accounts/{account_id}" in answer.text


def test_port_writes_parity_cases_without_secrets_and_with_normalisers(
    recorded, strangler, tmp_path
):
    result = strangler("port", ACCOUNT, "--out", "draft", "--cases", "3", "--auth", "alice")

    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "draft" / "cases").glob("*.json"))
    assert len(files) == 3
    cases = [json.loads(path.read_text()) for path in files]
    for path, case in zip(files, cases, strict=True):
        parse_case(case, str(path))
        assert case["request"]["auth"] == "alice"
        assert case["compare"]["ignore"] == ["$.created_at", "$.id"]
    statuses = {case["observed"]["legacy"]["status"] for case in cases}
    assert statuses == {200, 404}  # a status not yet covered comes first
    text = "".join(path.read_text() for path in files)
    for owner in recorded["owners"]:
        assert owner["api_key"] not in text


def test_port_refuses_to_overwrite(recorded, strangler, tmp_path):
    assert strangler("port", ACCOUNT, "--out", "draft").exit_code == 0
    module = tmp_path / "draft" / "get_api_v1_accounts_account_id.py"
    module.write_text("# edited by hand\n")

    again = strangler("port", ACCOUNT, "--out", "draft")

    assert again.exit_code == 2
    assert "refusing to overwrite" in again.output
    assert module.read_text() == "# edited by hand\n"


@pytest.mark.parametrize(
    ("route", "message"),
    [
        pytest.param("GET /api/v1/me", "no recorded traffic", id="not-recorded"),
        pytest.param("GET /api/v1/acounts/{account_id}", "did you mean", id="misspelt"),
    ],
)
def test_port_says_what_is_missing(recorded, strangler, route, message):
    result = strangler("port", route, "--out", "draft")

    assert result.exit_code == 2
    assert message in result.output


def test_openapi_writes_a_valid_document_with_the_recorded_shapes(recorded, strangler, tmp_path):
    result = strangler("openapi", "--out", "openapi.json")

    assert result.exit_code == 0, result.output
    assert ACCOUNT.split(" ")[1] in result.output  # the summary table
    document = json.loads((tmp_path / "openapi.json").read_text())
    validate(document)
    read = document["paths"]["/api/v1/accounts/{account_id}"]["get"]
    assert read["x-strangler-recorded"] == 13
    assert set(read["responses"]) == {"200", "404"}
    body = read["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == CONTRACT_ACCOUNT
