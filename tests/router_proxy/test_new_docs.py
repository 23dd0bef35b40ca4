"""The new app's generated docs never take a path from legacy: ``/docs``, ``/redoc`` and
``/openapi.json`` stay legacy's, and the router serves the new app's pages under
``/_strangler/new/``, in-process and remote alike."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from router_proxy.routes import starlette_specs
from tests.router_proxy import rawhttp


@pytest.fixture(scope="module", params=["inprocess", "remote"])
def router(request, make_router):
    with make_router(request.param) as server:
        yield server.port


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"])
def test_generated_docs_paths_stay_legacys(router, direct_flask, path):
    routed = rawhttp.request(router, "GET", path)
    direct = rawhttp.request(direct_flask, "GET", path)
    assert (routed.status, routed.body) == (direct.status, direct.body) == (404, direct.body)
    assert routed.header("x-served-by") == "legacy"


def test_the_new_apps_openapi_is_under_strangler_new(router):
    spec = rawhttp.request(router, "GET", "/_strangler/new/openapi.json")
    assert spec.status == 200 and spec.header("content-type") == "application/json"
    assert "/items/{item_id}" in spec.body.decode()


@pytest.mark.parametrize(
    ("page", "marker"),
    [
        pytest.param("/_strangler/new/docs", b"SwaggerUIBundle", id="swagger-ui"),
        pytest.param("/_strangler/new/redoc", b"redoc", id="redoc"),
    ],
)
def test_the_pages_point_at_the_moved_document(router, page, marker):
    answer = rawhttp.request(router, "GET", page)
    assert answer.status == 200 and marker in answer.body
    assert b"/_strangler/new/openapi.json" in answer.body


def test_a_docs_path_the_app_declares_itself_stays_a_route():
    app = FastAPI(docs_url=None)

    @app.get("/docs")
    def their_docs() -> dict[str, str]:
        return {"docs": "ours"}

    keys = {f"{spec.method} {spec.template}" for spec in starlette_specs(app)}
    assert "GET /docs" in keys
    assert "GET /openapi.json" not in keys and "GET /redoc" not in keys


def test_no_docs_when_the_app_has_none():
    app = FastAPI(openapi_url=None)
    assert starlette_specs(app) == []
