"""The router as ``strangler up`` and the Kubernetes manifest run it answers a request
its server cannot parse with the router's JSON 400 (A23), one Date and one Server, like
``strangler serve`` does; requests that parse are served as before."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from tests.router_proxy import rawhttp

pytestmark = pytest.mark.slow


@pytest.fixture(params=["up", "manifest"])
def router_port(request: pytest.FixtureRequest) -> int:
    url: str = (
        request.getfixturevalue("stack").router_url
        if request.param == "up"
        else request.getfixturevalue("second_router")
    )
    port = urlsplit(url).port
    assert port is not None
    return port


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"GET / HTTP/1.1\r\nHost x\r\n\r\n", id="header-without-colon"),
        pytest.param(b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", id="bad-version"),
    ],
)
def test_a_malformed_request_gets_the_routers_json_400(router_port, raw):
    answer = rawhttp.exchange(router_port, raw)

    assert answer.status == 400
    assert answer.header("content-type") == "application/json"
    assert json.loads(answer.body)["error"]["code"] == "bad_request"
    assert (len(answer.all("date")), len(answer.all("server"))) == (1, 1)


def test_a_request_that_parses_gets_one_date_and_one_server(router_port):
    answer = rawhttp.request(router_port, "GET", "/_strangler/healthz")

    assert answer.status == 200
    assert (len(answer.all("date")), len(answer.all("server"))) == (1, 1)
