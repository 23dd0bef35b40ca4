"""Browser sessions: login sets Flask's signed cookie, logout clears it, /me tells who."""

from __future__ import annotations

import pytest

from tests.contract.conftest import error_code


def test_login_then_me_then_logout(api, make_owner):
    owner = make_owner()
    login = api.post("/login", json={"username": owner.username, "password": owner.password})
    assert (login.status_code, login.json()) == (200, {"owner": owner.owner, "auth": "session"})
    cookie = login.headers["set-cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie and "Path=/" in cookie
    assert api.get("/api/v1/me").json() == {"owner": owner.owner, "auth": "session"}
    assert api.get("/api/v1/accounts").status_code == 200
    logout = api.post("/logout")
    assert (logout.status_code, logout.json()) == (200, {"logged_out": True})
    assert api.get("/api/v1/me").status_code == 401


def test_api_key_me(api, make_owner):
    owner = make_owner()
    assert api.get("/api/v1/me", headers=owner.headers).json() == {
        "owner": owner.owner,
        "auth": "api_key",
    }


def test_a_bad_key_wins_over_a_valid_session(api, make_owner):
    owner = make_owner()
    api.post("/login", json={"username": owner.username, "password": owner.password})
    response = api.get("/api/v1/me", headers={"Authorization": "Bearer sk_test_bad"})
    assert error_code(response) == "unauthenticated"


def test_a_session_can_write(api, make_owner, make_account):
    owner = make_owner()
    account_id = make_account(owner, balance=100)
    api.post("/login", json={"username": owner.username, "password": owner.password})
    response = api.post(
        "/api/v1/payments",
        headers={"Idempotency-Key": "session-write"},
        json={"account_id": account_id, "amount_cents": 5, "currency": "EUR", "merchant": "m"},
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        pytest.param(
            {"username": "nobody", "password": "x"}, 401, "unauthenticated", id="unknown-user"
        ),
        pytest.param(
            {"username": "{user}", "password": "wrong"}, 401, "unauthenticated", id="wrong-password"
        ),
        pytest.param(
            {"username": "{user}"}, 400, {"password": "field required"}, id="missing-password"
        ),
        pytest.param(
            {"username": 5, "password": True, "remember": 1},
            400,
            {
                "username": "must be a string",
                "password": "must be a string",
                "remember": "unknown field",
            },
            id="wrong-types",
        ),
        pytest.param(
            {"username": "a\x00", "password": "x"},
            400,
            {"username": "must be a string"},
            id="nul-username",
        ),
    ],
)
def test_bad_logins(api, make_owner, body, status, expected):
    owner = make_owner()
    sent = {k: (owner.username if v == "{user}" else v) for k, v in body.items()}
    response = api.post("/login", json=sent)
    assert response.status_code == status
    assert "set-cookie" not in response.headers
    error = response.json()["error"]
    assert (error["code"] if status == 401 else error["details"]["fields"]) == expected


def test_login_with_malformed_json_is_400(api, db):
    response = api.post("/login", content=b"{nope")
    assert response.json()["error"]["details"] == {"fields": {"body": "must be a JSON object"}}
