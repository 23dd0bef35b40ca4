"""Errors every client can meet: auth, owner isolation, routing, and bad input.

Bad input is never a 500 and never HTML: always the JSON error shape.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.contract.conftest import error_code, new_key

PAYMENT = {"account_id": 1, "amount_cents": 100, "currency": "EUR", "merchant": "Acme"}


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-credentials"),
        pytest.param({"Authorization": "Bearer sk_test_unknown"}, id="unknown-key"),
        pytest.param({"Authorization": "Basic dXNlcjpwYXNz"}, id="wrong-scheme"),
        pytest.param({"Authorization": "Bearer "}, id="empty-key"),
        pytest.param({"Cookie": "session=forged.value.sig"}, id="forged-cookie"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/accounts", "/api/v1/me", "/api/v1/payments"])
def test_reads_without_valid_credentials_are_401(api, db, headers, path):
    response = api.get(path, headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "unauthenticated",
            "details": {},
            "message": "Missing or invalid credentials.",
        }
    }


def test_revoked_key_is_401(api, db, make_owner):
    owner = make_owner()
    db.execute("UPDATE api_keys SET revoked_at = now()")
    assert api.get("/api/v1/me", headers=owner.headers).status_code == 401


def test_write_without_credentials_is_401_before_key_checks(api, db):
    assert error_code(api.post("/api/v1/payments", json=PAYMENT)) == "unauthenticated"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/api/v1/accounts/{account}", id="account"),
        pytest.param("/api/v1/accounts/{account}/ledger", id="ledger"),
        pytest.param("/api/v1/accounts/{account}/summary", id="summary"),
        pytest.param("/api/v1/payments/{payment}", id="payment"),
        pytest.param("/api/v1/payments?account_id={account}", id="payments-of-account"),
    ],
)
def test_another_owners_resources_are_403(make_owner, make_account, as_owner, path):
    owner, stranger = make_owner(), make_owner()
    account = make_account(owner, balance=100)
    payment = as_owner(owner).pay(account, 10)["id"]
    response = as_owner(stranger).get(path.format(account=account, payment=payment))
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "forbidden",
        "details": {},
        "message": "This resource belongs to another owner.",
    }


def test_other_owners_accounts_and_payments_are_not_listed(make_owner, make_account, as_owner):
    owner, stranger = make_owner(), make_owner()
    as_owner(owner).pay(make_account(owner, balance=100), 10)
    session = as_owner(stranger)
    assert session.get("/api/v1/accounts").json() == {"data": [], "next_cursor": None}
    assert session.get("/api/v1/payments").json() == {"data": [], "next_cursor": None}


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/api/v1/accounts/424242", id="unknown-account"),
        pytest.param("/api/v1/accounts/9223372036854775808", id="account-beyond-bigint"),
        pytest.param(
            "/api/v1/accounts/99999999999999999999999999/summary", id="summary-beyond-bigint"
        ),
        pytest.param("/api/v1/accounts/-1", id="negative-account"),
        pytest.param("/api/v1/accounts/abc", id="non-numeric-account"),
        pytest.param("/api/v1/payments/pay_" + "0" * 24, id="unknown-payment"),
        pytest.param("/api/v1/payments/pay_XYZ", id="malformed-payment-id"),
        pytest.param("/api/v1/payments/" + "é" * 300, id="unicode-payment-id"),
        pytest.param("/api/v1/accounts/", id="trailing-slash"),
        pytest.param("/api/v1/nothing-here", id="unknown-route"),
        pytest.param("/", id="root"),
    ],
)
def test_unknown_things_are_json_404(make_owner, as_owner, path):
    response = as_owner(make_owner()).get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "error": {"code": "not_found", "details": {}, "message": "Resource not found."}
    }


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        pytest.param(
            "DELETE", "/api/v1/accounts/1", "GET, HEAD, OPTIONS, PATCH", id="delete-account"
        ),
        pytest.param("PUT", "/api/v1/accounts", "GET, HEAD, OPTIONS, POST", id="put-accounts"),
        pytest.param("GET", "/api/v1/transfers", "OPTIONS, POST", id="get-transfers"),
        pytest.param("PATCH", "/api/v1/payments/pay_x", "GET, HEAD, OPTIONS", id="patch-payment"),
        pytest.param("GET", "/login", "OPTIONS, POST", id="get-login"),
        pytest.param("POST", "/healthz", "GET, HEAD, OPTIONS", id="post-healthz"),
    ],
)
def test_wrong_method_is_405_with_allow(api, db, method, path, allow):
    response = api.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json() == {
        "error": {"code": "method_not_allowed", "details": {}, "message": "Method not allowed."}
    }


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        pytest.param("/api/v1/accounts", "GET, HEAD, OPTIONS, POST", id="accounts"),
        pytest.param("/api/v1/accounts/7", "GET, HEAD, OPTIONS, PATCH", id="account"),
        pytest.param("/api/v1/payments/pay_x/refunds", "OPTIONS, POST", id="refunds"),
    ],
)
def test_options_lists_the_allowed_methods_without_auth(api, db, path, allow):
    response = api.options(path)
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["allow"] == allow


def test_head_answers_the_get_headers_without_a_body(make_owner, make_account, as_owner, api):
    owner = make_owner()
    account = make_account(owner)
    got = api.get(f"/api/v1/accounts/{account}", headers=owner.headers)
    head = api.head(f"/api/v1/accounts/{account}", headers=owner.headers)
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == got.headers["content-length"]


def _fields(response: httpx.Response) -> Any:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("invalid_request", "Request validation failed.")
    return error["details"]["fields"]


BIG = 10**30
RANGE = "must be between 1 and 1000000000000"
ID_RANGE = "must be between 1 and 9223372036854775807"


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        pytest.param(
            "/api/v1/payments",
            {},
            {
                "account_id": "field required",
                "amount_cents": "field required",
                "currency": "field required",
                "merchant": "field required",
            },
            id="payment-empty",
        ),
        pytest.param(
            "/api/v1/payments",
            {**PAYMENT, "amount_cents": True},
            {"amount_cents": "must be an integer"},
            id="bool-as-int",
        ),
        pytest.param(
            "/api/v1/payments",
            {**PAYMENT, "amount_cents": 10.0},
            {"amount_cents": "must be an integer"},
            id="float-as-int",
        ),
        pytest.param(
            "/api/v1/payments",
            {**PAYMENT, "amount_cents": "100"},
            {"amount_cents": "must be an integer"},
            id="string-as-int",
        ),
        pytest.param(
            "/api/v1/payments",
            {**PAYMENT, "amount_cents": None},
            {"amount_cents": "must be an integer"},
            id="null-required",
        ),
        pytest.param(
            "/api/v1/payments",
            {**PAYMENT, "amount_cents": 0},
            {"amount_cents": RANGE},
            id="zero-amount",
        ),
        pytest.param(
            "/api/v1/payments",
            {**PAYMENT, "amount_cents": -5},
            {"amount_cents": RANGE},
            id="negative-amount",
        ),
        pytest.param(
            "/api/v1/payments",
            {**PAYMENT, "amount_cents": BIG},
            {"amount_cents": RANGE},
            id="amount-beyond-bigint",
        ),
        pytest.param(
            "/api/v1/payments",
            {**PAYMENT, "account_id": BIG},
            {"account_id": ID_RANGE},
            id="account-beyond-bigint",
        ),
        pytest.param(
            "/api/v1/payments",
            {**PAYMENT, "account_id": 0},
            {"account_id": ID_RANGE},
            id="account-zero",
        ),
        pytest.param(
            "/api/v1/payments",
            {**PAYMENT, "currency": "eur"},
            {"currency": "must be a 3-letter ISO 4217 code"},
            id="lowercase-currency",
        ),
        pytest.param(
            "/api/v1/payments",
            {**PAYMENT, "currency": "EURO"},
            {"currency": "must be a 3-letter ISO 4217 code"},
            id="long-currency",
        ),
        pytest.param(
            "/api/v1/payments",
            {**PAYMENT, "currency": 978},
            {"currency": "must be a string"},
            id="numeric-currency",
        ),
        pytest.param(
            "/api/v1/payments",
            {**PAYMENT, "merchant": ""},
            {"merchant": "must be 1 to 255 characters"},
            id="empty-merchant",
        ),
        pytest.param(
            "/api/v1/payments",
            {**PAYMENT, "merchant": "é" * 256},
            {"merchant": "must be 1 to 255 characters"},
            id="long-unicode-merchant",
        ),
        pytest.param(
            "/api/v1/payments",
            {**PAYMENT, "merchant": "a\x00b"},
            {"merchant": "must be a string"},
            id="nul-in-merchant",
        ),
        pytest.param(
            "/api/v1/payments",
            {**PAYMENT, "merchant": ["Acme"]},
            {"merchant": "must be a string"},
            id="list-merchant",
        ),
        pytest.param(
            "/api/v1/payments",
            {**PAYMENT, "description": "x" * 1001},
            {"description": "must be at most 1000 characters"},
            id="long-description",
        ),
        pytest.param(
            "/api/v1/payments", {**PAYMENT, "tip": 5}, {"tip": "unknown field"}, id="unknown-field"
        ),
        pytest.param(
            "/api/v1/accounts",
            {"currency": "EUR", "initial_deposit_cents": -1},
            {"initial_deposit_cents": "must be between 0 and 1000000000000"},
            id="negative-deposit",
        ),
        pytest.param(
            "/api/v1/accounts",
            {"currency": "EUR", "initial_deposit_cents": None},
            {"initial_deposit_cents": "must be an integer"},
            id="null-deposit",
        ),
        pytest.param(
            "/api/v1/accounts",
            {"currency": "EUR", "nickname": "n" * 101},
            {"nickname": "must be at most 100 characters"},
            id="long-nickname",
        ),
        pytest.param(
            "/api/v1/accounts/1",
            {"status": "closed"},
            {"status": "must be one of: active, frozen"},
            id="patch-to-closed",
        ),
        pytest.param(
            "/api/v1/transfers",
            {"from_account_id": 3, "to_account_id": 3, "amount_cents": 1, "currency": "EUR"},
            {"to_account_id": "must differ from from_account_id"},
            id="same-accounts",
        ),
        pytest.param(
            "/api/v1/transfers",
            {"from_account_id": False, "to_account_id": 3},
            {
                "from_account_id": "must be an integer",
                "amount_cents": "field required",
                "currency": "field required",
            },
            id="transfer-several",
        ),
        pytest.param(
            "/api/v1/payments/pay_x/refunds",
            {"amount_cents": 5, "reason": 7},
            {"reason": "must be a string"},
            id="refund-reason-type",
        ),
        pytest.param(
            "/api/v1/payments", [PAYMENT], {"body": "must be a JSON object"}, id="array-body"
        ),
        pytest.param(
            "/api/v1/payments", "payment", {"body": "must be a JSON object"}, id="string-body"
        ),
    ],
)
def test_bad_bodies_are_400_with_every_bad_field(make_owner, as_owner, path, body, fields):
    method = "PATCH" if path == "/api/v1/accounts/1" else "POST"
    assert _fields(as_owner(make_owner()).write(method, path, body)) == fields


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"{", id="truncated"),
        pytest.param(b"{'a': 1}", id="single-quotes"),
        pytest.param(b'{"amount_cents": NaN}', id="nan"),
        pytest.param(b"\xff\xfe{", id="not-utf8"),
        pytest.param(b"[" * 100_000, id="deep-nesting"),
        pytest.param(b'{"amount_cents": 1' + b"0" * 5000 + b"}", id="5000-digit-number"),
    ],
)
def test_malformed_json_is_400(make_owner, api, raw):
    owner = make_owner()
    headers = {**owner.headers, "Idempotency-Key": new_key(), "Content-Type": "application/json"}
    response = api.post("/api/v1/payments", content=raw, headers=headers)
    assert _fields(response) == {"body": "must be a JSON object"}


def test_lone_surrogate_is_a_bad_string_not_a_500(make_owner, api):
    owner = make_owner()
    raw = json.dumps({**PAYMENT, "merchant": "\ud800"}).encode()
    response = api.post(
        "/api/v1/payments", content=raw, headers={**owner.headers, "Idempotency-Key": new_key()}
    )
    assert _fields(response) == {"merchant": "must be a string"}


@pytest.mark.parametrize("path", ["/api/v1/payments", "/api/v1/accounts", "/login"])
def test_ten_megabyte_body_is_413_json(make_owner, api, path):
    owner = make_owner()
    response = api.post(
        path,
        content=b"x" * (10 * 1024 * 1024),
        headers={**owner.headers, "Idempotency-Key": new_key()},
    )
    assert response.status_code == 413
    assert response.json() == {
        "error": {"code": "request_too_large", "details": {}, "message": "Request body too large."}
    }


def test_413_comes_before_authentication(api, db):
    response = api.post("/api/v1/payments", content=b"x" * (1024 * 1024 + 1))
    assert error_code(response) == "request_too_large"


def test_a_body_just_under_the_limit_is_read(make_owner, as_owner):
    body = {**PAYMENT, "description": "x" * 1000, "pad": "p" * (1024 * 1024 - 2000)}
    assert set(_fields(as_owner(make_owner()).post("/api/v1/payments", body))) == {"pad"}
