"""Flask's HTTP behaviour, reproduced: OPTIONS, HEAD, 405 + Allow, strict slashes, JSON
404, and the 1 MiB body limit without buffering past it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from starlette.requests import Request

from fastapi_app.errors import RequestTooLarge
from fastapi_app.request_body import read_capped_body
from fastapi_app.settings import MAX_CONTENT_LENGTH
from tests.fastapi_app.conftest import write_headers

NOT_FOUND = {"error": {"code": "not_found", "message": "Resource not found.", "details": {}}}


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        pytest.param("/api/v1/accounts", "GET, HEAD, OPTIONS, POST", id="accounts"),
        pytest.param("/api/v1/accounts/7", "GET, HEAD, OPTIONS, PATCH", id="account"),
        pytest.param("/api/v1/transfers", "OPTIONS, POST", id="transfers"),
        pytest.param("/api/v1/payments/pay_x/refunds", "OPTIONS, POST", id="refunds"),
        pytest.param("/login", "OPTIONS, POST", id="login"),
    ],
)
def test_options_and_405_list_every_method(port, path, allow):
    options = port.options(path)
    assert (options.status_code, options.content, options.headers["Allow"]) == (200, b"", allow)
    wrong = port.delete(path)
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == allow
    assert wrong.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/api/v1/accounts/", id="trailing-slash"),
        pytest.param("/api/v1/nope", id="unknown"),
        pytest.param("/api/v1/accounts/abc", id="not-an-int"),
        pytest.param("/api/v1/accounts/99999999999999999999", id="beyond-bigint"),
        pytest.param("/", id="root"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST", "OPTIONS", "DELETE"])
def test_unknown_routes_are_json_404_for_every_method(port, path, method):
    response = port.request(method, path)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert response.headers["Content-Type"] == "application/json"


def test_head_is_get_without_body(port, make_owner, make_account):
    owner = make_owner()
    account_id = make_account(owner, balance=5)
    get = port.get(f"/api/v1/accounts/{account_id}", headers=owner.headers)
    head = port.head(f"/api/v1/accounts/{account_id}", headers=owner.headers)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    assert head.headers["Content-Type"] == "application/json"


def test_large_declared_body_is_413_before_authentication(port):
    response = port.post("/api/v1/payments", content=b"x" * (MAX_CONTENT_LENGTH + 1))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_large_streamed_body_is_413(port, make_owner):
    owner = make_owner()

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"x" * 65536

    response = port.post("/api/v1/payments", content=chunks(), headers=write_headers(owner))
    assert response.status_code == 413


def test_body_of_exactly_the_limit_is_read(port, make_owner):
    owner = make_owner()
    raw = b" " * (MAX_CONTENT_LENGTH - 2) + b"{}"
    response = port.post("/api/v1/payments", content=raw, headers=write_headers(owner))
    assert response.status_code == 400
    assert "account_id" in response.json()["error"]["details"]["fields"]


def test_reader_stops_pulling_at_the_limit():
    chunk = 65536
    pulled = 0

    async def endless_receive():
        nonlocal pulled
        pulled += chunk
        return {"type": "http.request", "body": b"x" * chunk, "more_body": True}

    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    with pytest.raises(RequestTooLarge):
        asyncio.run(read_capped_body(Request(scope, endless_receive)))
    assert pulled <= MAX_CONTENT_LENGTH + chunk


def test_openapi_documents_400_and_never_fastapi_422(port):
    document = port.get("/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert len(operations) == 16  # 11 payments API + login, logout, me, healthz, readyz
    for operation in operations:
        for status, answer in operation["responses"].items():
            if status != "200" and status != "201":
                assert answer["content"]["application/json"]["schema"]["$ref"].endswith(
                    ("/ErrorBody", "/Health")
                ), (operation["operationId"], status)
    payment = document["paths"]["/api/v1/payments"]["post"]
    assert {"400", "401", "409", "413", "422", "503"} <= set(payment["responses"])
    schema = payment["requestBody"]["content"]["application/json"]["schema"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["amount_cents"]["maximum"] == 1_000_000_000_000
