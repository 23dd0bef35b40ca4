"""Bad input (ACCEPTANCE A21): always the 400 JSON error shape, never 500, never HTML."""

from __future__ import annotations

import pytest

from tests.fastapi_app.conftest import write_headers

PAYMENT = {"account_id": 1, "amount_cents": 5, "currency": "EUR", "merchant": "m"}


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        pytest.param(b"", {"body": "must be a JSON object"}, id="empty"),
        pytest.param(b"{", {"body": "must be a JSON object"}, id="truncated"),
        pytest.param(b"[1]", {"body": "must be a JSON object"}, id="array"),
        pytest.param(b"\xff\xfe", {"body": "must be a JSON object"}, id="not-utf8"),
        pytest.param(b"[" * 100000, {"body": "must be a JSON object"}, id="deep-nesting"),
        pytest.param(b'{"account_id": NaN}', {"body": "must be a JSON object"}, id="nan"),
        pytest.param(
            b'{"account_id": 1, "amount_cents": 1e999, "currency": "EUR", "merchant": "m"}',
            {"amount_cents": "must be an integer"},
            id="infinite-float",
        ),
        pytest.param(
            b'{"account_id": 99999999999999999999999, "amount_cents": 5,'
            b' "currency": "EUR", "merchant": "m"}',
            {"account_id": "must be between 1 and 9223372036854775807"},
            id="huge-account-id",
        ),
        pytest.param(
            b'{"account_id": 1, "amount_cents": true, "currency": "EUR", "merchant": "m"}',
            {"amount_cents": "must be an integer"},
            id="bool",
        ),
        pytest.param(
            b'{"account_id": 1, "amount_cents": 5, "currency": "EUR", "merchant": "a\\u0000b"}',
            {"merchant": "must be a string"},
            id="nul-in-text",
        ),
        pytest.param(
            b'{"account_id": 1, "amount_cents": 5, "currency": "EUR", "merchant": "\\ud800"}',
            {"merchant": "must be a string"},
            id="lone-surrogate",
        ),
        pytest.param(
            '{"account_id": 1, "amount_cents": 5, "currency": "€UR", "merchant": "m"}'.encode(),
            {"currency": "must be a 3-letter ISO 4217 code"},
            id="unicode-currency",
        ),
        pytest.param(
            b'{"account_id": 1, "amount_cents": 5, "currency": "EUR\\n", "merchant": "m"}',
            {"currency": "must be a 3-letter ISO 4217 code"},
            id="currency-trailing-newline",
        ),
        pytest.param(
            b'{"merchant": null, "description": 5, "extra": {}}',
            {
                "account_id": "field required",
                "amount_cents": "field required",
                "currency": "field required",
                "merchant": "must be a string",
                "description": "must be a string",
                "extra": "unknown field",
            },
            id="everything-wrong-at-once",
        ),
    ],
)
def test_bad_payment_bodies_are_400(db, port, make_owner, raw, fields):
    owner = make_owner()
    headers = {**write_headers(owner), "Content-Type": "application/json"}
    response = port.post("/api/v1/payments", content=raw, headers=headers)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {
        "error": {
            "code": "invalid_request",
            "message": "Request validation failed.",
            "details": {"fields": fields},
        }
    }


@pytest.mark.parametrize(
    ("path", "params", "fields"),
    [
        pytest.param(
            "/api/v1/accounts",
            {"limit": "0"},
            {"limit": "must be an integer between 1 and 100"},
            id="limit-zero",
        ),
        pytest.param(
            "/api/v1/accounts",
            {"limit": "1e3", "status": "gone"},
            {
                "limit": "must be an integer between 1 and 100",
                "status": "must be one of: active, frozen, closed",
            },
            id="two-bad",
        ),
        pytest.param(
            "/api/v1/accounts", {"cursor": "!!!"}, {"cursor": "invalid cursor"}, id="cursor-garbage"
        ),
        pytest.param(
            "/api/v1/payments",
            {"cursor": "WzQyXQ"},
            {"cursor": "invalid cursor"},
            id="account-cursor-on-payments",
        ),
        pytest.param(
            "/api/v1/payments",
            {"account_id": "1.5"},
            {"account_id": "must be an integer"},
            id="account-id-float",
        ),
    ],
)
def test_bad_query_parameters_are_400(db, port, make_owner, path, params, fields):
    owner = make_owner()
    response = port.get(path, params=params, headers=owner.headers)
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"fields": fields}


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/api/v1/accounts/99999999999999999999", id="account-beyond-bigint"),
        pytest.param("/api/v1/accounts/9223372036854775807/summary", id="account-at-bigint"),
        pytest.param("/api/v1/payments/pay_UPPERCASE", id="payment-id-shape"),
        pytest.param("/api/v1/payments?account_id=-5", id="negative-account-filter"),
        pytest.param("/api/v1/payments?account_id=99999999999999999999", id="huge-filter"),
    ],
)
def test_ids_that_cannot_exist_are_404(db, port, make_owner, path):
    owner = make_owner()
    response = port.get(path, headers=owner.headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        pytest.param(None, "idempotency_key_missing", id="absent"),
        pytest.param("", "invalid_request", id="empty"),
        pytest.param("k" * 256, "invalid_request", id="too-long"),
        pytest.param("caf\u00e9".encode(), "invalid_request", id="not-ascii"),
        pytest.param("tab\tkey", "invalid_request", id="control-character"),
    ],
)
def test_bad_idempotency_keys_are_400(db, port, make_owner, key, expected):
    owner = make_owner()
    headers = dict(owner.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    response = port.post("/api/v1/payments", json=PAYMENT, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == expected
    assert db.scalar("SELECT count(*) FROM idempotency_keys") == 0
