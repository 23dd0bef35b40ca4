"""strangler.compat against a real Flask app with flask-login: a session Flask wrote is
read by the new app and one the new app wrote is read by Flask, the current user comes
from the legacy's own loader, and errors and JSON come out as the legacy makes them."""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI, HTTPException
from flask import Flask, abort, jsonify, session
from flask_login import LoginManager, UserMixin, login_required, login_user
from starlette.requests import Request
from starlette.responses import Response

from strangler.compat import CompatError, FlaskLogin, FlaskSession, flask_error_profile, flask_json


class User(UserMixin):  # type: ignore[misc]
    def __init__(self, user_id: str) -> None:
        self.id = user_id


USERS = {"7": User("7")}


def legacy_app(json_unauthorized: bool) -> Flask:
    legacy = Flask("compat_legacy")
    legacy.secret_key = "compat-secret"
    legacy.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    manager = LoginManager(legacy)
    manager.user_loader(USERS.get)
    if json_unauthorized:
        manager.unauthorized_handler(lambda: (jsonify(error={"code": "login_required"}), 401))
    else:
        manager.login_view = "login_page"

    @legacy.errorhandler(400)
    def bad_request(error: Exception) -> Any:
        return jsonify(error={"code": "bad_request", "message": "The request is invalid."}), 400

    @legacy.errorhandler(404)
    def not_found(error: Any) -> Any:
        return jsonify(error={"code": "not_found", "message": error.description}), 404

    @legacy.post("/login/<user_id>")
    def login(user_id: str) -> Any:
        login_user(USERS[user_id])
        return jsonify(ok=True)

    @legacy.get("/login")
    def login_page() -> str:
        return "log in"

    @legacy.get("/cart")
    def cart() -> Any:
        return jsonify(cart=session.get("cart", []))

    @legacy.get("/whoami")
    @login_required  # type: ignore[untyped-decorator]
    def whoami() -> Any:
        return jsonify(id="7")

    @legacy.get("/items/<int:item_id>")
    def item(item_id: int) -> Any:
        abort(404, "No such item.")

    return legacy


def new_app(legacy: Flask) -> FastAPI:
    app = FastAPI()
    flask_error_profile(app, legacy)
    login = FlaskLogin(legacy, app)
    cookies = FlaskSession(legacy)

    @app.get("/whoami")
    def whoami(user: User = Depends(login.required)) -> dict[str, str]:
        return {"id": user.id}

    @app.get("/maybe")
    def maybe(user: User | None = Depends(login.current)) -> dict[str, str | None]:
        return {"id": user.id if user else None}

    @app.post("/cart/{item}")
    def add(item: str, request: Request) -> Response:
        data = cookies.read(request)
        data["cart"] = [*data.get("cart", []), item]
        answer = Response(status_code=204)
        cookies.write(answer, data)
        return answer

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, int]:
        raise HTTPException(404, "No such item.")

    return app


def call(
    app: FastAPI, method: str, path: str, cookies: dict[str, str] | None = None
) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
            return await client.request(method, path, cookies=cookies)

    return asyncio.run(go())


@pytest.fixture
def pair() -> tuple[Flask, FastAPI]:
    legacy = legacy_app(json_unauthorized=True)
    return legacy, new_app(legacy)


def logged_in_cookie(legacy: Flask) -> str:
    client = legacy.test_client()
    client.post("/login/7")
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_a_session_flask_wrote_logs_the_user_in_on_the_new_app(pair):
    legacy, app = pair
    answer = call(app, "GET", "/whoami", {"session": logged_in_cookie(legacy)})
    assert (answer.status_code, answer.json()) == (200, {"id": "7"})


@pytest.mark.parametrize(
    ("cookie", "path", "status", "body"),
    [
        pytest.param(None, "/whoami", 401, {"error": {"code": "login_required"}}, id="anonymous"),
        pytest.param("forged.value.x", "/whoami", 401, None, id="forged-cookie-is-anonymous"),
        pytest.param(None, "/maybe", 200, {"id": None}, id="optional-user-is-none"),
    ],
)
def test_an_anonymous_caller_gets_the_legacy_refusal(pair, cookie, path, status, body):
    _legacy, app = pair
    answer = call(app, "GET", path, {"session": cookie} if cookie else None)
    assert answer.status_code == status
    if body is not None:
        assert answer.json() == body


def test_login_view_redirect_is_the_legacy_one():
    legacy = legacy_app(json_unauthorized=False)
    answer = call(new_app(legacy), "GET", "/whoami")
    expected = legacy.test_client().get("/whoami")
    assert answer.status_code == expected.status_code == 302
    assert answer.headers["location"] == expected.headers["location"]


def test_a_session_the_new_app_wrote_is_read_by_flask(pair):
    legacy, app = pair
    cookie = logged_in_cookie(legacy)
    written = call(app, "POST", "/cart/book-1", {"session": cookie})
    assert written.status_code == 204
    assert "SameSite=Lax" in written.headers["set-cookie"]
    client = legacy.test_client()
    client.set_cookie("session", written.cookies["session"])
    assert client.get("/cart").get_json() == {"cart": ["book-1"]}
    assert client.get("/whoami").status_code == 200, "the login in the session survived"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/items/abc", 400, id="invalid-parameter-is-400-not-422"),
        pytest.param("/items/3", 404, id="raised-404-in-legacy-shape"),
    ],
)
def test_errors_come_in_the_legacy_shape(pair, path, status):
    legacy, app = pair
    answer = call(app, "GET", path)
    flask_path = "/items/3" if status == 404 else path
    expected = legacy.test_client().get(flask_path)
    if status == 400:  # Flask's int converter 404s; the legacy's 400 is what FastAPI means
        with legacy.test_request_context():
            expected_body = legacy.make_response(legacy.handle_user_exception(_bad())).get_json()
    else:
        expected_body = expected.get_json()
    assert (answer.status_code, answer.json()) == (status, expected_body)


def _bad() -> Exception:
    from werkzeug.exceptions import BadRequest

    return BadRequest()


def test_json_is_rendered_by_the_legacy_provider():
    legacy = Flask("compat_json")
    content = {"z": 1, "a": Decimal("1.50"), "at": datetime(2026, 1, 2, 3, 4, 5)}
    with legacy.app_context():
        expected = jsonify(content).get_data()
    assert flask_json(legacy, content).body == expected


def test_an_app_without_what_a_piece_needs_is_told_when_it_is_built():
    bare = Flask("compat_bare")
    with pytest.raises(CompatError, match="SECRET_KEY"):
        FlaskSession(bare)
    with pytest.raises(CompatError, match="LoginManager"):
        FlaskLogin(bare, FastAPI())


def csrf_pair() -> tuple[Flask, FastAPI]:
    from flask_wtf.csrf import CSRFProtect, generate_csrf

    from strangler.compat import FlaskCSRF

    legacy = Flask("compat_csrf")
    legacy.secret_key = "compat-secret"
    CSRFProtect(legacy)

    @legacy.get("/form")
    def form() -> Any:
        return jsonify(token=generate_csrf())

    app = FastAPI()
    csrf = FlaskCSRF(legacy, app)

    @app.post("/books", dependencies=[Depends(csrf.protect)])
    def add_book() -> dict[str, bool]:
        return {"added": True}

    return legacy, app


def post(app: FastAPI, cookie: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
            client.cookies.set("session", cookie)
            return await client.post("/books", **kwargs)

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("how", "status", "says"),
    [
        pytest.param("header", 200, None, id="token-in-x-csrftoken"),
        pytest.param("form", 200, None, id="token-in-form-field"),
        pytest.param("none", 400, "The CSRF token is missing.", id="missing-token"),
        pytest.param("wrong", 400, "The CSRF token is invalid.", id="forged-token"),
    ],
)
def test_flask_wtf_tokens_are_accepted_by_the_new_app(how, status, says):
    legacy, app = csrf_pair()
    client = legacy.test_client()
    token = client.get("/form").get_json()["token"]
    cookie = client.get_cookie("session")
    assert cookie is not None
    kwargs: dict[str, Any] = {
        "header": {"headers": {"X-CSRFToken": token}},
        "form": {"data": {"csrf_token": token}},
        "none": {},
        "wrong": {"headers": {"X-CSRFToken": token[:-2] + "xx"}},
    }[how]
    answer = post(app, cookie.value, **kwargs)
    assert answer.status_code == status
    if says:
        assert says in answer.text
