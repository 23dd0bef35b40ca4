"""A request the server cannot parse gets the router's JSON 400 (A23) when the router runs
as ``strangler serve`` runs it (uvicorn with ``JsonErrorsHttp``); a request that parses is
untouched."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from router_proxy.asgi import build_app
from router_proxy.config import load_settings
from router_proxy.server_errors import JsonErrorsHttp
from router_proxy.serving import entrypoint
from tests.router_proxy import rawhttp
from tests.router_proxy.servers import FLASK_TARGET, uvicorn_thread


@pytest.fixture(scope="module")
def served() -> Iterator[int]:
    router = build_app(
        load_settings({}, {}, {"legacy_app": FLASK_TARGET}), StaticProvider(parse_plan({}))
    )
    with uvicorn_thread(entrypoint(router, {}), http=JsonErrorsHttp) as server:
        yield server.port


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"GET / HTTP/1.1\r\nHost x\r\n\r\n", id="header-without-colon"),
        pytest.param(b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n", id="nul-in-target"),
        pytest.param(b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", id="bad-version"),
        pytest.param("GET /caf\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n".encode(), id="raw-utf-8-target"),
    ],
)
def test_a_malformed_request_gets_the_routers_json_400(served, raw):
    answer = rawhttp.exchange(served, raw)

    assert answer.status == 400
    assert answer.header("content-type") == "application/json"
    assert json.loads(answer.body)["error"]["code"] == "bad_request"
    assert (len(answer.all("date")), len(answer.all("server"))) == (1, 1)


def test_a_request_that_parses_is_served_as_before(served):
    answer = rawhttp.request(served, "GET", "/")

    assert (answer.status, answer.body) == (200, b"legacy index")
    assert answer.header("x-served-by") == "legacy"
