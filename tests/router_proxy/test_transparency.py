"""The router is invisible: the same request, direct and through the router (in-process
and remote), gives the same status, headers, and body bytes."""

from __future__ import annotations

import json

import pytest

from tests.router_proxy import rawhttp

# Added or owned by whichever server writes the bytes, not by the app.
SERVER_HEADERS = {"date", "server", "connection", "keep-alive", "transfer-encoding"}
ROUTER_HEADERS = {"x-served-by", "x-request-id"}
UPLOAD_BODY = (
    b'--XyZ\r\nContent-Disposition: form-data; name="document"; '
    b'filename="r\xc3\xa9sum\xc3\xa9.bin"\r\n'
    b"Content-Type: application/octet-stream\r\n\r\n" + bytes(range(256)) * 40 + b"\r\n--XyZ--\r\n"
)
LEGACY_CASES = [
    pytest.param("GET", "/", [], b"", id="plain-text"),
    pytest.param("GET", "/cookies", [], b"", id="two-set-cookies-kept-apart"),
    pytest.param("HEAD", "/cookies", [], b"", id="head-like-flask"),
    pytest.param("OPTIONS", "/both", [], b"", id="options-like-flask"),
    pytest.param("DELETE", "/both", [], b"", id="405-with-allow"),
    pytest.param("GET", "/nope", [], b"", id="unknown-route-404-from-legacy"),
    pytest.param("GET", "/dir", [], b"", id="trailing-slash-redirect"),
    pytest.param("GET", "/redirect-external", [], b"", id="absolute-redirect-keeps-host"),
    pytest.param(
        "POST",
        "/login",
        [("Content-Type", "application/x-www-form-urlencoded")],
        b"owner=bob",
        id="session-cookie-and-redirect",
    ),
    pytest.param(
        "GET",
        "/unicode/%C3%A9t%C3%A9?q=%E2%82%AC+x&q=%25&empty=",
        [],
        b"",
        id="utf8-percent-encoded-path-and-query",
    ),
    pytest.param("GET", "/unicode/caf%E9", [], b"", id="latin1-percent-encoded-path"),
    pytest.param("GET", "/files/a/b%2Fc/d.txt", [], b"", id="path-converter-encoded-slash"),
    pytest.param("GET", "/teapot", [], b"", id="abort-418-html"),
    pytest.param("GET", "/boom", [], b"", id="unhandled-error-500"),
    pytest.param(
        "POST",
        "/upload",
        [("Content-Type", "multipart/form-data; boundary=XyZ")],
        UPLOAD_BODY,
        id="file-upload",
    ),
    pytest.param(
        "POST",
        "/echo-body",
        [("Transfer-Encoding", "chunked")],
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        id="chunked-request-body",
    ),
    pytest.param("GET", "/stream?n=4&delay=0", [], b"", id="streamed-generator"),
]
# (method, target, headers, body, who must answer by the plan in conftest.PLAN)
NEW_CASES = [
    pytest.param("GET", "/items/12", [], b"", "new", id="new-route-in-new-mode"),
    pytest.param("GET", "/items/abc", [], b"", "legacy", id="legacy-pattern-decides-404"),
    pytest.param("GET", "/new-only", [], b"", "new", id="new-only-route"),
    pytest.param("POST", "/echo-body", [], b"", "legacy", id="legacy-wins-by-default"),
]


def app_headers(response: rawhttp.RawResponse) -> list[tuple[str, str]]:
    return [
        (n, _allow_sorted(v) if n == "allow" else v)
        for n, v in response.headers
        if n not in SERVER_HEADERS | ROUTER_HEADERS
    ]


def _allow_sorted(value: str) -> str:
    # Flask builds Allow from a set: its order changes with each process's hash seed.
    return ", ".join(sorted(value.split(", ")))


def assert_same(direct: rawhttp.RawResponse, routed: rawhttp.RawResponse) -> None:
    assert routed.status == direct.status
    assert app_headers(routed) == app_headers(direct)
    assert routed.body == direct.body


def host_free(response: rawhttp.RawResponse, port: int) -> rawhttp.RawResponse:
    """Absolute URLs carry the port the client dialled: make them comparable."""
    replace = f"127.0.0.1:{port}"
    headers = [(n, v.replace(replace, "HOST")) for n, v in response.headers]
    return rawhttp.RawResponse(
        response.status, headers, response.body.replace(replace.encode(), b"HOST")
    )


@pytest.mark.parametrize(("method", "target", "headers", "body"), LEGACY_CASES)
def test_legacy_routes_are_byte_identical(direct_flask, router, method, target, headers, body):
    direct = rawhttp.request(direct_flask, method, target, headers, body)
    routed = rawhttp.request(router, method, target, headers, body)
    assert_same(host_free(direct, direct_flask), host_free(routed, router))
    assert routed.header("x-served-by") == "legacy"


@pytest.mark.parametrize(("method", "target", "headers", "body", "owner"), NEW_CASES)
def test_new_routes_match_the_app_the_plan_names(
    direct_fastapi, direct_flask, router, method, target, headers, body, owner
):
    """The reference server comes from the plan, never from the router's own answer: a
    router serving a new-mode route from legacy must fail here."""
    routed = rawhttp.request(router, method, target, headers, body)
    reference_port = direct_fastapi if owner == "new" else direct_flask
    direct = rawhttp.request(reference_port, method, target, headers, body)
    assert_same(direct, routed)
    assert routed.header("x-served-by") == owner


def test_served_by_follows_the_plan(router):
    assert rawhttp.request(router, "GET", "/items/1").header("x-served-by") == "new"
    assert rawhttp.request(router, "GET", "/shared").header("x-served-by") == "legacy"
    assert rawhttp.request(router, "GET", "/new-only").header("x-served-by") == "new"
    assert rawhttp.request(router, "GET", "/unknown").header("x-served-by") == "legacy"


def test_session_cookie_round_trips(router):
    login = rawhttp.request(
        router,
        "POST",
        "/login",
        [("Content-Type", "application/x-www-form-urlencoded")],
        b"owner=carol",
    )
    cookie = str(login.header("set-cookie")).split(";")[0]
    whoami = rawhttp.request(router, "GET", "/whoami", [("Cookie", cookie)])
    assert whoami.body == b'{"owner":"carol"}\n'


def test_environ_differs_only_by_designed_headers(direct_flask, router):
    """The router drops Connection (hop-by-hop), adds X-Request-ID and, to a remote backend,
    the X-Forwarded-For/Proto it resolved; nothing else moves."""
    headers = [("Accept", "text/plain"), ("X-Thing", "a"), ("X-Thing", "b")]
    direct = json.loads(rawhttp.request(direct_flask, "GET", "/echo-environ?a=1", headers).body)
    routed = json.loads(rawhttp.request(router, "GET", "/echo-environ?a=1", headers).body)
    added = {"HTTP_X_REQUEST_ID", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO"}
    assert set(direct.pop("headers")) - {"HTTP_CONNECTION"} == set(routed.pop("headers")) - added
    neutral = {"url": "", "forwarded_for": None}
    assert {**direct, **neutral} == {**routed, **neutral}
