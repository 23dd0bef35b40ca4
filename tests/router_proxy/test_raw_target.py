"""Any app, byte for byte: the request target reaches the app as the client sent it,
compared with real gunicorn (raw bytes both ways), in process and in remote mode; one
Date and one Server per answer; an app that raises gets gunicorn's own 500, and the
traceback is logged, redacted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from structlog.testing import capture_logs

from logsafe import SAFE_STEPS
from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from router_proxy.asgi import build_app
from router_proxy.config import load_settings
from router_proxy.serving import entrypoint
from tests.router_proxy import rawhttp
from tests.router_proxy.servers import ECHO_TARGET, uvicorn_thread

HOSTILE_TARGETS = [
    pytest.param(b"/key/a%2Fb", id="encoded-slash"),
    pytest.param(b"/key/x;y.txt", id="semicolon"),
    pytest.param(b"/key/a%3Bb%3Dc%40d%3Ae%2Cf%7Eg", id="encoded-reserved"),
    pytest.param(b"/a/../b", id="dot-segments"),
    pytest.param(b"/%2e%2e/b", id="encoded-dot-segments"),
    pytest.param(b"//lead", id="leading-double-slash"),
    pytest.param(b"/in//side", id="inner-double-slash"),
    pytest.param(b"/caf%C3%A9?q=%E2%82%AC", id="encoded-utf-8"),
    pytest.param(b"/a+b?q=a+b", id="plus"),
    pytest.param(b"/a%2Bb?q=%2B%2F", id="encoded-plus-and-slash-in-query"),
    pytest.param(b"/~!$&'()*,", id="sub-delims"),
    pytest.param(b"/a%20b?q=a%20b", id="encoded-space"),
]


@pytest.fixture(scope="module")
def direct(direct_echo: int) -> int:
    return direct_echo


def router_for(mode: str, legacy_port: int) -> Any:
    overrides = {
        "legacy_app": ECHO_TARGET,
        "mode": mode,
        "legacy_url": f"http://127.0.0.1:{legacy_port}",
    }
    router = build_app(load_settings({}, {}, overrides), StaticProvider(parse_plan({})))
    return entrypoint(router, {})  # what strangler serve runs: Date and Server added once


@pytest.fixture(scope="module", params=["inprocess", "remote"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def routed(mode: str, direct: int) -> Iterator[int]:
    with uvicorn_thread(router_for(mode, direct)) as server:
        yield server.port


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_the_app_sees_the_target_as_gunicorn_hands_it(direct, routed, target):
    expected = rawhttp.request(direct, "GET", target)
    got = rawhttp.request(routed, "GET", target)

    assert got.status == expected.status == 200
    assert json.loads(got.body) == json.loads(expected.body)


def test_raw_utf_8_in_the_request_line_is_refused_as_gunicorn_does(direct, routed):
    target = "/caf\u00e9".encode()

    assert rawhttp.request(routed, "GET", target).status == 400
    assert rawhttp.request(direct, "GET", target).status == 400


def test_one_date_and_one_server_per_answer(direct, routed):
    answer = rawhttp.request(routed, "GET", "/plain")
    direct_answer = rawhttp.request(direct, "GET", "/plain")

    assert len(answer.all("date")) == 1
    assert len(answer.all("server")) == 1
    assert len(direct_answer.all("server")) == 1


def test_an_apps_own_server_header_is_the_one_sent(direct, routed, mode):
    answer = rawhttp.request(routed, "GET", "/own-server")

    # Remote, the app runs under gunicorn, which keeps its own Server and drops the app's.
    expected = rawhttp.request(direct, "GET", "/own-server").all("server")
    assert answer.all("server") == (["echo/1.0"] if mode == "inprocess" else expected)
    assert len(answer.all("date")) == 1


def test_an_app_that_raises_gets_gunicorns_500_and_the_traceback_is_logged(
    direct, routed, mode
):
    with capture_logs() as events:
        got = rawhttp.request(routed, "GET", "/crash")
    expected = rawhttp.request(direct, "GET", "/crash")

    assert (got.status, got.body) == (expected.status, expected.body)
    assert got.status == 500
    assert got.header("content-type") == expected.header("content-type") == "text/html"
    if mode == "remote":
        return  # gunicorn saw the exception and logged it
    [failed] = [e for e in events if e.get("event") == "backend_failed"]
    rendered = dict(failed)
    for step in SAFE_STEPS:  # what the router's log configuration runs on every line
        rendered = step(None, "error", rendered)
    assert "Traceback" in rendered["exception"] and "RuntimeError" in rendered["exception"]
    assert "idem-secret-in-traceback" not in json.dumps(rendered, default=str)
