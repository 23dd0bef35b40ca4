"""Acceptance checks A1-A5, A14-A17, A19 against the router served by uvicorn (real sockets)."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from wsgiref.validate import WSGIWarning

import pytest
from structlog.testing import capture_logs

from router_proxy.logs import ACCESS_LOGGER, json_formatter
from tests.router_proxy import rawhttp
from tests.router_proxy.apps import flask_app
from tests.router_proxy.conftest import RouterFactory


def environ_headers(port: int, headers: list[tuple[str, str]]) -> list[str]:
    response = rawhttp.request(port, "GET", "/echo-environ", headers)
    assert response.status == 200, response.body
    seen: list[str] = json.loads(response.body)["headers"]
    return seen


@pytest.mark.parametrize(
    ("sent", "must_not_reach"),
    [
        pytest.param([("Keep-Alive", "timeout=5")], "HTTP_KEEP_ALIVE", id="keep-alive"),
        pytest.param([("TE", "trailers")], "HTTP_TE", id="te"),
        pytest.param([("Trailer", "X-Sum")], "HTTP_TRAILER", id="trailer"),
        pytest.param([("Upgrade", "h2c")], "HTTP_UPGRADE", id="upgrade"),
        pytest.param(
            [("Proxy-Authorization", "Basic eDp5")],
            "HTTP_PROXY_AUTHORIZATION",
            id="proxy-authorization",
        ),
        pytest.param(
            [("Connection", "X-Secret"), ("X-Secret", "1")],
            "HTTP_X_SECRET",
            id="named-in-connection",
        ),
        pytest.param([("X_Custom_Thing", "6")], "HTTP_X_CUSTOM_THING", id="a3-underscore"),
        pytest.param(
            [("X-Strangler-Sandbox", "1")], "HTTP_X_STRANGLER_SANDBOX", id="client-x-strangler"
        ),
        pytest.param(
            [("X-Forwarded-Host", "evil.example")],
            "HTTP_X_FORWARDED_HOST",
            id="a14-untrusted-forwarded-host",
        ),
    ],
)
def test_a1_a3_headers_that_never_reach_a_backend(router, sent, must_not_reach):
    assert must_not_reach not in environ_headers(router, sent)


FRAMING_ATTACKS = [
    pytest.param(b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", id="cl-and-te"),
    pytest.param(b"Content-Length: 5\r\nContent-Length: 6\r\n", id="duplicate-cl"),
    pytest.param(b"Transfer-Encoding: chunked, identity\r\n", id="te-chunked-identity"),
]


@pytest.mark.parametrize("framing", FRAMING_ATTACKS)
def test_a2_ambiguous_framing_is_400_and_closes(router, framing):
    flask_app.TEARDOWNS.clear()
    raw = b"POST /echo-body HTTP/1.1\r\nHost: x\r\n" + framing + b"\r\n5\r\nhello\r\n0\r\n\r\n"
    with socket.create_connection(("127.0.0.1", router), timeout=5) as sock:
        sock.sendall(raw)
        response = rawhttp.read_response(sock, "POST")
        assert response.status == 400
        assert rawhttp.closed_after(sock)
    assert "/echo-body" not in flask_app.TEARDOWNS


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param([(f"X-H{i}", "v") for i in range(101)], 431, id="101-fields"),
        pytest.param([("X-Big", "a" * 40_000), ("X-Big2", "b" * 30_000)], 431, id="70-kib"),
        pytest.param([(f"X-H{i}", "v") for i in range(90)], 200, id="90-fields-fine"),
    ],
)
def test_a5_header_limits(router, headers, status):
    assert rawhttp.request(router, "GET", "/echo-environ", headers).status == status


@pytest.fixture(scope="module", params=["inprocess", "remote"])
def limited_router(request: pytest.FixtureRequest, make_router: RouterFactory) -> Iterator[int]:
    """A5: a body limit, when one is configured (none by default)."""
    with make_router(request.param, max_body_bytes=1_000_000) as server:
        yield server.port


def test_a5_declared_body_over_limit_is_413_before_the_body_is_sent(limited_router):
    flask_app.TEARDOWNS.clear()
    head = b"POST /echo-body HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n"
    with socket.create_connection(("127.0.0.1", limited_router), timeout=5) as sock:
        sock.sendall(head)  # not one body byte: the answer must come anyway
        response = rawhttp.read_response(sock, "POST")
    assert response.status == 413
    assert json.loads(response.body)["error"]["code"] == "request_too_large"
    assert "/echo-body" not in flask_app.TEARDOWNS


def test_a5_chunked_body_over_limit_is_413(limited_router):
    chunk = b"a" * 65536
    body = b"".join(b"10000\r\n" + chunk + b"\r\n" for _ in range(20)) + b"0\r\n\r\n"
    response = rawhttp.request(
        limited_router, "POST", "/echo-body", [("Transfer-Encoding", "chunked")], body
    )
    assert response.status == 413


@pytest.mark.parametrize(
    "header", [pytest.param("X-Forwarded-For", id="dash"), pytest.param("X_Forwarded_For", id="a3")]
)
def test_a4_forwarded_for_ignored_from_untrusted_peer(router, header):
    response = rawhttp.request(router, "GET", "/echo-environ", [(header, "203.0.113.7")])
    seen = json.loads(response.body)
    assert seen["remote_addr"] == "127.0.0.1"
    assert seen["forwarded_for"] in (None, "127.0.0.1")


@pytest.mark.parametrize(
    ("path", "served_by"),
    [
        pytest.param("/echo-environ", "legacy", id="flask"),
        pytest.param("/client", "new", id="fastapi"),
    ],
)
def test_a4_trusted_proxy_both_apps_see_the_client(make_router, path, served_by):
    plan = {"routes": {"GET /client": {"mode": "new"}}}
    with make_router("inprocess", plan=plan, trusted_proxies="127.0.0.0/8") as server:
        chain = [("X-Forwarded-For", "198.51.100.1, 203.0.113.7")]
        response = rawhttp.request(server.port, "GET", path, chain)
    body = json.loads(response.body)
    assert response.header("x-served-by") == served_by
    assert body.get("remote_addr", body.get("client")) == "203.0.113.7"


def test_a15_validator_clean_under_a_root_path(make_router):
    """uvicorn --root-path: the proxy in front stripped /prefix; the app sees it as SCRIPT_NAME."""
    with (
        warnings.catch_warnings(record=True) as caught,
        make_router(
            "inprocess",
            root_path="/prefix",
            legacy_app="tests.router_proxy.apps.flask_app:validated_app",
        ) as server,
    ):
        warnings.simplefilter("always")
        environ = rawhttp.request(server.port, "GET", "/echo-environ?x=%C3%A9")
        streamed = rawhttp.request(server.port, "GET", "/stream?n=3&delay=0")
        upload = rawhttp.request(server.port, "POST", "/echo-body", body=b"x" * 3000)
        head = rawhttp.request(server.port, "HEAD", "/cookies")
    assert [r.status for r in (environ, streamed, upload, head)] == [200, 200, 200, 200]
    seen = json.loads(environ.body)
    assert (seen["script_name"], seen["path_info"]) == ("/prefix", "/echo-environ")
    assert seen["url"].endswith("/prefix/echo-environ?x=é")
    assert not [w for w in caught if issubclass(w.category, WSGIWarning)]


def test_a16_slow_legacy_does_not_stall_new_routes_or_health(make_router):
    flask_app.SLOW_GATE.clear()
    with make_router("inprocess", wsgi_threads=2, pool_wait_seconds=0.5) as server:
        results: list[int] = []
        slow = [
            threading.Thread(
                target=lambda: results.append(
                    rawhttp.request(server.port, "GET", "/slow?s=3").status
                )
            )
            for _ in range(2)
        ]
        for thread in slow:
            thread.start()
        time.sleep(0.2)
        began = time.monotonic()
        assert rawhttp.request(server.port, "GET", "/new-only").status == 200
        assert rawhttp.request(server.port, "GET", "/_strangler/healthz").status == 200
        assert time.monotonic() - began < 0.3
        saturated = rawhttp.request(server.port, "GET", "/")
        waited = time.monotonic() - began
        flask_app.SLOW_GATE.set()
        for thread in slow:
            thread.join()
    assert saturated.status == 503
    assert saturated.header("retry-after") == "1"
    assert 0.4 < waited < 1.5
    assert results == [200, 200]


def test_a17_legacy_generator_streams_incrementally(inprocess_router):
    with socket.create_connection(("127.0.0.1", inprocess_router), timeout=5) as sock:
        began = time.monotonic()
        sock.sendall(b"GET /stream?n=4&delay=0.3 HTTP/1.1\r\nHost: x\r\n\r\n")
        first = b""
        while b"chunk 0" not in first:
            first += sock.recv(65536)
        first_after = time.monotonic() - began
    assert b"chunk 0" in first and b"chunk 3" not in first
    assert first_after < 0.25


def test_a17_client_disconnect_closes_the_generator_and_tears_down(inprocess_router):
    flask_app.STREAM_EVENTS.clear()
    flask_app.TEARDOWNS.clear()
    with socket.create_connection(("127.0.0.1", inprocess_router), timeout=5) as sock:
        sock.sendall(b"GET /stream?n=100&delay=0.02 HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        while b"chunk 0" not in received:
            received += sock.recv(65536)
    deadline = time.monotonic() + 3
    while "closed" not in flask_app.STREAM_EVENTS and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "closed" in flask_app.STREAM_EVENTS
    assert len(flask_app.STREAM_EVENTS) < 60
    time.sleep(0.1)
    assert "/stream" in flask_app.TEARDOWNS


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        pytest.param("req-123.abc:9", True, id="sane-kept"),
        pytest.param("x" * 200, False, id="too-long-replaced"),
        pytest.param("bad id<script>", False, id="bad-charset-replaced"),
    ],
)
def test_request_id_accepted_or_generated(router, sent, kept):
    response = rawhttp.request(router, "GET", "/", [("X-Request-ID", sent)])
    assert (response.header("x-request-id") == sent) is kept
    assert response.header("x-request-id")


def test_health_and_readiness(router):
    assert rawhttp.request(router, "GET", "/_strangler/healthz").status == 200
    ready = rawhttp.request(router, "GET", "/_strangler/readyz")
    assert (ready.status, json.loads(ready.body)["status"]) == (200, "ready")


def test_a19_credentials_never_logged(router, caplog):
    secrets = ["sk_live_topsecret", "session=cookiesecret", "idem-secret-key"]
    headers = [
        ("Authorization", f"Bearer {secrets[0]}"),
        ("Cookie", secrets[1]),
        ("Idempotency-Key", secrets[2]),
    ]
    with caplog.at_level(logging.INFO), capture_logs() as events:
        rawhttp.request(router, "GET", "/items/1", headers)
        rawhttp.request(router, "GET", "/boom", headers)
    # The access line goes straight to stdlib logging, other events through structlog.
    lines = [json_formatter().format(r) for r in caplog.records if r.name == ACCESS_LOGGER]
    assert len(lines) >= 2, "the router logs each request"
    text = repr(events) + "\n".join(lines)
    assert not [s for s in secrets if s in text]
