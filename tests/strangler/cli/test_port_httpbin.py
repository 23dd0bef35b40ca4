"""A user's own app, end to end: ``strangler serve --record 100 --legacy-app httpbin:app``
records what httpbin answers, ``strangler openapi`` lists its routes with the inferred
schemas, and ``strangler port`` drafts a module that imports and starts under uvicorn.
Every command runs as a user runs it: a process of its own, in a folder of its own."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openapi_spec_validator import validate

from tests.conftest import Database
from tests.router_proxy.servers import ROOT, free_port, wait_for_port
from tests.strangler.cli.test_serve_own_app import BIN

HTTPBIN = ["--legacy-app", "httpbin:app"]
SECRET = "Bearer opaque-credential-7f3a"


def strangler(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [str(BIN / "strangler"), *args]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("httpbin-project")
    (path / "strangler.toml").write_text('[flags]\nprovider = "static"\n')
    return path


@pytest.fixture(scope="module")
def recorded(folder: Path, database_url: str) -> Iterator[Path]:
    Database(database_url).execute("TRUNCATE recorded_exchanges RESTART IDENTITY")
    port = free_port()
    command = [str(BIN / "strangler"), "serve", "--record", "100", *HTTPBIN, "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with (folder / "serve.log").open("w") as log:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=log)
        try:
            wait_for_port(port, timeout=60)
            base = f"http://127.0.0.1:{port}"
            headers = {"Authorization": SECRET, "Cookie": "session=cookie-secret-9"}
            for query in ("page=2", "page=3&q=shoes"):
                httpx.get(f"{base}/get?{query}", headers=headers, timeout=10)
            httpx.get(f"{base}/uuid", timeout=10)
            httpx.get(f"{base}/status/418", timeout=10)
            httpx.post(f"{base}/post", json={"amount_cents": 500, "note": "x"}, timeout=10)
        finally:
            process.terminate()  # the lifespan's shutdown drains the recorder's queue
            process.wait(timeout=30)
    yield folder


def test_the_recorded_rows_hold_no_credentials(recorded, database_url):
    rows = Database(database_url).all("SELECT exchange::text FROM recorded_exchanges")

    assert len(rows) == 5
    text = " ".join(row[0] for row in rows)
    assert "opaque-credential" not in text and "cookie-secret" not in text


def test_openapi_lists_httpbins_routes_with_inferred_schemas(recorded):
    result = strangler(recorded, "openapi", *HTTPBIN, "--out", "openapi.json")

    assert result.returncode == 0, result.stderr
    document = json.loads((recorded / "openapi.json").read_text())
    validate(document)
    paths = document["paths"]
    assert len(paths) > 40  # every httpbin route, recorded or not
    get = paths["/get"]["get"]
    query = {p["name"]: p["schema"] for p in get["parameters"] if p["in"] == "query"}
    assert query == {"page": {"type": "integer"}, "q": {"type": "string"}}
    answer = get["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"args", "headers", "origin", "url"} <= set(answer["properties"])
    uuid_answer = paths["/uuid"]["get"]["responses"]["200"]["content"]["application/json"]
    assert uuid_answer["schema"]["properties"]["uuid"] == {"type": "string", "format": "uuid"}
    post = paths["/post"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert post["properties"]["amount_cents"] == {"type": "integer"}
    assert paths["/status/{codes}"]["get"]["x-strangler-recorded"] == 1
    assert paths["/html"]["get"]["x-strangler-recorded"] == 0


def test_port_drafts_a_module_that_imports_and_starts(recorded):
    result = strangler(recorded, "port", "GET /get", *HTTPBIN, "--out", "draft")

    assert result.returncode == 0, result.stderr
    assert "draft/get_get.py" in result.stdout
    (recorded / "main.py").write_text(
        "from fastapi import FastAPI\n\nfrom draft.get_get import router\n\n"
        "app = FastAPI()\napp.include_router(router)\n"
    )
    port = free_port()
    command = [str(BIN / "uvicorn"), "main:app", "--port", str(port)]
    with subprocess.Popen(command, cwd=recorded, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL) as server:  # fmt: skip
        try:
            wait_for_port(port, timeout=30)
            answer = httpx.get(f"http://127.0.0.1:{port}/get?page=1", timeout=10)
            spec = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=10).json()
        finally:
            server.terminate()
    assert answer.status_code == 501
    parameters = {p["name"]: p for p in spec["paths"]["/get"]["get"]["parameters"]}
    # page: sent by every recorded request, so required; q: by one of them, so optional
    assert (parameters["page"]["required"], parameters["page"]["schema"]["type"]) == (
        True,
        "integer",
    )
    assert parameters["q"]["required"] is False
    response = spec["components"]["schemas"]["GetGetResponse"]
    assert {"args", "headers", "origin", "url"} <= set(response["properties"])
