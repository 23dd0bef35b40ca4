"""A Flask app nobody here wrote (PyPI's httpbin), behind the router with nothing else
set, answers byte for byte as it does under gunicorn: status, headers (values, and the
order of repeated ones), body and framing, in-process and remote.

One difference is by design: in-process, a chunked upload reaches the app whole, without
the hop-by-hop Transfer-Encoding field (A1); httpbin, like many WSGI apps, refuses chunked
bodies (501) from any server but gunicorn. So in-process the echo of that one request
lacks the field, and the test says so rather than skipping it.

Both servers get the very same request bytes (one Host, one X-Request-ID, so absolute URLs
and echoed headers agree). What may differ is only what the server on the wire owns
(Date, Server, Connection, Keep-Alive) and the two headers the router adds to every
answer (X-Served-By, X-Request-ID).
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator

import pytest

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from router_proxy import build_app, load_settings
from router_proxy.serving import entrypoint
from tests.router_proxy.httpbin_wire import comparable, send
from tests.router_proxy.servers import gunicorn, uvicorn_thread

HTTPBIN = "httpbin:app"
FORM = [("Content-Type", "application/x-www-form-urlencoded")]
JSON = [("Content-Type", "application/json")]
UPLOAD = (
    b'--b0\r\nContent-Disposition: form-data; name="doc"; filename="r\xc3\xa9sum\xc3\xa9.bin"'
    b"\r\nContent-Type: application/octet-stream\r\n\r\n" + bytes(range(256)) * 64 + b"\r\n"
    b'--b0\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--b0--\r\n'
)
CHUNKED = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
LARGE = b"x" * (700 * 1024)

CASES = [
    pytest.param("GET", "/get?a=1&a=2&b=%E2%82%AC", [], b"", id="query-repeats-utf8"),
    pytest.param("HEAD", "/get", [], b"", id="head"),
    pytest.param("OPTIONS", "/get", [], b"", id="options"),
    pytest.param("POST", "/get", [], b"", id="405-with-allow"),
    pytest.param("GET", "/no/such/path", [], b"", id="404"),
    pytest.param("POST", "/post", JSON, b'{"amount": 12.5, "n": [1, 2]}', id="json-body"),
    pytest.param("POST", "/post", FORM, b"a=1&a=2&b=%C3%A9", id="form-body"),
    pytest.param(
        "POST", "/post", [("Content-Type", "multipart/form-data; boundary=b0")], UPLOAD,
        id="multipart-upload",
    ),
    pytest.param("POST", "/anything", [("Transfer-Encoding", "chunked")], CHUNKED, id="chunked"),
    pytest.param("PUT", "/anything/x?y=1", JSON, b'{"k": "v"}', id="put-anything"),
    pytest.param("PATCH", "/patch", JSON, b"[]", id="patch"),
    pytest.param("DELETE", "/delete", [], b"", id="delete"),
    pytest.param("POST", "/anything", [("Content-Type", "text/plain")], LARGE, id="large-upload"),
    pytest.param("GET", "/bytes/200000?seed=7", [], b"", id="large-download"),
    pytest.param("GET", "/stream/5", [], b"", id="streamed-json-lines"),
    pytest.param("GET", "/stream-bytes/5000?seed=3&chunk_size=700", [], b"", id="stream-bytes"),
    pytest.param("GET", "/drip?duration=0&numbytes=5&delay=0", [], b"", id="drip"),
    pytest.param("GET", "/range/1000", [("Range", "bytes=10-99")], b"", id="range-206"),
    pytest.param("GET", "/range/1000", [("Range", "bytes=5000-")], b"", id="range-416"),
    pytest.param("GET", "/gzip", [("Accept-Encoding", "gzip")], b"", id="gzip"),
    pytest.param("GET", "/deflate", [("Accept-Encoding", "deflate")], b"", id="deflate"),
    pytest.param("GET", "/brotli", [("Accept-Encoding", "br")], b"", id="brotli"),
    pytest.param("GET", "/redirect/3", [], b"", id="redirect"),
    pytest.param("GET", "/relative-redirect/2", [], b"", id="relative-redirect"),
    pytest.param("GET", "/absolute-redirect/2", [], b"", id="absolute-redirect-keeps-host"),
    pytest.param(
        "GET", "/redirect-to?url=%2Fget&status_code=307", [], b"", id="redirect-to-307"
    ),
    pytest.param("GET", "/cookies/set?a=1&b=2", [], b"", id="set-cookie-repeats"),
    pytest.param("GET", "/cookies", [("Cookie", "a=1; b=%E2%82%AC")], b"", id="cookies"),
    pytest.param("GET", "/cookies/delete?a", [("Cookie", "a=1")], b"", id="delete-cookie"),
    pytest.param(
        "GET", "/response-headers?X-A=1&X-A=2&Content-Type=text/x-a", [], b"",
        id="response-header-repeats",
    ),
    pytest.param("GET", "/headers", [("X-Thing", "a"), ("X-Thing", "b")], b"", id="headers"),
    pytest.param("GET", "/ip", [], b"", id="ip"),
    pytest.param("GET", "/user-agent", [("User-Agent", "curl/8.0")], b"", id="user-agent"),
    pytest.param("GET", "/basic-auth/u/p", [], b"", id="401-www-authenticate"),
    pytest.param(
        "GET", "/basic-auth/u/p", [("Authorization", "Basic dTpw")], b"", id="basic-auth"
    ),
    pytest.param("GET", "/bearer", [("Authorization", "Bearer t0k")], b"", id="bearer"),
    pytest.param("GET", "/etag/abc", [("If-None-Match", '"abc"')], b"", id="etag-304"),
    pytest.param(
        "GET", "/cache", [("If-Modified-Since", "Wed, 21 Oct 2015 07:28:00 GMT")], b"",
        id="cache-304",
    ),
    pytest.param("GET", "/status/204", [], b"", id="204"),
    pytest.param("GET", "/status/302", [], b"", id="status-302"),
    pytest.param("GET", "/status/418", [], b"", id="418-teapot"),
    pytest.param("GET", "/status/500", [], b"", id="500"),
    pytest.param("GET", "/status/503", [], b"", id="503"),
    pytest.param("GET", "/html", [], b"", id="html"),
    pytest.param("GET", "/xml", [], b"", id="xml"),
    pytest.param("GET", "/encoding/utf8", [], b"", id="utf8-page"),
    pytest.param("GET", "/image/png", [], b"", id="binary-image"),
    pytest.param("GET", "/base64/SFRUUEJJTiBpcyBhd2Vzb21l", [], b"", id="base64"),
    pytest.param("GET", "/robots.txt", [], b"", id="robots"),
    pytest.param("GET", "/anything/caf%C3%A9/%2F?q=%25", [], b"", id="encoded-path"),
]


@pytest.fixture(scope="module")
def direct_httpbin() -> Iterator[int]:
    with gunicorn(HTTPBIN) as port:
        yield port


@pytest.fixture(scope="module", params=["inprocess", "remote"])
def httpbin_router(request, direct_httpbin) -> Iterator[int]:
    """The router as `strangler serve --legacy-app httpbin:app` builds it: no new app."""
    overrides = {
        "legacy_app": HTTPBIN,
        "mode": request.param,
        "legacy_url": f"http://127.0.0.1:{direct_httpbin}",
    }
    settings = load_settings({}, env={}, overrides=overrides)
    router = build_app(settings, StaticProvider(parse_plan({})))
    with uvicorn_thread(entrypoint(router, {})) as server:  # Date and Server as served
        yield server.port


@pytest.mark.parametrize(("method", "target", "headers", "body"), CASES)
def test_httpbin_is_byte_identical_through_the_router(
    request, direct_httpbin, httpbin_router, method, target, headers, body
):
    direct = send(direct_httpbin, method, target, headers, body)
    routed = send(httpbin_router, method, target, headers, body)

    expected = comparable(direct)
    if request.node.callspec.id == "inprocess-chunked":
        expected = unframed_echo(expected)
    assert comparable(routed) == expected
    assert routed.header("x-served-by") == "legacy"
    assert (len(routed.all("date")), len(routed.all("server"))) == (1, 1)


def unframed_echo(answer: tuple[int, list[tuple[str, str]], bytes]):
    """httpbin's echo of a chunked upload as an app sees it in-process: no framing field."""
    status, headers, body = answer
    echo = json.loads(body)
    assert echo["headers"].pop("Transfer-Encoding") == "chunked"
    text = (json.dumps(echo, indent=2, sort_keys=True) + "\n").encode()
    resized = [(n, str(len(text)) if n == "content-length" else v) for n, v in headers]
    return status, resized, text


def test_streams_arrive_in_the_same_chunks_framing(direct_httpbin, httpbin_router):
    direct = send(direct_httpbin, "GET", "/stream/5", [], b"")
    routed = send(httpbin_router, "GET", "/stream/5", [], b"")
    assert routed.header("transfer-encoding") == direct.header("transfer-encoding") == "chunked"
    assert routed.body.count(b"\n") == direct.body.count(b"\n") == 5


def test_encoded_answers_are_passed_on_still_encoded(direct_httpbin, httpbin_router):
    for path, decode in (("/gzip", gzip.decompress), ("/deflate", zlib.decompress)):
        routed = send(httpbin_router, "GET", path, [("Accept-Encoding", "gzip, deflate")], b"")
        assert routed.header("content-encoding") in ("gzip", "deflate")
        assert decode(routed.body).startswith(b"{")
