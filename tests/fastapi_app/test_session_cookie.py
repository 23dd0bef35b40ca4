"""The Flask session cookie, both ways: a plain Flask app with the same SECRET_KEY, and the
legacy app itself."""

from __future__ import annotations

import os

import httpx
import pytest
from flask import Flask, session

from fastapi_app.session_cookie import SessionCookies
from tests.conftest import Owner
from tests.fastapi_app.port_client import BASE_URL, PortClient


@pytest.fixture
def secret_key(database_url):
    # the key the port under test reads (``make test`` may set its own)
    return os.environ["SECRET_KEY"]


@pytest.fixture
def flask_app(secret_key):
    app = Flask("reference")
    app.secret_key = secret_key

    @app.get("/whoami")
    def whoami():
        return {"owner": session.get("owner")}

    @app.post("/issue/<owner>")
    def issue(owner):
        session["owner"] = owner
        return {}

    return app


def _login(port: PortClient, owner: Owner) -> httpx.Response:
    response: httpx.Response = port.post(
        "/login", json={"username": owner.username, "password": owner.password}
    )
    assert response.status_code == 200, response.text
    return response


def test_port_cookie_is_accepted_by_flask(port, make_owner, flask_app):
    owner = make_owner()
    cookie = _login(port, owner).cookies["session"]
    client = flask_app.test_client()
    client.set_cookie("session", cookie)
    assert client.get("/whoami").json == {"owner": owner.owner}


def test_flask_cookie_is_accepted_by_port(port, make_owner, flask_app):
    owner = make_owner()
    issued = flask_app.test_client().post(f"/issue/{owner.owner}")
    cookie = issued.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    port.cookies.set("session", cookie)
    response = port.get("/api/v1/me")
    assert response.json() == {"owner": owner.owner, "auth": "session"}
    assert response.headers["Vary"] == "Cookie"


def test_set_cookie_header_matches_flask_byte_for_byte(port, make_owner, flask_app, secret_key):
    owner = make_owner()
    ours = _login(port, owner).headers["Set-Cookie"]
    theirs = flask_app.test_client().post(f"/issue/{owner.owner}").headers["Set-Cookie"]
    assert ours.split("=", 1)[0] == theirs.split("=", 1)[0] == "session"
    assert ours.split(";", 1)[1] == theirs.split(";", 1)[1] == " HttpOnly; Path=/"
    value = ours.split(";")[0].split("=", 1)[1]
    assert SessionCookies(secret_key).load(value) == {"owner": owner.owner}


@pytest.mark.parametrize(
    "make_cookie",
    [
        pytest.param(lambda key: "garbage", id="not-signed"),
        pytest.param(
            lambda key: SessionCookies(key + "-other").dump({"owner": "o"}), id="other-secret"
        ),
        pytest.param(lambda key: SessionCookies(key).dump({"user": "o"}), id="no-owner"),
        pytest.param(lambda key: SessionCookies(key).dump({"owner": 7}), id="owner-not-text"),
    ],
)
def test_bad_cookies_are_401(port, secret_key, make_cookie):
    port.cookies.set("session", make_cookie(secret_key))
    assert port.get("/api/v1/me").status_code == 401


def test_bad_api_key_wins_over_a_valid_session(port, make_owner):
    owner = make_owner()
    _login(port, owner)
    assert port.get("/api/v1/me").json()["auth"] == "session"
    response = port.get("/api/v1/me", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_logout_clears_the_cookie(port, make_owner):
    owner = make_owner()
    _login(port, owner)
    response = port.post("/logout")
    assert response.json() == {"logged_out": True}
    assert response.headers["Set-Cookie"].startswith("session=; Expires=Thu, 01 Jan 1970")
    assert port.get("/api/v1/me").status_code == 401


def test_cookies_cross_between_port_and_legacy(port, make_owner, database_url):
    from legacy_flask import create_app

    owner = make_owner()
    transport = httpx.WSGITransport(app=create_app())
    with httpx.Client(transport=transport, base_url=BASE_URL) as legacy:
        port_cookie = _login(port, owner).cookies["session"]
        legacy.cookies.set("session", port_cookie)
        assert legacy.get("/api/v1/me").json() == {"owner": owner.owner, "auth": "session"}
        legacy.cookies.clear()
        login = legacy.post("/login", json={"username": owner.username, "password": owner.password})
        port.cookies.clear()
        port.cookies.set("session", login.cookies["session"])
        assert port.get("/api/v1/me").json() == {"owner": owner.owner, "auth": "session"}
