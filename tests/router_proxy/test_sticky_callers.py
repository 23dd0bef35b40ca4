"""A canary is sticky for every kind of caller of an app nobody here wrote: an anonymous
browser keeps the router's first-party cookie, a logged-in user (flask-login's
``_user_id``, checked with the app's own SECRET_KEY) keeps its session, over 20 requests
each; and a side is never chosen from a session key the project did not name."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from flask import Flask, session

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from tests.router_proxy.rollout_router import RunningRouter, running_router

KEY = "GET /page"
APP_SECRET = "the-apps-own-secret"  # not the router's SECRET_KEY: read from the app object
CANARY = {"routes": {KEY: {"mode": "canary", "percent": 50}}}
IDENTITY = {"identity": {"session_key": "_user_id"}}


def their_flask_app() -> Flask:
    app = Flask("theirs")
    app.secret_key = APP_SECRET

    @app.get("/page")
    def page() -> str:
        return "legacy page"

    @app.post("/login/<user>")
    def login(user: str) -> str:
        session["_user_id"] = user  # what flask-login stores
        return "in"

    return app


def their_fastapi_app() -> FastAPI:
    app = FastAPI()

    @app.get("/page")
    def page() -> str:
        return "new page"

    return app


@pytest.fixture(scope="module")
def router() -> Iterator[RunningRouter]:
    provider = StaticProvider(parse_plan(CANARY))
    raw = {**CANARY, **IDENTITY}
    with running_router(their_flask_app(), their_fastapi_app(), provider, raw=raw) as running:
        yield running


def sides(client: httpx.Client, times: int = 20) -> list[str]:
    return [client.get("/page").headers["x-served-by"] for _ in range(times)]


def test_an_anonymous_browser_stays_on_one_side(router):
    browsers = [httpx.Client(base_url=router.url, timeout=10) for _ in range(12)]
    seen = [sides(browser) for browser in browsers]
    first = browsers[0].get("/page")
    cookie = first.headers.get("set-cookie")

    assert all(len(set(one)) == 1 for one in seen), seen
    assert {one[0] for one in seen} == {"legacy", "new"}  # 12 browsers at 50%: both sides
    assert cookie is None  # it has its cookie: no new one
    minted = httpx.get(f"{router.url}/page", timeout=10).headers["set-cookie"]
    assert minted.startswith("strangler_uid=")
    assert "HttpOnly" in minted and "SameSite=Lax" in minted and "Secure" not in minted


def test_a_logged_in_user_stays_on_one_side_and_gets_no_router_cookie(router):
    for user in ("ada", "grace", "linus", "barbara", "ken", "margaret"):
        with httpx.Client(base_url=router.url, timeout=10) as browser:
            browser.post(f"/login/{user}")  # the legacy app signs its session cookie
            answers = [browser.get("/page") for _ in range(20)]

        assert len({a.headers["x-served-by"] for a in answers}) == 1
        assert all("set-cookie" not in a.headers for a in answers)


def test_another_route_than_a_canary_sets_no_cookie(router):
    answer = httpx.post(f"{router.url}/login/nobody", timeout=10)

    assert all(not v.startswith("strangler_uid") for v in answer.headers.get_list("set-cookie"))
