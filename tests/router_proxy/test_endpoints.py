"""The router's own endpoints under ``/_strangler/``: found below a root_path, answering
only the methods they serve, and every answer the router gives itself in its JSON error
shape (404, 405), with or without the dashboard mounted. Served by real uvicorn with
``--root-path /prefix``: the proxy in front stripped the prefix, uvicorn puts it back in
the scope's path, and the router must look below it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from router_proxy.asgi import Apps, build_app, build_router
from router_proxy.config import load_settings
from tests.conftest import TEST_SECRET_KEY
from tests.router_proxy.apps import fastapi_app, flask_app
from tests.router_proxy.servers import uvicorn_thread

PREFIX = "/prefix"
GIVEN = {"legacy_app": "given:app", "new_app": "given:app", "secret_key": TEST_SECRET_KEY}


def plain_router() -> Any:
    settings = load_settings({}, {}, GIVEN)
    apps = Apps(flask_app.app, fastapi_app.app)
    return build_app(settings, StaticProvider(parse_plan({})), apps)


def dashboard_router(database_url: str) -> Any:
    env = {"STRANGLER_DASHBOARD_TOKEN": "endpoints-test-token-0123456789"}
    overrides = {**GIVEN, "database_url": database_url, "shadow_isolation": "loop"}
    apps = Apps(flask_app.app, fastapi_app.app)
    return build_router({"flags": {"provider": "static"}}, env, overrides, apps=apps)


@pytest.fixture(params=["plain", "dashboard"])
def base_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    router = plain_router() if request.param == "plain" else dashboard_router(database_url)
    with uvicorn_thread(router, root_path=PREFIX) as server:
        yield f"http://127.0.0.1:{server.port}"


def is_error_shape(answer: httpx.Response, code: str) -> bool:
    return (
        answer.headers["content-type"] == "application/json"
        and answer.json()["error"]["code"] == code
        and answer.headers["x-served-by"] == "router"
    )


@pytest.mark.parametrize("path", ["/_strangler/healthz", "/_strangler/readyz"])
def test_the_endpoints_are_found_below_the_root_path(base_url, path):
    answer = httpx.get(base_url + path, timeout=10)

    assert answer.status_code == 200
    assert answer.headers["x-served-by"] == "router"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("POST", "/_strangler/healthz", id="post-healthz"),
        pytest.param("DELETE", "/_strangler/status", id="delete-status"),
        pytest.param("PUT", "/_strangler/metrics", id="put-metrics"),
    ],
)
def test_other_methods_get_405_with_allow(base_url, method, path):
    answer = httpx.request(method, base_url + path, timeout=10)

    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, HEAD"
    assert is_error_shape(answer, "method_not_allowed")


@pytest.mark.parametrize("path", ["/_strangler/nope", "/_strangler/healthz/extra"])
def test_unknown_paths_get_404_in_the_error_shape(base_url, path):
    answer = httpx.get(base_url + path, timeout=10)

    assert answer.status_code == 404
    assert is_error_shape(answer, "not_found")


def test_a_dashboard_page_refuses_another_method_in_the_error_shape(database_url):
    with uvicorn_thread(dashboard_router(database_url)) as server:
        answer = httpx.delete(f"http://127.0.0.1:{server.port}/_strangler/audit", timeout=10)

    assert answer.status_code == 405
    assert is_error_shape(answer, "method_not_allowed")


def test_app_paths_below_the_root_path_still_reach_the_apps(base_url):
    answer = httpx.get(base_url + "/items/5", timeout=10)

    assert answer.status_code == 200
    assert answer.headers["x-served-by"] in ("legacy", "new")
